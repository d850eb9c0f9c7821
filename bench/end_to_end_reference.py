"""The Python reference for the end-to-end benchmark: BERTopic (sentence-transformers
embeddings, UMAP, HDBSCAN, class-based TF-IDF) over the same synthetic set chorus runs on, with
the same embedding model, timed per stage and scored against the same truth.

    python3 bench/end_to_end_reference.py MINILM_FOLDER SET.jsonl SET.truth.jsonl

The text of each conversation is what chorus's keyword mode embeds: the user's turns joined by
newlines, cut at 1,000 characters. (chorus also redacts personal details first; the reference
does not, which only helps it.)
"""
import json
import resource
import sys
import time

from bertopic import BERTopic
from sentence_transformers import SentenceTransformer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

folder, conversations, truth_path = sys.argv[1:4]
texts, ids = [], []
with open(conversations, encoding="utf-8") as lines:
    for line in lines:
        record = json.loads(line)
        turns = [m["content"] for m in record["messages"] if m["role"] == "user"]
        texts.append("\n".join(turns)[:1000])
        ids.append(record["id"])
truth = {}
with open(truth_path, encoding="utf-8") as lines:
    for line in lines:
        row = json.loads(line)
        truth[row["id"]] = row["leaf"]
labels = [truth[i] for i in ids]

started = time.perf_counter()
model = SentenceTransformer(folder, device="cpu")
vectors = model.encode(texts, batch_size=64, normalize_embeddings=True)
embed_seconds = time.perf_counter() - started
started = time.perf_counter()
topics, _ = BERTopic(embedding_model=model).fit_transform(texts, vectors)
fit_seconds = time.perf_counter() - started
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(
    f"BERTopic: {len(texts)} conversations: embed {embed_seconds:.1f} s, "
    f"UMAP + HDBSCAN + c-TF-IDF {fit_seconds:.1f} s, total {embed_seconds + fit_seconds:.1f} s, "
    f"peak {peak_mib:.0f} MiB; {len(set(topics))} topics ({topics.count(-1)} outliers); "
    f"vs leaf NMI {normalized_mutual_info_score(labels, topics):.3f}, "
    f"ARI {adjusted_rand_score(labels, topics):.3f}"
)
