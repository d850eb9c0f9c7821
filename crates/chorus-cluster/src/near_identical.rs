//! Near-identical rows from different owners inside one cluster. Many accounts sending the same
//! request is the mark of a coordinated group; counts of conversations per account cannot see
//! it, because each account sends only a few.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::gemm_dots::dot_products;
use crate::{ClusterError, SeededRng, row_count};

/// The random stream that samples the rows a large cluster is compared against.
const SAMPLE_STREAM: u64 = 0x3C;
/// Rows compared per block: one block's dot products stay a few MiB.
const BLOCK_ROWS: usize = 256;

/// How [`near_identical_senders`] decides.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NearIdenticalOptions {
    /// Cosine similarity (rows are unit vectors) at or above which two rows count as the same
    /// request.
    pub threshold: f32,
    /// A cluster larger than this is compared against a seeded sample of this many of its
    /// rows, which bounds the work per cluster.
    pub max_compared: usize,
    /// Seed of that sample.
    pub seed: u64,
}

impl Default for NearIdenticalOptions {
    fn default() -> Self {
        Self {
            threshold: 0.95,
            max_compared: 2_000,
            seed: 0,
        }
    }
}

/// For each row: how many distinct owners sent it, near enough — its own owner, and every
/// owner of a row of the same cluster with a cosine of at least `options.threshold` with it.
/// 1 means no other account sent anything like it. `rows` are unit vectors of length `dim`;
/// `clusters` and `owners` give each row's cluster and owner (an account).
pub fn near_identical_senders(
    rows: &[f32],
    dim: usize,
    clusters: &[u32],
    owners: &[u64],
    options: &NearIdenticalOptions,
) -> Result<Vec<u32>, ClusterError> {
    let n = row_count(rows, dim)?;
    if clusters.len() != n || owners.len() != n {
        return Err(ClusterError::Parameter(format!(
            "{n} rows but {} cluster labels and {} owners",
            clusters.len(),
            owners.len()
        )));
    }
    if options.max_compared == 0 {
        return Err(ClusterError::Parameter(
            "max_compared must be at least 1".into(),
        ));
    }
    let cluster_count = clusters.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); cluster_count];
    for (row, &cluster) in clusters.iter().enumerate() {
        members[cluster as usize].push(row);
    }
    let counted: Vec<Vec<(usize, u32)>> = members
        .par_iter()
        .enumerate()
        .map(|(cluster, rows_of)| owners_in_cluster(rows, dim, owners, rows_of, cluster, options))
        .collect();
    let mut senders = vec![1; n];
    for (row, count) in counted.into_iter().flatten() {
        senders[row] = count;
    }
    Ok(senders)
}

/// Each row of one cluster with more than one sender, and their number, among the cluster's
/// compared rows.
fn owners_in_cluster(
    rows: &[f32],
    dim: usize,
    owners: &[u64],
    members: &[usize],
    cluster: usize,
    options: &NearIdenticalOptions,
) -> Vec<(usize, u32)> {
    let distinct_owners = members.iter().map(|&m| owners[m]).collect::<HashSet<_>>();
    if distinct_owners.len() < 2 {
        return Vec::new();
    }
    let mut compared = members.to_vec();
    if compared.len() > options.max_compared {
        let mut rng = SeededRng::new(options.seed ^ cluster as u64, SAMPLE_STREAM);
        rng.shuffle(&mut compared);
        compared.truncate(options.max_compared);
        compared.sort_unstable();
    }
    let references = gather(rows, dim, &compared);
    let mut counted = Vec::new();
    let mut dots = Vec::new();
    let mut senders = HashSet::new();
    for block in members.chunks(BLOCK_ROWS) {
        let queries = gather(rows, dim, block);
        dots.clear();
        dots.resize(block.len() * compared.len(), 0.0);
        dot_products(&queries, &references, dim, &mut dots);
        for (&query, row_dots) in block.iter().zip(dots.chunks_exact(compared.len())) {
            senders.clear();
            senders.insert(owners[query]);
            senders.extend(
                compared
                    .iter()
                    .zip(row_dots)
                    .filter(|&(_, &dot)| dot >= options.threshold)
                    .map(|(&other, _)| owners[other]),
            );
            if senders.len() > 1 {
                counted.push((query, senders.len() as u32));
            }
        }
    }
    counted
}

fn gather(rows: &[f32], dim: usize, indices: &[usize]) -> Vec<f32> {
    indices
        .iter()
        .flat_map(|&i| &rows[i * dim..(i + 1) * dim])
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(values: &[f32]) -> Vec<f32> {
        let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
        values.iter().map(|v| v / norm).collect()
    }

    /// Rows spread over distinct directions of a 16-d space, one per row, plus copies of one
    /// direction (with a little noise) from several owners.
    fn rows_with_a_group(group_owners: &[u64], spread: usize) -> (Vec<f32>, Vec<u64>) {
        let dim = 16;
        let mut rng = SeededRng::new(5, 1);
        let mut rows = Vec::new();
        let mut owners = Vec::new();
        for i in 0..spread {
            let direction: Vec<f32> = (0..dim).map(|_| rng.next_f64() as f32 - 0.5).collect();
            rows.extend(unit(&direction));
            owners.push(1_000 + i as u64);
        }
        let template: Vec<f32> = (0..dim).map(|d| (d as f32).sin() + 1.5).collect();
        for &owner in group_owners {
            let noisy: Vec<f32> = template
                .iter()
                .map(|v| v + 0.01 * (rng.next_f64() as f32 - 0.5))
                .collect();
            rows.extend(unit(&noisy));
            owners.push(owner);
        }
        (rows, owners)
    }

    fn senders_by_default(rows: &[f32], clusters: &[u32], owners: &[u64]) -> Vec<u32> {
        near_identical_senders(rows, 16, clusters, owners, &NearIdenticalOptions::default())
            .unwrap()
    }

    #[test]
    fn marks_copies_from_different_owners_only() {
        let group = [1, 2, 3, 4, 5];
        let (rows, owners) = rows_with_a_group(&group, 40);
        let clusters = vec![0; owners.len()];
        let senders = senders_by_default(&rows, &clusters, &owners);
        assert!(senders[40..].iter().all(|&s| s == 5), "{senders:?}");
        assert!(senders[..40].iter().all(|&s| s == 1), "{senders:?}");

        // The same copies from two accounts: two senders each. From one account only, that
        // account's habit, not a group.
        let (rows, owners) = rows_with_a_group(&[8, 9, 9, 9, 9], 40);
        let senders = senders_by_default(&rows, &clusters, &owners);
        assert!(senders[40..].iter().all(|&s| s == 2), "{senders:?}");
        let (rows, owners) = rows_with_a_group(&[9, 9, 9, 9, 9], 40);
        let senders = senders_by_default(&rows, &clusters, &owners);
        assert!(senders.iter().all(|&s| s == 1));
    }

    #[test]
    fn copies_in_different_clusters_are_not_compared() {
        let (rows, owners) = rows_with_a_group(&[1, 2], 10);
        let mut clusters = vec![0; owners.len()];
        clusters[11] = 1;
        let senders = senders_by_default(&rows, &clusters, &owners);
        assert!(senders.iter().all(|&s| s == 1));
    }

    #[test]
    fn a_large_cluster_is_compared_against_a_seeded_sample() {
        let group: Vec<u64> = (0..300).collect();
        let (rows, owners) = rows_with_a_group(&group, 300);
        let clusters = vec![0; owners.len()];
        let options = NearIdenticalOptions {
            max_compared: 100,
            seed: 3,
            ..NearIdenticalOptions::default()
        };
        let first = near_identical_senders(&rows, 16, &clusters, &owners, &options).unwrap();
        let again = near_identical_senders(&rows, 16, &clusters, &owners, &options).unwrap();
        assert_eq!(first, again);
        // About half the sample is the group: every copy is counted with the group's owners
        // that were sampled, and nothing else is.
        assert!(
            first[300..].iter().all(|&s| (30..=70).contains(&s)),
            "{first:?}"
        );
        assert!(first[..300].iter().all(|&s| s == 1));
    }

    #[test]
    fn bad_input_is_an_error() {
        let rows = unit(&[1.0, 0.0, 0.0, 1.0]);
        let options = NearIdenticalOptions::default();
        assert!(near_identical_senders(&rows, 3, &[0], &[1], &options).is_err());
        assert!(near_identical_senders(&rows, 2, &[0], &[1, 2], &options).is_err());
        let none = NearIdenticalOptions {
            max_compared: 0,
            ..options
        };
        assert!(near_identical_senders(&rows, 2, &[0, 0], &[1, 2], &none).is_err());
    }
}
