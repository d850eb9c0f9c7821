//! Numeric clustering for chorus, with no models and no I/O: seeded k-means over unit vectors
//! ([`kmeans`]), Ward's merging of weighted centroids into a tree that can be cut at any size
//! ([`Dendrogram`]), a UMAP-style 2-D map ([`layout`]) with its [`trustworthiness`] and the same
//! method's reduction to a few dimensions for clustering ([`reduce`]), and
//! agreement between a clustering and known labels ([`agreement`]), and near-identical rows
//! from different owners inside a cluster ([`near_identical_senders`]); [`center_by_group`]
//! takes each group's mean out of its rows before clustering.
#![warn(missing_docs)]

mod centering;
mod gemm_dots;
mod kmeans;
mod layout;
mod metrics;
mod near_identical;
mod sweep;
mod ward;

pub use centering::{GroupMeans, center_by_group};
pub use chorus_types::SeededRng;
pub use kmeans::{KMeans, KMeansOptions, cluster_means, kmeans, nearest_centroids};
pub use layout::{Layout, LayoutOptions, REDUCED_DIMS, layout, reduce, trustworthiness};
pub use metrics::{Agreement, agreement};
pub use near_identical::{NearIdenticalOptions, near_identical_senders};
pub use sweep::{SweepPoint, silhouette, sweep_k};
pub use ward::{Dendrogram, Merge};

/// Input that cannot be clustered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClusterError {
    /// The data length is not a multiple of the vector length.
    #[error("{len} numbers do not form rows of {dim}")]
    Shape {
        /// Numbers given.
        len: usize,
        /// Vector length.
        dim: usize,
    },
    /// Nothing to cluster.
    #[error("no rows to cluster")]
    Empty,
    /// A parameter out of range.
    #[error("{0}")]
    Parameter(String),
    /// A value is NaN or infinite: no distance to it means anything.
    #[error("row {row} holds a value that is not a finite number (NaN or infinite)")]
    NonFinite {
        /// The first such row.
        row: usize,
    },
}

/// The number of rows in `rows`, or why it is not a non-empty matrix of `dim` columns of
/// finite numbers.
fn row_count(rows: &[f32], dim: usize) -> Result<usize, ClusterError> {
    if dim == 0 || !rows.len().is_multiple_of(dim) {
        return Err(ClusterError::Shape {
            len: rows.len(),
            dim,
        });
    }
    check_finite(rows, dim)?;
    match rows.len() / dim {
        0 => Err(ClusterError::Empty),
        n => Ok(n),
    }
}

/// The first row holding NaN or an infinity, as an error.
fn check_finite(rows: &[f32], dim: usize) -> Result<(), ClusterError> {
    match rows.iter().position(|v| !v.is_finite()) {
        Some(at) => Err(ClusterError::NonFinite { row: at / dim }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod finite_tests {
    use super::*;

    #[test]
    fn a_nan_or_infinity_is_named_by_its_row() {
        let rows = [0.0, 1.0, 1.0, f32::NAN, 2.0, 2.0];
        assert!(matches!(
            row_count(&rows, 2),
            Err(ClusterError::NonFinite { row: 1 })
        ));
        let mut options = KMeansOptions::new(2, 0);
        options.restarts = 1;
        assert!(matches!(
            kmeans(&rows, 2, &options),
            Err(ClusterError::NonFinite { row: 1 })
        ));
        let centroids = [0.0, f32::INFINITY];
        assert!(Dendrogram::ward(&centroids, 1, &[1, 1]).is_err());
    }
}
