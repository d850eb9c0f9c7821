use serde::{Deserialize, Serialize};

use crate::ClusterError;

/// One merge of two groups of base clusters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Merge {
    /// The two nodes merged: ids below the number of base clusters are base clusters, id
    /// `base + i` is the group the i-th merge (in creation order) made.
    pub left: usize,
    /// See `left`.
    pub right: usize,
    /// The id of the node made.
    pub node: usize,
    /// Ward's cost of the merge: the rise in the within-group sum of squares (never below the
    /// cost of the merges under it).
    pub cost: f64,
}

/// Ward's agglomerative merging of weighted centroids, from `base` groups down to one.
#[derive(Clone, Debug, PartialEq)]
pub struct Dendrogram {
    base: usize,
    /// Rows each base cluster stands for.
    sizes: Vec<usize>,
    /// Merges in the order they are applied: cheapest first, a group always after its parts.
    merges: Vec<Merge>,
}

impl Dendrogram {
    /// Merges `centroids` (row-major, `dim` columns), each standing for `sizes[i]` rows, by
    /// Ward's criterion with the nearest-neighbour chain (O(k²) time and memory).
    pub fn ward(centroids: &[f32], dim: usize, sizes: &[usize]) -> Result<Self, ClusterError> {
        let k = sizes.len();
        if dim == 0 || centroids.len() != k * dim {
            return Err(ClusterError::Shape {
                len: centroids.len(),
                dim,
            });
        }
        crate::check_finite(centroids, dim)?;
        let mut weight: Vec<f64> = sizes.iter().map(|&s| s.max(1) as f64).collect();
        let mut cost = vec![0.0f64; k * k];
        for i in 0..k {
            for j in (i + 1)..k {
                let distance: f64 = centroids[i * dim..(i + 1) * dim]
                    .iter()
                    .zip(&centroids[j * dim..(j + 1) * dim])
                    .map(|(a, b)| f64::from(a - b) * f64::from(a - b))
                    .sum();
                let c = weight[i] * weight[j] / (weight[i] + weight[j]) * distance;
                cost[i * k + j] = c;
                cost[j * k + i] = c;
            }
        }
        let mut active: Vec<bool> = vec![true; k];
        let mut node_of_slot: Vec<usize> = (0..k).collect();
        let mut floor_of_slot: Vec<f64> = vec![0.0; k];
        let mut chain: Vec<usize> = Vec::new();
        let mut merges = Vec::with_capacity(k.saturating_sub(1));
        let mut remaining = k;
        while remaining > 1 {
            if chain.is_empty() {
                chain.push(active.iter().position(|&a| a).unwrap_or(0));
            }
            let a = chain[chain.len() - 1];
            let previous = chain.len().checked_sub(2).map(|i| chain[i]);
            // Prefer the previous chain element on ties, so the chain never cycles.
            let mut best = previous.unwrap_or(usize::MAX);
            let mut best_cost = previous.map_or(f64::INFINITY, |p| cost[a * k + p]);
            for c in 0..k {
                if active[c] && c != a && cost[a * k + c] < best_cost {
                    best = c;
                    best_cost = cost[a * k + c];
                }
            }
            if Some(best) != previous {
                chain.push(best);
                continue;
            }
            chain.truncate(chain.len() - 2);
            let (keep, gone) = (a.min(best), a.max(best));
            let node = k + merges.len();
            let floor = best_cost.max(floor_of_slot[keep]).max(floor_of_slot[gone]);
            merges.push(Merge {
                left: node_of_slot[keep],
                right: node_of_slot[gone],
                node,
                cost: floor,
            });
            for c in 0..k {
                if active[c] && c != keep && c != gone {
                    let (wk, wg, wc) = (weight[keep], weight[gone], weight[c]);
                    let updated = ((wk + wc) * cost[keep * k + c] + (wg + wc) * cost[gone * k + c]
                        - wc * best_cost)
                        / (wk + wg + wc);
                    cost[keep * k + c] = updated;
                    cost[c * k + keep] = updated;
                }
            }
            weight[keep] += weight[gone];
            active[gone] = false;
            node_of_slot[keep] = node;
            floor_of_slot[keep] = floor;
            remaining -= 1;
        }
        merges.sort_by(|x, y| x.cost.total_cmp(&y.cost).then(x.node.cmp(&y.node)));
        Ok(Self {
            base: k,
            sizes: sizes.to_vec(),
            merges,
        })
    }

    /// Number of base clusters.
    pub fn base(&self) -> usize {
        self.base
    }

    /// The merges, cheapest first.
    pub fn merges(&self) -> &[Merge] {
        &self.merges
    }

    /// The group of each base cluster when the tree is cut into `groups` groups (clamped to
    /// 1..=base), numbered 0.. in order of their lowest base cluster.
    pub fn cut(&self, groups: usize) -> Vec<usize> {
        self.cut_capped(groups, usize::MAX)
    }

    /// [`Dendrogram::cut`], then every group of more than `cap` rows that is not one base
    /// cluster replaced by the two groups it was merged from, until none is: there may be more
    /// groups than asked. Cuts of one tree with one cap still nest (a group is the highest node
    /// on its branch within the cap), so levels cut this way keep each child under one parent.
    pub fn cut_capped(&self, groups: usize, cap: usize) -> Vec<usize> {
        let groups = groups.clamp(1, self.base.max(1));
        let mut parent: Vec<usize> = (0..self.base + self.merges.len()).collect();
        fn root(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        for merge in &self.merges[..self.base - groups] {
            let (l, r) = (
                root(&mut parent, merge.left),
                root(&mut parent, merge.right),
            );
            parent[l] = merge.node;
            parent[r] = merge.node;
        }
        // Each node's rows and the node that took it in, from the merges in creation order.
        let mut rows = vec![0usize; self.base + self.merges.len()];
        let mut up = vec![usize::MAX; self.base + self.merges.len()];
        rows[..self.base].copy_from_slice(&self.sizes);
        let mut by_node: Vec<&Merge> = self.merges.iter().collect();
        by_node.sort_by_key(|m| m.node);
        for merge in by_node {
            rows[merge.node] = rows[merge.left] + rows[merge.right];
            up[merge.left] = merge.node;
            up[merge.right] = merge.node;
        }
        let mut number = std::collections::HashMap::new();
        (0..self.base)
            .map(|b| {
                let top = root(&mut parent, b);
                // The cut's group when within the cap, else the highest node between `b` and it
                // that is (rows only grow on the way up).
                let mut group = top;
                if rows[top] > cap {
                    group = b;
                    let mut node = b;
                    while node != top {
                        node = up[node];
                        if rows[node] > cap {
                            break;
                        }
                        group = node;
                    }
                }
                let next = number.len();
                *number.entry(group).or_insert(next)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_centroids_merge_first_and_cuts_nest() {
        // Two tight pairs far apart, and one loner.
        let centroids = [0.0, 0.0, 0.1, 0.0, 5.0, 5.0, 5.0, 5.2, 10.0, 0.0];
        let tree = Dendrogram::ward(&centroids, 2, &[10, 10, 10, 10, 10]).unwrap();
        assert_eq!(tree.merges().len(), 4);
        assert!(tree.merges().windows(2).all(|w| w[0].cost <= w[1].cost));
        assert_eq!(tree.cut(5), [0, 1, 2, 3, 4]);
        assert_eq!(tree.cut(3), [0, 0, 1, 1, 2]);
        assert_eq!(tree.cut(1), [0; 5]);
        let two = tree.cut(2);
        let three = tree.cut(3);
        for i in 0..5 {
            for j in 0..5 {
                if three[i] == three[j] {
                    assert_eq!(two[i], two[j], "cuts nest");
                }
            }
        }
    }

    #[test]
    fn heavy_clusters_resist_merging() {
        // Ward's cost grows with size: a big cluster stays apart from a near one longer than a
        // small one at the same distance.
        let centroids = [0.0, 1.0, 2.2, 3.3];
        let tree = Dendrogram::ward(&centroids, 1, &[1000, 1000, 1, 1]).unwrap();
        assert_eq!(tree.cut(3), [0, 1, 2, 2]);
        assert_eq!(tree.cut(2), [0, 1, 1, 1]);
    }

    #[test]
    fn a_capped_cut_splits_groups_over_the_cap_and_still_nests() {
        // Four near clusters of 40 rows and a far one of 10: cut in two, the four make one
        // group of 160 rows; with a cap of 100 it is split into the two pairs it was made of.
        let centroids = [0.0, 0.0, 0.1, 0.0, 1.0, 0.0, 1.1, 0.0, 50.0, 0.0];
        let sizes = [40, 40, 40, 40, 10];
        let tree = Dendrogram::ward(&centroids, 2, &sizes).unwrap();
        assert_eq!(tree.cut(2), [0, 0, 0, 0, 1]);
        assert_eq!(tree.cut_capped(2, 100), [0, 0, 1, 1, 2]);
        assert_eq!(tree.cut_capped(2, 200), tree.cut(2));
        // A cap below one base cluster leaves base clusters whole.
        assert_eq!(tree.cut_capped(2, 5), [0, 1, 2, 3, 4]);
        let (coarse, fine) = (tree.cut_capped(2, 70), tree.cut_capped(4, 70));
        for i in 0..5 {
            for j in 0..5 {
                if fine[i] == fine[j] {
                    assert_eq!(coarse[i], coarse[j], "cuts nest");
                }
            }
        }
    }

    #[test]
    fn single_cluster_and_bad_shape() {
        assert_eq!(Dendrogram::ward(&[1.0], 1, &[3]).unwrap().cut(4), [0]);
        assert!(Dendrogram::ward(&[1.0, 2.0], 3, &[1]).is_err());
    }
}
