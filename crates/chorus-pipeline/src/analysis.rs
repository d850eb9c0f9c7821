//! Keyword mode after embedding: base clusters, the Ward tree cut into levels, keyword names, the
//! publication thresholds, and the report.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;

use chorus_cluster::{
    Dendrogram, KMeans, KMeansOptions, LayoutOptions, NearIdenticalOptions, SweepPoint, agreement,
    center_by_group, kmeans, layout, near_identical_senders, sweep_k,
};
use chorus_facets::Profile;
use chorus_facets::summary::{FacetValue, name_parent_request};
use chorus_models::ChatRequest;
use chorus_parquet::Column;
use chorus_text::{Documents, PiiKind, Redacted, Vocabulary, class_keywords, redact, word_runs};
use chorus_types::{ContentHash, Conversation};

use crate::concern::ConcernScorer;
use crate::hierarchy::group_children;
use crate::summary::{ModelCaller, SummaryFacets};
use crate::vectors::VectorFile;
use crate::{
    Centering, Config, CustomFacetConfig, CustomKind, EmbedStage, PipelineError, UnknownUsers,
};
use chorus_report::{
    Investigation, KMeansSummary, LabelAgreement, REPORT_SCHEMA_VERSION, Report, ReportMap,
    ReportNode, ReportParameters, ReportTotals,
};

mod breakdown;
mod draft;
mod map;
mod naming;
mod release;
mod signals;

pub use breakdown::OTHER_VALUES;
use draft::{DraftNode, ModelText};
use naming::{
    apply_names, attach_excerpts, base_naming_requests, cluster_names, describe, name_from,
    name_from_keywords,
};
pub use release::{PublishedReport, ReleaseCounts};
use release::{ReleasePolicy, publishable, release};

/// Numbers distinct names 0, 1, 2… in the order they first appear.
#[derive(Default)]
struct FirstSeen<'a>(HashMap<&'a str, usize>);

impl<'a> FirstSeen<'a> {
    fn id(&mut self, name: &'a str) -> usize {
        let next = self.0.len();
        *self.0.entry(name).or_insert(next)
    }

    /// Distinct names seen.
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// A language with fewer conversations is centred on the overall mean: its own would be noise.
const MIN_CENTERING_GROUP: usize = 50;

/// Characters of an investigation-mode excerpt.
const EXCERPT_CHARS: usize = 300;

/// How a run describes conversations, decided once when it starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The user's redacted words are embedded; clusters are named by their keywords.
    #[default]
    Keyword,
    /// A chat model answers facets per conversation; its summaries are embedded and it names
    /// the clusters.
    Summary,
}

impl Mode {
    /// The name `report.json` gives it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Mode::Keyword => "keyword",
            Mode::Summary => "summary",
        }
    }
}

/// What keyword mode keeps of each clustered conversation: no text, only term ids.
#[derive(Default)]
pub(crate) struct Collected {
    users: Vec<u64>,
    terms: Vec<Vec<u32>>,
    languages: Vec<Option<String>>,
    turns: Vec<u32>,
    days: Vec<Option<NaiveDate>>,
    labels: Vec<Option<String>>,
    vectors: VectorFile,
    dim: usize,
    vocabulary: Vocabulary,
    totals: ReportTotals,
    redactions: BTreeMap<PiiKind, u64>,
    /// Summary mode only: the `request` summaries (already free of identifying details).
    summaries: Vec<String>,
    concern: Vec<Option<u8>>,
    model_languages: Vec<Vec<String>>,
    mode: Mode,
    ids: Vec<String>,
    user_ids: Vec<Option<String>>,
    /// Summary mode: the operator's own facets, and per conversation their values in that
    /// order.
    custom_facets: Vec<CustomFacetConfig>,
    custom: Vec<Vec<Option<FacetValue>>>,
    /// Investigation mode only: each conversation's redacted user words, cut short.
    excerpts: Option<Vec<String>>,
    /// When a model writes names: per conversation, its text's runs of words (see
    /// [`word_runs`]), which the release gate checks model text against.
    word_runs: Vec<Vec<u64>>,
    keep_word_runs: bool,
}

/// What one conversation brings to keyword mode.
pub(crate) struct Observation<'a> {
    pub conversation: &'a Conversation,
    pub profile: &'a Profile,
    pub text: &'a str,
    pub redactions: &'a [(PiiKind, u32)],
    pub vector: Option<&'a [f32]>,
    pub label: Option<String>,
    /// Summary mode: the facets the model gave.
    pub facets: Option<&'a SummaryFacets>,
}

impl Collected {
    /// Collects into `vectors` for a run in `mode`, that asks `custom_facets` of each
    /// conversation (summary mode), in investigation mode keeps excerpts of the users' words,
    /// and when a model writes names (`model_names`) keeps what the release gate needs to
    /// check them.
    pub(crate) fn new(
        mode: Mode,
        vectors: VectorFile,
        custom_facets: Vec<CustomFacetConfig>,
        investigation: bool,
        model_names: bool,
    ) -> Self {
        Self {
            mode,
            vectors,
            custom_facets,
            excerpts: investigation.then(Vec::new),
            keep_word_runs: model_names,
            ..Self::default()
        }
    }

    /// Every vector is in: from here on they are read, never written.
    pub(crate) fn seal(&mut self) -> Result<(), PipelineError> {
        self.vectors.seal()
    }

    /// The vectors of the clustered conversations, one row each.
    fn vectors(&self) -> &[f32] {
        self.vectors.as_slice()
    }

    /// Takes out of every vector what `centering` says (after the concern scorer has read them
    /// as embedded, before clustering).
    pub(crate) fn center(&mut self, centering: Centering) -> Result<(), PipelineError> {
        // Undetected text is not a language of its own: it takes the overall mean.
        let groups: Vec<Option<u32>> = match (centering, self.mode == Mode::Summary) {
            (Centering::None, _) => return Ok(()),
            (Centering::All, _) | (Centering::Language, true) => vec![None; self.len()],
            (Centering::Language, false) => {
                let mut ids = FirstSeen::default();
                self.languages
                    .iter()
                    .map(|language| language.as_deref().map(|name| ids.id(name) as u32))
                    .collect()
            }
        };
        if self.dim == 0 || groups.is_empty() {
            return Ok(());
        }
        center_by_group(
            self.vectors.as_mut_slice(),
            self.dim,
            &groups,
            MIN_CENTERING_GROUP,
        )
        .map_err(PipelineError::numeric_step("cluster"))
    }

    /// Conversations the screener kept out: `missing` when it had no usable answer.
    pub(crate) fn screened_out(&mut self, missing: bool) {
        if missing {
            self.totals.screener_missing += 1;
        } else {
            self.totals.screened_out += 1;
        }
    }

    /// Conversations ready to cluster.
    pub(crate) fn len(&self) -> usize {
        self.users.len()
    }

    /// Keyword mode: each conversation's concern level from its vector.
    pub(crate) fn score_concern(&mut self, scorer: &ConcernScorer) {
        if self.dim == 0 {
            return;
        }
        self.concern = self
            .vectors()
            .chunks_exact(self.dim)
            .map(|vector| scorer.level(vector))
            .collect();
    }

    pub(crate) fn add(
        &mut self,
        observation: Observation<'_>,
        unknown_users: UnknownUsers,
    ) -> Result<(), PipelineError> {
        self.totals.conversations += 1;
        for &(kind, count) in observation.redactions {
            *self.redactions.entry(kind).or_default() += u64::from(count);
        }
        if let Some(facets) = observation.facets {
            for facet in facets.missing.keys() {
                *self
                    .totals
                    .facet_missing
                    .entry(facet.to_string())
                    .or_default() += 1;
            }
        }
        if observation.text.trim().is_empty() {
            match observation.facets {
                Some(_) => self.totals.no_summary += 1,
                None => self.totals.no_user_text += 1,
            }
            return Ok(());
        }
        let Some(vector) = observation.vector else {
            self.totals.not_embedded += 1;
            return Ok(());
        };
        if self.dim == 0 {
            self.dim = vector.len();
        }
        if vector.len() != self.dim || self.dim == 0 {
            self.totals.not_embedded += 1;
            return Ok(());
        }
        self.vectors.push(vector)?;
        self.users.push(user_key(
            observation.conversation,
            self.totals.conversations,
            unknown_users,
        ));
        self.terms.push(self.vocabulary.terms_of(observation.text));
        if self.keep_word_runs {
            self.word_runs.push(word_runs(observation.text));
        }
        self.languages.push(observation.profile.language.clone());
        self.turns.push(observation.profile.turns);
        self.days.push(observation.profile.day);
        self.labels.push(observation.label);
        self.ids.push(observation.conversation.id.clone());
        self.user_ids.push(observation.conversation.user_id.clone());
        if let Some(excerpts) = self.excerpts.as_mut() {
            excerpts.push(keyword_text(observation.conversation, EXCERPT_CHARS).text);
        }
        if let Some(facets) = observation.facets {
            self.summaries.push(observation.text.to_string());
            self.concern.push(facets.scale("concern"));
            self.model_languages
                .push(facets.languages("language").to_vec());
            self.custom.push(
                self.custom_facets
                    .iter()
                    .map(|c| facets.values.get(&c.name).cloned())
                    .collect(),
            );
        }
        Ok(())
    }
}

/// The text keyword mode embeds and counts: the user's own turns, personal details replaced by
/// placeholders, cut at `max_chars` characters.
pub(crate) fn keyword_text(conversation: &Conversation, max_chars: usize) -> Redacted {
    let joined: Vec<String> = conversation
        .user_messages()
        .map(|message| message.rendered_text())
        .collect();
    let mut redacted = redact(&joined.join("\n"));
    if let Some((cut, _)) = redacted.text.char_indices().nth(max_chars) {
        redacted.text.truncate(cut);
    }
    redacted
}

/// A number standing for the person behind a conversation, for distinct-user counts.
fn user_key(conversation: &Conversation, ordinal: usize, unknown: UnknownUsers) -> u64 {
    let hash = match (&conversation.user_id, unknown) {
        (Some(user), _) => ContentHash::of(format!("user\0{user}").as_bytes()),
        (None, UnknownUsers::Shared) => return u64::MAX,
        (None, UnknownUsers::Distinct) => ContentHash::of(format!("unknown\0{ordinal}").as_bytes()),
    };
    u64::from_le_bytes(hash.as_bytes()[..8].try_into().unwrap_or([0; 8])) & (u64::MAX >> 1)
}

/// Clusters levels per group: how many clusters each level of the tree has, base first, each
/// strictly smaller than the one below, with a constant ratio between levels.
pub(crate) fn level_sizes(k: usize, top: usize, branching: usize) -> Vec<usize> {
    let mut sizes = vec![k];
    if k <= top {
        return sizes;
    }
    let span = k as f64 / top as f64;
    let levels = (span.ln() / (branching as f64).ln()).ceil().max(1.0) as usize;
    let ratio = span.powf(1.0 / levels as f64);
    for level in 1..=levels {
        let below = sizes[sizes.len() - 1];
        let size = ((k as f64) / ratio.powi(level as i32)).round() as usize;
        sizes.push(size.clamp(1, below.saturating_sub(1).max(1)));
        if sizes[sizes.len() - 1] == 1 || sizes[sizes.len() - 1] == below {
            sizes.pop();
            break;
        }
    }
    sizes
}

/// Runs clustering, naming, the hierarchy and the thresholds over what was collected.
pub(crate) fn analyse(
    collected: &Collected,
    config: &Config,
    mut namer: Option<&mut ModelCaller<'_>>,
    embedder: Option<&EmbedStage<'_>>,
) -> Result<Analysis, PipelineError> {
    let mode = collected.mode.name();
    let summary_mode = collected.mode == Mode::Summary;
    let mut totals = collected.totals.clone();
    let n = collected.users.len();
    totals.clustered = n;
    totals.users = collected.users.iter().collect::<HashSet<_>>().len();
    let (k, k_source, k_sweep) = choose_k(collected, config)?;
    let policy = ReleasePolicy::new(&config.privacy);
    let mut parameters = ReportParameters {
        embed_model: config
            .models
            .embed
            .as_ref()
            .map_or_else(|| config.embed.model.clone(), |server| server.model.clone()),
        center: config.cluster.center.name().into(),
        k: k.min(n),
        k_source: k_source.into(),
        k_sweep,
        level_sizes: Vec::new(),
        min_users: config.privacy.min_users,
        min_conversations: config.privacy.min_conversations,
        min_cell_users: policy.min_cell_users,
        unknown_users: match config.privacy.unknown_users {
            UnknownUsers::Shared => "shared".into(),
            UnknownUsers::Distinct => "distinct".into(),
        },
        seed: config.run.seed,
    };
    let redactions: BTreeMap<String, u64> = collected
        .redactions
        .iter()
        .map(|(kind, count)| {
            (
                kind.placeholder().trim_matches(['[', ']']).to_lowercase(),
                *count,
            )
        })
        .collect();
    let investigation = config.privacy.investigation.then(|| Investigation {
        examples_per_cluster: config.privacy.investigation_examples,
        excerpts: format!(
            "users' own words, personal details replaced by the redaction rules, cut at {EXCERPT_CHARS} characters"
        ),
    });
    let report = |parameters, kmeans, label_agreement, tree, map| Report {
        schema_version: REPORT_SCHEMA_VERSION,
        mode: mode.into(),
        totals: totals.clone(),
        parameters,
        kmeans,
        redactions: redactions.clone(),
        label_agreement,
        tree,
        map,
        investigation: investigation.clone(),
    };
    if n == 0 {
        let idle = KMeansSummary {
            iterations: 0,
            converged: true,
            inertia: 0.0,
        };
        let builder = TreeBuilder {
            collected,
            config,
            senders: &[],
            policy,
        };
        let mut counts = ReleaseCounts::default();
        let tree = release(root(Vec::new(), 0, 0), &builder, None, &mut counts);
        return Ok(Analysis {
            report: PublishedReport::new(
                report(parameters, idle, None, ReportNode::default(), None),
                tree,
            ),
            release: counts,
            paths: Vec::new(),
            coordinates: None,
            stage_seconds: vec![("cluster", 0.0)],
        });
    }
    let started = std::time::Instant::now();
    let mut options = KMeansOptions::new(k, config.run.seed);
    options.restarts = config.cluster.restarts;
    options.max_iterations = config.cluster.max_iterations;
    if n > config.cluster.mini_batch_above {
        options.mini_batch = Some(config.cluster.mini_batch_size);
        options.mini_batch_steps = config.cluster.mini_batch_steps;
        options.max_iterations = config.cluster.mini_batch_full_steps;
    }
    let clusters = kmeans(collected.vectors(), collected.dim, &options)
        .map_err(PipelineError::numeric_step("cluster"))?;
    parameters.k = clusters.k();
    let planned = level_sizes(
        clusters.k(),
        config.hierarchy.top_clusters,
        config.hierarchy.branching,
    );
    let base: Vec<usize> = clusters.assignments.iter().map(|&a| a as usize).collect();
    let senders = near_identical_senders_per_conversation(collected, &clusters, config)?;
    let builder = TreeBuilder {
        collected,
        config,
        senders: &senders,
        policy,
    };
    // The chat model builds the levels above the base in summary mode; otherwise they are cuts
    // of Ward's tree over the centroids.
    let llm_levels = summary_mode && namer.is_some() && embedder.is_some();
    let ward = if llm_levels {
        None
    } else {
        Some(
            Dendrogram::ward(&clusters.centroids, clusters.dim, &clusters.sizes)
                .map_err(PipelineError::numeric_step("hierarchy"))?,
        )
    };
    // The group of each base cluster at each level; level 0 is the base itself.
    let mut groups: Vec<Vec<usize>> = vec![(0..clusters.k()).collect()];
    let mut sizes = vec![clusters.k()];
    let mut levels: Vec<Vec<DraftNode>> = Vec::new();
    for (level, &wanted) in planned.iter().enumerate() {
        let mut parent_names = None;
        if level > 0 {
            let below = sizes[level - 1];
            let (group, count) = match (&ward, namer.as_deref_mut(), embedder) {
                (Some(ward), _, _) => (ward.cut(wanted), wanted),
                (None, Some(namer), Some(embedder)) => {
                    let grouping = group_children(
                        &cluster_names(&levels[level - 1]),
                        wanted.min(below - 1),
                        namer,
                        embedder,
                        config.run.seed ^ level as u64,
                    )?;
                    let group = groups[level - 1]
                        .iter()
                        .map(|&child| grouping.parent_of[child])
                        .collect();
                    let count = grouping.parents.len();
                    parent_names = Some(grouping.parents);
                    (group, count)
                }
                _ => break,
            };
            groups.push(group);
            sizes.push(count);
        }
        let group = &groups[level];
        let classes: Vec<usize> = base.iter().map(|&b| group[b]).collect();
        let mut nodes = builder.level_nodes(level, sizes[level], &classes);
        for (node, name) in nodes.iter_mut().zip(parent_names.into_iter().flatten()) {
            node.name = name;
            node.model_text = ModelText::Name;
        }
        if !summary_mode && let Some(namer) = namer.as_deref_mut() {
            name_from_keywords(&mut nodes, namer)?;
        }
        if level == 0 {
            attach_excerpts(
                &mut nodes,
                collected,
                &clusters,
                config.privacy.investigation_examples,
            );
        }
        if level == 0
            && summary_mode
            && let Some(namer) = namer.as_deref_mut()
        {
            let requests = base_naming_requests(collected, &clusters, &nodes);
            apply_names(&mut nodes, namer.names(&requests)?);
        }
        if let Some(below) = levels.last_mut() {
            let below_group = &groups[level - 1];
            // Each child's parent: the group, at this level, of any of its base clusters.
            let mut parent_of = vec![0usize; below.len()];
            for (b, &child) in below_group.iter().enumerate() {
                parent_of[child] = group[b];
            }
            for (child, parent) in std::mem::take(below).into_iter().zip(parent_of) {
                nodes[parent].children.push(child);
            }
            if summary_mode && let Some(namer) = namer.as_deref_mut() {
                // Only children that will be published feed their words upward: a folded
                // child's text rests on too few people.
                let requests: Vec<ChatRequest> = nodes
                    .iter()
                    .map(|node| {
                        let published = node
                            .children
                            .iter()
                            .filter(|child| publishable(child, &builder));
                        name_parent_request(&cluster_names(published))
                    })
                    .collect();
                apply_names(&mut nodes, namer.names(&requests)?);
            }
        }
        levels.push(nodes);
        if sizes[level] <= 1 {
            break;
        }
    }
    parameters.level_sizes = sizes;
    let top = levels.pop().unwrap_or_default();
    let label_agreement = label_agreement(collected, &base, config);
    let tree = root(top, parameters.level_sizes.len(), n);
    let mut stage_seconds = vec![("cluster", started.elapsed().as_secs_f64())];
    let started = std::time::Instant::now();
    let coordinates = if config.map.enabled {
        let options = LayoutOptions {
            neighbours: config.map.neighbours,
            sample: config.map.sample,
            epochs: config.map.epochs,
            seed: config.run.seed,
        };
        let map = layout(
            collected.vectors(),
            collected.dim,
            &clusters.assignments,
            &options,
        )
        .map_err(PipelineError::numeric_step("map"))?;
        Some(map)
    } else {
        None
    };
    if coordinates.is_some() {
        stage_seconds.push(("map", started.elapsed().as_secs_f64()));
    }
    let started = std::time::Instant::now();
    let mut release_counts = ReleaseCounts::default();
    let tree = release(
        tree,
        &builder,
        coordinates.as_ref().map(|map| map.coordinates.as_slice()),
        &mut release_counts,
    );
    if let Some(cluster) = stage_seconds.first_mut() {
        cluster.1 += started.elapsed().as_secs_f64();
    }
    let report_map = coordinates.as_ref().map(|map| ReportMap {
        sampled: map.sampled,
        neighbours: config.map.neighbours,
        epochs: config.map.epochs,
        points: tree.map_points(&map.coordinates, config.map.points, config.run.seed),
    });
    // Each conversation's clusters from the top level down to its base cluster.
    let paths = base
        .iter()
        .map(|&b| {
            (0..groups.len())
                .rev()
                .map(|level| format!("L{level}.{}", groups[level][b]))
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    let kmeans_summary = KMeansSummary {
        iterations: clusters.inertia_history.len(),
        converged: clusters.converged,
        inertia: clusters.inertia(),
    };
    Ok(Analysis {
        report: PublishedReport::new(
            report(
                parameters,
                kmeans_summary,
                label_agreement,
                ReportNode::default(),
                report_map,
            ),
            tree,
        ),
        release: release_counts,
        paths,
        coordinates: coordinates.map(|map| map.coordinates),
        stage_seconds,
    })
}

/// Per conversation: the distinct accounts that sent it or a near-identical request (by
/// `cluster.duplicate_cosine`) in the same base cluster.
fn near_identical_senders_per_conversation(
    collected: &Collected,
    clusters: &KMeans,
    config: &Config,
) -> Result<Vec<u32>, PipelineError> {
    let options = NearIdenticalOptions {
        threshold: config.cluster.duplicate_cosine,
        seed: config.run.seed,
        ..NearIdenticalOptions::default()
    };
    near_identical_senders(
        collected.vectors(),
        collected.dim,
        &clusters.assignments,
        &collected.users,
        &options,
    )
    .map_err(PipelineError::numeric_step("cluster"))
}

/// The report and where each clustered conversation landed.
pub(crate) struct Analysis {
    pub report: PublishedReport,
    /// What the release withheld or replaced.
    pub release: ReleaseCounts,
    /// Per clustered conversation: cluster ids from the top level to the base, `/`-separated.
    pub paths: Vec<String>,
    /// Per clustered conversation: its place on the map, when the map was made.
    pub coordinates: Option<Vec<[f32; 2]>>,
    /// Wall time of the steps after embedding ("cluster": k-means, tree, names, thresholds;
    /// "map": the layout).
    pub stage_seconds: Vec<(&'static str, f64)>,
}

impl Collected {
    /// The per-conversation table for `conversations.parquet` (sensitive: ids and, in summary
    /// mode, the summaries).
    pub(crate) fn conversation_table(
        &self,
        paths: &[String],
        coordinates: Option<&[[f32; 2]]>,
    ) -> Vec<Column> {
        let text = |name: &str, values: Vec<Option<String>>| Column::Text(name.into(), values);
        let mut columns = vec![
            text("id", self.ids.iter().cloned().map(Some).collect()),
            text("user_id", self.user_ids.clone()),
            text("cluster_path", paths.iter().cloned().map(Some).collect()),
            text(
                "base_cluster",
                paths
                    .iter()
                    .map(|p| p.rsplit('/').next().map(str::to_string))
                    .collect(),
            ),
            text("language", self.languages.clone()),
            Column::Int(
                "turns".into(),
                self.turns.iter().map(|&t| Some(t as i32)).collect(),
            ),
            text(
                "day",
                self.days.iter().map(|d| d.map(|d| d.to_string())).collect(),
            ),
        ];
        if let Some(coordinates) = coordinates {
            for (axis, name) in ["x", "y"].into_iter().enumerate() {
                columns.push(Column::Float(
                    name.into(),
                    coordinates.iter().map(|c| Some(c[axis])).collect(),
                ));
            }
        }
        if !self.concern.is_empty() {
            columns.push(Column::Int(
                "concern".into(),
                self.concern.iter().map(|c| c.map(i32::from)).collect(),
            ));
        }
        if self.mode == Mode::Summary {
            columns.push(text(
                "request",
                self.summaries.iter().cloned().map(Some).collect(),
            ));
        }
        for (index, facet) in self.custom_facets.iter().enumerate() {
            let values = self.custom.iter().map(|row| row[index].as_ref());
            columns.push(match facet.kind {
                CustomKind::Number => Column::Float(
                    facet.name.clone(),
                    values
                        .map(|v| match v {
                            Some(FacetValue::Number(n)) => Some(*n as f32),
                            _ => None,
                        })
                        .collect(),
                ),
                _ => text(
                    &facet.name,
                    values
                        .map(|v| match v? {
                            FacetValue::Text(t) | FacetValue::Category(t) => Some(t.clone()),
                            FacetValue::YesNo(yes) => Some(if *yes { "yes" } else { "no" }.into()),
                            _ => None,
                        })
                        .collect(),
                ),
            });
        }
        columns
    }
}

/// k as configured, from the target cluster size, or from the silhouette sweep.
fn choose_k(
    collected: &Collected,
    config: &Config,
) -> Result<(usize, &'static str, Vec<SweepPoint>), PipelineError> {
    let n = collected.len();
    if let Some(k) = config.cluster.k {
        return Ok((k, "config", Vec::new()));
    }
    let from_size = (n as f64 / config.cluster.target_size as f64)
        .round()
        .max(1.0) as usize;
    if !config.cluster.sweep || n < 10 {
        return Ok((from_size, "data", Vec::new()));
    }
    let sample = config.cluster.sweep_sample.min(n);
    let mut candidates: Vec<usize> = [0.25, 0.5, 1.0, 2.0, 4.0]
        .iter()
        .map(|f| ((from_size as f64 * f).round() as usize).clamp(2, (sample / 2).max(2)))
        .collect();
    candidates.dedup();
    let points = sweep_k(
        collected.vectors(),
        collected.dim,
        &candidates,
        sample,
        config.run.seed,
    )
    .map_err(PipelineError::numeric_step("cluster"))?;
    let best = points
        .iter()
        .max_by(|a, b| a.silhouette.total_cmp(&b.silhouette).then(b.k.cmp(&a.k)))
        .map_or(from_size, |p| p.k);
    Ok((best, "sweep", points))
}

/// The root of the working tree: all `conversations` clustered conversations.
fn root(children: Vec<DraftNode>, level: usize, conversations: usize) -> DraftNode {
    DraftNode {
        id: "root".into(),
        level,
        name: "All conversations".into(),
        members: (0..conversations).collect(),
        children,
        ..DraftNode::default()
    }
}

struct TreeBuilder<'a> {
    collected: &'a Collected,
    config: &'a Config,
    /// Per conversation: the distinct accounts that sent it or a near-identical request in its
    /// base cluster (1: none but its own).
    senders: &'a [u32],
    policy: ReleasePolicy,
}

impl TreeBuilder<'_> {
    /// The nodes of one level (without children), named by their keywords.
    fn level_nodes(&self, level: usize, count: usize, classes: &[usize]) -> Vec<DraftNode> {
        let documents = Documents {
            terms: &self.collected.terms,
            users: &self.collected.users,
            classes,
        };
        let keywords = class_keywords(
            &documents,
            count,
            &self.collected.vocabulary,
            self.config.privacy.min_users,
            self.config.hierarchy.keywords,
        );
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (doc, &class) in classes.iter().enumerate() {
            members[class].push(doc);
        }
        members
            .into_iter()
            .zip(keywords)
            .enumerate()
            .map(|(index, (docs, keywords))| DraftNode {
                id: format!("L{level}.{index}"),
                level,
                name: name_from(&keywords),
                description: describe(&keywords),
                keywords,
                members: docs,
                ..DraftNode::default()
            })
            .collect()
    }
}

fn label_agreement(
    collected: &Collected,
    base: &[usize],
    config: &Config,
) -> Option<LabelAgreement> {
    let field = config.ingest.fields.label.clone()?;
    let mut ids = FirstSeen::default();
    let mut clusters = Vec::new();
    let mut labels = Vec::new();
    for (doc, label) in collected.labels.iter().enumerate() {
        if let Some(label) = label {
            labels.push(ids.id(label));
            clusters.push(base[doc]);
        }
    }
    if labels.is_empty() {
        return None;
    }
    Some(LabelAgreement {
        field,
        labelled: labels.len(),
        labels: ids.len(),
        scores: agreement(&clusters, &labels),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_shrink_strictly_with_a_constant_ratio() {
        assert_eq!(level_sizes(10, 12, 6), [10]);
        assert_eq!(level_sizes(77, 12, 6), [77, 30, 12]);
        assert_eq!(level_sizes(60, 12, 6), [60, 12]);
        let sizes = level_sizes(2000, 12, 6);
        assert_eq!(sizes.len(), 4, "{sizes:?}");
        assert!(sizes.windows(2).all(|w| w[1] < w[0]), "{sizes:?}");
        assert_eq!(*sizes.last().unwrap(), 12);
        assert!(level_sizes(13, 12, 6).windows(2).all(|w| w[1] < w[0]));
    }
}
