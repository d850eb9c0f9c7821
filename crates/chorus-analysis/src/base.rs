//! Base clusters: k, k-means, near-identical requests across accounts, and how the clusters
//! agree with labels.

use chorus_cluster::{
    KMeans, KMeansOptions, LayoutOptions, NearIdenticalOptions, SweepPoint, agreement,
    cluster_means, kmeans, near_identical_senders, nearest_centroids, reduce, sweep_k,
};
use chorus_report::LabelAgreement;

use crate::collected::FirstSeen;
use crate::{AnalysisError, Collected, Mode, Plan, TreeFile};

/// Passes of the reduction's gradient descent (umap-learn's choice for large inputs).
const REDUCTION_EPOCHS: usize = 200;
/// Keyword mode with an English model reduces only when one language holds at least this share
/// of the conversations whose language was detected (and `embed.model = "auto"` keeps the English
/// model only when English does).
pub const ONE_LANGUAGE_SHARE: f64 = 0.9;

/// The base clusters of a run and what is known of them.
pub(crate) struct BaseClusters {
    /// The k-means result.
    pub clusters: KMeans,
    /// The dimensions of the reduction the clusters were found in (0: as embedded).
    pub reduced_dims: usize,
    /// Per clustered conversation: its base cluster.
    pub of: Vec<usize>,
    /// Per clustered conversation: the distinct accounts that sent it or a near-identical
    /// request in its base cluster (1: none but its own).
    pub senders: Vec<u32>,
}

impl BaseClusters {
    /// k-means into `k` clusters (seeded; mini-batch above the configured size), then the
    /// near-identical check within each cluster.
    pub(crate) fn find(
        collected: &Collected,
        plan: &Plan,
        k: usize,
    ) -> Result<Self, AnalysisError> {
        let settings = &plan.cluster;
        let mut options = KMeansOptions::new(k, plan.seed);
        options.restarts = settings.restarts;
        options.max_iterations = settings.max_iterations;
        if collected.len() > settings.mini_batch_above {
            options.mini_batch = Some(settings.mini_batch_size);
            options.mini_batch_steps = settings.mini_batch_steps;
            options.max_iterations = settings.mini_batch_full_steps;
        }
        let reduced_dims = reduction_dims(collected, plan);
        let clusters = match reduced_dims {
            0 => kmeans(collected.vectors(), collected.dim, &options)
                .map_err(AnalysisError::numeric_step("cluster"))?,
            dims => in_reduction(collected, plan, dims, &options)?,
        };
        let senders = near_identical_senders_per_conversation(collected, &clusters, plan)?;
        Ok(Self {
            of: clusters.assignments.iter().map(|&a| a as usize).collect(),
            clusters,
            reduced_dims,
            senders,
        })
    }

    /// Each conversation placed at its nearest centroid of an earlier run's tree, or, farther
    /// from every centroid than that run's cut-off, in a group of its own numbered `k`
    /// ([`BaseClusters::is_placed`] tells them apart).
    pub(crate) fn placed(
        collected: &Collected,
        plan: &Plan,
        tree: &TreeFile,
    ) -> Result<Self, AnalysisError> {
        let (k, dim) = (tree.k(), collected.dim);
        if dim != tree.dim {
            return Err(AnalysisError::TreeFile {
                file: "tree.json".into(),
                message: format!(
                    "its tree was built from vectors of {} numbers and these are {dim} long: embed with the model the earlier run used ({})",
                    tree.dim, tree.embed_model
                ),
            });
        }
        let centroids = tree.centroids.concat();
        let nearest = nearest_centroids(collected.vectors(), dim, &centroids)
            .map_err(AnalysisError::numeric_step("cluster"))?;
        let assignments: Vec<u32> = nearest
            .iter()
            .map(|&(centroid, distance)| {
                if distance <= tree.max_distance {
                    centroid
                } else {
                    k as u32
                }
            })
            .collect();
        let mut sizes = vec![0; k];
        for &cluster in assignments.iter().filter(|&&c| (c as usize) < k) {
            sizes[cluster as usize] += 1;
        }
        let clusters = KMeans {
            dim,
            centroids,
            assignments,
            sizes,
            inertia_history: Vec::new(),
            converged: true,
        };
        let senders = near_identical_senders_per_conversation(collected, &clusters, plan)?;
        Ok(Self {
            of: clusters.assignments.iter().map(|&a| a as usize).collect(),
            clusters,
            reduced_dims: 0,
            senders,
        })
    }

    /// How many there are.
    pub(crate) fn k(&self) -> usize {
        self.clusters.k()
    }

    /// Whether base cluster `b` is one of the tree's (not the group of conversations that an
    /// earlier tree could not place).
    pub(crate) fn is_placed(&self, b: usize) -> bool {
        b < self.k()
    }

    /// The squared distance to the nearest centroid within which `share` of the conversations
    /// lie (the largest when `share` is 1 or more).
    pub(crate) fn placement_cutoff(
        &self,
        collected: &Collected,
        share: f64,
    ) -> Result<f32, AnalysisError> {
        let nearest =
            nearest_centroids(collected.vectors(), collected.dim, &self.clusters.centroids)
                .map_err(AnalysisError::numeric_step("cluster"))?;
        let mut distances: Vec<f32> = nearest.into_iter().map(|(_, d)| d).collect();
        distances.sort_by(f32::total_cmp);
        if distances.is_empty() {
            return Ok(0.0);
        }
        let rank = (share.clamp(0.0, 1.0) * distances.len() as f64).ceil() as usize;
        Ok(distances[rank.clamp(1, distances.len()) - 1])
    }
}

/// The dimensions base clusters are found in: `cluster.reduce_dims`, unless there are too few
/// conversations for a neighbourhood graph, or the text clustered is in several languages and
/// the model is an English one. An English sentence model's nearest neighbours of text in
/// other languages share the language more than the topic, so the graph would pull each such
/// language into one island that k-means cannot split by topic; among the vectors as embedded
/// (centred per language) it still can. A multilingual model's neighbours cross languages, and
/// the graph helps as it does on English text. Summary mode clusters the model's English
/// summaries.
fn reduction_dims(collected: &Collected, plan: &Plan) -> usize {
    let settings = &plan.cluster;
    if settings.reduce_dims == 0 || collected.len() <= 2 * settings.reduce_neighbours {
        return 0;
    }
    if plan.steps.mode == Mode::Summary || plan.multilingual_embedder {
        return settings.reduce_dims;
    }
    match collected.majority_language(0..collected.len()) {
        Some(largest) if (largest.count as f64) < ONE_LANGUAGE_SHARE * largest.detected as f64 => 0,
        _ => settings.reduce_dims,
    }
}

/// k-means in a `dims`-dimensional reduction of the vectors that keeps their neighbourhoods,
/// with the centroids then taken back to the embedding space (the mean of each cluster's
/// vectors), where the tree, the names and the near-identical check read them.
fn in_reduction(
    collected: &Collected,
    plan: &Plan,
    dims: usize,
    options: &KMeansOptions,
) -> Result<KMeans, AnalysisError> {
    let settings = &plan.cluster;
    let (vectors, dim) = (collected.vectors(), collected.dim);
    let layout = LayoutOptions {
        neighbours: settings.reduce_neighbours,
        sample: settings.reduce_sample,
        epochs: REDUCTION_EPOCHS,
        seed: plan.seed,
    };
    let reduced =
        reduce(vectors, dim, dims, &layout).map_err(AnalysisError::numeric_step("cluster"))?;
    let mut clusters =
        kmeans(&reduced, dims, options).map_err(AnalysisError::numeric_step("cluster"))?;
    clusters.centroids = cluster_means(vectors, dim, clusters.k(), &clusters.assignments);
    clusters.dim = dim;
    Ok(clusters)
}

/// k as configured, from the target cluster size, or from the silhouette sweep.
pub(crate) fn choose_k(
    collected: &Collected,
    plan: &Plan,
) -> Result<(usize, &'static str, Vec<SweepPoint>), AnalysisError> {
    let n = collected.len();
    if let Some(k) = plan.cluster.k {
        return Ok((k, "config", Vec::new()));
    }
    let from_size = (n as f64 / plan.cluster.target_size as f64)
        .round()
        .max(1.0) as usize;
    if !plan.cluster.sweep || n < 10 {
        return Ok((from_size, "data", Vec::new()));
    }
    let sample = plan.cluster.sweep_sample.min(n);
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
        plan.seed,
    )
    .map_err(AnalysisError::numeric_step("cluster"))?;
    let best = points
        .iter()
        .max_by(|a, b| a.silhouette.total_cmp(&b.silhouette).then(b.k.cmp(&a.k)))
        .map_or(from_size, |p| p.k);
    Ok((best, "sweep", points))
}

/// Per conversation: the distinct accounts that sent it or a near-identical request (by
/// `cluster.duplicate_cosine`) in the same base cluster.
fn near_identical_senders_per_conversation(
    collected: &Collected,
    clusters: &KMeans,
    plan: &Plan,
) -> Result<Vec<u32>, AnalysisError> {
    let options = NearIdenticalOptions {
        threshold: plan.cluster.duplicate_cosine,
        seed: plan.seed,
        ..NearIdenticalOptions::default()
    };
    near_identical_senders(
        collected.vectors(),
        collected.dim,
        &clusters.assignments,
        &collected.users,
        &options,
    )
    .map_err(AnalysisError::numeric_step("cluster"))
}

/// How the base clusters agree with the conversations' labels, when the run has a label field.
pub(crate) fn label_agreement(
    collected: &Collected,
    base: &[usize],
    plan: &Plan,
) -> Option<LabelAgreement> {
    let field = plan.label_field.clone()?;
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
