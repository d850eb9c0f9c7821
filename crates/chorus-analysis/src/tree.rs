//! What the tree's steps and the release read: the clustered conversations, the plan, the
//! near-identical senders and the thresholds; and the nodes of a level, named by keywords.

use chorus_text::{Documents, class_keywords};

use crate::draft::{DraftNode, keyword_description, keyword_name};
use crate::{Collected, Plan, PrivacyConfig};

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

    /// The nodes of one level (without children), named by their keywords.
    pub(crate) fn level_nodes(
        &self,
        level: usize,
        count: usize,
        classes: &[usize],
    ) -> Vec<DraftNode> {
        let documents = Documents {
            terms: &self.collected.terms,
            users: &self.collected.users,
            classes,
        };
        let keywords = class_keywords(
            &documents,
            count,
            &self.collected.vocabulary,
            self.plan.privacy.min_users,
            self.plan.hierarchy.keywords,
        );
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (doc, &class) in classes.iter().enumerate() {
            members[class].push(doc);
        }
        members
            .into_iter()
            .zip(keywords)
            .enumerate()
            .map(|(index, (docs, keywords))| DraftNode {
                id: format!("L{level}.{index}"),
                level,
                name: keyword_name(&keywords),
                description: keyword_description(&keywords),
                keywords,
                members: docs,
                ..DraftNode::default()
            })
            .collect()
    }
}
