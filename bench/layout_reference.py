"""umap-learn beside chorus's map, for bench/layout.sh.

    python3 bench/layout_reference.py embed MINILM_FOLDER VECTORS_FILE
    python3 bench/layout_reference.py layout VECTORS_FILE CHORUS_MAP_FILE

`embed` writes the Banking77 queries (train then test) as raw f32 all-MiniLM-L6-v2 vectors and
their intents beside them (VECTORS_FILE.labels). `layout` times umap-learn (15 neighbours, 200
epochs, min_dist 0.1, seed 7, median of 3) and scores both layouts on the same 5,000-row sample:
trustworthiness (k=10, scikit-learn) and how often a row's nearest row on the map has its intent.
"""
import csv
import gzip
import statistics
import sys
import time

import numpy as np

SAMPLE = 5000


def embed(model_folder, out):
    from sentence_transformers import SentenceTransformer

    texts, labels = [], []
    for name in ("banking77-train.csv.gz", "banking77-test.csv.gz"):
        with gzip.open(f"../shared/data/{name}", "rt", encoding="utf-8") as rows:
            for row in csv.DictReader(rows):
                texts.append(row["text"])
                labels.append(row["category"])
    model = SentenceTransformer(model_folder, device="cpu")
    vectors = model.encode(texts, batch_size=64, normalize_embeddings=True)
    np.asarray(vectors, dtype="<f4").tofile(out)
    with open(out + ".labels", "w", encoding="utf-8") as f:
        f.write("\n".join(labels) + "\n")
    print(f"embedded {len(texts)} queries into {out}")


def scores(vectors, coordinates, labels, rng):
    from sklearn.manifold import trustworthiness
    from sklearn.neighbors import NearestNeighbors

    rows = rng.choice(len(vectors), size=min(SAMPLE, len(vectors)), replace=False)
    trust = trustworthiness(vectors[rows], coordinates[rows], n_neighbors=10)
    nearest = NearestNeighbors(n_neighbors=2).fit(coordinates).kneighbors(coordinates)[1][:, 1]
    agreement = float(np.mean(labels == labels[nearest]))
    return trust, agreement


def layout(vectors_file, chorus_file):
    import umap

    vectors = np.fromfile(vectors_file, dtype="<f4").reshape(-1, 384)
    labels = np.array(open(vectors_file + ".labels", encoding="utf-8").read().split("\n")[:-1])
    times, coordinates = [], None
    for _ in range(3):
        started = time.perf_counter()
        coordinates = umap.UMAP(
            n_neighbors=15, n_epochs=200, min_dist=0.1, random_state=7
        ).fit_transform(vectors)
        times.append(time.perf_counter() - started)
    chorus = np.fromfile(chorus_file, dtype="<f4").reshape(-1, 2)
    for name, layout_ in (("umap-learn", coordinates), ("chorus", chorus)):
        trust, agreement = scores(vectors, layout_, labels, np.random.default_rng(7))
        extra = f", median {statistics.median(times):.2f} s of 3" if name == "umap-learn" else ""
        print(
            f"{name}: {len(vectors)} x 384{extra}; trustworthiness (k=10, {SAMPLE} rows) "
            f"{trust:.4f}; nearest-on-map same intent {agreement:.3f}"
        )


if __name__ == "__main__":
    if sys.argv[1] == "embed":
        embed(sys.argv[2], sys.argv[3])
    else:
        layout(sys.argv[2], sys.argv[3])
