//! The steps of a run after embedding, one job each: the [`Plan`] decided once when the run
//! starts; base clusters (`base`); the levels above them behind one trait (`levels`: Ward's
//! tree, or the chat model's hierarchy); names behind one trait (`naming`: keywords, a local
//! model's titles, contrastive model names); the release door (`release`), the only way a tree
//! becomes a [`PublishedReport`]; the map's places (`map`); and the per-conversation table
//! ([`Collected::conversation_table`]).
//!
//! The pipeline collects conversations into a [`Collected`], then calls [`analyse`]. Model
//! steps reach models only through [`ModelAccess`], which the caller implements over its store
//! and backends. The working tree (`draft`) never leaves this crate.
#![warn(missing_docs)]

mod analyse;
mod base;
mod breakdown;
mod collected;
mod concern;
mod draft;
mod embedded;
mod error;
mod hierarchy;
mod levels;
mod map;
mod models;
mod naming;
mod plan;
mod release;
mod representative;
mod settings;
mod taxonomy;
mod tree;
mod tree_file;
mod vectors;

pub use analyse::{Analysis, UNPLACED_ID, analyse};
pub use base::ONE_LANGUAGE_SHARE;
pub use breakdown::OTHER_VALUES;
pub use collected::{Collected, Observation, keyword_text};
pub use concern::{ConcernScorer, DEFAULT_CONCERN_CONTEXT};
pub use error::AnalysisError;
pub use hierarchy::NEIGHBOURHOOD_SIZE;
pub use levels::level_sizes;
pub use models::{Embed, ModelAccess, Models, ReplyCheck};
pub use plan::{LevelMethod, Mode, Naming, Plan, Steps};
pub use release::{PublishedReport, ReleaseCounts};
pub use settings::{
    Centering, ClusterConfig, HierarchyConfig, MapConfig, PrivacyConfig, UnknownUsers,
};
pub use taxonomy::{Category, PlacedTaxonomy, Taxonomy, UNASSIGNED};
pub use tree_file::{CenteringFile, LanguageMean, TREE_FILE_FORMAT, TreeFile};
pub use vectors::VectorFile;
