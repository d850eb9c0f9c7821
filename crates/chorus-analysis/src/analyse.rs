//! The steps after embedding in their order: k, base clusters, levels and names level by level,
//! the map, the release door, and each conversation's path through the tree.

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use chorus_cluster::{Layout, LayoutOptions, SweepPoint, layout};
use chorus_report::{
    Investigation, KMeansSummary, REPORT_SCHEMA_VERSION, Report, ReportMap, ReportNode,
    ReportParameters, ReportTotals,
};

use crate::hierarchy::place_in_categories;
use crate::naming::cluster_names;
use crate::taxonomy::nearest_leaves;
use crate::{PlacedTaxonomy, TreeFile};

use crate::base::{BaseClusters, choose_k, label_agreement};
use crate::collected::EXCERPT_CHARS;
use crate::draft::{DraftNode, ModelText};
use crate::levels::{level_sizes, levels_for};
use crate::naming::{NamingContext, attach_excerpts, namer_for};
use crate::release::release;
use crate::tree::{ReleasePolicy, TreeBuilder};
use crate::{
    AnalysisError, Collected, LevelMethod, Models, Plan, PublishedReport, ReleaseCounts,
    UnknownUsers,
};

/// The report and where each clustered conversation landed.
pub struct Analysis {
    /// The report, as the release let it out.
    pub report: PublishedReport,
    /// What the release withheld or replaced.
    pub release: ReleaseCounts,
    /// Per clustered conversation: cluster ids from the top level to the base, `/`-separated.
    pub paths: Vec<String>,
    /// Per clustered conversation: its place on the map, when the map was made.
    pub coordinates: Option<Vec<[f32; 2]>>,
    /// Wall time of the steps ("cluster": k-means, tree, names, thresholds; "map": the
    /// layout).
    pub stage_seconds: Vec<(&'static str, f64)>,
    /// What a later run needs to place conversations into this tree (none when nothing was
    /// clustered).
    pub tree: Option<TreeFile>,
}

/// Runs the steps `plan` chose over what was collected: base clusters, levels, names, the map
/// and the release. Model steps use `models`.
pub fn analyse(
    collected: &mut Collected,
    plan: &Plan,
    mut models: Models<'_>,
) -> Result<Analysis, AnalysisError> {
    let policy = ReleasePolicy::new(&plan.privacy);
    let (k, k_source, k_sweep) = match &plan.fixed_tree {
        Some(tree) => (tree.k(), "tree", Vec::new()),
        None => choose_k(collected, plan)?,
    };
    let mut header = ReportHeader::new(collected, plan, policy, k, k_source, k_sweep);
    if collected.is_empty() {
        return Ok(nothing_clustered(collected, plan, policy, header));
    }
    let started = Instant::now();
    let base = match &plan.fixed_tree {
        Some(tree) => BaseClusters::placed(collected, plan, tree)?,
        None => BaseClusters::find(collected, plan, k)?,
    };
    header.parameters.k = base.k();
    header.parameters.concern_context = collected.settle_concern(&base.of, base.k());
    let collected = &*collected;
    header.parameters.reduced_dims = base.reduced_dims;
    let builder = TreeBuilder {
        collected,
        plan,
        senders: &base.senders,
        policy,
    };
    let levels = match (&plan.fixed_tree, &plan.taxonomy) {
        (Some(tree), _) => {
            let given = |level: usize, index: usize| {
                let name = tree.names.get(&format!("L{level}.{index}"))?;
                Some((name.clone(), None))
            };
            let levels = (tree.groups(), tree.level_sizes());
            fixed_levels(&builder, &base, levels, &given, None, &mut models)?
        }
        (None, Some(taxonomy)) => taxonomy_levels(&builder, &base, taxonomy, &mut models)?,
        (None, None) => build_levels(&builder, &base, &mut models)?,
    };
    header.parameters.level_sizes = levels.sizes.clone();
    let label_agreement = label_agreement(collected, &base.of, plan);
    let paths = levels.paths(&base);
    let tree = root(levels.top, levels.sizes.len(), collected.len());
    let mut stage_seconds = vec![("cluster", started.elapsed().as_secs_f64())];
    let started = Instant::now();
    let map = lay_out(collected, &base, plan)?;
    if map.is_some() {
        stage_seconds.push(("map", started.elapsed().as_secs_f64()));
    }
    let started = Instant::now();
    let mut release_counts = ReleaseCounts::default();
    let tree = release(
        tree,
        &builder,
        map.as_ref().map(|map| map.coordinates.as_slice()),
        &mut release_counts,
    );
    if let Some(cluster) = stage_seconds.first_mut() {
        cluster.1 += started.elapsed().as_secs_f64();
    }
    let tree_file = match &plan.fixed_tree {
        Some(fixed) => (**fixed).clone(),
        None => tree_file(collected, plan, &base, &levels.groups, tree.root())?,
    };
    let paths = tree.published_paths(paths);
    header.parameters.tree_id = tree_file.tree_id.clone();
    header.parameters.placed_into_tree = plan.fixed_tree.is_some();
    let report_map = map.as_ref().map(|map| ReportMap {
        sampled: map.sampled,
        neighbours: plan.map.neighbours,
        epochs: plan.map.epochs,
        points: tree.map_points(&map.coordinates, plan.map.points, plan.seed),
    });
    let kmeans = KMeansSummary {
        iterations: base.clusters.inertia_history.len(),
        converged: base.clusters.converged,
        inertia: base.clusters.inertia(),
    };
    Ok(Analysis {
        report: PublishedReport::new(header.report(kmeans, label_agreement, report_map), tree),
        release: release_counts,
        paths,
        coordinates: map.map(|map| map.coordinates),
        stage_seconds,
        tree: Some(tree_file),
    })
}

/// The file a later run places conversations into this tree with.
fn tree_file(
    collected: &Collected,
    plan: &Plan,
    base: &BaseClusters,
    groups: &[Vec<usize>],
    published: &ReportNode,
) -> Result<TreeFile, AnalysisError> {
    let place_within = plan.cluster.place_within;
    let max_distance = base.placement_cutoff(collected, place_within)?;
    let centroids = base
        .clusters
        .centroids
        .chunks_exact(collected.dim)
        .map(<[f32]>::to_vec)
        .collect();
    Ok(TreeFile::new(
        plan.steps.mode.name(),
        &plan.embed_model,
        collected.dim,
        collected.centering.clone(),
        centroids,
        groups[1..].to_vec(),
        (max_distance, place_within),
        published,
    ))
}

/// The parts of the report known before clustering.
struct ReportHeader {
    mode: &'static str,
    totals: ReportTotals,
    parameters: ReportParameters,
    redactions: BTreeMap<String, u64>,
    investigation: Option<Investigation>,
}

impl ReportHeader {
    fn new(
        collected: &Collected,
        plan: &Plan,
        policy: ReleasePolicy,
        k: usize,
        k_source: &'static str,
        k_sweep: Vec<SweepPoint>,
    ) -> Self {
        let mut totals = collected.totals.clone();
        totals.clustered = collected.len();
        totals.users = collected.users.iter().collect::<HashSet<_>>().len();
        let parameters = ReportParameters {
            embed_model: plan.embed_model.clone(),
            center: plan.cluster.center.name().into(),
            reduced_dims: 0,
            k: k.min(collected.len()),
            k_source: k_source.into(),
            k_sweep,
            level_sizes: Vec::new(),
            min_users: plan.privacy.min_users,
            min_conversations: plan.privacy.min_conversations,
            min_cell_users: policy.min_cell_users,
            tree_id: String::new(),
            placed_into_tree: false,
            cohort_field: plan.cohort_field.clone(),
            concern_context: None,
            taxonomy: plan.taxonomy.as_ref().map(|t| t.source.clone()),
            unknown_users: match plan.privacy.unknown_users {
                UnknownUsers::Shared => "shared".into(),
                UnknownUsers::Distinct => "distinct".into(),
            },
            seed: plan.seed,
        };
        let redactions = collected
            .redactions
            .iter()
            .map(|(kind, count)| {
                (
                    kind.placeholder().trim_matches(['[', ']']).to_lowercase(),
                    *count,
                )
            })
            .collect();
        let investigation = plan.privacy.investigation.then(|| Investigation {
            examples_per_cluster: plan.privacy.investigation_examples,
            excerpts: format!(
                "users' own words, personal details replaced by the redaction rules, cut at {EXCERPT_CHARS} characters"
            ),
        });
        Self {
            mode: plan.steps.mode.name(),
            totals,
            parameters,
            redactions,
            investigation,
        }
    }

    /// The report without its tree (the release puts the published tree in).
    fn report(
        self,
        kmeans: KMeansSummary,
        label_agreement: Option<chorus_report::LabelAgreement>,
        map: Option<ReportMap>,
    ) -> Report {
        Report {
            schema_version: REPORT_SCHEMA_VERSION,
            mode: self.mode.into(),
            totals: self.totals,
            parameters: self.parameters,
            kmeans,
            redactions: self.redactions,
            label_agreement,
            tree: ReportNode::default(),
            map,
            investigation: self.investigation,
        }
    }
}

/// The report of a run where nothing could be clustered: totals only.
fn nothing_clustered(
    collected: &Collected,
    plan: &Plan,
    policy: ReleasePolicy,
    header: ReportHeader,
) -> Analysis {
    let builder = TreeBuilder {
        collected,
        plan,
        senders: &[],
        policy,
    };
    let mut counts = ReleaseCounts::default();
    let tree = release(root(Vec::new(), 0, 0), &builder, None, &mut counts);
    let idle = KMeansSummary {
        iterations: 0,
        converged: true,
        inertia: 0.0,
    };
    Analysis {
        report: PublishedReport::new(header.report(idle, None, None), tree),
        release: counts,
        paths: Vec::new(),
        coordinates: None,
        stage_seconds: vec![("cluster", 0.0)],
        tree: None,
    }
}

/// The working tree's levels, built from the base up.
struct BuiltLevels {
    /// The top level's nodes, each holding its subtree.
    top: Vec<DraftNode>,
    /// Clusters per level, base first.
    sizes: Vec<usize>,
    /// Per level, per base cluster: its node's index at that level (level 0: itself).
    groups: Vec<Vec<usize>>,
}

impl BuiltLevels {
    /// Each conversation's clusters from the top level down to its base cluster ("unplaced"
    /// for one an earlier tree could not place).
    fn paths(&self, base: &BaseClusters) -> Vec<String> {
        base.of
            .iter()
            .map(|&b| {
                if !base.is_placed(b) {
                    return UNPLACED_ID.to_string();
                }
                (0..self.groups.len())
                    .rev()
                    .map(|level| format!("L{level}.{}", self.groups[level][b]))
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect()
    }
}

/// Level by level: the parents of the level below (by the plan's level method), their keyword
/// names, their children, then the plan's namer.
fn build_levels(
    builder: &TreeBuilder<'_>,
    base: &BaseClusters,
    models: &mut Models<'_>,
) -> Result<BuiltLevels, AnalysisError> {
    let plan = builder.plan;
    let planned = level_sizes(
        base.k(),
        plan.hierarchy.top_clusters,
        plan.hierarchy.branching,
    );
    let mut levels = levels_for(plan, base)?;
    let mut namer = namer_for(plan.steps.naming);
    let context = NamingContext { builder, base };
    let mut groups: Vec<Vec<usize>> = vec![(0..base.k()).collect()];
    let mut sizes = vec![base.k()];
    let mut below: Vec<DraftNode> = Vec::new();
    for (level, &wanted) in planned.iter().enumerate() {
        let mut parent_names = None;
        let mut parent_of = Vec::new();
        if level > 0 {
            let parents = levels.parents(level, &below, &groups[level - 1], wanted, models)?;
            let group = groups[level - 1]
                .iter()
                .map(|&child| parents.parent_of[child])
                .collect();
            groups.push(group);
            sizes.push(parents.count);
            parent_names = parents.names;
            parent_of = parents.parent_of;
        }
        let classes: Vec<usize> = base.of.iter().map(|&b| groups[level][b]).collect();
        let mut nodes = builder.level_nodes(level, sizes[level], &classes, models)?;
        for (node, name) in nodes.iter_mut().zip(parent_names.into_iter().flatten()) {
            node.name = name;
            node.model_text = ModelText::Name;
        }
        for (child, parent) in std::mem::take(&mut below).into_iter().zip(parent_of) {
            nodes[parent].children.push(child);
        }
        if level == 0 {
            attach_excerpts(
                &mut nodes,
                builder.collected,
                &base.clusters,
                plan.privacy.investigation_examples,
            );
        }
        namer.name(level, &mut nodes, &context, models)?;
        below = nodes;
        if sizes[level] <= 1 {
            break;
        }
    }
    Ok(BuiltLevels {
        top: below,
        sizes,
        groups,
    })
}

/// The id of the node holding the conversations an earlier tree could not place (and their
/// `cluster_path` in conversations.parquet).
pub const UNPLACED_ID: &str = "unplaced";

/// A name given from outside the run's own words, and its description (none: the node's own
/// phrases describe it).
type GivenText = Option<(String, Option<String>)>;

/// The taxonomy's categories as the levels above the base clusters: each base cluster under
/// the leaf category nearest its centroid (both centred as the run's English text is), or
/// "Unassigned"; each category named as the file names it.
fn taxonomy_levels(
    builder: &TreeBuilder<'_>,
    base: &BaseClusters,
    taxonomy: &PlacedTaxonomy,
    models: &mut Models<'_>,
) -> Result<BuiltLevels, AnalysisError> {
    let (collected, plan) = (builder.collected, builder.plan);
    let mut base_nodes = builder.level_nodes(0, base.k(), &base.of, models)?;
    attach_excerpts(
        &mut base_nodes,
        collected,
        &base.clusters,
        plan.privacy.investigation_examples,
    );
    let context = NamingContext { builder, base };
    namer_for(plan.steps.naming).name(0, &mut base_nodes, &context, models)?;
    let dim = collected.dim;
    let mut vectors: Vec<f32> = taxonomy
        .anchor_vectors
        .iter()
        .flat_map(|(_, vector)| vector.iter().copied())
        .collect();
    let languages = std::iter::repeat_n(Some(TAXONOMY_LANGUAGE), taxonomy.anchor_vectors.len());
    collected.centering.center(&mut vectors, dim, languages)?;
    let anchors: Vec<(usize, Vec<f32>)> = taxonomy
        .anchor_vectors
        .iter()
        .zip(vectors.chunks_exact(dim))
        .map(|((leaf, _), vector)| (*leaf, vector.to_vec()))
        .collect();
    let by_embedding = nearest_leaves(
        &base.clusters.centroids,
        dim,
        &anchors,
        plan.hierarchy.taxonomy_min_cosine,
    );
    // Summary mode: the chat model places each named cluster, as the hierarchy's placement
    // step does; the embedding's choice stands where it gives no usable answer.
    let leaf_of = match plan.steps.levels {
        LevelMethod::ModelHierarchy => place_in_categories(
            &cluster_names(&base_nodes),
            &taxonomy.taxonomy.leaf_paths_named(),
            &by_embedding,
            models.get("taxonomy placement")?,
            plan.seed,
        )?,
        LevelMethod::Ward => by_embedding,
    };
    let (nodes, levels) = taxonomy.taxonomy.levels(&leaf_of);
    let sizes = std::iter::once(base.k())
        .chain(nodes.iter().map(Vec::len))
        .collect();
    let groups = std::iter::once((0..base.k()).collect())
        .chain(levels)
        .collect();
    let given = |level: usize, index: usize| {
        let node = &nodes.get(level.checked_sub(1)?)?[index];
        Some((node.name.clone(), Some(node.description.clone())))
    };
    fixed_levels(
        builder,
        base,
        (groups, sizes),
        &given,
        Some(base_nodes),
        models,
    )
}

/// The language a taxonomy's names and descriptions are taken to be written in.
const TAXONOMY_LANGUAGE: &str = "English";

/// Levels given from outside (an earlier run's tree, a taxonomy) over the base clusters:
/// `groups` and `sizes` per level, base first; a node `given` a name keeps it (the rest are
/// named by their users' words), and beside the top level stand the conversations an earlier
/// tree could not place.
/// `named_base`, when given, are the base clusters already named (and then all placed).
fn fixed_levels(
    builder: &TreeBuilder<'_>,
    base: &BaseClusters,
    (groups, sizes): (Vec<Vec<usize>>, Vec<usize>),
    given: &dyn Fn(usize, usize) -> GivenText,
    mut named_base: Option<Vec<DraftNode>>,
    models: &mut Models<'_>,
) -> Result<BuiltLevels, AnalysisError> {
    let any_unplaced = base.of.iter().any(|&b| !base.is_placed(b));
    let mut below: Vec<DraftNode> = Vec::new();
    let mut unplaced = None;
    for (level, &count) in sizes.iter().enumerate() {
        if let Some(nodes) = named_base.take() {
            below = nodes;
            continue;
        }
        // The unplaced conversations are a class of their own, so that they lend no words
        // to the clusters' names.
        let classes: Vec<usize> = base
            .of
            .iter()
            .map(|&b| {
                if base.is_placed(b) {
                    groups[level][b]
                } else {
                    count
                }
            })
            .collect();
        let mut nodes =
            builder.level_nodes(level, count + usize::from(any_unplaced), &classes, models)?;
        if any_unplaced {
            unplaced = nodes.pop();
        }
        for (index, node) in nodes.iter_mut().enumerate() {
            match given(level, index) {
                Some((name, None)) => {
                    node.name = name;
                    node.model_text = ModelText::Released;
                }
                Some((name, Some(description))) => {
                    (node.name, node.description) = (name, description);
                    node.model_text = ModelText::Operator;
                }
                None => {}
            }
        }
        if level > 0 {
            let mut parent_of = vec![0; sizes[level - 1]];
            for (child, parent) in groups[level - 1].iter().zip(&groups[level]) {
                parent_of[*child] = *parent;
            }
            for (child, parent) in std::mem::take(&mut below).into_iter().zip(parent_of) {
                nodes[parent].children.push(child);
            }
        } else {
            attach_excerpts(
                &mut nodes,
                builder.collected,
                &base.clusters,
                builder.plan.privacy.investigation_examples,
            );
        }
        below = nodes;
    }
    let top_level = sizes.len() - 1;
    below.extend(unplaced.map(|node| DraftNode {
        id: UNPLACED_ID.into(),
        level: top_level,
        name: String::new(),
        members: node.members,
        unplaced: true,
        ..DraftNode::default()
    }));
    Ok(BuiltLevels {
        top: below,
        sizes,
        groups,
    })
}

/// The map's layout, when the plan has a map.
fn lay_out(
    collected: &Collected,
    base: &BaseClusters,
    plan: &Plan,
) -> Result<Option<Layout>, AnalysisError> {
    if !plan.map.enabled {
        return Ok(None);
    }
    let options = LayoutOptions {
        neighbours: plan.map.neighbours,
        sample: plan.map.sample,
        epochs: plan.map.epochs,
        seed: plan.seed,
    };
    layout(
        collected.vectors(),
        collected.dim,
        &base.clusters.assignments,
        &options,
    )
    .map(Some)
    .map_err(AnalysisError::numeric_step("map"))
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
