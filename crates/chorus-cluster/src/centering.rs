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
/// language by whether it was detected, not by what it says.
pub fn center_by_group(
    rows: &mut [f32],
    dim: usize,
    groups: &[Option<u32>],
    min_group: usize,
) -> Result<(), ClusterError> {
    let n = row_count(rows, dim)?;
    if groups.len() != n {
        return Err(ClusterError::Parameter(format!(
            "{n} rows but {} group labels",
            groups.len()
        )));
    }
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
    let means: Vec<Vec<f32>> = (0..overall)
        .map(|slot| {
            if counts[slot] >= min_group {
                mean(slot)
            } else {
                overall_mean.clone()
            }
        })
        .collect();
    let stable: Vec<usize> = (0..overall).filter(|&g| counts[g] >= min_group).collect();
    let nearest_stable = |row: &[f32]| -> &Vec<f32> {
        let distance = |g: usize| -> f32 {
            row.iter()
                .zip(&means[g])
                .map(|(v, m)| (v - m) * (v - m))
                .sum()
        };
        stable
            .iter()
            .copied()
            .min_by(|&a, &b| distance(a).total_cmp(&distance(b)).then(a.cmp(&b)))
            .map_or(&overall_mean, |g| &means[g])
    };
    rows.par_chunks_mut(CHUNK_ROWS * dim)
        .zip(groups.par_chunks(CHUNK_ROWS))
        .for_each(|(chunk, chunk_groups)| {
            for (row, group) in chunk.chunks_exact_mut(dim).zip(chunk_groups) {
                let group_mean = match group {
                    Some(g) => &means[*g as usize],
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
}
