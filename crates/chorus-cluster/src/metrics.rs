use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How well a clustering agrees with known labels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Normalised mutual information (arithmetic mean of the entropies, as scikit-learn's
    /// default).
    pub nmi: f64,
    /// Adjusted Rand index.
    pub ari: f64,
    /// Each cluster holds one label.
    pub homogeneity: f64,
    /// Each label sits in one cluster.
    pub completeness: f64,
    /// Harmonic mean of homogeneity and completeness.
    pub v_measure: f64,
    /// Share of items whose cluster's majority label is their own.
    pub purity: f64,
}

/// Compares `clusters` with `labels` (same length; any ids). Sums run in key order, so the
/// same input gives the same bits.
pub fn agreement(clusters: &[usize], labels: &[usize]) -> Agreement {
    let n = clusters.len().min(labels.len());
    if n == 0 {
        return Agreement {
            nmi: 1.0,
            ari: 1.0,
            homogeneity: 1.0,
            completeness: 1.0,
            v_measure: 1.0,
            purity: 1.0,
        };
    }
    let mut joint: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    let mut by_cluster: BTreeMap<usize, usize> = BTreeMap::new();
    let mut by_label: BTreeMap<usize, usize> = BTreeMap::new();
    for (&c, &l) in clusters.iter().zip(labels).take(n) {
        *joint.entry((c, l)).or_default() += 1;
        *by_cluster.entry(c).or_default() += 1;
        *by_label.entry(l).or_default() += 1;
    }
    let total = n as f64;
    let entropy = |counts: &BTreeMap<usize, usize>| -> f64 {
        counts
            .values()
            .map(|&c| {
                let p = c as f64 / total;
                -p * p.ln()
            })
            .sum()
    };
    let (h_cluster, h_label) = (entropy(&by_cluster), entropy(&by_label));
    let mutual: f64 = joint
        .iter()
        .map(|(&(c, l), &count)| {
            let p = count as f64 / total;
            p * (p * total * total / (by_cluster[&c] as f64 * by_label[&l] as f64)).ln()
        })
        .sum::<f64>()
        .max(0.0);
    let ratio = |h: f64| if h == 0.0 { 1.0 } else { mutual / h };
    let homogeneity = ratio(h_label);
    let completeness = ratio(h_cluster);
    let v_measure = if homogeneity + completeness == 0.0 {
        0.0
    } else {
        2.0 * homogeneity * completeness / (homogeneity + completeness)
    };
    let nmi = if h_cluster == 0.0 && h_label == 0.0 {
        1.0
    } else {
        mutual / ((h_cluster + h_label) / 2.0)
    };
    let mut majority: BTreeMap<usize, usize> = BTreeMap::new();
    for (&(c, _), &count) in &joint {
        let best = majority.entry(c).or_default();
        *best = (*best).max(count);
    }
    let purity = majority.values().sum::<usize>() as f64 / total;
    Agreement {
        nmi,
        ari: adjusted_rand(&joint, &by_cluster, &by_label, n),
        homogeneity,
        completeness,
        v_measure,
        purity,
    }
}

fn adjusted_rand(
    joint: &BTreeMap<(usize, usize), usize>,
    by_cluster: &BTreeMap<usize, usize>,
    by_label: &BTreeMap<usize, usize>,
    n: usize,
) -> f64 {
    let pairs = |x: usize| (x * x.saturating_sub(1)) as f64 / 2.0;
    let index: f64 = joint.values().map(|&c| pairs(c)).sum();
    let a: f64 = by_cluster.values().map(|&c| pairs(c)).sum();
    let b: f64 = by_label.values().map(|&c| pairs(c)).sum();
    let expected = a * b / pairs(n).max(1.0);
    let max = (a + b) / 2.0;
    if (max - expected).abs() < f64::EPSILON {
        1.0
    } else {
        (index - expected) / (max - expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_partitions_score_one_whatever_the_ids() {
        let a = agreement(&[0, 0, 1, 1, 2, 2], &[5, 5, 9, 9, 7, 7]);
        for value in [a.nmi, a.ari, a.v_measure, a.purity] {
            assert!((value - 1.0).abs() < 1e-12, "{a:?}");
        }
    }

    #[test]
    fn values_match_scikit_learn() {
        // scikit-learn 1.9.1: normalized_mutual_info_score, adjusted_rand_score and v_measure_score of
        // these two labelings.
        let clusters = [0, 0, 1, 1, 1, 2, 2, 2, 2, 0];
        let labels = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2];
        let a = agreement(&clusters, &labels);
        assert!((a.nmi - 0.442_701_283_3).abs() < 1e-6, "{a:?}");
        assert!((a.ari - 0.204_545_454_5).abs() < 1e-6, "{a:?}");
        assert!((a.nmi - a.v_measure).abs() < 1e-12);
        assert!((a.purity - 0.7).abs() < 1e-12);
    }

    #[test]
    fn one_cluster_against_many_labels_has_no_information() {
        let a = agreement(&[0, 0, 0, 0], &[0, 1, 2, 3]);
        assert!(a.nmi.abs() < 1e-12 && a.ari.abs() < 1e-12, "{a:?}");
    }
}
