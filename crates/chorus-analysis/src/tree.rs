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
        // Summary mode's words are the model's English summaries, whatever the users wrote.
        let users_words = self.plan.steps.mode == Mode::Keyword;
        for node in &mut nodes {
            if users_words {
                self.own_language_first(node);
            }
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
            if let Some(written) = self.keyword_writers(&keyword.term) {
                recount(keyword, &written);
            }
        }
        for phrase in &mut node.phrases {
            if let Some(written) = self.phrase_writers(&phrase.term) {
                recount(phrase, &written);
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

    /// The test of whether a conversation wrote the keyword `term`; None for a term never
    /// seen.
    fn keyword_writers(&self, term: &str) -> Option<impl Fn(usize) -> bool + '_> {
        let id = self.collected.vocabulary.id(term)?;
        Some(move |doc: usize| self.collected.terms[doc].binary_search(&id).is_ok())
    }

    /// The test of whether a conversation wrote the phrase `term`, word for word; None for a
    /// word never seen.
    fn phrase_writers(&self, term: &str) -> Option<impl Fn(usize) -> bool + '_> {
        let collected = self.collected;
        let words: Vec<u32> = term
            .split(' ')
            .map(|word| collected.vocabulary.id(word))
            .collect::<Option<_>>()?;
        Some(move |doc: usize| {
            collected.sequences[doc].windows(words.len()).any(|run| {
                run.iter()
                    .zip(&words)
                    .all(|(&id, &word)| id & !FUNCTION_WORD == word)
            })
        })
    }

    /// Puts a node's phrases and keywords that its own language's users wrote before those
    /// that other languages' users wrote, each side in its order, so a cluster whose users
    /// write in several languages is named in the language most of them write ("piano ·
    /// learn", not "piano · learn · aprender"). A term is another language's when, of its
    /// writers in the node whose language was detected, the share in the node's language is
    /// under half that language's share of the node; a term that no detected writer used, and
    /// every term of a node in one language, keep their place.
    fn own_language_first(&self, node: &mut DraftNode) {
        let collected = self.collected;
        let Some(majority) = collected.majority_language(node.members.iter().copied()) else {
            return;
        };
        let (language, share) = (majority.language, majority.share());
        node.language = Some(language.to_string());
        let members = &node.members;
        let foreign = |(detected, own): (usize, usize)| {
            detected > 0 && (own as f64) < share / 2.0 * detected as f64
        };
        let other = |term: &Keyword, phrase: bool| {
            let writers = match phrase {
                true => self
                    .phrase_writers(&term.term)
                    .map(|written| writers_in(collected, members, language, written)),
                false => self
                    .keyword_writers(&term.term)
                    .map(|written| writers_in(collected, members, language, written)),
            };
            writers.is_some_and(foreign)
        };
        let other_keywords: Vec<bool> = node.keywords.iter().map(|k| other(k, false)).collect();
        let other_phrases: Vec<bool> = node.phrases.iter().map(|p| other(p, true)).collect();
        let marked = node.keywords.iter().zip(&other_keywords);
        node.other_language_terms = marked
            .chain(node.phrases.iter().zip(&other_phrases))
            .filter(|(_, other)| **other)
            .map(|(term, _)| term.term.clone())
            .collect();
        demote(&mut node.keywords, &other_keywords);
        demote(&mut node.phrases, &other_phrases);
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

/// Moves the items marked `demoted` after the others, keeping the order within each side.
fn demote<T>(items: &mut Vec<T>, demoted: &[bool]) {
    let mut marked: Vec<(bool, T)> = demoted.iter().copied().zip(items.drain(..)).collect();
    marked.sort_by_key(|(demoted, _)| *demoted);
    items.extend(marked.into_iter().map(|(_, item)| item));
}

/// Of the `members` that `written` says wrote a term: those whose language was detected, and
/// those of them in `language`.
fn writers_in(
    collected: &Collected,
    members: &[usize],
    language: &str,
    written: impl Fn(usize) -> bool,
) -> (usize, usize) {
    let (mut detected, mut own) = (0, 0);
    for &doc in members {
        if let Some(written_in) = collected.languages[doc].as_deref()
            && written(doc)
        {
            detected += 1;
            own += usize::from(written_in == language);
        }
    }
    (detected, own)
}
