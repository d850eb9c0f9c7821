//! `chorus synth`: a synthetic set and its truth, streamed to files.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use chorus_pipeline::StageReport;
use chorus_synth::{Generator, SynthOptions};

use crate::Finished;
use crate::args::SynthArgs;
use crate::progress::for_stderr;

/// Conversations between progress updates.
const PROGRESS_EVERY: u64 = 1000;

pub(crate) fn synth(args: SynthArgs) -> anyhow::Result<Finished> {
    let truth_path = args
        .truth
        .clone()
        .unwrap_or_else(|| truth_path(&args.output));
    if truth_path == args.output {
        anyhow::bail!(
            "the truth file would overwrite the conversations ({}); pass --truth FILE",
            args.output.display()
        );
    }
    let options = SynthOptions {
        days: args.days,
        canary_rate: args.canary_rate,
        coordinated_share: args.coordinated_share,
        languages: args.languages.clone(),
        ..SynthOptions::new(args.conversations, args.seed)
    };
    let generator = Generator::new(options).context("cannot generate this set")?;
    if let Some(path) = &args.taxonomy_out {
        write_taxonomy(path)?;
    }
    let burst_day = generator.burst_day();
    let mut conversations = Output::create(&args.output)?;
    let mut truth = Output::create(&truth_path)?;
    let progress = for_stderr(args.quiet);
    progress.stage_started("synth", "conversations", Some(args.conversations));
    let started = std::time::Instant::now();
    let mut tally = Tally::default();
    for (index, item) in generator.enumerate() {
        conversations.line(&item.record)?;
        truth.line(&item.truth)?;
        tally.add(&item.truth);
        if (index as u64 + 1).is_multiple_of(PROGRESS_EVERY) {
            progress.stage_advanced("synth", index as u64 + 1);
        }
    }
    conversations.finish()?;
    truth.finish()?;
    progress.stage_finished(&StageReport {
        name: "synth".into(),
        version: 1,
        items: args.conversations,
        computed: args.conversations,
        wall_seconds: started.elapsed().as_secs_f64(),
        ..StageReport::default()
    });
    if !args.quiet {
        tally.print(&args.output, &truth_path, burst_day);
    }
    Ok(Finished::Clean)
}

/// The set's 23 categories as a taxonomy file (`--taxonomy`): each its name, described by the
/// names of its tasks.
fn write_taxonomy(path: &Path) -> anyhow::Result<()> {
    #[derive(serde::Serialize)]
    struct File {
        category: Vec<Entry>,
    }
    #[derive(serde::Serialize)]
    struct Entry {
        name: String,
        description: String,
    }
    let categories = chorus_synth::taxonomy().context("the synth taxonomy")?;
    let file = File {
        category: categories
            .iter()
            .map(|category| Entry {
                name: category.name.clone(),
                description: format!(
                    "Requests such as: {}.",
                    category
                        .leaves
                        .iter()
                        .map(|leaf| leaf.name.to_lowercase())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            })
            .collect(),
    };
    let text = toml::to_string(&file).context("encoding the taxonomy")?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// `s.jsonl` → `s.truth.jsonl`, `s.jsonl.gz` → `s.truth.jsonl`, anything else + `.truth.jsonl`.
fn truth_path(output: &Path) -> PathBuf {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".gz")
        .unwrap_or(&name)
        .strip_suffix(".jsonl")
        .unwrap_or(&name)
        .to_string();
    output.with_file_name(format!("{stem}.truth.jsonl"))
}

/// A JSON-lines file written beside its final name and moved there when complete.
struct Output {
    path: PathBuf,
    partial: PathBuf,
    writer: Box<dyn Write>,
}

impl Output {
    fn create(path: &Path) -> anyhow::Result<Self> {
        let partial = path.with_extension("partial");
        let file = File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        let buffered = BufWriter::new(file);
        let writer: Box<dyn Write> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(flate2::write::GzEncoder::new(
                buffered,
                flate2::Compression::fast(),
            ))
        } else {
            Box::new(buffered)
        };
        Ok(Self {
            path: path.to_path_buf(),
            partial,
            writer,
        })
    }

    fn line(&mut self, value: &impl serde::Serialize) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.writer, value)
            .and_then(|()| self.writer.write_all(b"\n").map_err(serde_json::Error::io))
            .with_context(|| format!("cannot write {}", self.partial.display()))
    }

    fn finish(mut self) -> anyhow::Result<()> {
        self.writer
            .flush()
            .with_context(|| format!("cannot write {}", self.partial.display()))?;
        drop(self.writer);
        std::fs::rename(&self.partial, &self.path)
            .with_context(|| format!("cannot move the finished file to {}", self.path.display()))
    }
}

/// What was written, for the closing summary.
#[derive(Default)]
struct Tally {
    conversations: u64,
    users: HashSet<String>,
    languages: BTreeMap<String, u64>,
    concerning: u64,
    canaries: u64,
    coordinated: u64,
}

impl Tally {
    fn add(&mut self, truth: &chorus_synth::Truth) {
        self.conversations += 1;
        self.users.insert(truth.user_id.clone());
        *self.languages.entry(truth.language.clone()).or_default() += 1;
        self.concerning += u64::from(truth.concern >= 3);
        self.canaries += truth.canaries.len() as u64;
        self.coordinated += u64::from(truth.group.is_some());
    }

    fn print(&self, output: &Path, truth: &Path, burst_day: chrono::NaiveDate) {
        let share = |count: u64| 100.0 * count as f64 / self.conversations.max(1) as f64;
        eprintln!(
            "wrote {} conversations to {} and their truth to {}",
            self.conversations,
            output.display(),
            truth.display()
        );
        eprintln!(
            "  {} accounts; concern 3+ {:.1}%; {} planted personal details; coordinated group {} conversations; burst on {burst_day}",
            self.users.len(),
            share(self.concerning),
            self.canaries,
            self.coordinated
        );
        let languages: Vec<String> = self
            .languages
            .iter()
            .map(|(name, count)| format!("{name} {:.1}%", share(*count)))
            .collect();
        eprintln!("  languages: {}", languages.join(", "));
    }
}
