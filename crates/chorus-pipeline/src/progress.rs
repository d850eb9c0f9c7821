use serde::Serialize;

/// What one stage did, as `run.json` records it.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct StageReport {
    /// The stage.
    pub name: String,
    /// Its version (part of every cache key).
    pub version: u32,
    /// Items processed.
    pub items: u64,
    /// Items whose result came from the store.
    pub cache_hits: u64,
    /// Items computed in this run.
    pub computed: u64,
    /// Stored results that were damaged (a vector of the wrong length, NaN) or no longer
    /// decoded: computed again, and counted in `computed` too.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub invalid_cached: u64,
    /// Wall time in seconds.
    pub wall_seconds: f64,
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

/// Receives progress from the runner. Implementations render it (a progress bar, log lines) or
/// ignore it; the library itself never prints.
pub trait Progress: Sync {
    /// A stage began; `total` is the number of units when known in advance.
    fn stage_started(&self, stage: &str, unit: &str, total: Option<u64>);
    /// `done` units of the stage are finished so far.
    fn stage_advanced(&self, stage: &str, done: u64);
    /// The stage ended.
    fn stage_finished(&self, report: &StageReport);
}

/// Progress that goes nowhere.
pub struct NoProgress;

impl Progress for NoProgress {
    fn stage_started(&self, _: &str, _: &str, _: Option<u64>) {}
    fn stage_advanced(&self, _: &str, _: u64) {}
    fn stage_finished(&self, _: &StageReport) {}
}
