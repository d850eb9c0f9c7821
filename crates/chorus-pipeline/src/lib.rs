//! The chorus pipeline: configuration, the stage runner and the run itself.
//!
//! A stage is a function from typed inputs to typed outputs ([`ItemStage`]); the
//! [`StageRunner`] wraps it with the run store (a result computed once is never computed again,
//! across runs and across crashes) and reports progress through a [`Progress`] the caller
//! supplies. The library never prints: the CLI renders progress.
#![warn(missing_docs)]

mod batches;
mod concern;
mod config;
mod embed;
mod error;
mod estimate;
mod inspect;
mod lock;
mod manifest;
mod model_calls;
mod output;
mod progress;
mod readiness;
mod run;
mod stage;
mod stages;
mod summary;

pub use chorus_analysis::{
    Centering, ClusterConfig, HierarchyConfig, MapConfig, ONE_LANGUAGE_SHARE, OTHER_VALUES,
    PrivacyConfig, PublishedReport, ReleaseCounts, TreeFile, UnknownUsers,
};
pub use chorus_facets::custom::{CustomFacetConfig, CustomKind};
pub use chorus_report::{Investigation, Report, ReportNode, escape_markdown};
pub use config::{
    AUTO_EMBED_MODEL, Config, DEFAULT_CONFIG_TOML, EmbedConfig, FacetsConfig, ModelsConfig,
    RunConfig, StoreConfig,
};
pub use embed::{EmbedStage, Embedded};
pub use error::PipelineError;
pub use estimate::{Estimate, estimate};
pub use inspect::{InspectReport, inspect};
pub use lock::LOCK_FILE;
pub use manifest::{Placement, RunManifest};
pub use model_calls::{CallCounts, ChatOutcome, complete_all};
pub use output::{write_file, write_json};
pub use progress::{NoProgress, Progress, StageReport};
pub use readiness::{ModelCheck, check_models};
pub use run::{Models, PAGE_FILE, RunOutcome, TREE_FILE, assign, default_store_path, run};
pub use stage::{ItemStage, StageRunner};
pub use stages::ProfileStage;
pub use summary::{FacetEstimate, ModelStageUsage};

/// Turns on the fault-injection points named in the `FAILPOINTS` environment variable. Only
/// builds with the `failpoints` feature have them (the crash-and-resume tests use it); in any
/// other build this does nothing.
pub fn enable_fault_injection() {
    #[cfg(feature = "failpoints")]
    std::mem::forget(fail::FailScenario::setup());
}
