"""Banking77 test at k = 77 with the Python tools chorus's users would pick instead, on the
vectors chorus's own encoder makes (bench/cluster_reference.sh writes them), and two rows that
are not methods but ceilings: k-means started at the true intents' means, and each query at
its nearest true mean.

    python3 bench/cluster_reference.py WORK_DIR MODEL [SEEDS]

WORK_DIR holds labels.json and MODEL.f32. Prints one Markdown row per method: the median NMI
and ARI over the seeds (default 0 1 2) and the median seconds.
"""
import json
import statistics
import sys
import time
import warnings

import numpy as np
import umap
from sklearn.cluster import HDBSCAN, KMeans, SpectralClustering
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

warnings.filterwarnings("ignore")
work, model = sys.argv[1], sys.argv[2]
seeds = [int(s) for s in sys.argv[3].split()] if len(sys.argv) > 3 else [0, 1, 2]
labels = json.load(open(f"{work}/labels.json"))
intents = sorted(set(labels))
truth = np.array([intents.index(label) for label in labels])
vectors = np.fromfile(f"{work}/{model}.f32", dtype=np.float32).reshape(len(labels), -1)
K = len(intents)


def reduced(seed):
    # BERTopic's default reduction.
    return umap.UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine",
                     random_state=seed).fit_transform(vectors)


def true_means():
    means = np.array([vectors[truth == c].mean(0) for c in range(K)])
    return means / np.linalg.norm(means, axis=1, keepdims=True)


METHODS = {
    "scikit-learn KMeans (n_init 10)":
        lambda seed: KMeans(K, n_init=10, random_state=seed).fit_predict(vectors),
    "BERTopic's default clustering: UMAP 5-d + HDBSCAN (min_cluster_size 10; outliers one group)":
        lambda seed: HDBSCAN(min_cluster_size=10).fit_predict(reduced(seed)),
    "UMAP 5-d + KMeans (BERTopic with k-means)":
        lambda seed: KMeans(K, n_init=10, random_state=seed).fit_predict(reduced(seed)),
    "spectral clustering on a 15-NN graph":
        lambda seed: SpectralClustering(K, affinity="nearest_neighbors", n_neighbors=15,
                                        random_state=seed).fit_predict(vectors),
    "ceiling: k-means started at the true intents' means":
        lambda seed: KMeans(K, init=true_means(), n_init=1).fit_predict(vectors),
    "ceiling: each query at its nearest true intent mean":
        lambda seed: np.argmax(vectors @ true_means().T, axis=1),
}

for name, method in METHODS.items():
    scores = []
    for seed in seeds:
        started = time.perf_counter()
        found = method(seed)
        seconds = time.perf_counter() - started
        scores.append((normalized_mutual_info_score(truth, found),
                       adjusted_rand_score(truth, found), seconds))
    nmi, ari, seconds = (statistics.median(column) for column in zip(*scores))
    print(f"| {name} | {model} | {nmi:.3f} | {ari:.3f} | {seconds:.1f} |", flush=True)
