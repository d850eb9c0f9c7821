//! What the tree's steps and the release read: the clustered conversations, the plan, the
//! near-identical senders and the thresholds; and the nodes of a level, named by keywords.

use std::collections::HashSet;

use chorus_text::{
    Documents, FUNCTION_WORD, Keyword, Sequences, class_keywords, class_members, class_phrases,
};

use crate::draft::{DraftNode, ModelText, computed_name};
use crate::representative::rank_phrases;
use crate::{AnalysisError, Collected, Mode, Models, Plan, PrivacyConfig};

/// The thresholds every published number and word is held to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ReleasePolicy {
    pub min_users: usize,
    pub min_conversations: usize,
    pub min_cell_users: usize,
}

impl ReleasePolicy {
    pub(crate) fn new(privacy: &PrivacyConfig) -> Self {
        Self {
            min_users: privacy.min_users,
            min_conversations: privacy.min_conversations,
            min_cell_users: privacy.min_cell_users.unwrap_or(privacy.min_users),
        }
    }

    /// Whether a node of this size may be published.
    pub(crate) fn passes(&self, conversations: usize, users: usize) -> bool {
        conversations >= self.min_conversations && users >= self.min_users
    }
}

/// What the tree's steps and the release read: the clustered conversations, the plan, the
/// near-identical senders and the thresholds.
pub(crate) struct TreeBuilder<'a> {
    pub collected: &'a Collected,
    pub plan: &'a Plan,
    /// Per conversation: the distinct accounts that sent it or a near-identical request in its
    /// base cluster (1: none but its own).
    pub senders: &'a [u32],
    pub policy: ReleasePolicy,
}

impl TreeBuilder<'_> {
    /// Whether a node of the working tree may be published: enough distinct users and
    /// conversations.
    pub(crate) fn publishable(&self, node: &DraftNode) -> bool {
        self.policy.passes(
            node.members.len(),
            self.collected.distinct_users(&node.members),
        )
    }

    /// The nodes of one level (without children), named by their users' words: the best
    /// phrase, else the first keywords. In keyword mode with an embedder, the phrases are
    /// ranked by how well they represent their node ([`rank_phrases`]).
    pub(crate) fn level_nodes(
        &self,
        level: usize,
        count: usize,
        classes: &[usize],
        models: &mut Models<'_>,
    ) -> Result<Vec<DraftNode>, AnalysisError> {
        let collected = self.collected;
        let documents = Documents {
            terms: &collected.terms,
            users: &collected.users,
            classes,
        };
        let (min_users, top) = (self.plan.privacy.min_users, self.plan.hierarchy.keywords);
        let keywords = class_keywords(&documents, count, &collected.vocabulary, min_users, top);
        let anchors: Vec<HashSet<u32>> = keywords
            .iter()
            .map(|keywords| self.anchor_words(keywords))
            .collect();
        let sequences = Sequences {
            words: &collected.sequences,
            users: &collected.users,
            classes,
        };
        let candidates = match (self.plan.steps.mode, models.embedder()) {
            (Mode::Keyword, Some(_)) => self.plan.hierarchy.name_candidates,
            _ => 0,
        };
        let phrases = class_phrases(
            &sequences,
            count,
            &anchors,
            &collected.vocabulary,
            min_users,
            top.max(candidates),
        );
        let mut nodes: Vec<DraftNode> = class_members(classes, count)
            .into_iter()
            .zip(keywords.into_iter().zip(phrases))
            .enumerate()
            .map(|(index, (docs, (keywords, phrases)))| DraftNode {
                id: format!("L{level}.{index}"),
                level,
                keywords,
                phrases,
                members: docs,
                ..DraftNode::default()
            })
            .collect();
        if let Some(embedder) = models.embedder().filter(|_| candidates > 0) {
            rank_phrases(&mut nodes, self, embedder, top)?;
        }
        for node in &mut nodes {
            node.phrases.truncate(top);
            if let Some((name, description)) = computed_name(node) {
                (node.name, node.description) = (name, description);
            }
        }
        Ok(nodes)
    }

    /// A node's keywords and phrases counted again over its members, and its computed
    /// description with the new shares (siblings its words could not tell apart were merged
    /// into it).
    pub(crate) fn recount_words(&self, node: &mut DraftNode) {
        let collected = self.collected;
        let size = node.members.len().max(1) as f64;
        let members = &node.members;
        let recount = |word: &mut Keyword, written: &dyn Fn(usize) -> bool| {
            let writers: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&doc| written(doc))
                .collect();
            word.share = writers.len() as f64 / size;
            word.users = collected.distinct_users(&writers);
        };
        for keyword in &mut node.keywords {
            if let Some(id) = collected.vocabulary.id(&keyword.term) {
                recount(keyword, &|doc| {
                    collected.terms[doc].binary_search(&id).is_ok()
                });
            }
        }
        for phrase in &mut node.phrases {
            let words: Option<Vec<u32>> = phrase
                .term
                .split(' ')
                .map(|word| collected.vocabulary.id(word))
                .collect();
            if let Some(words) = words {
                recount(phrase, &|doc| {
                    collected.sequences[doc].windows(words.len()).any(|run| {
                        run.iter()
                            .zip(&words)
                            .all(|(&id, &word)| id & !FUNCTION_WORD == word)
                    })
                });
            }
        }
        let description_computed = matches!(
            node.model_text,
            ModelText::None | ModelText::Name | ModelText::Released
        );
        if description_computed && let Some((_, description)) = computed_name(node) {
            node.description = description;
        }
    }

    /// The words of a class's keywords, which its phrases must hold one of.
    fn anchor_words(&self, keywords: &[Keyword]) -> HashSet<u32> {
        keywords
            .iter()
            .flat_map(|keyword| keyword.term.split(' '))
            .filter_map(|word| self.collected.vocabulary.id(word))
            .collect()
    }
}
