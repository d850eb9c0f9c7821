use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use chorus_store::{Store, cache_key};
use chorus_types::ContentHash;

use crate::{PipelineError, Progress, StageReport};

/// A stage that maps each item to a result on its own. Everything that can change a result must
/// feed its cache key: the stage's name and version, the model, the parameters (prompt text and
/// version, temperature, facet definition) and the input.
pub trait ItemStage: Sync {
    /// What the stage reads.
    type Input: Sync;
    /// What it produces per item; stored as JSON.
    type Output: Serialize + DeserializeOwned + Send;

    /// A short, stable name.
    fn name(&self) -> &'static str;
    /// Bump when the stage's code changes its results.
    fn version(&self) -> u32;
    /// The model id, when a model computes the result.
    fn model(&self) -> &str {
        ""
    }
    /// Parameters that change results (prompt, temperature...), as text.
    fn params(&self) -> String {
        String::new()
    }
    /// A hash of exactly the parts of the input the stage reads.
    fn input_hash(&self, input: &Self::Input) -> ContentHash;
    /// The result for one item.
    fn compute(&self, input: &Self::Input) -> Self::Output;
    /// The results for the items not in the store, in order. By default each item is computed
    /// on its own, on every core; a stage whose model works in batches overrides it.
    fn compute_batch(&self, inputs: &[&Self::Input]) -> Result<Vec<Self::Output>, PipelineError> {
        Ok(inputs
            .par_iter()
            .map(|input| {
                fail::fail_point!("stage-item");
                self.compute(input)
            })
            .collect())
    }
    /// How a result is stored (JSON by default).
    fn encode(&self, output: &Self::Output) -> Result<Vec<u8>, PipelineError> {
        serde_json::to_vec(output).map_err(|error| PipelineError::Encode {
            stage: self.name().to_string(),
            message: error.to_string(),
        })
    }
    /// A stored result read back; `None` when it no longer decodes (written by a buggy build),
    /// and it is then computed again.
    fn decode(&self, bytes: &[u8]) -> Option<Self::Output> {
        serde_json::from_slice(bytes).ok()
    }
}

/// Runs one [`ItemStage`] batch by batch through the store.
pub struct StageRunner<'a, S: ItemStage> {
    stage: &'a S,
    store: &'a mut Store,
    progress: &'a dyn Progress,
    params: String,
    report: StageReport,
    started: Instant,
}

impl<'a, S: ItemStage> StageRunner<'a, S> {
    /// Starts the stage; `total` is the number of items when known.
    pub fn start(
        stage: &'a S,
        store: &'a mut Store,
        progress: &'a dyn Progress,
        total: Option<u64>,
    ) -> Self {
        progress.stage_started(stage.name(), "items", total);
        Self {
            params: stage.params(),
            report: StageReport {
                name: stage.name().to_string(),
                version: stage.version(),
                ..StageReport::default()
            },
            stage,
            store,
            progress,
            started: Instant::now(),
        }
    }

    /// Results for a batch, in order: stored ones are read back, the rest computed on every core
    /// and then committed together, so a crash loses at most this batch.
    pub fn process(&mut self, inputs: &[&S::Input]) -> Result<Vec<S::Output>, PipelineError> {
        let mut outputs: Vec<Option<S::Output>> = Vec::with_capacity(inputs.len());
        let mut missing = Vec::new();
        for (index, input) in inputs.iter().enumerate() {
            let key = cache_key(
                self.stage.name(),
                self.stage.version(),
                self.stage.model(),
                &self.params,
                self.stage.input_hash(input),
            );
            let stored = self.store.get(key)?;
            let found = stored.is_some();
            let cached = stored.and_then(|bytes| self.stage.decode(&bytes));
            if found && cached.is_none() {
                self.report.invalid_cached += 1;
            }
            if cached.is_none() {
                missing.push((index, key));
            }
            outputs.push(cached);
        }
        let stage = self.stage;
        let todo: Vec<&S::Input> = missing.iter().map(|&(index, _)| inputs[index]).collect();
        let computed = if todo.is_empty() {
            Vec::new()
        } else {
            stage.compute_batch(&todo)?
        };
        let mut fresh = Vec::with_capacity(computed.len());
        for ((index, key), output) in missing.into_iter().zip(computed) {
            fresh.push((key, stage.encode(&output)?));
            outputs[index] = Some(output);
        }
        if !fresh.is_empty() {
            self.store.put_batch(stage.name(), &fresh)?;
        }
        self.report.cache_hits += (inputs.len() - fresh.len()) as u64;
        self.report.computed += fresh.len() as u64;
        self.report.items += inputs.len() as u64;
        self.progress
            .stage_advanced(stage.name(), self.report.items);
        Ok(outputs.into_iter().flatten().collect())
    }

    /// Ends the stage and returns what it did.
    pub fn finish(mut self) -> StageReport {
        self.report.wall_seconds = self.started.elapsed().as_secs_f64();
        self.progress.stage_finished(&self.report);
        self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoProgress;
    use std::sync::atomic::{AtomicU32, Ordering};

    struct Square<'c> {
        calls: &'c AtomicU32,
        version: u32,
    }

    impl ItemStage for Square<'_> {
        type Input = u64;
        type Output = u64;
        fn name(&self) -> &'static str {
            "square"
        }
        fn version(&self) -> u32 {
            self.version
        }
        fn input_hash(&self, input: &u64) -> ContentHash {
            ContentHash::of(&input.to_le_bytes())
        }
        fn compute(&self, input: &u64) -> u64 {
            self.calls.fetch_add(1, Ordering::Relaxed);
            input * input
        }
    }

    #[test]
    fn results_are_computed_once_and_a_new_version_recomputes() {
        let mut store = Store::in_memory().unwrap();
        let calls = AtomicU32::new(0);
        let stage = Square {
            calls: &calls,
            version: 1,
        };
        let inputs = [2u64, 3, 4];
        let refs: Vec<&u64> = inputs.iter().collect();
        let mut runner = StageRunner::start(&stage, &mut store, &NoProgress, Some(3));
        assert_eq!(runner.process(&refs).unwrap(), [4, 9, 16]);
        assert_eq!(runner.finish().computed, 3);

        let mut runner = StageRunner::start(&stage, &mut store, &NoProgress, Some(3));
        assert_eq!(runner.process(&refs).unwrap(), [4, 9, 16]);
        let report = runner.finish();
        assert_eq!(
            (
                report.cache_hits,
                report.computed,
                calls.load(Ordering::Relaxed)
            ),
            (3, 0, 3)
        );

        let bumped = Square {
            calls: &calls,
            version: 2,
        };
        let mut runner = StageRunner::start(&bumped, &mut store, &NoProgress, Some(3));
        runner.process(&refs).unwrap();
        assert_eq!(runner.finish().computed, 3);
    }
}
