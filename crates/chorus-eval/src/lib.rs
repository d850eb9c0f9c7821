//! `chorus eval`: a finished run checked against known truth — base clusters against the
//! finest truth (NMI, ARI, V-measure, purity), the top level's reconstruction of the truth
//! categories (overall and per language) and their spillover, facet accuracy (language exact
//! match, concern rank correlation), the trends, the coordinated group, and privacy: planted
//! details searched for in every analyst file, and the thresholds recounted from the table.
#![warn(missing_docs)]

mod privacy;
mod run;
mod truth;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chorus_report::{Report, ReportNode};
use chrono::Datelike as _;
use serde::Serialize;

pub use privacy::{ANALYST_FILES, Leak, PrivacyCheck, check as check_privacy};
pub use run::{RunFiles, RunRow, published_nodes, read_run};
pub use truth::{Truth, TruthRow};

/// Why an evaluation could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A run file is missing or malformed.
    #[error("{path}: {message}")]
    Run {
        /// The file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A truth line is malformed.
    #[error("{path} line {line}: {message}")]
    Truth {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// No clustered conversation has a truth.
    #[error(
        "none of the run's {rows} clustered conversations has an id in the truth ({truth} ids); is it the truth of the same input?"
    )]
    NoOverlap {
        /// Clustered conversations.
        rows: usize,
        /// Ids in the truth.
        truth: usize,
    },
    /// The canary search could not be built.
    #[error("cannot search for the planted details: {0}")]
    Search(String),
}

/// Agreement of a clustering with truth labels.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AgreementScores {
    /// Clusters.
    pub clusters: usize,
    /// Distinct truth labels.
    pub labels: usize,
    /// Normalised mutual information.
    pub nmi: f64,
    /// Adjusted Rand index.
    pub ari: f64,
    /// V-measure.
    pub v_measure: f64,
    /// Purity.
    pub purity: f64,
    /// The NMI of the same clusters with their members shuffled (seeded): what chance scores
    /// with these cluster sizes, which is far from 0 when clusters are few per label.
    pub chance_nmi: f64,
}

/// A level of the tree against the truth categories.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopLevel {
    /// The tree level (0: the base clusters).
    pub level: usize,
    /// Clusters of that level.
    pub clusters: usize,
    /// Truth categories.
    pub categories: usize,
    /// Share of conversations whose cluster's majority category is their own.
    pub accuracy: f64,
    /// The same per truth language: (conversations, accuracy).
    pub per_language: BTreeMap<String, (usize, f64)>,
    /// Per category (weighted by size): the share of its conversations outside its largest
    /// cluster of the level.
    pub spillover: f64,
}

/// Taxonomy mode against the truth categories, by name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaxonomyCheck {
    /// Share of conversations under the top-level node named as their truth category (any
    /// case).
    pub accuracy: f64,
    /// The same per truth language: (conversations, accuracy).
    pub per_language: BTreeMap<String, (usize, f64)>,
    /// Share of conversations under "Unassigned".
    pub unassigned: f64,
}

/// A trend planted in the data, and whether the clusters' time series show it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrendCheck {
    /// `growing`, `fading` or `burst`.
    pub kind: String,
    /// The cluster holding most of its conversations.
    pub cluster: String,
    /// Growing/fading: the cluster's share of all conversations in the first and the last
    /// week; burst: the cluster's busiest day count and its median day count.
    pub before: f64,
    /// See `before`.
    pub after: f64,
    /// Burst: whether the busiest day is the planted day.
    pub on_the_day: Option<bool>,
    /// Whether the series shows it (a change of at least 1.5×; a burst at least 3× the median
    /// on the planted day).
    pub shown: bool,
}

/// The coordinated group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupCheck {
    /// The group.
    pub group: String,
    /// Its conversations among the clustered ones.
    pub conversations: usize,
    /// Its accounts.
    pub accounts: usize,
    /// The base cluster holding most of it.
    pub cluster: String,
    /// The share of the group in that cluster.
    pub share_in_cluster: f64,
    /// That cluster's conversations per distinct account.
    pub cluster_conversations_per_account: f64,
    /// Conversations per distinct account over the whole run.
    pub overall_conversations_per_account: f64,
    /// That cluster's share of conversations with a near-identical twin from another account
    /// (report.json's `cross_account_duplicates`), when the cluster is published.
    pub cluster_twin_share: Option<f64>,
    /// The same share over the whole run.
    pub overall_twin_share: f64,
    /// The most accounts that sent one near-identical request in that cluster
    /// (`largest_sender_group`), as a share of its accounts, when it is published.
    pub cluster_sender_share: Option<f64>,
    /// That cluster's place among the published base clusters by that share (1 = highest), and
    /// their number.
    pub sender_rank: Option<(usize, usize)>,
}

/// Everything `chorus eval` measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// Clustered conversations with a truth.
    pub matched: usize,
    /// Clustered conversations without one.
    pub unmatched: usize,
    /// Base clusters against the finest truth.
    pub base: AgreementScores,
    /// The top level against the categories.
    pub top: TopLevel,
    /// The level whose number of clusters is nearest the number of categories (the published
    /// method's reconstruction figure), when it is not the top level.
    pub nearest_level: Option<TopLevel>,
    /// Taxonomy mode (`--taxonomy`): the published protocol with the top level fixed to the
    /// given categories: a conversation is right when the top-level node holding it carries
    /// its truth category's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taxonomy: Option<TaxonomyCheck>,
    /// Published base clusters whose name shares a word with the label most of their
    /// conversations carry: (shares one, published base clusters).
    pub names_sharing_a_word: (usize, usize),
    /// Detected language equal to the truth language: (compared, share).
    pub language: Option<(usize, f64)>,
    /// Spearman correlation of the concern facet with the truth level: (compared, rho).
    pub concern: Option<(usize, f64)>,
    /// The planted trends.
    pub trends: Vec<TrendCheck>,
    /// The coordinated group, when there is one.
    pub coordinated: Option<GroupCheck>,
    /// The privacy checks.
    pub privacy: PrivacyCheck,
}

/// Evaluates the run in `run_dir` against `truth`.
pub fn evaluate(run_dir: &Path, truth: &Truth) -> Result<Evaluation, EvalError> {
    let files = read_run(run_dir)?;
    let pairs: Vec<(&RunRow, &TruthRow)> = files
        .rows
        .iter()
        .filter_map(|row| truth.rows.get(&row.id).map(|t| (row, t)))
        .collect();
    if pairs.is_empty() {
        return Err(EvalError::NoOverlap {
            rows: files.rows.len(),
            truth: truth.rows.len(),
        });
    }
    Ok(Evaluation {
        matched: pairs.len(),
        unmatched: files.rows.len() - pairs.len(),
        base: scores(&pairs, RunRow::base, TruthRow::finest),
        top: level_against_categories(&pairs, 0),
        nearest_level: nearest_level(&pairs),
        taxonomy: files
            .report
            .parameters
            .taxonomy
            .as_ref()
            .map(|_| taxonomy_check(&pairs, &files.report)),
        names_sharing_a_word: names_sharing_a_word(&pairs, &files.report),
        language: share_equal(&pairs),
        concern: concern_rank(&pairs),
        trends: trends(&pairs),
        coordinated: coordinated(&pairs, &files.report),
        privacy: privacy::check(run_dir, &truth.canaries(), &files.report, &files.rows)?,
    })
}

fn ids<'a>(values: impl Iterator<Item = &'a str>) -> Vec<usize> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    values
        .map(|v| {
            let next = index.len();
            *index.entry(v).or_insert(next)
        })
        .collect()
}

fn scores(
    pairs: &[(&RunRow, &TruthRow)],
    cluster: fn(&RunRow) -> &str,
    label: fn(&TruthRow) -> &str,
) -> AgreementScores {
    let clusters = ids(pairs.iter().map(|(r, _)| cluster(r)));
    let labels = ids(pairs.iter().map(|(_, t)| label(t)));
    let agreement = chorus_cluster::agreement(&clusters, &labels);
    let mut shuffled = clusters.clone();
    chorus_cluster::SeededRng::new(0, 0).shuffle(&mut shuffled);
    let distinct = |v: &[usize]| v.iter().collect::<HashSet<_>>().len();
    AgreementScores {
        clusters: distinct(&clusters),
        labels: distinct(&labels),
        nmi: agreement.nmi,
        ari: agreement.ari,
        v_measure: agreement.v_measure,
        purity: agreement.purity,
        chance_nmi: chorus_cluster::agreement(&shuffled, &labels).nmi,
    }
}

/// Counts of `inner` per `outer`.
fn crosstab<'a>(
    pairs: &[(&'a RunRow, &'a TruthRow)],
    outer: impl Fn(&(&'a RunRow, &'a TruthRow)) -> &'a str,
    inner: impl Fn(&(&'a RunRow, &'a TruthRow)) -> &'a str,
) -> BTreeMap<&'a str, BTreeMap<&'a str, usize>> {
    let mut table: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for pair in pairs {
        *table
            .entry(outer(pair))
            .or_default()
            .entry(inner(pair))
            .or_default() += 1;
    }
    table
}

/// The key with the largest count (the first in key order on ties).
fn majority<'a>(counts: &BTreeMap<&'a str, usize>) -> (&'a str, usize) {
    counts.iter().fold(
        ("", 0),
        |best, (&key, &count)| if count > best.1 { (key, count) } else { best },
    )
}

/// The clusters `depth` steps below the top level (0: the top level itself) against the
/// categories.
fn level_against_categories(pairs: &[(&RunRow, &TruthRow)], depth: usize) -> TopLevel {
    let by_cluster = crosstab(
        pairs,
        |(r, _)| r.at_depth(depth),
        |(_, t)| t.category.as_str(),
    );
    let majority_of: HashMap<&str, &str> = by_cluster
        .iter()
        .map(|(&cluster, counts)| (cluster, majority(counts).0))
        .collect();
    let right = |(r, t): &(&RunRow, &TruthRow)| {
        majority_of.get(r.at_depth(depth)) == Some(&t.category.as_str())
    };
    let mut per_language: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for pair in pairs {
        if let Some(language) = &pair.1.language {
            let entry = per_language.entry(language.clone()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(right(pair));
        }
    }
    let by_category = crosstab(
        pairs,
        |(_, t)| t.category.as_str(),
        |(r, _)| r.at_depth(depth),
    );
    let outside: usize = by_category
        .values()
        .map(|counts| counts.values().sum::<usize>() - majority(counts).1)
        .sum();
    TopLevel {
        level: pairs
            .first()
            .map_or(0, |(r, _)| r.levels().saturating_sub(depth + 1)),
        clusters: by_cluster.len(),
        categories: by_category.len(),
        accuracy: pairs.iter().filter(|p| right(p)).count() as f64 / pairs.len() as f64,
        per_language: per_language
            .into_iter()
            .map(|(language, (n, ok))| (language, (n, ok as f64 / n.max(1) as f64)))
            .collect(),
        spillover: outside as f64 / pairs.len() as f64,
    }
}

/// Each conversation's top-level name — the first published node on its path, as a chain of
/// single children is published once under its deepest id — against its truth category's name.
fn taxonomy_check(pairs: &[(&RunRow, &TruthRow)], report: &Report) -> TaxonomyCheck {
    let names: HashMap<&str, &str> = run::published_nodes(report)
        .into_iter()
        .map(|node| (node.id.as_str(), node.name.as_str()))
        .collect();
    let top_name = |row: &RunRow| {
        row.cluster_path
            .split('/')
            .find_map(|id| names.get(id).copied())
    };
    let mut per_language: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut right, mut unassigned) = (0, 0);
    for (row, truth) in pairs {
        let name = top_name(row);
        let wanted = truth.category_name.as_deref().unwrap_or(&truth.category);
        let ok = name.is_some_and(|name| name.eq_ignore_ascii_case(wanted));
        right += usize::from(ok);
        unassigned += usize::from(name == Some(chorus_report::UNASSIGNED));
        if let Some(language) = &truth.language {
            let entry = per_language.entry(language.clone()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(ok);
        }
    }
    let total = pairs.len().max(1) as f64;
    TaxonomyCheck {
        accuracy: right as f64 / total,
        per_language: per_language
            .into_iter()
            .map(|(language, (n, ok))| (language, (n, ok as f64 / n.max(1) as f64)))
            .collect(),
        unassigned: unassigned as f64 / total,
    }
}

/// The level below the top whose cluster count is nearest the category count (the coarser on a
/// tie), against the categories; none when that is the top level.
fn nearest_level(pairs: &[(&RunRow, &TruthRow)]) -> Option<TopLevel> {
    let categories = pairs
        .iter()
        .map(|(_, t)| t.category.as_str())
        .collect::<HashSet<_>>()
        .len();
    let depths = pairs.first().map_or(1, |(r, _)| r.levels());
    let clusters_at = |depth: usize| {
        pairs
            .iter()
            .map(|(r, _)| r.at_depth(depth))
            .collect::<HashSet<_>>()
            .len()
    };
    let depth = (0..depths).min_by_key(|&depth| clusters_at(depth).abs_diff(categories))?;
    (depth > 0).then(|| level_against_categories(pairs, depth))
}

/// How many published base clusters are named with a word of the label most of their
/// conversations carry (labels split at `_`, `-` and spaces; words compared lower-cased).
fn names_sharing_a_word(pairs: &[(&RunRow, &TruthRow)], report: &Report) -> (usize, usize) {
    let by_cluster = crosstab(pairs, |(r, _)| r.base(), |(_, t)| t.finest());
    let words = |text: &str| -> HashSet<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() > 2)
            .map(str::to_lowercase)
            .collect()
    };
    let base: Vec<&ReportNode> = published_nodes(report)
        .into_iter()
        .filter(|node| node.level == 0)
        .collect();
    let sharing = base
        .iter()
        .filter(|node| {
            by_cluster.get(node.id.as_str()).is_some_and(|counts| {
                let label = words(majority(counts).0);
                !words(&node.name).is_disjoint(&label)
            })
        })
        .count();
    (sharing, base.len())
}

fn share_equal(pairs: &[(&RunRow, &TruthRow)]) -> Option<(usize, f64)> {
    let compared: Vec<bool> = pairs
        .iter()
        .filter_map(|(r, t)| {
            let truth = t.language.as_ref()?;
            Some(r.language.as_ref() == Some(truth))
        })
        .collect();
    (!compared.is_empty()).then(|| {
        (
            compared.len(),
            compared.iter().filter(|&&ok| ok).count() as f64 / compared.len() as f64,
        )
    })
}

fn concern_rank(pairs: &[(&RunRow, &TruthRow)]) -> Option<(usize, f64)> {
    let (ours, truth): (Vec<f64>, Vec<f64>) = pairs
        .iter()
        .filter_map(|(r, t)| Some((f64::from(r.concern?), f64::from(t.concern?))))
        .unzip();
    (ours.len() >= 2).then(|| (ours.len(), spearman(&ours, &truth)))
}

/// Ranks with ties given their average rank (1-based).
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && values[order[end + 1]] == values[order[start]] {
            end += 1;
        }
        let rank = (start + end) as f64 / 2.0 + 1.0;
        for &i in &order[start..=end] {
            ranks[i] = rank;
        }
        start = end + 1;
    }
    ranks
}

/// Spearman's rho: Pearson's correlation of the ranks (0 when either side is constant).
fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (ma, mb) = (mean(&ra), mean(&rb));
    let covariance: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let spread = |v: &[f64], m: f64| v.iter().map(|x| (x - m) * (x - m)).sum::<f64>().sqrt();
    let denominator = spread(&ra, ma) * spread(&rb, mb);
    if denominator == 0.0 {
        0.0
    } else {
        covariance / denominator
    }
}

fn day_number(day: &str) -> Option<i64> {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .map(|d| i64::from(d.num_days_from_ce()))
}

fn trends(pairs: &[(&RunRow, &TruthRow)]) -> Vec<TrendCheck> {
    let days: Vec<Option<i64>> = pairs
        .iter()
        .map(|(r, _)| r.day.as_deref().and_then(day_number))
        .collect();
    let Some(first_day) = days.iter().flatten().min().copied() else {
        return Vec::new();
    };
    let last_day = days.iter().flatten().max().copied().unwrap_or(first_day);
    let holder = |kind: &str, cluster: fn(&RunRow) -> &str| -> Option<String> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (r, t) in pairs {
            if t.trend.as_deref() == Some(kind) {
                *counts.entry(cluster(r)).or_default() += 1;
            }
        }
        (!counts.is_empty()).then(|| majority(&counts).0.to_string())
    };
    let mut checks = Vec::new();
    for kind in ["growing", "fading"] {
        // The base cluster holding most of the category: a top cluster may hold both the
        // growing and the fading one, and show neither.
        let Some(cluster) = holder(kind, RunRow::base) else {
            continue;
        };
        // The cluster's share of each end week's conversations.
        let share = |from: i64, to: i64| {
            let in_week: Vec<usize> = (0..pairs.len())
                .filter(|&i| days[i].is_some_and(|d| d >= from && d < to))
                .collect();
            let held = in_week
                .iter()
                .filter(|&&i| pairs[i].0.base() == cluster)
                .count();
            held as f64 / in_week.len().max(1) as f64
        };
        let (before, after) = (
            share(first_day, first_day + 7),
            share(last_day - 6, last_day + 1),
        );
        let ratio = if kind == "growing" {
            after / before.max(1e-9)
        } else {
            before / after.max(1e-9)
        };
        checks.push(TrendCheck {
            kind: kind.into(),
            cluster,
            before,
            after,
            on_the_day: None,
            shown: ratio >= 1.5,
        });
    }
    if let Some(cluster) = holder("burst", RunRow::base) {
        let mut per_day: BTreeMap<i64, usize> = BTreeMap::new();
        let mut planted: BTreeMap<i64, usize> = BTreeMap::new();
        for (i, (r, t)) in pairs.iter().enumerate() {
            let Some(day) = days[i] else { continue };
            if r.base() == cluster {
                *per_day.entry(day).or_default() += 1;
            }
            if t.trend.as_deref() == Some("burst") {
                *planted.entry(day).or_default() += 1;
            }
        }
        let busiest = per_day.iter().max_by_key(|(day, count)| (**count, -**day));
        let planted_day = planted
            .iter()
            .max_by_key(|(day, count)| (**count, -**day))
            .map(|(d, _)| *d);
        let mut counts: Vec<usize> = (first_day..=last_day)
            .map(|d| per_day.get(&d).copied().unwrap_or(0))
            .collect();
        counts.sort_unstable();
        let median = counts.get(counts.len() / 2).copied().unwrap_or(0) as f64;
        if let Some((&day, &count)) = busiest {
            let on_the_day = Some(day) == planted_day;
            checks.push(TrendCheck {
                kind: "burst".into(),
                cluster,
                before: median,
                after: count as f64,
                on_the_day: Some(on_the_day),
                shown: on_the_day && count as f64 >= 3.0 * median.max(1.0),
            });
        }
    }
    checks
}

fn coordinated(pairs: &[(&RunRow, &TruthRow)], report: &Report) -> Option<GroupCheck> {
    let members: Vec<&(&RunRow, &TruthRow)> =
        pairs.iter().filter(|(_, t)| t.group.is_some()).collect();
    let group = members.first()?.1.group.clone()?;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (r, _) in &members {
        *counts.entry(r.base()).or_default() += 1;
    }
    let (cluster, held) = majority(&counts);
    let published = published_nodes(report);
    let by_senders = base_clusters_by_senders(&published);
    let sender_place = by_senders.iter().position(|(id, _)| *id == cluster);
    let per_account = |rows: &mut dyn Iterator<Item = &RunRow>| {
        let mut n = 0usize;
        let mut users = HashSet::new();
        for row in rows {
            n += 1;
            users.insert(row.user_id.clone());
        }
        n as f64 / users.len().max(1) as f64
    };
    Some(GroupCheck {
        group,
        conversations: members.len(),
        accounts: members
            .iter()
            .map(|(r, _)| &r.user_id)
            .collect::<HashSet<_>>()
            .len(),
        cluster: cluster.to_string(),
        share_in_cluster: held as f64 / members.len() as f64,
        cluster_conversations_per_account: per_account(
            &mut pairs
                .iter()
                .map(|(r, _)| *r)
                .filter(|r| r.base() == cluster),
        ),
        overall_conversations_per_account: per_account(&mut pairs.iter().map(|(r, _)| *r)),
        cluster_twin_share: published
            .iter()
            .find(|node| node.id == cluster)
            .map(|node| {
                node.facets.cross_account_duplicates as f64 / node.conversations.max(1) as f64
            }),
        overall_twin_share: overall_twin_share(report),
        cluster_sender_share: sender_place.map(|place| by_senders[place].1),
        sender_rank: sender_place.map(|place| (place + 1, by_senders.len())),
    })
}

/// The published base clusters by the share of their accounts that sent one near-identical
/// request, highest first.
fn base_clusters_by_senders<'a>(published: &[&'a ReportNode]) -> Vec<(&'a str, f64)> {
    let mut shares: Vec<(&str, f64)> = published
        .iter()
        .filter(|node| node.level == 0)
        .map(|node| {
            (
                node.id.as_str(),
                node.facets.largest_sender_group as f64 / node.users.max(1) as f64,
            )
        })
        .collect();
    shares.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    shares
}

fn overall_twin_share(report: &Report) -> f64 {
    let twins: usize = report
        .tree
        .children
        .iter()
        .map(|c| c.facets.cross_account_duplicates)
        .sum();
    twins as f64 / report.tree.conversations.max(1) as f64
}

/// A share as the table writes it (`12.3%`).
fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// A level's reconstruction per truth language, one line each.
fn write_per_language(out: &mut String, level: &TopLevel) {
    for (language, (n, accuracy)) in &level.per_language {
        let _ = writeln!(out, "  {language:<24} {} of {n}", percent(*accuracy));
    }
}

/// The evaluation as a readable table.
pub fn render(evaluation: &Evaluation) -> String {
    let mut out = String::new();
    let base = &evaluation.base;
    let _ = writeln!(
        out,
        "conversations compared     {} ({} clustered without a truth)",
        evaluation.matched, evaluation.unmatched
    );
    let _ = writeln!(
        out,
        "base clusters vs truth     NMI {:.3} (chance {:.3})  ARI {:.3}  V-measure {:.3}  purity {:.3}  ({} clusters, {} truth labels)",
        base.nmi,
        base.chance_nmi,
        base.ari,
        base.v_measure,
        base.purity,
        base.clusters,
        base.labels
    );
    let top = &evaluation.top;
    let _ = writeln!(
        out,
        "top level                  reconstruction {}  spillover {}  ({} clusters, {} categories)",
        percent(top.accuracy),
        percent(top.spillover),
        top.clusters,
        top.categories
    );
    write_per_language(&mut out, top);
    if let Some(level) = &evaluation.nearest_level {
        let _ = writeln!(
            out,
            "level {} (nearest {} categories) reconstruction {}  spillover {}  ({} clusters)",
            level.level,
            level.categories,
            percent(level.accuracy),
            percent(level.spillover),
            level.clusters
        );
        write_per_language(&mut out, level);
    }
    if let Some(taxonomy) = &evaluation.taxonomy {
        let _ = writeln!(
            out,
            "taxonomy (by name)         {} placed under their category  ({} unassigned)",
            percent(taxonomy.accuracy),
            percent(taxonomy.unassigned)
        );
        for (language, (n, accuracy)) in &taxonomy.per_language {
            let _ = writeln!(out, "  {language:<24} {} of {n}", percent(*accuracy));
        }
    }
    let (sharing, named) = evaluation.names_sharing_a_word;
    let _ = writeln!(
        out,
        "base cluster names         {sharing} of {named} share a word with their majority label"
    );
    if let Some((n, share)) = evaluation.language {
        let _ = writeln!(
            out,
            "language facet             {} exact ({n} compared)",
            percent(share)
        );
    }
    if let Some((n, rho)) = evaluation.concern {
        let _ = writeln!(
            out,
            "concern facet              Spearman {rho:.3} ({n} compared)"
        );
    }
    for trend in &evaluation.trends {
        let verdict = if trend.shown { "shown" } else { "NOT shown" };
        let _ = match trend.kind.as_str() {
            "burst" => writeln!(
                out,
                "trend burst                {verdict}: {} had {} on its busiest day (median {}){}",
                trend.cluster,
                trend.after,
                trend.before,
                if trend.on_the_day == Some(true) {
                    ", the planted day"
                } else {
                    ", not the planted day"
                }
            ),
            kind => writeln!(
                out,
                "trend {kind:<20} {verdict}: {} held {} of the first week and {} of the last",
                trend.cluster,
                percent(trend.before),
                percent(trend.after)
            ),
        };
    }
    if let Some(group) = &evaluation.coordinated {
        let _ = writeln!(
            out,
            "coordinated group          {} conversations from {} accounts; {} of them in {} ({:.1} conversations per account there, {:.1} overall)",
            group.conversations,
            group.accounts,
            percent(group.share_in_cluster),
            group.cluster,
            group.cluster_conversations_per_account,
            group.overall_conversations_per_account
        );
        if let (Some(twins), Some(senders), Some((place, of))) = (
            group.cluster_twin_share,
            group.cluster_sender_share,
            group.sender_rank,
        ) {
            let _ = writeln!(
                out,
                "  near-identical requests  {} of that cluster's accounts sent one request (rank {place} of {of} base clusters); {} of its conversations have a twin from another account ({} overall)",
                percent(senders),
                percent(twins),
                percent(group.overall_twin_share)
            );
        }
    }
    let privacy = &evaluation.privacy;
    let _ = writeln!(
        out,
        "privacy: planted details   {} found ({} searched for in {})",
        privacy.leaks.len(),
        privacy.needles,
        privacy.files_searched.join(", ")
    );
    for leak in &privacy.leaks {
        let _ = writeln!(out, "  LEAK {:?} in {}", leak.found, leak.file);
    }
    let _ = writeln!(
        out,
        "privacy: below threshold   {} of {} published nodes (recounted from conversations.parquet)",
        privacy.below_threshold.len(),
        privacy.clusters_checked
    );
    for cluster in &privacy.below_threshold {
        let _ = writeln!(out, "  BELOW {cluster}");
    }
    let _ = writeln!(
        out,
        "privacy: cells below       {} of {} breakdown cells (recounted likewise)",
        privacy.cells_below_threshold.len(),
        privacy.cells_checked
    );
    for cell in &privacy.cells_below_threshold {
        let _ = writeln!(out, "  BELOW {cell}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_handles_ties_and_constants() {
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert_eq!(ranks(&[5.0, 1.0, 5.0]), vec![2.5, 1.0, 2.5]);
        assert_eq!(spearman(&[1.0, 1.0], &[1.0, 2.0]), 0.0);
    }

    #[test]
    fn reconstruction_and_spillover_follow_the_majority() {
        let row = |id: &str, path: &str| RunRow {
            id: id.into(),
            cluster_path: path.into(),
            ..RunRow::default()
        };
        let truth = |category: &str| TruthRow {
            category: category.into(),
            language: Some("English".into()),
            ..TruthRow::default()
        };
        let rows = [
            row("a", "L1.0/L0.0"),
            row("b", "L1.0/L0.1"),
            row("c", "L1.0/L0.1"),
            row("d", "L1.1/L0.2"),
        ];
        let truths = [truth("x"), truth("x"), truth("y"), truth("y")];
        let pairs: Vec<(&RunRow, &TruthRow)> = rows.iter().zip(&truths).collect();
        let top = level_against_categories(&pairs, 0);
        assert_eq!(top.clusters, 2);
        assert!((top.accuracy - 0.75).abs() < 1e-12);
        assert!((top.spillover - 0.25).abs() < 1e-12);
        assert_eq!(top.per_language["English"].0, 4);
        assert_eq!(top.level, 1);
        // Three categories: the base level (3 clusters) is nearer than the top (2).
        let truths = [truth("x"), truth("z"), truth("z"), truth("y")];
        let pairs: Vec<(&RunRow, &TruthRow)> = rows.iter().zip(&truths).collect();
        let nearest = nearest_level(&pairs).unwrap();
        assert_eq!((nearest.level, nearest.clusters), (0, 3));
        assert!((nearest.accuracy - 1.0).abs() < 1e-12);
        // Two categories: the top level is the nearest, reported as the top level only.
        let truths = [truth("x"), truth("x"), truth("x"), truth("y")];
        let pairs: Vec<(&RunRow, &TruthRow)> = rows.iter().zip(&truths).collect();
        assert_eq!(nearest_level(&pairs), None);
    }

    #[test]
    fn a_base_name_shares_a_word_with_its_majority_label() {
        let rows = [
            RunRow {
                cluster_path: "L0.0".into(),
                ..RunRow::default()
            },
            RunRow {
                cluster_path: "L0.1".into(),
                ..RunRow::default()
            },
        ];
        let truths = [
            TruthRow {
                category: "card_arrival".into(),
                ..TruthRow::default()
            },
            TruthRow {
                category: "exchange_rate".into(),
                ..TruthRow::default()
            },
        ];
        let pairs: Vec<(&RunRow, &TruthRow)> = rows.iter().zip(&truths).collect();
        let node = |id: &str, name: &str| ReportNode {
            id: id.into(),
            name: name.into(),
            ..ReportNode::default()
        };
        let mut report = Report::default();
        report.tree.children = vec![
            node("L0.0", "Card · arrive · new card"),
            node("L0.1", "currency · rates"),
        ];
        assert_eq!(names_sharing_a_word(&pairs, &report), (1, 2));
    }
}
