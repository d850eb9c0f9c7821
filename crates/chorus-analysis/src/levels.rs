//! The levels above the base clusters, behind one trait: cuts of Ward's tree, or the chat
//! model's hierarchy.

use chorus_cluster::Dendrogram;

use crate::base::BaseClusters;
use crate::draft::DraftNode;
use crate::hierarchy::group_children;
use crate::naming::cluster_names;
use crate::{AnalysisError, LevelMethod, Models, Plan};

/// The parents of one level.
pub(crate) struct Parents {
    /// Per child (node of the level below): the index of its parent.
    pub parent_of: Vec<usize>,
    /// How many parents there are.
    pub count: usize,
    /// The parents' names, when the method gives them.
    pub names: Option<Vec<String>>,
}

/// Builds each level above the base clusters from the one below.
pub(crate) trait Levels {
    /// Groups `children`, the nodes of `level - 1`, under about `wanted` parents (fewer than
    /// the children; Ward's levels may give more where a group is over the size cap).
    /// `child_of_base` says which child holds each base cluster.
    fn parents(
        &mut self,
        level: usize,
        children: &[DraftNode],
        child_of_base: &[usize],
        wanted: usize,
        models: &mut Models<'_>,
    ) -> Result<Parents, AnalysisError>;
}

/// The levels `plan` asks for, over `base`.
pub(crate) fn levels_for(
    plan: &Plan,
    base: &BaseClusters,
) -> Result<Box<dyn Levels>, AnalysisError> {
    Ok(match plan.steps.levels {
        LevelMethod::Ward => Box::new(WardLevels {
            tree: Dendrogram::ward(
                &base.clusters.centroids,
                base.clusters.dim,
                &base.clusters.sizes,
            )
            .map_err(AnalysisError::numeric_step("hierarchy"))?,
            max_share: plan.hierarchy.max_share,
            rows: base.clusters.sizes.iter().sum(),
        }),
        LevelMethod::ModelHierarchy => Box::new(ModelLevels { seed: plan.seed }),
    })
}

/// How much more than the average share of a level of `wanted` groups a group may always hold:
/// a level of few groups (two, four) needs large ones.
const ABOVE_AVERAGE: f64 = 1.5;

/// The most of `rows` a group of a level of `wanted` groups may hold: `max_share` of them, or
/// [`ABOVE_AVERAGE`] times the level's average when that is more; no limit at 1. The cap grows
/// as levels get coarser, so capped cuts of one tree still nest.
fn row_cap(max_share: f64, rows: usize, wanted: usize) -> usize {
    if max_share >= 1.0 {
        return usize::MAX;
    }
    let share = max_share.max(ABOVE_AVERAGE / wanted.max(1) as f64);
    (share * rows as f64).ceil() as usize
}

/// Cuts of Ward's tree over the base centroids (the cuts nest, so each child has one parent);
/// a group over its cap ([`row_cap`]) is split along the tree, which can leave more parents
/// than wanted.
struct WardLevels {
    tree: Dendrogram,
    max_share: f64,
    rows: usize,
}

impl Levels for WardLevels {
    fn parents(
        &mut self,
        _level: usize,
        children: &[DraftNode],
        child_of_base: &[usize],
        wanted: usize,
        _models: &mut Models<'_>,
    ) -> Result<Parents, AnalysisError> {
        let cut = self
            .tree
            .cut_capped(wanted, row_cap(self.max_share, self.rows, wanted));
        let mut parent_of = vec![0; children.len()];
        for (base, &child) in child_of_base.iter().enumerate() {
            parent_of[child] = cut[base];
        }
        Ok(Parents {
            parent_of,
            count: cut.iter().max().map_or(0, |&last| last + 1),
            names: None,
        })
    }
}

/// The chat model's hierarchy: parents proposed, merged and assigned by the model over the
/// children's names, made certain to converge by embeddings.
struct ModelLevels {
    seed: u64,
}

impl Levels for ModelLevels {
    fn parents(
        &mut self,
        level: usize,
        children: &[DraftNode],
        _child_of_base: &[usize],
        wanted: usize,
        models: &mut Models<'_>,
    ) -> Result<Parents, AnalysisError> {
        // group_children keeps the target below the children's count itself.
        let grouping = group_children(
            &cluster_names(children),
            wanted,
            models.get("hierarchy")?,
            self.seed ^ level as u64,
        )?;
        Ok(Parents {
            count: grouping.parents.len(),
            parent_of: grouping.parent_of,
            names: Some(grouping.parents),
        })
    }
}

/// Clusters levels per group: how many clusters each level of the tree has, base first, each
/// strictly smaller than the one below, with a constant ratio between levels.
pub fn level_sizes(k: usize, top: usize, branching: usize) -> Vec<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_may_hold_the_larger_of_the_share_and_one_and_a_half_averages() {
        assert_eq!(row_cap(0.15, 20_000, 12), 3_000);
        assert_eq!(
            row_cap(0.15, 20_000, 2),
            15_000,
            "few groups: 1.5 times the average"
        );
        assert_eq!(row_cap(1.0, 20_000, 12), usize::MAX);
    }

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
