use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::gemm_dots::{dot_products, squared_norms};
use crate::{ClusterError, row_count};
use chorus_types::SeededRng;

/// Rows assigned per block: one block's distances to every centroid fit in cache-friendly
/// buffers and blocks spread over the cores.
const BLOCK_ROWS: usize = 512;
/// Most partial sums the mean step adds up.
const MEAN_PARTS: usize = 64;
/// Lloyd steps each restart takes on the seeding sample before the restarts are compared.
const RESTART_STEPS: usize = 10;

/// How to run k-means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KMeansOptions {
    /// Number of clusters (clamped to the number of rows).
    pub k: usize,
    /// Seed for every random choice.
    pub seed: u64,
    /// Independent k-means++ seedings tried on the sample; the one with the lowest inertia wins.
    pub restarts: usize,
    /// Most Lloyd steps over all rows.
    pub max_iterations: usize,
    /// Rows the seedings and restarts look at (all rows when there are fewer).
    pub seeding_sample: usize,
    /// Stop when one step lowers the inertia by less than this fraction.
    pub tolerance: f64,
    /// Mini-batch k-means for large inputs: with `Some(b)` and more than `b` rows, the
    /// centroids move by batches of `b` sampled rows (each centroid by the running mean of the
    /// rows it has been given) for `mini_batch_steps` steps, then at most `max_iterations`
    /// full Lloyd steps polish them (one or two are usually enough).
    pub mini_batch: Option<usize>,
    /// Batches of a mini-batch run.
    pub mini_batch_steps: usize,
}

impl KMeansOptions {
    /// Sensible defaults for `k` clusters.
    pub fn new(k: usize, seed: u64) -> Self {
        Self {
            k,
            seed,
            restarts: 3,
            max_iterations: 50,
            seeding_sample: 50_000,
            tolerance: 1e-4,
            mini_batch: None,
            mini_batch_steps: 100,
        }
    }
}

/// The result of k-means.
#[derive(Clone, Debug, PartialEq)]
pub struct KMeans {
    /// Vector length.
    pub dim: usize,
    /// `k × dim` centroids, row-major.
    pub centroids: Vec<f32>,
    /// The cluster of each row.
    pub assignments: Vec<u32>,
    /// Rows per cluster.
    pub sizes: Vec<usize>,
    /// Sum of squared distances of rows to their centroids, after each Lloyd step.
    pub inertia_history: Vec<f64>,
    /// Whether the steps stopped because the assignment settled (not the step limit).
    pub converged: bool,
}

impl KMeans {
    /// Number of clusters.
    pub fn k(&self) -> usize {
        self.sizes.len()
    }

    /// Final inertia.
    pub fn inertia(&self) -> f64 {
        self.inertia_history.last().copied().unwrap_or(0.0)
    }

    /// One centroid.
    pub fn centroid(&self, cluster: usize) -> &[f32] {
        &self.centroids[cluster * self.dim..(cluster + 1) * self.dim]
    }
}

/// Seeded k-means over `rows` (row-major, `dim` columns): k-means++ seeding on a sample with
/// several restarts, then Lloyd steps over every row as blocked matrix products on all cores.
pub fn kmeans(rows: &[f32], dim: usize, options: &KMeansOptions) -> Result<KMeans, ClusterError> {
    let n = crate::row_count(rows, dim)?;
    if options.k == 0 {
        return Err(ClusterError::Parameter("k must be at least 1".into()));
    }
    let k = options.k.min(n);
    let mut rng = SeededRng::new(options.seed, 0);
    let sample = sample_rows(rows, dim, options.seeding_sample.max(k), &mut rng);
    let best = (0..options.restarts.max(1))
        .map(|restart| {
            let mut rng = SeededRng::new(options.seed, 1 + restart as u64);
            let seeds = plus_plus(&sample, dim, k, &mut rng);
            let refined = lloyd(&sample, dim, seeds, RESTART_STEPS, options.tolerance);
            (refined.inertia(), refined.centroids)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, centroids)| centroids)
        .unwrap_or_default();
    let start = match options.mini_batch {
        Some(batch) if batch > 0 && batch < n => mini_batches(
            rows,
            dim,
            best,
            batch,
            options.mini_batch_steps,
            options.seed,
        ),
        _ => best,
    };
    Ok(lloyd(
        rows,
        dim,
        start,
        options.max_iterations.max(1),
        options.tolerance,
    ))
}

/// Sculley's mini-batch k-means: each step assigns `batch` sampled rows and moves every
/// centroid towards the mean of its rows in the batch, by the share those rows are of all the
/// rows it has been given so far (so each centroid is the running mean of its rows).
fn mini_batches(
    rows: &[f32],
    dim: usize,
    mut centroids: Vec<f32>,
    batch: usize,
    steps: usize,
    seed: u64,
) -> Vec<f32> {
    let k = centroids.len() / dim;
    let mut seen = vec![0u64; k];
    let mut rng = SeededRng::new(seed, u64::MAX);
    for _ in 0..steps {
        let sample = sample_rows(rows, dim, batch, &mut rng);
        let nearest = assign(&sample, dim, &centroids);
        let mut sums = vec![0.0f64; k * dim];
        let mut counts = vec![0u64; k];
        for (row, &(cluster, _)) in sample.chunks_exact(dim).zip(&nearest) {
            let c = cluster as usize;
            counts[c] += 1;
            for (s, x) in sums[c * dim..(c + 1) * dim].iter_mut().zip(row) {
                *s += f64::from(*x);
            }
        }
        for c in (0..k).filter(|&c| counts[c] > 0) {
            seen[c] += counts[c];
            let rate = counts[c] as f64 / seen[c] as f64;
            let mean = |s: f64| s / counts[c] as f64;
            for (t, s) in centroids[c * dim..(c + 1) * dim]
                .iter_mut()
                .zip(&sums[c * dim..(c + 1) * dim])
            {
                *t = (f64::from(*t) * (1.0 - rate) + mean(*s) * rate) as f32;
            }
        }
    }
    centroids
}

/// Up to `size` distinct rows chosen at random (all rows, in order, when there are fewer).
fn sample_rows(rows: &[f32], dim: usize, size: usize, rng: &mut SeededRng) -> Vec<f32> {
    let n = rows.len() / dim;
    if n <= size {
        return rows.to_vec();
    }
    let mut order: Vec<usize> = (0..n).collect();
    for i in 0..size {
        let j = i + rng.below(n - i);
        order.swap(i, j);
    }
    let mut chosen = order[..size].to_vec();
    chosen.sort_unstable();
    chosen
        .iter()
        .flat_map(|&i| &rows[i * dim..(i + 1) * dim])
        .copied()
        .collect()
}

/// k-means++: each next seed drawn with probability proportional to its squared distance to
/// the nearest seed so far.
fn plus_plus(rows: &[f32], dim: usize, k: usize, rng: &mut SeededRng) -> Vec<f32> {
    let n = rows.len() / dim;
    let row = |i: usize| &rows[i * dim..(i + 1) * dim];
    let mut centroids = Vec::with_capacity(k * dim);
    centroids.extend_from_slice(row(rng.below(n)));
    let mut nearest: Vec<f64> = vec![f64::INFINITY; n];
    while centroids.len() < k * dim {
        let last = &centroids[centroids.len() - dim..];
        nearest
            .par_chunks_mut(BLOCK_ROWS)
            .enumerate()
            .for_each(|(block, bests)| {
                for (offset, best) in bests.iter_mut().enumerate() {
                    let i = block * BLOCK_ROWS + offset;
                    *best = best.min(squared_distance(row(i), last));
                }
            });
        let total: f64 = nearest.iter().sum();
        let next = if total > 0.0 {
            let mut target = rng.next_f64() * total;
            nearest
                .iter()
                .position(|&d| {
                    target -= d;
                    target < 0.0
                })
                .unwrap_or(n - 1)
        } else {
            // Every row sits on a seed already: duplicates; any row will do.
            rng.below(n)
        };
        centroids.extend_from_slice(row(next));
    }
    centroids
}

/// Summed in f32 lanes the compiler turns into vector registers (the seeding computes this
/// k × sample times; one f64 running sum made it most of a 1M-row run's clustering time), then
/// added up in f64.
fn squared_distance(a: &[f32], b: &[f32]) -> f64 {
    const LANES: usize = 16;
    let mut lanes = [0.0f32; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| (x - y) * (x - y))
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..LANES {
            let difference = x[lane] - y[lane];
            lanes[lane] += difference * difference;
        }
    }
    lanes.iter().map(|&sum| f64::from(sum)).sum::<f64>() + f64::from(tail)
}

/// The nearest of `centroids` (rows of `dim`) to each row, and the squared distance to it.
pub fn nearest_centroids(
    rows: &[f32],
    dim: usize,
    centroids: &[f32],
) -> Result<Vec<(u32, f32)>, ClusterError> {
    row_count(centroids, dim)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    row_count(rows, dim)?;
    Ok(assign(rows, dim, centroids))
}

/// The nearest centroid of each row and the squared distance to it.
fn assign(rows: &[f32], dim: usize, centroids: &[f32]) -> Vec<(u32, f32)> {
    let k = centroids.len() / dim;
    let centroid_norms = squared_norms(centroids, dim);
    rows.par_chunks(BLOCK_ROWS * dim)
        .flat_map_iter(|block| {
            let m = block.len() / dim;
            let mut dots = vec![0.0f32; m * k];
            dot_products(block, centroids, dim, &mut dots);
            let norms = &centroid_norms;
            (0..m).map(move |i| {
                let row_norm: f32 = block[i * dim..(i + 1) * dim].iter().map(|x| x * x).sum();
                let (best, distance) = dots[i * k..(i + 1) * k]
                    .iter()
                    .zip(norms)
                    .map(|(dot, norm)| norm - 2.0 * dot)
                    .enumerate()
                    .fold(
                        (0, f32::INFINITY),
                        |acc, (j, d)| {
                            if d < acc.1 { (j, d) } else { acc }
                        },
                    );
                (best as u32, (row_norm + distance).max(0.0))
            })
        })
        .collect()
}

/// Lloyd steps from `centroids` until the assignment settles, the inertia stops falling, or
/// `max_steps`.
fn lloyd(
    rows: &[f32],
    dim: usize,
    mut centroids: Vec<f32>,
    max_steps: usize,
    tolerance: f64,
) -> KMeans {
    let k = centroids.len() / dim;
    let mut assignments: Vec<u32> = Vec::new();
    let mut history = Vec::new();
    let mut converged = false;
    for _ in 0..max_steps {
        let nearest = assign(rows, dim, &centroids);
        let inertia: f64 = nearest.iter().map(|&(_, d)| f64::from(d)).sum();
        let unchanged = nearest.len() == assignments.len()
            && nearest.iter().zip(&assignments).all(|(a, b)| a.0 == *b);
        assignments = nearest.iter().map(|&(c, _)| c).collect();
        let settled = history.last().is_some_and(|&previous: &f64| {
            previous - inertia <= tolerance * previous.max(f64::MIN_POSITIVE)
        });
        history.push(inertia);
        if unchanged || settled {
            converged = true;
            break;
        }
        centroids = means(rows, dim, k, &nearest);
    }
    let mut sizes = vec![0usize; k];
    for &a in &assignments {
        sizes[a as usize] += 1;
    }
    KMeans {
        dim,
        centroids,
        assignments,
        sizes,
        inertia_history: history,
        converged,
    }
}

/// The mean of each of `k` clusters' rows under `assignments`, summed as k-means sums them
/// (deterministic partial sums in f64); a cluster with no row takes one of the first rows, a
/// different one for each. For centroids of a clustering found in another space (a
/// reduction of the rows).
pub fn cluster_means(rows: &[f32], dim: usize, k: usize, assignments: &[u32]) -> Vec<f32> {
    let unranked: Vec<(u32, f32)> = assignments.iter().map(|&cluster| (cluster, 0.0)).collect();
    means(rows, dim, k, &unranked)
}

/// The mean of each cluster's rows; a cluster left empty takes the row farthest from its own
/// centroid (a different one for each empty cluster), so k clusters stay k.
fn means(rows: &[f32], dim: usize, k: usize, nearest: &[(u32, f32)]) -> Vec<f32> {
    // Partial sums per fixed block, added in block order: the result never depends on how
    // rayon happened to split the work, so the same seed gives the same bits.
    // At most MEAN_PARTS partial sums (a fixed count, not one per thread) keeps both the result
    // deterministic and the k × dim buffers few.
    let n = nearest.len();
    let part_rows = n.div_ceil(MEAN_PARTS).max(BLOCK_ROWS);
    let partials: Vec<(Vec<f64>, Vec<usize>)> = rows
        .par_chunks(part_rows * dim)
        .zip(nearest.par_chunks(part_rows))
        .map(|(block, labels)| {
            let mut sums = vec![0.0f64; k * dim];
            let mut counts = vec![0usize; k];
            for (row, &(cluster, _)) in block.chunks_exact(dim).zip(labels) {
                let c = cluster as usize;
                counts[c] += 1;
                for (s, x) in sums[c * dim..(c + 1) * dim].iter_mut().zip(row) {
                    *s += f64::from(*x);
                }
            }
            (sums, counts)
        })
        .collect();
    let mut sums = vec![0.0f64; k * dim];
    let mut counts = vec![0usize; k];
    for (partial_sums, partial_counts) in &partials {
        sums.iter_mut().zip(partial_sums).for_each(|(x, y)| *x += y);
        counts
            .iter_mut()
            .zip(partial_counts)
            .for_each(|(x, y)| *x += y);
    }
    let mut farthest: Vec<usize> = (0..nearest.len()).collect();
    farthest.sort_by(|&a, &b| nearest[b].1.total_cmp(&nearest[a].1).then(a.cmp(&b)));
    let mut spare = farthest.into_iter();
    let mut centroids = vec![0.0f32; k * dim];
    for c in 0..k {
        let target = &mut centroids[c * dim..(c + 1) * dim];
        if counts[c] > 0 {
            let n = counts[c] as f64;
            for (t, s) in target.iter_mut().zip(&sums[c * dim..(c + 1) * dim]) {
                *t = (s / n) as f32;
            }
        } else if let Some(row) = spare.next() {
            target.copy_from_slice(&rows[row * dim..(row + 1) * dim]);
        }
    }
    centroids
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `per` points around each of `centers` unit directions in `dim` dimensions.
    fn blobs(centers: usize, per: usize, dim: usize, seed: u64) -> (Vec<f32>, Vec<usize>) {
        let mut rng = SeededRng::new(seed, 99);
        let mut rows = Vec::new();
        let mut truth = Vec::new();
        for c in 0..centers {
            for _ in 0..per {
                let mut row: Vec<f32> = (0..dim)
                    .map(|d| if d == c { 1.0 } else { 0.0 } + (rng.next_f64() as f32 - 0.5) * 0.2)
                    .collect();
                let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
                row.iter_mut().for_each(|x| *x /= norm);
                rows.extend(row);
                truth.push(c);
            }
        }
        (rows, truth)
    }

    #[test]
    fn separable_blobs_are_recovered_exactly() {
        let (rows, truth) = blobs(8, 60, 16, 1);
        let result = kmeans(&rows, 16, &KMeansOptions::new(8, 3)).unwrap();
        assert!(result.converged);
        assert_eq!(result.sizes.iter().filter(|&&s| s == 60).count(), 8);
        for c in 0..8 {
            let members: Vec<u32> = (0..truth.len())
                .filter(|&i| truth[i] == c)
                .map(|i| result.assignments[i])
                .collect();
            assert!(members.iter().all(|&m| m == members[0]));
        }
        let history = &result.inertia_history;
        assert!(
            history.windows(2).all(|w| w[1] <= w[0] + 1e-6),
            "{history:?}"
        );
    }

    #[test]
    fn same_seed_same_clusters_other_seed_may_differ() {
        let (rows, _) = blobs(5, 40, 12, 2);
        let mut options = KMeansOptions::new(7, 11);
        options.seeding_sample = 50;
        let first = kmeans(&rows, 12, &options).unwrap();
        let second = kmeans(&rows, 12, &options).unwrap();
        assert_eq!(first, second);
    }

    #[test]
    fn more_clusters_than_rows_and_duplicates_do_not_break_it() {
        let rows = vec![1.0, 0.0, 1.0, 0.0, 0.0, 1.0];
        let result = kmeans(&rows, 2, &KMeansOptions::new(10, 0)).unwrap();
        assert_eq!(result.k(), 3);
        assert_eq!(result.assignments.len(), 3);
        assert_eq!(result.sizes.iter().sum::<usize>(), 3);
    }

    #[test]
    fn mini_batches_reach_the_clusters_with_fewer_full_steps() {
        let (rows, truth) = blobs(8, 500, 16, 4);
        let mut options = KMeansOptions::new(8, 5);
        options.seeding_sample = 64;
        options.restarts = 1;
        options.mini_batch = Some(256);
        options.mini_batch_steps = 30;
        options.max_iterations = 1;
        let result = kmeans(&rows, 16, &options).unwrap();
        let full = kmeans(&rows, 16, &KMeansOptions::new(8, 5)).unwrap();
        assert!(
            result.inertia() <= full.inertia() * 1.01,
            "{} vs {}",
            result.inertia(),
            full.inertia()
        );
        for c in 0..8 {
            let members: Vec<u32> = (0..truth.len())
                .filter(|&i| truth[i] == c)
                .map(|i| result.assignments[i])
                .collect();
            assert!(members.iter().all(|&m| m == members[0]), "blob {c}");
        }
        assert_eq!(result, kmeans(&rows, 16, &options).unwrap(), "seeded");
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(matches!(
            kmeans(&[1.0, 2.0, 3.0], 2, &KMeansOptions::new(1, 0)),
            Err(ClusterError::Shape { .. })
        ));
        assert!(matches!(
            kmeans(&[], 2, &KMeansOptions::new(1, 0)),
            Err(ClusterError::Empty)
        ));
        assert!(kmeans(&[1.0, 0.0], 2, &KMeansOptions::new(0, 0)).is_err());
    }
}
