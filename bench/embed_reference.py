"""Python sentence-transformers on the same texts as `cargo bench -p chorus-local --bench embed`.

    python3 bench/embed_reference.py MODEL_FOLDER [TEXTS] [first|joined]

`first` embeds the first user turn of each transcript; `joined` all its user turns joined by
newlines (what keyword mode embeds).
"""
import gzip
import json
import statistics
import sys
import time

from sentence_transformers import SentenceTransformer

count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
joined = len(sys.argv) > 3 and sys.argv[3] == "joined"
texts = []
with gzip.open("../shared/data/hh-rlhf-harmless-test.jsonl.gz", "rt", encoding="utf-8") as lines:
    for line in lines:
        chosen = json.loads(line)["chosen"]
        turns = [part.split("\n\nAssistant:")[0].strip() for part in chosen.split("Human:")[1:]]
        if turns:
            texts.append("\n".join(turns) if joined else turns[0])
        if len(texts) == count:
            break
model = SentenceTransformer(sys.argv[1], device="cpu")
rates = []
for _ in range(3):
    started = time.perf_counter()
    model.encode(texts, batch_size=32)
    rates.append(len(texts) / (time.perf_counter() - started))
import torch

print(
    f"python sentence-transformers (torch {torch.__version__}, {torch.get_num_threads()} threads): "
    f"{len(texts)} texts, median of 3: {statistics.median(rates):.1f} texts/s"
)
