use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::gemm_dots::dot_products;
use crate::{ClusterError, KMeansOptions, kmeans};
use chorus_types::SeededRng;

/// One candidate k and how well it separated the sample.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Clusters tried.
    pub k: usize,
    /// Mean silhouette on the sample (−1 to 1, higher is better).
    pub silhouette: f64,
}

/// Mean silhouette of a labelling, with squared Euclidean distances computed as blocked matrix
/// products (O(n²·dim): meant for samples of a few thousand rows).
pub fn silhouette(rows: &[f32], dim: usize, labels: &[usize]) -> f64 {
    let n = labels.len();
    let k = labels.iter().copied().max().map_or(0, |m| m + 1);
    if n < 2 || k < 2 {
        return 0.0;
    }
    let norms: Vec<f32> = rows
        .chunks_exact(dim)
        .map(|r| r.iter().map(|x| x * x).sum())
        .collect();
    let mut sizes = vec![0usize; k];
    for &l in labels {
        sizes[l] += 1;
    }
    let scores: Vec<f64> = (0..n)
        .into_par_iter()
        .with_min_len(64)
        .map(|i| {
            let mut dots = vec![0.0f32; n];
            dot_products(&rows[i * dim..(i + 1) * dim], rows, dim, &mut dots);
            let mut sums = vec![0.0f64; k];
            for j in 0..n {
                if j != i {
                    let squared = (norms[i] + norms[j] - 2.0 * dots[j]).max(0.0);
                    sums[labels[j]] += f64::from(squared.sqrt());
                }
            }
            let own = labels[i];
            if sizes[own] <= 1 {
                return 0.0;
            }
            let a = sums[own] / (sizes[own] - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != own && sizes[c] > 0)
                .map(|c| sums[c] / sizes[c] as f64)
                .fold(f64::INFINITY, f64::min);
            if !b.is_finite() {
                return 0.0;
            }
            (b - a) / a.max(b).max(f64::MIN_POSITIVE)
        })
        .collect();
    scores.iter().sum::<f64>() / n as f64
}

/// Clusters a random sample of at most `sample` rows with each candidate k and scores each by
/// silhouette; the caller picks the best.
pub fn sweep_k(
    rows: &[f32],
    dim: usize,
    candidates: &[usize],
    sample: usize,
    seed: u64,
) -> Result<Vec<SweepPoint>, ClusterError> {
    let n = crate::row_count(rows, dim)?;
    let mut order: Vec<usize> = (0..n).collect();
    SeededRng::new(seed, 77).shuffle(&mut order);
    order.truncate(sample.max(2));
    order.sort_unstable();
    let picked: Vec<f32> = order
        .iter()
        .flat_map(|&i| &rows[i * dim..(i + 1) * dim])
        .copied()
        .collect();
    candidates
        .iter()
        .map(|&k| {
            let result = kmeans(&picked, dim, &KMeansOptions::new(k, seed))?;
            let labels: Vec<usize> = result.assignments.iter().map(|&a| a as usize).collect();
            Ok(SweepPoint {
                k,
                silhouette: silhouette(&picked, dim, &labels),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs(centers: usize, per: usize, dim: usize) -> Vec<f32> {
        let mut rng = SeededRng::new(5, 1);
        let mut rows = Vec::new();
        for c in 0..centers {
            for _ in 0..per {
                rows.extend((0..dim).map(|d| {
                    let base = if d == c { 1.0 } else { 0.0 };
                    base + (rng.next_f64() as f32 - 0.5) * 0.1
                }));
            }
        }
        rows
    }

    #[test]
    fn silhouette_is_high_for_true_clusters_and_low_for_a_bad_split() {
        let rows = blobs(3, 30, 6);
        let truth: Vec<usize> = (0..90).map(|i| i / 30).collect();
        let shuffled: Vec<usize> = (0..90).map(|i| i % 3).collect();
        assert!(silhouette(&rows, 6, &truth) > 0.8);
        assert!(silhouette(&rows, 6, &shuffled) < 0.1);
    }

    #[test]
    fn the_sweep_prefers_the_true_k() {
        let rows = blobs(5, 40, 8);
        let points = sweep_k(&rows, 8, &[2, 5, 10], 1000, 3).unwrap();
        let best = points
            .iter()
            .max_by(|a, b| a.silhouette.total_cmp(&b.silhouette))
            .unwrap();
        assert_eq!(best.k, 5, "{points:?}");
    }
}
