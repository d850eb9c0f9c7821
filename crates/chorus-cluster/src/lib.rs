//! Numeric clustering for chorus, with no models and no I/O: seeded k-means over unit vectors
//! ([`kmeans`]), Ward's merging of weighted centroids into a tree that can be cut at any size
//! ([`Dendrogram`]), a UMAP-style 2-D map ([`layout`]) with its [`trustworthiness`], and
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

pub use centering::center_by_group;
pub use chorus_types::SeededRng;
pub use kmeans::{KMeans, KMeansOptions, kmeans};
pub use layout::{Layout, LayoutOptions, layout, trustworthiness};
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
}

/// The number of rows in `rows`, or why it is not a non-empty matrix of `dim` columns.
fn row_count(rows: &[f32], dim: usize) -> Result<usize, ClusterError> {
    if dim == 0 || !rows.len().is_multiple_of(dim) {
        return Err(ClusterError::Shape {
            len: rows.len(),
            dim,
        });
    }
    match rows.len() / dim {
        0 => Err(ClusterError::Empty),
        n => Ok(n),
    }
}
