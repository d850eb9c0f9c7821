use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;

use chorus_facets::{DatasetStats, StatsBuilder};
use chorus_ingest::Input;
use chorus_models::{ChatModel, Embedder};
use chorus_parquet::write_table;
use chorus_store::Store;
use chorus_text::Redacted;
use chorus_types::Conversation;

use chorus_analysis::{
    Analysis, Collected, Mode, Models as AnalysisSteps, Observation, PlacedTaxonomy, Plan,
    PublishedReport, Steps, Taxonomy, TreeFile, UNPLACED_ID, VectorFile, analyse, keyword_text,
};

use crate::batches::{Batch, read_in_batches};
use crate::concern::concern_scorer;
use crate::embed::AnalysisEmbedder;
use crate::lock::OutputLock;
use crate::output::{OutputFile, write_file, write_json};
use crate::readiness::check_models;
use crate::stage::StageRunner;
use crate::summary::{AnalysisModels, ModelCaller};
use crate::{
    Config, EmbedStage, Embedded, PipelineError, Placement, ProfileStage, Progress, RunManifest,
};
use chorus_report::render_markdown;

/// What a finished run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// Everything `run.json` says.
    pub manifest: RunManifest,
    /// The dataset summary written to `dataset.json`.
    pub dataset: DatasetStats,
    /// The cluster report written to `report.json`, when an embedder was given.
    pub report: Option<PublishedReport>,
}

/// Output files, in the order they are written.
const REJECTED_FILE: &str = "rejected.jsonl";
const DATASET_FILE: &str = "dataset.json";
const MANIFEST_FILE: &str = "run.json";
const REPORT_FILE: &str = "report.json";
const REPORT_MD_FILE: &str = "report.md";
/// The explorer page, with the report embedded.
pub const PAGE_FILE: &str = "index.html";
const CONVERSATIONS_FILE: &str = "conversations.parquet";
/// What `chorus assign` needs to place new conversations into the run's tree.
pub const TREE_FILE: &str = "tree.json";
/// The clustered vectors while the run lasts (removed at its end).
const VECTORS_FILE: &str = "vectors.f32.partial";
const OUTPUT_FILES: [&str; 8] = [
    REJECTED_FILE,
    DATASET_FILE,
    CONVERSATIONS_FILE,
    TREE_FILE,
    REPORT_FILE,
    REPORT_MD_FILE,
    PAGE_FILE,
    MANIFEST_FILE,
];

/// The models a run may use; stages see only these interfaces.
#[derive(Clone, Copy, Default)]
pub struct Models<'a> {
    /// Embeds the text that is clustered. Without it the run profiles conversations only.
    pub embedder: Option<&'a dyn Embedder>,
    /// With it the run is in summary mode: facets per conversation and cluster names come from
    /// this model. Without it, keyword mode.
    pub chat: Option<&'a dyn ChatModel>,
    /// Keyword mode: a local model that turns each cluster's keywords (never any conversation
    /// text) into a readable name.
    pub keyword_namer: Option<&'a dyn ChatModel>,
}

/// Runs the pipeline over `inputs`, writing into `out_dir`. With an embedder it goes to the end
/// (embeddings, clusters, tree, `report.json`, `report.md`) in keyword mode, or in summary mode
/// when a chat model is given too; without one it profiles the conversations only.
///
/// Bad records never stop a run: they go to `rejected.jsonl` with their reason. What does stop
/// it is a failure to write outputs or use the store, or a model error that no retry can fix.
pub fn run(
    config: &Config,
    inputs: &[Input],
    out_dir: &Path,
    models: Models<'_>,
    progress: &dyn Progress,
) -> Result<RunOutcome, PipelineError> {
    run_into(config, None, inputs, out_dir, models, progress)
}

/// Places `inputs` into an earlier run's `tree` instead of clustering them (`chorus assign`):
/// the same text, model and centring as that run, each conversation at its nearest base
/// cluster (or "not placed", beyond the tree's cut-off), the tree's levels, ids and published
/// names, and the release rules recounted on these conversations. `config` should be the
/// earlier run's.
pub fn assign(
    config: &Config,
    tree: TreeFile,
    inputs: &[Input],
    out_dir: &Path,
    models: Models<'_>,
    progress: &dyn Progress,
) -> Result<RunOutcome, PipelineError> {
    run_into(
        config,
        Some(Arc::new(tree)),
        inputs,
        out_dir,
        models,
        progress,
    )
}

fn run_into(
    config: &Config,
    fixed_tree: Option<Arc<TreeFile>>,
    inputs: &[Input],
    out_dir: &Path,
    models: Models<'_>,
    progress: &dyn Progress,
) -> Result<RunOutcome, PipelineError> {
    let started_at = Utc::now();
    std::fs::create_dir_all(out_dir).map_err(|source| PipelineError::Write {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let _lock = OutputLock::take(out_dir)?;
    // Before anything of an earlier run is removed: a wrong port or model name leaves it be.
    let model_checks = match models.embedder {
        Some(embedder) => check_models(models.chat.or(models.keyword_namer), Some(embedder))?,
        None => Vec::new(),
    };
    remove_previous_outputs(out_dir)?;
    let store_path = config
        .store
        .path
        .clone()
        .unwrap_or_else(|| default_store_path(out_dir));
    let mut store = Store::open(&store_path)?;

    let profile_stage = ProfileStage;
    let embed_stage = models.embedder.map(EmbedStage::new).transpose()?;
    // Summary mode when a chat model is given: it answers facets and names clusters, at the
    // configured prices. Otherwise the local namer, if any, names keyword clusters for free.
    let mut plan = plan(config, &models, embed_stage.is_some());
    if let Some(tree) = &fixed_tree {
        check_tree_fits(tree, &plan)?;
    }
    if let (Some(path), Some(stage), None) = (&config.hierarchy.taxonomy, &embed_stage, &fixed_tree)
    {
        plan.taxonomy = Some(Arc::new(placed_taxonomy(path, stage)?));
    }
    plan.fixed_tree = fixed_tree;
    let summary_mode = plan.steps.mode == Mode::Summary;
    if !summary_mode && config.facets.needs_chat_model() {
        return Err(PipelineError::Setup(
            "facets.screener and facets.custom are questions for the chat model, and none is configured: add [models] chat = {...} to chorus.toml, or remove them to run in keyword mode".into(),
        ));
    }
    let asked = Asked {
        facets: config.facets.summary_facets(),
        screener: config.facets.screener_facet(),
        clustered: config.facets.clustered(),
    };
    let (naming_model, pricing) = match models.chat {
        Some(chat) => (Some(chat), config.models.pricing),
        None => (models.keyword_namer, chorus_models::Pricing::default()),
    };
    let mut caller = match (naming_model, &embed_stage) {
        (Some(model), Some(_)) => {
            Some(ModelCaller::new(model, pricing, Store::open(&store_path)?)?)
        }
        _ => None,
    };
    // Each stage writes through its own connection to the one file (SQLite in WAL mode).
    let mut profile_store = Store::open(&store_path)?;
    let mut profiles = StageRunner::start(&profile_stage, &mut profile_store, progress, None);
    let mut embeddings = embed_stage
        .as_ref()
        .map(|stage| StageRunner::start(stage, &mut store, progress, None));
    let mut rejected = OutputFile::create(&out_dir.join(REJECTED_FILE))?;
    let mut stats = StatsBuilder::new(config.ingest.fields.label.clone());
    let vectors = match &embed_stage {
        Some(_) => VectorFile::create(&out_dir.join(VECTORS_FILE))?,
        None => VectorFile::default(),
    };
    let mut collected = Collected::new(&plan, vectors);
    let ingested = read_in_batches(inputs, config, progress, &mut |batch| {
        match batch {
            Batch::Conversations(conversations) => {
                let refs: Vec<&Conversation> = conversations.iter().collect();
                let batch_profiles = profiles.process(&refs)?;
                for (conversation, profile) in conversations.iter().zip(&batch_profiles) {
                    stats.add(conversation, profile);
                }
                if let Some(embeddings) = embeddings.as_mut() {
                    collect_batch(
                        config,
                        &conversations,
                        &batch_profiles,
                        embeddings,
                        caller
                            .as_mut()
                            .filter(|_| summary_mode)
                            .map(|c| (c, &asked)),
                        &mut collected,
                    )?;
                }
            }
            Batch::Rejected(rejection) => rejected.write_line(&rejection)?,
        }
        Ok(())
    })?;
    let mut stage_reports = vec![ingested.stage, profiles.finish()];
    stage_reports.extend(embeddings.map(StageRunner::finish));
    rejected.commit()?;
    let dataset = stats.finish();
    write_json(&out_dir.join(DATASET_FILE), &dataset)?;
    collected.seal()?;
    let mut release_counts = None;
    let mut placement = None;
    let report = match &embed_stage {
        Some(stage) => {
            if !summary_mode {
                let context = config.facets.concern_context;
                if let Some(scorer) = concern_scorer(stage, collected.dim(), context)? {
                    collected.read_concern(scorer);
                }
            }
            match &plan.fixed_tree {
                Some(tree) => collected.center_like(&tree.centering)?,
                None => collected.center(config.cluster.center)?,
            }
            progress.stage_started("cluster", "conversations", Some(collected.len() as u64));
            let Analysis {
                report,
                release,
                paths,
                coordinates,
                stage_seconds,
                tree,
            } = {
                let mut access = caller.as_mut().map(|caller| AnalysisModels {
                    caller,
                    embedder: stage,
                });
                let mut embedder = AnalysisEmbedder(stage);
                let steps = match access.as_mut() {
                    Some(access) => AnalysisSteps::new(access),
                    None => AnalysisSteps::embedder_only(&mut embedder),
                };
                analyse(&mut collected, &plan, steps)?
            };
            release_counts = Some(release);
            for (name, seconds) in stage_seconds {
                let stage = crate::StageReport {
                    name: name.into(),
                    version: 1,
                    items: report.totals.clustered as u64,
                    computed: report.totals.clustered as u64,
                    wall_seconds: seconds,
                    ..crate::StageReport::default()
                };
                progress.stage_finished(&stage);
                stage_reports.push(stage);
            }
            if !config.privacy.aggregate_only {
                let table =
                    write_table(&collected.conversation_table(&paths, coordinates.as_deref()))
                        .map_err(|error| PipelineError::Output {
                            path: out_dir.join(CONVERSATIONS_FILE),
                            message: error.to_string(),
                        })?;
                write_file(&out_dir.join(CONVERSATIONS_FILE), &table)?;
            }
            if let Some(tree) = &tree {
                write_json(&out_dir.join(TREE_FILE), tree)?;
            }
            placement = plan.fixed_tree.as_ref().map(|tree| {
                let unplaced = paths.iter().filter(|path| *path == UNPLACED_ID).count();
                Placement {
                    tree_id: tree.tree_id.clone(),
                    placed: paths.len() - unplaced,
                    unplaced,
                }
            });
            write_analyst_files(out_dir, &report)?;
            Some(report)
        }
        None => None,
    };

    let manifest = RunManifest {
        chorus_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at,
        finished_at: Utc::now(),
        config: config.clone(),
        store: store_path,
        ingest: ingested.report.totals,
        inputs: ingested.report.files,
        stages: stage_reports,
        model_checks,
        model_usage: caller.as_ref().map(ModelCaller::usage).unwrap_or_default(),
        release: release_counts,
        placement,
        outputs: OUTPUT_FILES
            .iter()
            .filter(|&&name| match name {
                REPORT_FILE | REPORT_MD_FILE | PAGE_FILE => report.is_some(),
                TREE_FILE => report
                    .as_ref()
                    .is_some_and(|r| !r.parameters.tree_id.is_empty()),
                CONVERSATIONS_FILE => report.is_some() && !config.privacy.aggregate_only,
                _ => true,
            })
            .map(|name| name.to_string())
            .collect(),
    };
    write_json(&out_dir.join(MANIFEST_FILE), &manifest)?;
    Ok(RunOutcome {
        manifest,
        dataset,
        report,
    })
}

/// The steps after embedding, decided once: the mode and namer from the models the run has
/// (a namer only counts with an embedder, which every model step needs), the settings from
/// `config`.
fn plan(config: &Config, models: &Models<'_>, embeds: bool) -> Plan {
    let steps = Steps::decide(
        models.chat.is_some(),
        models.keyword_namer.is_some() && embeds,
    );
    Plan {
        steps,
        seed: config.run.seed,
        cluster: config.cluster.clone(),
        hierarchy: config.hierarchy.clone(),
        map: config.map.clone(),
        privacy: config.privacy.clone(),
        label_field: config.ingest.fields.label.clone(),
        cohort_field: config.facets.cohort_field.clone(),
        embed_model: config
            .models
            .embed
            .as_ref()
            .map_or_else(|| config.embed.model.clone(), |server| server.model.clone()),
        multilingual_embedder: models.embedder.is_some_and(|e| e.multilingual()),
        custom_facets: match steps.mode {
            Mode::Summary => config.facets.custom.clone(),
            Mode::Keyword => Vec::new(),
        },
        fixed_tree: None,
        taxonomy: None,
    }
}

/// Taxonomy mode: the file's categories, each leaf's name and description embedded by the
/// run's embedder.
fn placed_taxonomy(path: &Path, stage: &EmbedStage<'_>) -> Result<PlacedTaxonomy, PipelineError> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| PipelineError::Config {
        path: path.to_path_buf(),
        message: format!("cannot read the taxonomy (hierarchy.taxonomy, --taxonomy): {error}"),
    })?;
    let taxonomy = Taxonomy::parse(&text, &source)?;
    let anchors = taxonomy.anchors();
    let texts: Vec<String> = anchors.iter().map(|(_, text)| text.clone()).collect();
    let mut anchor_vectors = Vec::with_capacity(anchors.len());
    for ((leaf, text), embedded) in anchors.into_iter().zip(stage.embed_texts(&texts)?) {
        match embedded {
            Embedded::Vector(vector) => anchor_vectors.push((leaf, vector)),
            Embedded::Failed(why) => {
                return Err(PipelineError::Setup(format!(
                    "{source}: the embedder could not embed the category text {text:?}: {why}"
                )));
            }
        }
    }
    Ok(PlacedTaxonomy {
        taxonomy,
        anchor_vectors,
        source,
    })
}

/// Whether this run describes conversations as the tree's run did: the same text (keyword or
/// summary mode) embedded by the same model.
fn check_tree_fits(tree: &TreeFile, plan: &Plan) -> Result<(), PipelineError> {
    let mode = plan.steps.mode.name();
    if tree.mode != mode {
        return Err(PipelineError::Setup(format!(
            "the tree was built in {} mode and this run is in {mode} mode: configure the same chat model as the earlier run (its run.json) or none",
            tree.mode
        )));
    }
    if tree.embed_model != plan.embed_model {
        return Err(PipelineError::Setup(format!(
            "the tree was built from {} vectors and this run embeds with {}: set the earlier run's embedding model",
            tree.embed_model, plan.embed_model
        )));
    }
    Ok(())
}

/// The files written for analysts: report.json, report.md and the explorer page, all from what
/// the release door let out.
fn write_analyst_files(out_dir: &Path, report: &PublishedReport) -> Result<(), PipelineError> {
    write_json(&out_dir.join(REPORT_FILE), report)?;
    write_file(
        &out_dir.join(REPORT_MD_FILE),
        render_markdown(report).as_bytes(),
    )?;
    let page = chorus_page::render(report).map_err(|error| PipelineError::Output {
        path: out_dir.join(PAGE_FILE),
        message: error.to_string(),
    })?;
    write_file(&out_dir.join(PAGE_FILE), page.as_bytes())
}

/// What summary mode asks of each conversation.
struct Asked<'a> {
    facets: Vec<chorus_facets::summary::SummaryFacet>,
    screener: Option<chorus_facets::summary::SummaryFacet>,
    /// The facet whose text is clustered.
    clustered: &'a str,
}

/// What one batch brings to clustering: the text clustered (keyword mode: the redacted user
/// words; summary mode: the model's `request` summary, or the custom facet clustered on), its
/// vector, its profile and facets. Summary mode asks the screener first: conversations it does
/// not answer yes for are counted and go no further.
fn collect_batch(
    config: &Config,
    conversations: &[Conversation],
    profiles: &[chorus_facets::Profile],
    embeddings: &mut StageRunner<'_, EmbedStage<'_>>,
    summary: Option<(&mut ModelCaller<'_>, &Asked<'_>)>,
    collected: &mut Collected,
) -> Result<(), PipelineError> {
    let mut kept: Vec<usize> = (0..conversations.len()).collect();
    let facets = match summary {
        Some((caller, asked)) => {
            if let Some(screener) = &asked.screener {
                let all: Vec<&Conversation> = conversations.iter().collect();
                let answers = caller.screen(&all, screener)?;
                kept.retain(|&i| match &answers[i] {
                    Ok(true) => true,
                    Ok(false) => {
                        collected.screened_out(false);
                        false
                    }
                    Err(_) => {
                        collected.screened_out(true);
                        false
                    }
                });
            }
            let chosen: Vec<&Conversation> = kept.iter().map(|&i| &conversations[i]).collect();
            Some((caller.facets(&chosen, &asked.facets)?, asked.clustered))
        }
        None => None,
    };
    let texts: Vec<Redacted> = match &facets {
        Some((facets, clustered)) => facets
            .iter()
            .map(|f| Redacted {
                text: f.text(clustered).unwrap_or_default().to_string(),
                counts: Vec::new(),
            })
            .collect(),
        None => conversations
            .iter()
            .map(|c| keyword_text(c, config.embed.max_chars))
            .collect(),
    };
    let to_embed: Vec<&String> = texts
        .iter()
        .filter(|t| !t.text.trim().is_empty())
        .map(|t| &t.text)
        .collect();
    let mut vectors = embeddings.process(&to_embed)?.into_iter();
    for (index, (&at, text)) in kept.iter().zip(&texts).enumerate() {
        let (conversation, profile) = (&conversations[at], &profiles[at]);
        let embedded = if text.text.trim().is_empty() {
            None
        } else {
            vectors.next()
        };
        let vector = match &embedded {
            Some(Embedded::Vector(values)) => Some(values.as_slice()),
            _ => None,
        };
        let label = config
            .ingest
            .fields
            .label
            .as_ref()
            .and_then(|field| conversation.metadata.get(field).cloned());
        collected.add(
            Observation {
                conversation,
                profile,
                text: &text.text,
                redactions: &text.counts,
                vector,
                label,
                facets: facets.as_ref().map(|(f, _)| &f[index]),
            },
            config.privacy.unknown_users,
        )?;
    }
    Ok(())
}

/// A run into a folder that holds an earlier run's outputs removes them first, so a run killed
/// half-way never leaves the earlier outputs looking like its own.
fn remove_previous_outputs(out_dir: &Path) -> Result<(), PipelineError> {
    for name in OUTPUT_FILES {
        let path = out_dir.join(name);
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(PipelineError::Write {
                    path,
                    source: error,
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Where a run keeps its store when no `store.path` (`--cache`) is given.
pub fn default_store_path(out_dir: &Path) -> PathBuf {
    out_dir.join("store.sqlite")
}
