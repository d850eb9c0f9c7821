//! The publication thresholds: clusters too small to publish fold into their parent's "Other".

use super::TreeBuilder;
use super::breakdown::{distinct_users, facets};
use crate::report::ReportNode;

/// Applies the thresholds from the top down: a cluster with too few distinct users or
/// conversations is not published; its parent's "Other" holds its counts, so totals are kept.
pub(super) fn publish(mut node: ReportNode, builder: &TreeBuilder<'_>) -> ReportNode {
    let config = builder.config;
    let published = |n: &ReportNode| {
        n.users >= config.privacy.min_users && n.conversations >= config.privacy.min_conversations
    };
    let children = std::mem::take(&mut node.children);
    let (kept, folded): (Vec<ReportNode>, Vec<ReportNode>) =
        children.into_iter().partition(|c| published(c));
    let mut children: Vec<ReportNode> = kept
        .into_iter()
        .map(|child| publish(child, builder))
        .collect();
    if children.is_empty() && node.id != "root" {
        // Every child is too small: an "Other" holding all of them would only repeat this
        // node, so it is a leaf that says how many clusters it holds.
        node.folded_clusters = folded.len();
    } else if !folded.is_empty() {
        children.push(other_node(&node, &folded, builder));
    }
    let total = node.conversations.max(1) as f64;
    for child in &mut children {
        child.share_of_parent = child.conversations as f64 / total;
    }
    children.sort_by(|a, b| {
        a.other
            .cmp(&b.other)
            .then(b.conversations.cmp(&a.conversations))
            .then(a.id.cmp(&b.id))
    });
    node.children = children;
    node
}

/// The node holding a parent's unpublished clusters: counts only, no names or keywords.
fn other_node(parent: &ReportNode, folded: &[ReportNode], builder: &TreeBuilder<'_>) -> ReportNode {
    let members: Vec<usize> = folded
        .iter()
        .flat_map(|c| c.members.iter().copied())
        .collect();
    ReportNode {
        id: format!("{}.other", parent.id),
        level: parent.level.saturating_sub(1),
        name: "Other".into(),
        description: format!(
            "{} clusters too small to publish on their own.",
            folded.len()
        ),
        keywords: Vec::new(),
        conversations: members.len(),
        users: distinct_users(builder.collected, &members),
        share_of_parent: 0.0,
        other: true,
        folded_clusters: folded.len(),
        examples: Vec::new(),
        facets: facets(builder.collected, builder.senders, &members),
        children: Vec::new(),
        members,
        position: None,
    }
}
