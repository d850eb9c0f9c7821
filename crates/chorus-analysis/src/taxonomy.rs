//! Taxonomy mode (`--taxonomy FILE`): the levels above the base clusters are the operator's
//! categories. Each base cluster goes to the leaf category whose embedded name and description
//! its centroid is nearest (by cosine), or to "Unassigned" when none is near enough; the
//! published node of a category carries exactly its name.
//!
//! The file is TOML: `[[category]]` tables with `name`, an optional `description` and nested
//! `[[category.children]]` of the same shape.

use serde::Deserialize;

use crate::AnalysisError;

pub use chorus_report::UNASSIGNED;

/// The operator's categories.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taxonomy {
    /// The top level.
    #[serde(default)]
    pub category: Vec<Category>,
}

/// One category and the ones under it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Its name, published as it is.
    pub name: String,
    /// What belongs in it (embedded with the name; published as its description).
    #[serde(default)]
    pub description: String,
    /// The categories under it.
    #[serde(default)]
    pub children: Vec<Category>,
}

/// A taxonomy with each leaf category's embedded text, ready to place base clusters.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedTaxonomy {
    /// The categories.
    pub taxonomy: Taxonomy,
    /// Per anchor ([`Taxonomy::anchors`]): its leaf category's index (depth-first order) and
    /// the vector of its text as embedded.
    pub anchor_vectors: Vec<(usize, Vec<f32>)>,
    /// The file it came from, as the report names it.
    pub source: String,
}

/// A category of the tree the taxonomy makes, at one level.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TaxonomyNode {
    pub name: String,
    pub description: String,
}

impl Taxonomy {
    /// Reads the TOML text of a taxonomy file; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Self, AnalysisError> {
        let broken = |message: String| AnalysisError::Taxonomy {
            file: source.into(),
            message,
        };
        let taxonomy: Self = toml::from_str(text).map_err(|error| broken(error.to_string()))?;
        if taxonomy.category.is_empty() {
            return Err(broken(
                "it has no [[category]]: give each top-level category as a [[category]] table with a name".into(),
            ));
        }
        check_siblings(&taxonomy.category, "the top level").map_err(broken)?;
        Ok(taxonomy)
    }

    /// Levels of categories (1: a flat list).
    pub fn depth(&self) -> usize {
        fn depth(categories: &[Category]) -> usize {
            categories
                .iter()
                .map(|c| 1 + depth(&c.children))
                .max()
                .unwrap_or(0)
        }
        depth(&self.category)
    }

    /// Per leaf category, depth first: the text embedded for it, its path of names and its
    /// description (`Travel › Visas: …`).
    pub fn leaf_texts(&self) -> Vec<String> {
        self.leaf_paths_named()
            .into_iter()
            .zip(self.leaves())
            .map(
                |(names, path)| match path[path.len() - 1].description.as_str() {
                    "" => names,
                    description => format!("{names}: {description}"),
                },
            )
            .collect()
    }

    /// The texts a base cluster is compared with, each with its leaf category's index: per
    /// leaf its whole text ([`Taxonomy::leaf_texts`]) and, when its description lists examples
    /// separated by semicolons, each example on its own (a cluster about one of them is nearer
    /// to it than to the whole list).
    pub fn anchors(&self) -> Vec<(usize, String)> {
        let leaves = self.leaves();
        let mut anchors = Vec::new();
        for (index, (text, path)) in self.leaf_texts().into_iter().zip(&leaves).enumerate() {
            anchors.push((index, text));
            let description = &path[path.len() - 1].description;
            let examples: Vec<&str> = description
                .split(';')
                .map(|part| part.trim().trim_end_matches('.'))
                .filter(|part| !part.is_empty())
                .collect();
            if examples.len() > 1 {
                anchors.extend(
                    examples
                        .into_iter()
                        .map(|example| (index, example.to_string())),
                );
            }
        }
        anchors
    }

    /// Per leaf category, depth first: its path of names (`Travel › Visas`), as the model is
    /// shown it.
    pub fn leaf_paths_named(&self) -> Vec<String> {
        self.leaves()
            .into_iter()
            .map(|path| {
                path.iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" › ")
            })
            .collect()
    }

    /// Every leaf category with the categories above it, top first, depth first.
    fn leaves(&self) -> Vec<Vec<&Category>> {
        self.leaf_paths()
            .into_iter()
            .map(|path| path.into_iter().map(|(_, c)| c).collect())
            .collect()
    }

    /// Every leaf category's path from the top, each category with its number in depth-first
    /// order (unique in the taxonomy).
    fn leaf_paths(&self) -> Vec<Vec<(usize, &Category)>> {
        fn walk<'a>(
            categories: &'a [Category],
            next: &mut usize,
            path: &mut Vec<(usize, &'a Category)>,
            into: &mut Vec<Vec<(usize, &'a Category)>>,
        ) {
            for category in categories {
                path.push((*next, category));
                *next += 1;
                if category.children.is_empty() {
                    into.push(path.clone());
                } else {
                    walk(&category.children, next, path, into);
                }
                path.pop();
            }
        }
        let mut leaves = Vec::new();
        walk(&self.category, &mut 0, &mut Vec::new(), &mut leaves);
        leaves
    }

    /// The tree's levels above the base, for base clusters placed at leaves (`leaf_of`: a
    /// leaf's index, or `None` for "Unassigned"): per level (1 = just above the base) the
    /// nodes, and per level per base cluster its node's index there. A leaf shallower than the
    /// deepest stands at every level below its own as itself (the release publishes such a
    /// chain once, under its deepest id, with its name).
    pub(crate) fn levels(
        &self,
        leaf_of: &[Option<usize>],
    ) -> (Vec<Vec<TaxonomyNode>>, Vec<Vec<usize>>) {
        let depth = self.depth();
        let unassigned = Category {
            name: UNASSIGNED.into(),
            description: "Clusters that no category of the taxonomy fits.".into(),
            children: Vec::new(),
        };
        let mut paths = self.leaf_paths();
        paths.push(vec![(usize::MAX, &unassigned)]);
        let mut nodes: Vec<Vec<TaxonomyNode>> = Vec::with_capacity(depth);
        // Per leaf (and "Unassigned", last), its node's index at each depth, top first.
        let mut index_of: Vec<Vec<usize>> = vec![Vec::with_capacity(depth); paths.len()];
        for d in 0..depth {
            let mut at_depth: Vec<TaxonomyNode> = Vec::new();
            let mut previous = None;
            for (leaf, path) in paths.iter().enumerate() {
                // Below its own depth a leaf stands for itself; depth-first order keeps the
                // leaves of one category together.
                let (number, category) = path[d.min(path.len() - 1)];
                if previous != Some(number) {
                    at_depth.push(TaxonomyNode {
                        name: category.name.clone(),
                        description: category.description.clone(),
                    });
                }
                previous = Some(number);
                index_of[leaf].push(at_depth.len() - 1);
            }
            nodes.push(at_depth);
        }
        let unassigned_leaf = paths.len() - 1;
        // Level 1 is the deepest depth; the top level the first.
        let groups = (0..depth)
            .rev()
            .map(|d| {
                leaf_of
                    .iter()
                    .map(|leaf| index_of[leaf.unwrap_or(unassigned_leaf)][d])
                    .collect()
            })
            .collect();
        nodes.reverse();
        (nodes, groups)
    }
}

/// Names must say something and siblings must differ (a name is the published node's id for
/// the reader).
fn check_siblings(categories: &[Category], place: &str) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for category in categories {
        let name = category.name.trim();
        if name.is_empty() {
            return Err(format!("a category in {place} has an empty name"));
        }
        if name == UNASSIGNED {
            return Err(format!(
                "{UNASSIGNED:?} is the name chorus gives clusters no category fits: name the category otherwise"
            ));
        }
        if !seen.insert(name.to_lowercase()) {
            return Err(format!("{place} names {name:?} twice"));
        }
        check_siblings(&category.children, &format!("the children of {name:?}"))?;
    }
    Ok(())
}

/// Each base cluster's leaf category: the one with the anchor (leaf index, vector) its
/// centroid is nearest by cosine, `None` when that cosine is below `min_cosine`.
pub(crate) fn nearest_leaves(
    centroids: &[f32],
    dim: usize,
    anchors: &[(usize, Vec<f32>)],
    min_cosine: f32,
) -> Vec<Option<usize>> {
    let norm = |v: &[f32]| {
        v.iter()
            .map(|x| x * x)
            .sum::<f32>()
            .sqrt()
            .max(f32::EPSILON)
    };
    centroids
        .chunks_exact(dim)
        .map(|centroid| {
            let length = norm(centroid);
            anchors
                .iter()
                .filter(|(_, anchor)| anchor.len() == dim)
                .map(|(leaf, anchor)| {
                    let dot: f32 = centroid.iter().zip(anchor).map(|(a, b)| a * b).sum();
                    (*leaf, dot / (length * norm(anchor)))
                })
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
                .filter(|(_, cosine)| *cosine >= min_cosine)
                .map(|(leaf, _)| leaf)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[[category]]
name = "Travel"
description = "trips, visas, flights"
[[category.children]]
name = "Visas"
description = "applying for a visa"
[[category.children]]
name = "Flights"

[[category]]
name = "Cooking"
description = "recipes"
"#;

    #[test]
    fn a_nested_taxonomy_makes_levels_with_shallow_leaves_repeated() {
        let taxonomy = Taxonomy::parse(FILE, "t.toml").unwrap();
        assert_eq!(taxonomy.depth(), 2);
        assert_eq!(
            taxonomy.leaf_texts(),
            [
                "Travel › Visas: applying for a visa",
                "Travel › Flights",
                "Cooking: recipes"
            ]
        );
        // Base clusters: 0 → Visas, 1 → Cooking, 2 → nothing fits, 3 → Flights.
        let (nodes, groups) = taxonomy.levels(&[Some(0), Some(2), None, Some(1)]);
        let names =
            |level: usize| -> Vec<&str> { nodes[level].iter().map(|n| n.name.as_str()).collect() };
        assert_eq!(names(0), ["Visas", "Flights", "Cooking", UNASSIGNED]);
        assert_eq!(names(1), ["Travel", "Cooking", UNASSIGNED]);
        assert_eq!(groups[0], [0, 2, 3, 1]);
        assert_eq!(groups[1], [0, 1, 2, 0]);
    }

    #[test]
    fn a_description_that_lists_examples_gives_each_its_own_anchor() {
        let listed = Taxonomy::parse(
            "[[category]]\nname = \"Cooking\"\ndescription = \"Such as: bake bread; cook rice.\"\n",
            "t.toml",
        )
        .unwrap();
        let anchors: Vec<String> = listed.anchors().into_iter().map(|(_, t)| t).collect();
        assert_eq!(
            anchors,
            [
                "Cooking: Such as: bake bread; cook rice.",
                "Such as: bake bread",
                "cook rice"
            ]
        );
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let error = |text: &str| Taxonomy::parse(text, "t.toml").unwrap_err().to_string();
        assert!(error("").contains("no [[category]]"));
        assert!(
            error("[[category]]\nname = \"A\"\n[[category]]\nname = \"a\"\n").contains("twice")
        );
        assert!(error("[[category]]\nname = \" \"\n").contains("empty name"));
        assert!(error("[[category]]\nname = \"A\"\ncolour = 1\n").contains("colour"));
        assert!(
            error("[[category]]\nname = \"Unassigned\"\n").contains("name the category otherwise")
        );
        assert!(error("").starts_with("t.toml: "));
    }

    #[test]
    fn a_cluster_goes_to_the_nearest_leaf_or_to_none() {
        // Leaf 1 has two anchors; the second is what the third cluster is about.
        let anchors = vec![
            (0, vec![1.0, 0.0]),
            (1, vec![0.0, 1.0]),
            (1, vec![-1.0, -0.1]),
        ];
        let centroids = [0.9, 0.1, 0.2, 0.5, -1.0, -0.2, 0.7, 0.7];
        assert_eq!(
            nearest_leaves(&centroids, 2, &anchors, 0.9),
            [Some(0), Some(1), Some(1), None]
        );
    }
}
