//! The working tree: what the steps before the release know of each cluster, its members
//! included. It is never written anywhere; the release turns it into the published tree.

use std::collections::HashMap;

use chorus_report::ReportNode;
use chorus_text::Keyword;

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
    /// Its conversations (positions among the clustered ones).
    pub members: Vec<usize>,
    /// What a model wrote of its texts (the release gate checks those word by word).
    pub model_text: ModelText,
    /// Investigation mode, base clusters: excerpts of users' redacted words.
    pub examples: Vec<String>,
    /// The clusters one level down.
    pub children: Vec<DraftNode>,
}

impl DraftNode {
    /// The texts of this node a model wrote.
    pub(crate) fn model_texts(&self) -> Vec<&str> {
        match self.model_text {
            ModelText::None => Vec::new(),
            ModelText::Name => vec![&self.name],
            ModelText::NameAndDescription => vec![&self.name, &self.description],
        }
    }
}

/// The first three keywords (the release names a node without any).
pub(crate) fn keyword_name(keywords: &[Keyword]) -> String {
    keywords
        .iter()
        .take(3)
        .map(|k| k.term.as_str())
        .collect::<Vec<_>>()
        .join(" · ")
}

pub(crate) fn keyword_description(keywords: &[Keyword]) -> String {
    if keywords.is_empty() {
        return String::new();
    }
    let listed: Vec<String> = keywords
        .iter()
        .map(|k| format!("{} ({:.0}%)", k.term, k.share * 100.0))
        .collect();
    format!(
        "Users here wrote about {}. Shares are of this cluster's conversations.",
        listed.join(", ")
    )
}

/// Siblings that ended up with one name are renamed by the keywords only each of them has (a
/// keyword two of them share says nothing about which is which); one with no keyword of its own
/// keeps the name.
pub(crate) fn tell_siblings_apart(siblings: &mut [ReportNode]) {
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, node) in siblings.iter().enumerate().filter(|(_, n)| !n.other) {
        by_name.entry(node.name.clone()).or_default().push(index);
    }
    let mut same_named: Vec<Vec<usize>> = by_name.into_values().filter(|g| g.len() > 1).collect();
    same_named.sort();
    for group in same_named {
        let mut holders: HashMap<String, usize> = HashMap::new();
        for &index in &group {
            for keyword in &siblings[index].keywords {
                *holders.entry(keyword.term.clone()).or_default() += 1;
            }
        }
        for index in group {
            let own: Vec<Keyword> = siblings[index]
                .keywords
                .iter()
                .filter(|k| holders[&k.term] == 1)
                .cloned()
                .collect();
            if !own.is_empty() {
                siblings[index].name = keyword_name(&own);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, name: &str, terms: &[&str]) -> ReportNode {
        ReportNode {
            id: id.into(),
            name: name.into(),
            keywords: terms
                .iter()
                .map(|term| Keyword {
                    term: term.to_string(),
                    score: 1.0,
                    users: 30,
                    share: 0.5,
                })
                .collect(),
            ..ReportNode::default()
        }
    }

    #[test]
    fn same_named_siblings_are_told_apart_by_their_own_keywords() {
        let mut siblings = [
            node("L0.0", "top · up", &["top", "up", "card", "failed"]),
            node("L0.1", "top · up", &["top", "up", "cash", "cheque"]),
            node("L0.2", "top · up", &["top", "up"]),
            node("L0.3", "exchange · rate", &["exchange", "rate"]),
        ];
        tell_siblings_apart(&mut siblings);
        let names: Vec<&str> = siblings.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "card · failed",
                "cash · cheque",
                "top · up",
                "exchange · rate"
            ]
        );
    }
}
