//! Removing what a group of rows shares. Sentence vectors share a common direction, and an
//! English sentence model puts text of another language near the other text of that language
//! whatever it is about; subtracting each group's mean (the group being a language) leaves what
//! differs inside it, the topic, so k-means groups by topic across languages.

use rayon::prelude::*;

use crate::{ClusterError, row_count};

/// Rows per parallel chunk of the subtraction.
const CHUNK_ROWS: usize = 4096;

/// Subtracts from each row the mean of its group and scales it back to unit length. `groups`
/// gives each row's group (any numbering), or none. A row of a group with fewer than
/// `min_group` rows (too few for a stable mean) takes the mean of all rows. A row with no group
/// (text the language detector could not place) takes the mean of the stable group nearest to
/// it: centring it on the overall mean instead would set it apart from the rows of its own
/// language by whether it was detected, not by what it says. Returns the means it took out, so
/// that later rows can be centred the same way ([`GroupMeans::apply`]).
pub fn center_by_group(
    rows: &mut [f32],
    dim: usize,
    groups: &[Option<u32>],
    min_group: usize,
) -> Result<GroupMeans, ClusterError> {
    let means = GroupMeans::fit(rows, dim, groups, min_group)?;
    means.apply(rows, groups)?;
    Ok(means)
}

/// The means [`center_by_group`] takes out: one per group (a small group's is the overall
/// mean), and the overall mean.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupMeans {
    dim: usize,
    /// Per group: its mean, and whether it had rows enough to be its own.
    groups: Vec<(Vec<f32>, bool)>,
    overall: Vec<f32>,
}

impl GroupMeans {
    /// The means of `rows` per group (see [`center_by_group`]).
    pub fn fit(
        rows: &[f32],
        dim: usize,
        groups: &[Option<u32>],
        min_group: usize,
    ) -> Result<Self, ClusterError> {
        let n = row_count(rows, dim)?;
        check_group_count(n, groups)?;
        // The last slot is the overall mean.
        let overall = groups
            .iter()
            .flatten()
            .map(|&g| g as usize + 1)
            .max()
            .unwrap_or(0);
        let mut sums = vec![vec![0.0f64; dim]; overall + 1];
        let mut counts = vec![0usize; overall + 1];
        for (row, group) in rows.chunks_exact(dim).zip(groups) {
            for slot in group.iter().map(|&g| g as usize).chain([overall]) {
                for (s, &v) in sums[slot].iter_mut().zip(row) {
                    *s += f64::from(v);
                }
                counts[slot] += 1;
            }
        }
        let mean = |slot: usize| -> Vec<f32> {
            let count = counts[slot] as f64;
            sums[slot].iter().map(|s| (s / count) as f32).collect()
        };
        let overall_mean = mean(overall);
        let groups = (0..overall)
            .map(|slot| {
                if counts[slot] >= min_group {
                    (mean(slot), true)
                } else {
                    (overall_mean.clone(), false)
                }
            })
            .collect();
        Ok(Self {
            dim,
            groups,
            overall: overall_mean,
        })
    }

    /// Means read back: per group its mean and whether it is its own (else it is `overall`).
    pub fn from_parts(
        dim: usize,
        groups: Vec<(Vec<f32>, bool)>,
        overall: Vec<f32>,
    ) -> Result<Self, ClusterError> {
        if overall.len() != dim || groups.iter().any(|(mean, _)| mean.len() != dim) {
            return Err(ClusterError::Parameter(format!(
                "a mean that is not {dim} numbers long"
            )));
        }
        Ok(Self {
            dim,
            groups,
            overall,
        })
    }

    /// Per group: its mean, and whether it had rows enough to be its own.
    pub fn groups(&self) -> &[(Vec<f32>, bool)] {
        &self.groups
    }

    /// The mean of all rows.
    pub fn overall(&self) -> &[f32] {
        &self.overall
    }

    /// Centres `rows` on these means: each row its group's, a row without a group (or of a
    /// group these means do not know) the nearest stable group's, then back to unit length.
    pub fn apply(&self, rows: &mut [f32], groups: &[Option<u32>]) -> Result<(), ClusterError> {
        let dim = self.dim;
        let n = row_count(rows, dim)?;
        check_group_count(n, groups)?;
        let nearest_stable = |row: &[f32]| -> &[f32] {
            let distance = |mean: &[f32]| -> f32 {
                row.iter().zip(mean).map(|(v, m)| (v - m) * (v - m)).sum()
            };
            self.groups
                .iter()
                .filter(|(_, stable)| *stable)
                .map(|(mean, _)| mean.as_slice())
                .min_by(|a, b| distance(a).total_cmp(&distance(b)))
                .unwrap_or(&self.overall)
        };
        rows.par_chunks_mut(CHUNK_ROWS * dim)
            .zip(groups.par_chunks(CHUNK_ROWS))
            .for_each(|(chunk, chunk_groups)| {
                for (row, group) in chunk.chunks_exact_mut(dim).zip(chunk_groups) {
                    let known = group.and_then(|g| self.groups.get(g as usize));
                    let group_mean: &[f32] = match known {
                        Some((mean, _)) => mean,
                        None => nearest_stable(row),
                    };
                    for (v, m) in row.iter_mut().zip(group_mean) {
                        *v -= m;
                    }
                    let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
                    // A row equal to its group's mean has no direction left; it stays at zero.
                    if norm > f32::EPSILON {
                        row.iter_mut().for_each(|v| *v /= norm);
                    }
                }
            });
        Ok(())
    }
}

fn check_group_count(rows: usize, groups: &[Option<u32>]) -> Result<(), ClusterError> {
    if groups.len() != rows {
        return Err(ClusterError::Parameter(format!(
            "{rows} rows but {} group labels",
            groups.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(values: [f32; 3]) -> [f32; 3] {
        let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
        values.map(|v| v / norm)
    }

    #[test]
    fn each_group_loses_its_offset_and_rows_stay_unit_length() {
        // Two "languages", each a large offset plus the same two "topics" (±z).
        let rows: Vec<f32> = [
            unit([5.0, 0.0, 1.0]),
            unit([5.0, 0.0, -1.0]),
            unit([0.0, 5.0, 1.0]),
            unit([0.0, 5.0, -1.0]),
        ]
        .concat();
        let mut centred = rows.clone();
        center_by_group(&mut centred, 3, &[Some(0), Some(0), Some(1), Some(1)], 2).unwrap();
        let row = |i: usize| &centred[i * 3..i * 3 + 3];
        // The same topic in both languages now points the same way.
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        assert!(dot(row(0), row(2)) > 0.99, "{centred:?}");
        assert!(dot(row(1), row(3)) > 0.99, "{centred:?}");
        assert!(dot(row(0), row(1)) < -0.99, "{centred:?}");
        for i in 0..4 {
            assert!((dot(row(i), row(i)) - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn a_small_group_takes_the_overall_mean() {
        let rows: Vec<f32> = [
            unit([1.0, 0.0, 0.0]),
            unit([0.0, 1.0, 0.0]),
            unit([0.0, 0.0, 1.0]),
        ]
        .concat();
        let mut all_one_group = rows.clone();
        center_by_group(&mut all_one_group, 3, &[Some(0); 3], 2).unwrap();
        let mut centred = rows.clone();
        center_by_group(&mut centred, 3, &[Some(0), Some(0), Some(1)], 2).unwrap();
        // Row 2 is alone in group 1: it is centred on the overall mean.
        assert_eq!(centred[6..], all_one_group[6..]);
        assert_ne!(centred[..6], all_one_group[..6]);
        // With no stable group at all, a row without one takes the overall mean too.
        let mut centred = rows.clone();
        center_by_group(&mut centred, 3, &[Some(0), Some(1), None], 2).unwrap();
        assert_eq!(centred, all_one_group);
    }

    #[test]
    fn a_row_without_a_group_is_centred_like_the_group_nearest_it() {
        // Two "languages" far apart; two rows of the second are undetected.
        let rows: Vec<f32> = [
            unit([5.0, 0.0, 1.0]),
            unit([5.0, 0.0, -1.0]),
            unit([0.0, 5.0, 1.0]),
            unit([0.0, 5.0, -1.0]),
            unit([0.0, 5.0, 1.0]),
            unit([0.0, 5.0, -1.0]),
        ]
        .concat();
        let mut centred = rows.clone();
        let groups = [Some(0), Some(0), Some(1), Some(1), None, None];
        center_by_group(&mut centred, 3, &groups, 2).unwrap();
        // The undetected rows end where the detected rows of their language do.
        assert_eq!(centred[12..], centred[6..12]);
    }

    #[test]
    fn a_row_equal_to_its_mean_stays_finite_and_bad_input_is_an_error() {
        let mut rows = vec![0.6, 0.8];
        center_by_group(&mut rows, 2, &[Some(0)], 1).unwrap();
        assert!(rows.iter().all(|v| v.is_finite()));
        assert!(center_by_group(&mut rows, 2, &[Some(0), None], 1).is_err());
        assert!(center_by_group(&mut [1.0, 2.0, 3.0], 2, &[None], 1).is_err());
    }

    #[test]
    fn later_rows_are_centred_by_the_means_an_earlier_fit_took_out() {
        let rows: Vec<f32> = [
            unit([5.0, 0.0, 1.0]),
            unit([5.0, 0.0, -1.0]),
            unit([0.0, 5.0, 1.0]),
            unit([0.0, 5.0, -1.0]),
        ]
        .concat();
        let groups = [Some(0), Some(0), Some(1), Some(1)];
        let mut centred = rows.clone();
        let means = center_by_group(&mut centred, 3, &groups, 2).unwrap();
        let restored =
            GroupMeans::from_parts(3, means.groups().to_vec(), means.overall().to_vec()).unwrap();
        // The same rows again, then one of group 1 and one no group holds (a language the
        // fit never saw): it takes the nearest stable group's mean.
        let mut later = [rows.clone(), unit([0.0, 5.0, 1.0]).to_vec()].concat();
        let later_groups = [&groups[..], &[Some(7)]].concat();
        restored.apply(&mut later, &later_groups).unwrap();
        assert_eq!(later[..12], centred[..]);
        assert_eq!(later[12..], centred[6..9]);
        assert!(GroupMeans::from_parts(3, vec![(vec![0.0; 2], true)], vec![0.0; 3]).is_err());
    }
}
