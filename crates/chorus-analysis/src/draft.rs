//! The working tree: what the steps before the release know of each cluster, its members
//! included. It is never written anywhere; the release turns it into the published tree.

use std::collections::{HashMap, HashSet};

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
    /// The language most of its users write, where any was detected.
    pub language: Option<String>,
    /// Its keywords and phrases written mostly in other languages than the one most of its
    /// users write: they name it only when nothing in its own language can.
    pub other_language_terms: HashSet<String>,
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
/// least half as distinctive as the best, with the share of the node that wrote it; else
/// (single words each say little) the best few together.
fn phrase_name(phrases: &[Phrase]) -> (String, Option<f64>) {
    let best = &phrases[..phrases.len().min(NAME_CANDIDATES)];
    let top_score = best.first().map_or(0.0, |phrase| phrase.score);
    let alone = |phrase: &&Phrase| phrase.term.contains(' ') && phrase.score * 2.0 >= top_score;
    match best.iter().find(alone) {
        Some(phrase) => (phrase.term.clone(), Some(phrase.share)),
        None => (
            best.iter()
                .map(|phrase| phrase.term.as_str())
                .collect::<Vec<_>>()
                .join(" · "),
            None,
        ),
    }
}

/// A parent's phrase written by fewer than this share of its conversations names one of its
/// parts, not the parent: the parent is named by what its largest children are about.
const PARENT_NAME_COVERAGE: f64 = 0.2;

/// How many of its largest children name a parent.
const CHILDREN_NAMED: usize = 2;

/// The names of a node's [`CHILDREN_NAMED`] largest children in its own language, from their
/// own words (a child named by a list gives its first word); None unless that many differ.
fn children_name(node: &DraftNode) -> Option<String> {
    let other_language = |child: &&DraftNode| {
        node.language.is_some() && child.language.is_some() && node.language != child.language
    };
    let mut children: Vec<&DraftNode> = node
        .children
        .iter()
        .filter(|c| !other_language(c))
        .collect();
    children.sort_by(|a, b| b.members.len().cmp(&a.members.len()).then(a.id.cmp(&b.id)));
    let mut said: Vec<String> = Vec::new();
    for child in children {
        if said.len() == CHILDREN_NAMED {
            break;
        }
        let Some(name) = name_of(child, false) else {
            continue;
        };
        let headline = name.split(" · ").next().unwrap_or_default().to_string();
        if !headline.is_empty() && !said.contains(&headline) {
            said.push(headline);
        }
    }
    (said.len() == CHILDREN_NAMED).then(|| said.join(" · "))
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

/// Names computed from the users' words: the best phrase, else the first keywords, those in
/// the node's own language first (a phrase of another language gives way to keywords in its
/// own); a parent whose best phrase few of it wrote is named by its largest children
/// ([`children_name`]). `None` when nothing is left.
pub(crate) fn computed_name(node: &DraftNode) -> Option<(String, String)> {
    Some((name_of(node, true)?, computed_description(node)))
}

/// [`computed_name`] from the node's own words alone.
pub(crate) fn own_words_name(node: &DraftNode) -> Option<(String, String)> {
    Some((name_of(node, false)?, computed_description(node)))
}

fn name_of(node: &DraftNode, by_children: bool) -> Option<String> {
    let own = |terms: &[Keyword]| -> Vec<Keyword> {
        terms
            .iter()
            .filter(|term| !node.other_language_terms.contains(&term.term))
            .cloned()
            .collect()
    };
    let (phrases, keywords) = (own(&node.phrases), own(&node.keywords));
    let name = if !phrases.is_empty() {
        match phrase_name(&phrases) {
            (name, Some(share)) if by_children && share < PARENT_NAME_COVERAGE => {
                children_name(node).unwrap_or(name)
            }
            (name, _) => name,
        }
    } else if !keywords.is_empty() {
        keyword_name(&keywords)
    } else if !node.phrases.is_empty() {
        phrase_name(&node.phrases).0
    } else if !node.keywords.is_empty() {
        keyword_name(&node.keywords)
    } else {
        return None;
    };
    Some(name)
}

/// The phrases after the name, else the keywords, with their shares.
fn computed_description(node: &DraftNode) -> String {
    match node.phrases.is_empty() {
        false => phrase_description(&node.phrases),
        true => keyword_description(&node.keywords),
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

    /// A parent of `size` conversations whose one phrase `share` of them wrote, over children
    /// named by phrases, of the given sizes.
    fn parent(share: f64, size: usize, children: &[(&str, usize)]) -> DraftNode {
        let mut parent = node("", size, &["learn the piano"], &["piano"]);
        parent.phrases[0].share = share;
        parent.children = children
            .iter()
            .map(|&(name, size)| node(name, size, &[name], &[]))
            .collect();
        parent
    }

    #[test]
    fn a_parent_that_few_of_its_users_name_is_named_by_its_largest_children() {
        let children = [
            ("write a cover letter", 300),
            ("learn the piano", 40),
            ("fix a leaking tap", 200),
            ("plan a trip", 100),
        ];
        let name = |share| computed_name(&parent(share, 640, &children)).map(|(name, _)| name);
        // Written by 5 %: its two largest children say what it holds.
        assert_eq!(
            name(0.05).as_deref(),
            Some("write a cover letter · fix a leaking tap")
        );
        // Written by half of it: its own phrase.
        assert_eq!(name(0.5).as_deref(), Some("learn the piano"));
        // One child cannot name a parent.
        let only = parent(0.05, 300, &[("write a cover letter", 300)]);
        assert_eq!(computed_name(&only).unwrap().0, "learn the piano");
        // Nor can a child whose users mostly write another language than the parent's.
        let mut mixed = parent(0.05, 640, &children);
        mixed.language = Some("English".into());
        mixed.children[0].language = Some("Spanish".into());
        mixed.children[2].language = Some("English".into());
        assert_eq!(
            computed_name(&mixed).unwrap().0,
            "fix a leaking tap · plan a trip"
        );
    }

    #[test]
    fn terms_of_another_language_name_a_node_only_when_nothing_else_can() {
        let mut mixed = node(
            "",
            100,
            &["aprender piano", "learn"],
            &["aprender", "piano"],
        );
        mixed.other_language_terms = ["aprender piano", "aprender"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(computed_name(&mixed).unwrap().0, "learn");
        mixed.phrases.truncate(1);
        // Its only phrase is another language's: its own keyword names it.
        assert_eq!(computed_name(&mixed).unwrap().0, "piano");
        mixed.keywords.truncate(1);
        assert_eq!(computed_name(&mixed).unwrap().0, "aprender piano");
    }
}
