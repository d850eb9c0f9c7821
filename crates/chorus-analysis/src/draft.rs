//! The working tree: what the steps before the release know of each cluster, its members
//! included. It is never written anywhere; the release turns it into the published tree.

use std::collections::HashMap;

use chorus_text::{Keyword, Phrase};

/// Which of a node's texts a model wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum ModelText {
    /// None: they are built from its keywords.
    #[default]
    None,
    /// The name (a local model's title from the keywords, or the model-built hierarchy's
    /// parent name).
    Name,
    /// The name and the description.
    NameAndDescription,
    /// The name is the one an earlier run's release let out for this cluster of its tree
    /// (`chorus assign`): already public, it is kept as it is.
    Released,
    /// The name and description are the operator's (a taxonomy's category): no user wrote
    /// them, they are kept as they are.
    Operator,
}

/// A cluster of the working tree.
#[derive(Debug, Default)]
pub(crate) struct DraftNode {
    /// `root`, `L{level}.{index}`.
    pub id: String,
    /// 0 for base clusters; the root is one above the top level.
    pub level: usize,
    pub name: String,
    pub description: String,
    /// Each used by at least `min_users` distinct users of the cluster.
    pub keywords: Vec<Keyword>,
    /// Phrases its users wrote, best first, each by at least `min_users` of them: the first
    /// names it unless a model does.
    pub phrases: Vec<Phrase>,
    /// Its conversations (positions among the clustered ones).
    pub members: Vec<usize>,
    /// What a model wrote of its texts (the release gate checks those word by word).
    pub model_text: ModelText,
    /// Investigation mode, base clusters: excerpts of users' redacted words.
    pub examples: Vec<String>,
    /// The clusters one level down.
    pub children: Vec<DraftNode>,
    /// The conversations an earlier run's tree could not place (`chorus assign`): published
    /// as counts only.
    pub unplaced: bool,
}

impl DraftNode {
    /// The texts of this node a model wrote.
    pub(crate) fn model_texts(&self) -> Vec<&str> {
        match self.model_text {
            ModelText::None | ModelText::Released | ModelText::Operator => Vec::new(),
            ModelText::Name => vec![&self.name],
            ModelText::NameAndDescription => vec![&self.name, &self.description],
        }
    }
}

/// The first three keywords (a node without phrases).
pub(crate) fn keyword_name(keywords: &[Keyword]) -> String {
    keywords
        .iter()
        .take(3)
        .map(|k| k.term.as_str())
        .collect::<Vec<_>>()
        .join(" · ")
}

pub(crate) fn keyword_description(keywords: &[Keyword]) -> String {
    described(keywords.iter().map(|k| (k.term.as_str(), k.share)))
}

/// Phrases among the best this many may name a node.
const NAME_CANDIDATES: usize = 3;

/// The first of the best phrases that has words enough to say something alone and is at
/// least half as distinctive as the best; else (single words each say little) the best few
/// together.
fn phrase_name(phrases: &[Phrase]) -> String {
    let best = &phrases[..phrases.len().min(NAME_CANDIDATES)];
    let top_score = best.first().map_or(0.0, |phrase| phrase.score);
    let alone = |phrase: &&Phrase| phrase.term.contains(' ') && phrase.score * 2.0 >= top_score;
    match best.iter().find(alone) {
        Some(phrase) => phrase.term.clone(),
        None => best
            .iter()
            .map(|phrase| phrase.term.as_str())
            .collect::<Vec<_>>()
            .join(" · "),
    }
}

/// The phrases after the name, with their shares.
pub(crate) fn phrase_description(phrases: &[Phrase]) -> String {
    described(phrases.iter().map(|p| (p.term.as_str(), p.share)))
}

fn described<'a>(terms: impl Iterator<Item = (&'a str, f64)>) -> String {
    let listed: Vec<String> = terms
        .map(|(term, share)| format!("{term} ({:.0}%)", share * 100.0))
        .collect();
    if listed.is_empty() {
        return String::new();
    }
    format!(
        "Users here wrote about {}. Shares are of this cluster's conversations.",
        listed.join(", ")
    )
}

/// Names computed from the users' words: the best phrase, else the first keywords; `None`
/// when neither is left.
pub(crate) fn computed_name(node: &DraftNode) -> Option<(String, String)> {
    match (node.phrases.first(), node.keywords.is_empty()) {
        (Some(_), _) => Some((
            phrase_name(&node.phrases),
            phrase_description(&node.phrases),
        )),
        (None, false) => Some((
            keyword_name(&node.keywords),
            keyword_description(&node.keywords),
        )),
        (None, true) => None,
    }
}

/// A sibling that the users' words cannot tell apart: no phrase or keyword of its own names it
/// apart from its siblings and its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Indistinct {
    /// Named like the sibling at this index, which keeps the name.
    LikeSibling(usize),
    /// Named like the parent.
    LikeParent,
}

/// Siblings never share a name, and a child avoids its parent's: each later one of a
/// same-named group (the largest keeps the name), and a child named like `parent`, takes its
/// best phrase that names neither a sibling nor the parent; without one, its best keyword
/// the name does not say marks it. Returns, by index, the siblings neither gives a name of
/// their own (the release merges or folds them: a number would tell nothing).
pub(crate) fn tell_siblings_apart(
    parent: &str,
    siblings: &mut [DraftNode],
) -> Vec<(usize, Indistinct)> {
    // A name given from outside (an earlier release's, the operator's) is never changed: those
    // come first and keep theirs.
    let given =
        |node: &DraftNode| matches!(node.model_text, ModelText::Released | ModelText::Operator);
    let mut order: Vec<usize> = (0..siblings.len()).collect();
    order.sort_by(|&a, &b| {
        given(&siblings[b])
            .cmp(&given(&siblings[a]))
            .then(siblings[b].members.len().cmp(&siblings[a].members.len()))
            .then(a.cmp(&b))
    });
    let mut taken: HashMap<String, usize> = HashMap::new();
    let mut indistinct = Vec::new();
    for index in order {
        let node = &siblings[index];
        let free = |name: &str| name != parent && !taken.contains_key(name);
        if free(&node.name) || given(node) {
            taken.entry(node.name.clone()).or_insert(index);
            continue;
        }
        let by_phrase = node
            .phrases
            .iter()
            .map(|p| p.term.clone())
            .find(|t| free(t));
        let by_keyword = || {
            node.keywords
                .iter()
                .filter(|keyword| !node.name.split(' ').any(|word| keyword.term.contains(word)))
                .map(|keyword| format!("{} · {}", node.name, keyword.term))
                .find(|name| free(name))
        };
        match by_phrase.or_else(by_keyword) {
            Some(name) => {
                taken.insert(name.clone(), index);
                siblings[index].name = name;
            }
            None => indistinct.push((
                index,
                taken
                    .get(&node.name)
                    .map_or(Indistinct::LikeParent, |&like| {
                        Indistinct::LikeSibling(like)
                    }),
            )),
        }
    }
    indistinct.sort_unstable_by_key(|&(index, _)| index);
    indistinct
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, size: usize, phrases: &[&str], terms: &[&str]) -> DraftNode {
        // Phrases and keywords are scored alike; these all weigh the same.
        let scored = |terms: &[&str]| -> Vec<Keyword> {
            terms
                .iter()
                .map(|term| Keyword {
                    term: term.to_string(),
                    score: 1.0,
                    users: 30,
                    share: 0.5,
                })
                .collect()
        };
        DraftNode {
            name: name.into(),
            members: (0..size).collect(),
            phrases: scored(phrases),
            keywords: scored(terms),
            ..DraftNode::default()
        }
    }

    #[test]
    fn siblings_and_children_never_share_a_name() {
        let mut siblings = [
            node("top up", 10, &["top up", "top up failed"], &["top"]),
            node("top up", 40, &["top up", "cheque"], &["top"]),
            node("top up", 20, &["top up"], &["top", "cash"]),
            node("card", 30, &["card", "card arrival"], &["card"]),
            node("exchange rate", 50, &["exchange rate"], &["exchange rate"]),
        ];
        let indistinct = tell_siblings_apart("card", &mut siblings);
        let names: Vec<&str> = siblings.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "top up failed",
                "top up",
                "top up · cash",
                "card arrival",
                "exchange rate"
            ]
        );
        assert!(indistinct.is_empty(), "{indistinct:?}");
    }

    #[test]
    fn siblings_no_word_tells_apart_are_reported_not_numbered() {
        let mut siblings = [
            node("people", 10, &["people"], &["people"]),
            node("people", 40, &["people"], &["people"]),
            node("money", 20, &["money"], &["money"]),
            node("car", 30, &["car"], &["car"]),
        ];
        let indistinct = tell_siblings_apart("money", &mut siblings);
        assert_eq!(
            indistinct,
            [(0, Indistinct::LikeSibling(1)), (2, Indistinct::LikeParent)]
        );
        // The ones that keep a name keep their own.
        assert_eq!(siblings[1].name, "people");
        assert_eq!(siblings[3].name, "car");
    }
}
