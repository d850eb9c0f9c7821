use std::collections::BTreeMap;

use anyhow::Context;

use chorus_local::{SentenceEncoder, SentenceModel, SmolLm};
use chorus_modelfiles::{FetchOptions, fetch, find, models_home};
use chorus_models::{Budget, Budgeted, ChatModel, Embedder};
use chorus_pipeline::{Config, Models, Placement, Report, RunOutcome, TreeFile};

use crate::Finished;
use crate::args::RunArgs;
use crate::progress;
use crate::render::print_ingest_summary;

pub(crate) fn run(args: RunArgs) -> anyhow::Result<Finished> {
    let config = args.config()?;
    let inputs = args.input.expanded()?;
    let progress = progress::for_stderr(args.quiet);
    if let Some(usd) = args.budget {
        anyhow::ensure!(usd > 0.0, "--budget must be more than 0 US dollars");
    }
    // The budget lives as long as the process: every call of the run charges it.
    let budget: Option<&'static Budget> = args
        .budget
        .map(|usd| &*Box::leak(Box::new(Budget::new(usd))));
    let chat = chat_model(&config, budget)?;
    if args.dry_run {
        return dry_run(&config, &inputs, &args, chat.as_deref(), progress.as_ref());
    }
    let target = Target {
        inputs: &inputs,
        out: &args.out,
        quiet: args.quiet,
        profile_only: args.profile_only,
    };
    execute(&config, chat, target, None)
}

/// What a run reads and where it writes.
pub(crate) struct Target<'a> {
    pub(crate) inputs: &'a [chorus_ingest::Input],
    pub(crate) out: &'a std::path::Path,
    pub(crate) quiet: bool,
    pub(crate) profile_only: bool,
}

/// Runs the pipeline with the models `config` names — clustering, or placing the
/// conversations into `tree` — and says what it did.
pub(crate) fn execute(
    config: &Config,
    chat: Option<Box<dyn ChatModel>>,
    target: Target<'_>,
    tree: Option<TreeFile>,
) -> anyhow::Result<Finished> {
    let Target {
        inputs,
        out,
        quiet,
        profile_only,
    } = target;
    let progress = progress::for_stderr(quiet);
    let resolved;
    let config = match automatic_model(config, chat.is_some(), &target, tree.as_ref())? {
        Some(model) => {
            resolved = Config {
                embed: chorus_pipeline::EmbedConfig {
                    model: model.name().into(),
                    ..config.embed.clone()
                },
                ..config.clone()
            };
            &resolved
        }
        None => config,
    };
    let embedder: Option<Box<dyn Embedder>> = match (&config.models.embed, profile_only) {
        (_, true) => None,
        (Some(server), false) => Some(
            chorus_models::embedder(server)
                .context("setting up the embeddings server named by models.embed")?,
        ),
        (None, false) => Some(Box::new(local_embedder(&config.embed.model, quiet)?)),
    };
    // A tree's names are kept: no local model is needed to name anything.
    let names_clusters = tree.is_none() && !profile_only;
    let namer = if config.hierarchy.local_names && chat.is_none() && names_clusters {
        Some(local_namer(config.run.seed, quiet)?)
    } else {
        None
    };
    let models = Models {
        embedder: embedder.as_deref(),
        chat: chat.as_deref(),
        keyword_namer: namer.as_ref().map(|n| n as &dyn ChatModel),
    };
    let RunOutcome {
        manifest,
        report,
        dataset,
    } = match tree {
        Some(tree) => chorus_pipeline::assign(config, tree, inputs, out, models, progress.as_ref()),
        None => chorus_pipeline::run(config, inputs, out, models, progress.as_ref()),
    }
    .with_context(|| format!("run into {} stopped", out.display()))?;
    print_model_summary(&manifest);
    print_ingest_summary(&manifest.ingest, &manifest.inputs);
    eprintln!(
        "chorus: wrote {} to {}",
        manifest.outputs.join(", "),
        out.display()
    );
    if let Some(placement) = &manifest.placement {
        print_placement(placement);
    }
    if let Some(report) = &report {
        let unknown_users_shared = dataset.without_user > 0
            && config.privacy.unknown_users == chorus_pipeline::UnknownUsers::Shared;
        print_report_summary(report, unknown_users_shared);
        if config.models.embed.is_none() {
            print_language_advice(&config.embed.model, &dataset.languages);
        }
    }
    if config.privacy.aggregate_only && manifest.store.starts_with(out) {
        eprintln!(
            "chorus: --aggregate-only left out conversations.parquet, but {} (the run store: \
             model replies and text derived from the conversations) is still there; keep it \
             as private as the conversations, delete it, or put it elsewhere with --store",
            manifest.store.display()
        );
    }
    if manifest.ingest.rejected > 0 {
        eprintln!(
            "chorus: {} records rejected; see {}",
            manifest.ingest.rejected,
            out.join("rejected.jsonl").display()
        );
    }
    Ok(if config.run.strict && manifest.ingest.rejected > 0 {
        Finished::Rejected
    } else {
        Finished::Clean
    })
}

/// Above this share of conversations not placed, the tree no longer fits the data.
const MANY_UNPLACED: f64 = 0.10;

fn print_placement(placement: &Placement) {
    let share = placement.unplaced_share();
    eprintln!(
        "chorus: placed {} conversations into tree {}; {} ({:.1}%) were near no cluster of it",
        placement.placed,
        placement.tree_id,
        placement.unplaced,
        share * 100.0
    );
    if share > MANY_UNPLACED {
        eprintln!(
            "chorus: more than {:.0}% of the conversations fit no cluster of the earlier tree: \
             their topics have moved on; a fresh `chorus run` over them (or over both periods) \
             describes them better",
            MANY_UNPLACED * 100.0
        );
    }
}

/// The local embedding model, fetched into the models home on first use.
fn local_embedder(name: &str, quiet: bool) -> anyhow::Result<SentenceEncoder> {
    let model = SentenceModel::from_name(name).with_context(|| {
        let known: Vec<&str> = SentenceModel::ALL.iter().map(|m| m.name()).collect();
        format!(
            "embed.model = {name:?} is not a local embedding model; use \"auto\" or one of {}",
            known.join(", ")
        )
    })?;
    let spec = find(model.name()).context("the catalog lists every local embedding model")?;
    let dir = fetch_on_first_use(spec, "clustering (or run with --profile-only)", quiet)?;
    SentenceEncoder::load(model, &dir)
        .with_context(|| format!("loading {name} from {}", dir.display()))
}

/// The local model `embed.model = "auto"` stands for in this run, when it is set: the tree's
/// model when placing into one; MiniLM for summary mode (it embeds the model's English
/// summaries) and for standard input (which cannot be read twice); otherwise the input is read
/// once through the profile stage (its results cached in the run store for the real pass) and
/// the share of the detected text not in English decides.
fn automatic_model(
    config: &Config,
    summary_mode: bool,
    target: &Target<'_>,
    tree: Option<&TreeFile>,
) -> anyhow::Result<Option<SentenceModel>> {
    if config.embed.model != chorus_pipeline::AUTO_EMBED_MODEL
        || config.models.embed.is_some()
        || target.profile_only
    {
        return Ok(None);
    }
    if let Some(tree) = tree {
        let model = SentenceModel::from_name(&tree.embed_model).with_context(|| {
            format!(
                "the earlier run embedded with {:?}, not a local model: set [models] embed to \
                 the server it used",
                tree.embed_model
            )
        })?;
        return Ok(Some(model));
    }
    let english = SentenceModel::MiniLmL6V2;
    if summary_mode {
        return Ok(Some(english));
    }
    if target.inputs.contains(&chorus_ingest::Input::Stdin) {
        eprintln!(
            "chorus: embed.model = \"auto\" counts the input's languages before embedding, and \
             standard input cannot be read twice: {} it is (name the model in [embed] model to \
             choose)",
            english.name()
        );
        return Ok(Some(english));
    }
    let progress = progress::for_stderr(target.quiet);
    let census = chorus_pipeline::run(
        config,
        target.inputs,
        target.out,
        Models::default(),
        progress.as_ref(),
    )
    .with_context(|| {
        format!(
            "counting the languages of the input into {}",
            target.out.display()
        )
    })?;
    let mix = LanguageMix::of(&census.dataset.languages);
    let model = if mix.english_model_fits() {
        english
    } else {
        SentenceModel::MultilingualE5Small
    };
    eprintln!(
        "chorus: embed.model = \"auto\": {:.0}% of the conversations whose language was detected \
         are not in English: {}",
        mix.other_share() * 100.0,
        model.name()
    );
    Ok(Some(model))
}

/// Says when an English embedding model read much text in other languages, and what to use.
fn print_language_advice(model: &str, languages: &BTreeMap<String, u64>) {
    let Some(model) = SentenceModel::from_name(model).filter(|m| !m.multilingual()) else {
        return;
    };
    let mix = LanguageMix::of(languages);
    if mix.english_model_fits() {
        return;
    }
    eprintln!(
        "chorus: {:.0}% of the conversations whose language was detected are not in English, and \
         {} is an English model: it groups them by language before topic. `[embed] model = \
         \"{}\"` groups topics across languages (docs/benchmarks.md, \"A multilingual embedder \
         in process\")",
        mix.other_share() * 100.0,
        model.name(),
        SentenceModel::MultilingualE5Small.name()
    );
}

/// The conversations whose language was detected, and how many of them are English.
#[derive(Debug, PartialEq)]
struct LanguageMix {
    detected: u64,
    english: u64,
}

impl LanguageMix {
    fn of(languages: &BTreeMap<String, u64>) -> Self {
        let detected = languages
            .iter()
            .filter(|(language, _)| language.as_str() != chorus_facets::UNDETECTED_LANGUAGE)
            .map(|(_, count)| count)
            .sum();
        let english = languages.get("English").copied().unwrap_or(0);
        Self { detected, english }
    }

    /// The share not in English (0 when nothing was detected).
    fn other_share(&self) -> f64 {
        if self.detected == 0 {
            return 0.0;
        }
        self.detected.saturating_sub(self.english) as f64 / self.detected as f64
    }

    /// Whether an English model reads this text well: English holds the share at which keyword
    /// mode counts the text as one language (or nothing was detected). Otherwise an English
    /// model's clusters follow languages more than topics.
    fn english_model_fits(&self) -> bool {
        self.english as f64 >= chorus_pipeline::ONE_LANGUAGE_SHARE * self.detected as f64
    }
}

/// The local LLM that names keyword clusters, fetched on first use.
fn local_namer(seed: u64, quiet: bool) -> anyhow::Result<SmolLm> {
    let spec = find("smollm2-135m-instruct").context("the catalog lists smollm2-135m-instruct")?;
    let dir = fetch_on_first_use(spec, "--local-names", quiet)?;
    SmolLm::load(&dir, seed)
        .with_context(|| format!("loading {} from {}", spec.name, dir.display()))
}

/// A model's folder, its files fetched and checked first when they are not there yet.
fn fetch_on_first_use(
    spec: &'static chorus_modelfiles::ModelSpec,
    needed_for: &str,
    quiet: bool,
) -> anyhow::Result<std::path::PathBuf> {
    let name = spec.name;
    let dir = models_home().join(name);
    fetch(spec, &dir, &FetchOptions::default(), &mut |step| {
        if !quiet {
            eprintln!("chorus: {step}");
        }
    })
    .with_context(|| {
        format!(
            "the model {name} is needed for {needed_for} and could not be fetched; \
             put its files in a folder and run `chorus models fetch {name} --from FOLDER`"
        )
    })?;
    Ok(dir)
}

/// Per model stage: calls and their outcomes, with transport failures told apart from
/// unusable replies; the start-up check's caveats.
fn print_model_summary(manifest: &chorus_pipeline::RunManifest) {
    for check in &manifest.model_checks {
        if let Some(why) = &check.unchecked {
            eprintln!(
                "chorus: the {} model name {:?} was not checked: {why}",
                check.role, check.model
            );
        }
    }
    for usage in &manifest.model_usage {
        eprintln!(
            "chorus: {} ({}): {} calls sent, {} from the cache, {} retried, {} missing \
             ({} unanswered, {} unusable); {} tokens in, {} out, ${:.4}",
            usage.stage,
            usage.model,
            usage.sent,
            usage.cache_hits,
            usage.parse_retries,
            usage.missing,
            usage.transport_failures,
            usage.unusable,
            usage.input_tokens,
            usage.output_tokens,
            usage.cost_usd
        );
    }
    let unanswered: u64 = manifest
        .model_usage
        .iter()
        .map(|u| u.transport_failures)
        .sum();
    if unanswered > 0 {
        eprintln!(
            "chorus: {unanswered} model calls got no answer from the server (see run.json \
             model_usage); they were not stored: rerun the same command to send only those"
        );
    }
}

fn print_report_summary(report: &Report, unknown_users_shared: bool) {
    let totals = &report.totals;
    let published = report.tree.children.iter().filter(|c| !c.other).count();
    eprintln!(
        "chorus: clustered {} of {} conversations into {} base clusters (levels {}); {} top-level clusters published",
        totals.clustered,
        totals.conversations,
        report.parameters.k,
        report.parameters.levels_text(),
        published
    );
    if totals.users < report.parameters.min_users {
        let advice = if unknown_users_shared {
            ". Conversations without a user id count as one user: if each comes from a \
             different person, say so with --distinct-unknown-users"
        } else {
            ""
        };
        eprintln!(
            "chorus: only {} distinct users were counted, fewer than privacy.min_users = {}: \
             nothing can be published{advice}",
            totals.users, report.parameters.min_users
        );
    }
    if let Some(field) = &report.parameters.cohort_field {
        let has_field = report
            .tree
            .children
            .iter()
            .flat_map(|child| child.facets.cohort.keys())
            .any(|cohort| {
                cohort != chorus_report::NO_COHORT && cohort != chorus_pipeline::OTHER_VALUES
            });
        if !has_field {
            eprintln!(
                "chorus: no published cluster counts a value of the cohort field {field:?}: check \
                 that the records carry it (`chorus inspect` lists their fields)"
            );
        }
    }
    if let Some(agreement) = &report.label_agreement {
        eprintln!(
            "chorus: base clusters vs label {:?} ({} labels): NMI {:.3}, ARI {:.3}",
            agreement.field, agreement.labels, agreement.scores.nmi, agreement.scores.ari
        );
    }
}

/// The configured chat model (summary mode), under the budget when one is given.
pub(crate) fn chat_model(
    config: &Config,
    budget: Option<&'static Budget>,
) -> anyhow::Result<Option<Box<dyn ChatModel>>> {
    let Some(backend) = &config.models.chat else {
        anyhow::ensure!(
            budget.is_none(),
            "--budget needs a chat model (models.chat in the config); keyword mode spends nothing"
        );
        return Ok(None);
    };
    let model = chorus_models::chat_model(backend)
        .context("setting up the chat model named by models.chat")?;
    Ok(Some(match budget {
        Some(budget) => Box::new(Budgeted::new(model, config.models.pricing, budget)),
        None => model,
    }))
}

fn dry_run(
    config: &Config,
    inputs: &[chorus_ingest::Input],
    args: &RunArgs,
    chat: Option<&dyn ChatModel>,
    progress: &dyn chorus_pipeline::Progress,
) -> anyhow::Result<Finished> {
    let chat = chat.context(
        "--dry-run estimates summary mode, which needs models.chat in the config; keyword mode calls no paid model",
    )?;
    for check in chorus_pipeline::check_models(Some(chat), None)
        .context("checking the chat model named by models.chat")?
    {
        if let Some(why) = check.unchecked {
            eprintln!(
                "chorus: the chat model name {:?} was not checked: {why}",
                check.model
            );
        }
    }
    let estimate = chorus_pipeline::estimate(config, inputs, &args.out, chat, progress)
        .context("estimating the run")?;
    let facets = &estimate.facets;
    println!("dry run with {}: nothing was sent", estimate.model);
    println!(
        "conversations                 {:>12}",
        estimate.conversations
    );
    println!(
        "facet calls                   {:>12}  ({} already cached)",
        facets.calls, facets.cached
    );
    println!("facet prompt tokens (est.)    {:>12}", facets.input_tokens);
    println!(
        "facet reply tokens (max)      {:>12}",
        facets.max_output_tokens
    );
    println!(
        "naming calls (est.)           {:>12}",
        estimate.naming_calls
    );
    println!(
        "naming prompt tokens (est.)   {:>12}",
        estimate.naming_input_tokens
    );
    println!(
        "naming reply tokens (max)     {:>12}",
        estimate.naming_max_output_tokens
    );
    println!("tree calls (est.)             {:>12}", estimate.tree_calls);
    println!(
        "tree prompt tokens (est.)     {:>12}",
        estimate.tree_input_tokens
    );
    println!(
        "tree reply tokens (max)       {:>12}",
        estimate.tree_max_output_tokens
    );
    println!(
        "worst-case cost               {:>12}",
        format!("${:.4}", estimate.worst_case_usd)
    );
    if config.models.pricing == chorus_models::Pricing::default() {
        println!("(no prices set: add [models.pricing] to the config for a cost)");
    }
    Ok(Finished::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_not_in_english_counts_detected_text_only() {
        let mix = |pairs: &[(&str, u64)]| {
            let languages = pairs
                .iter()
                .map(|(language, count)| (language.to_string(), *count))
                .collect();
            LanguageMix::of(&languages)
        };
        let mixed = mix(&[("English", 60), ("Russian", 30), ("unknown", 500)]);
        assert_eq!(mixed.other_share(), 30.0 / 90.0);
        assert!(!mixed.english_model_fits());
        assert_eq!(mix(&[("German", 5)]).other_share(), 1.0);
        assert_eq!(mix(&[("unknown", 9)]).other_share(), 0.0);
        assert_eq!(mix(&[]).other_share(), 0.0);
        // English at exactly the one-language share, or nothing detected: the English model.
        assert!(mix(&[("English", 90), ("French", 10)]).english_model_fits());
        assert!(!mix(&[("English", 89), ("French", 11)]).english_model_fits());
        assert!(mix(&[("unknown", 9)]).english_model_fits());
    }
}
