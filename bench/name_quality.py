"""What a run's published names say, counted from its report.json (Python's standard library
only): how many nodes are published, how many parents are named by a phrase that fewer than
20 % of their conversations wrote (the shares come from the node's description), and, for a
synthetic set with its truth file, how many names mix words of two languages.

    python3 bench/name_quality.py RUN_DIR [DATA.jsonl TRUTH.jsonl]

A word's language is the language of at least 60 % of the conversations (users' turns) that
hold it, from the truth file; words no language holds that share of (names, "pc", "sql") count
for none. docs/benchmarks.md ("Names in the cluster's own language") reports these counts.
"""
import json
import re
import sys
from collections import Counter, defaultdict

COVERAGE = 0.2
WORD_LANGUAGE_SHARE = 0.6
SHARE = re.compile(r"([^,()]+?) \((\d+)%\)")


def published(node):
    """Every published node below `node` except the "Other" ones, parents first."""
    for child in node.get("children", []):
        if child.get("other"):
            continue
        yield child
        yield from published(child)


def name_share(node):
    """The share of the node that wrote its name, when its description gives one."""
    text = node["description"].removeprefix("Users here wrote about ")
    shares = {term.strip(): int(share) / 100 for term, share in SHARE.findall(text)}
    return shares.get(node["name"])


def named_by_few(node):
    has_children = any(not child.get("other") for child in node.get("children", []))
    share = name_share(node)
    return has_children and " · " not in node["name"] and share is not None and share < COVERAGE


def word_languages(data_path, truth_path):
    language = {}
    with open(truth_path) as truth:
        for line in truth:
            row = json.loads(line)
            language[row["id"]] = row["language"]
    counts = defaultdict(Counter)
    with open(data_path) as data:
        for line in data:
            row = json.loads(line)
            text = " ".join(m["content"] for m in row["messages"] if m["role"] == "user")
            for word in set(re.findall(r"\w+", text.lower())):
                counts[word][language.get(row["id"])] += 1
    languages = {}
    for word, by_language in counts.items():
        top, count = by_language.most_common(1)[0]
        if top and count >= WORD_LANGUAGE_SHARE * sum(by_language.values()):
            languages[word] = top
    return languages


def main():
    if len(sys.argv) not in (2, 4):
        sys.exit(__doc__)
    with open(f"{sys.argv[1]}/report.json") as report:
        nodes = list(published(json.load(report)["tree"]))
    print(f"published nodes: {len(nodes)}")
    few = [node for node in nodes if named_by_few(node)]
    print(f"parents named by a phrase under {COVERAGE:.0%} of them wrote: {len(few)}")
    for node in few:
        print(f"  {node['name']!r} ({node['conversations']} conversations)")
    if len(sys.argv) == 4:
        languages = word_languages(sys.argv[2], sys.argv[3])
        mixed = []
        for node in nodes:
            words = re.findall(r"\w+", node["name"].lower())
            named_in = {languages[word] for word in words if word in languages}
            if len(named_in) > 1:
                mixed.append((node["name"], sorted(named_in)))
        print(f"names mixing languages: {len(mixed)}")
        for name, named_in in mixed:
            print(f"  {name!r}: {', '.join(named_in)}")


if __name__ == "__main__":
    main()
