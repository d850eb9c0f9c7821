"""Python sentence-transformers on the same texts as `cargo bench -p chorus-local --bench embed`.

    python3 bench/embed_reference.py MODEL_FOLDER [TEXTS]
"""
import gzip
import json
import statistics
import sys
import time

from sentence_transformers import SentenceTransformer

count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
texts = []
with gzip.open("../shared/data/hh-rlhf-harmless-test.jsonl.gz", "rt", encoding="utf-8") as lines:
    for line in lines:
        chosen = json.loads(line)["chosen"]
        parts = chosen.split("Human:")
        if len(parts) > 1:
            texts.append(parts[1].split("\n\nAssistant:")[0].strip())
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
