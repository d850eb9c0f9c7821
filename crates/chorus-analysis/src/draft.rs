//! The working tree: what the steps before the release know of each cluster, its members
//! included. It is never written anywhere; the release turns it into the published tree.

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
