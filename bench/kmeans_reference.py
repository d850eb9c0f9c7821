"""The references for `cargo bench -p chorus-cluster --bench kmeans`: faiss-cpu and scikit-learn
k-means on the same raw f32 file, the same k and the same number of Lloyd iterations.

    bash bench/kmeans.sh [N DIM K ITERATIONS]
"""

import sys
import time

import numpy as np


def main():
    n, dim, k, iterations = (int(a) for a in sys.argv[1:5])
    path = sys.argv[5]
    rows = np.fromfile(path, dtype="<f4").reshape(n, dim)

    import faiss

    started = time.perf_counter()
    km = faiss.Kmeans(dim, k, niter=iterations, seed=7, max_points_per_centroid=n, verbose=False)
    km.train(rows)
    seconds = time.perf_counter() - started
    _, labels = km.index.search(rows, 1)
    print(
        f"faiss-cpu {faiss.__version__} ({faiss.omp_get_max_threads()} threads): {seconds:.2f} s total, "
        f"{seconds / iterations:.3f} s/step, objective {km.obj[-1]:.1f}"
    )

    import sklearn
    from sklearn.cluster import KMeans

    started = time.perf_counter()
    model = KMeans(n_clusters=k, n_init=1, max_iter=iterations, tol=0.0, algorithm="lloyd", random_state=7)
    model.fit(rows)
    seconds = time.perf_counter() - started
    print(
        f"scikit-learn {sklearn.__version__} (k-means++ init): {seconds:.2f} s total, "
        f"{seconds / model.n_iter_:.3f} s/step over {model.n_iter_} steps, inertia {model.inertia_:.1f}"
    )


if __name__ == "__main__":
    main()
