//! Conversations spread over several records of one file, joined when the file ends: the event
//! lines of an agent session, OpenAssistant message rows, and the traces, runs or spans of one
//! session id.

use std::collections::{HashMap, HashSet};

use chorus_types::Message;

use super::Draft;
use crate::quarantine::Location;

/// How the pieces of one conversation fit together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Join {
    /// Linked by parent ids, branches left by edits and retries: the branch that ends at the
    /// last piece written (Claude Code).
    LatestBranch,
    /// Linked by parent ids into a tree of alternatives: from the root, the best-ranked reply
    /// at every step (OpenAssistant).
    BestRanked,
    /// One message a line, in the file's order (Codex CLI).
    Lines,
    /// One turn a piece, in time order; a piece whose input repeats the conversation so far
    /// (chat apps send the whole history with every call) adds only what is new.
    Turns,
}

/// Where a piece sits in a tree of messages.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) id: String,
    pub(crate) parent: Option<String>,
    /// Lower is better; unranked replies come after ranked ones.
    pub(crate) rank: Option<f64>,
}

/// One record's share of a conversation.
#[derive(Debug)]
pub(crate) struct Piece {
    pub(crate) session: String,
    pub(crate) join: Join,
    pub(crate) node: Option<Node>,
    /// What was sent (a call's input, or the one message of an event line).
    pub(crate) input: Vec<Message>,
    /// What came back (a call's output).
    pub(crate) output: Vec<Message>,
    /// Id (ignored: the session names the conversation), user, time and metadata.
    pub(crate) about: Draft,
    /// A model call inside a trace, read only when the file holds no root run of that trace.
    pub(crate) stands_in_for: Option<String>,
}

/// The pieces of one file, grouped by session in order of first appearance.
#[derive(Default)]
pub(crate) struct Sessions {
    groups: Vec<(String, Location, Vec<Piece>)>,
    by_key: HashMap<String, usize>,
    /// Traces whose root run the file holds.
    rooted: HashSet<String>,
}

impl Sessions {
    pub(crate) fn push(&mut self, location: Location, piece: Piece) {
        let index = *self.by_key.entry(piece.session.clone()).or_insert_with(|| {
            self.groups
                .push((piece.session.clone(), location, Vec::new()));
            self.groups.len() - 1
        });
        self.groups[index].2.push(piece);
    }

    /// The file holds the root run of `trace`: the calls inside it need not stand in.
    pub(crate) fn rooted(&mut self, trace: String) {
        self.rooted.insert(trace);
    }

    /// Each session as one conversation, with where its first piece was; and how many pieces
    /// were left out because the root run they stood in for is there.
    pub(crate) fn into_drafts(self) -> (Vec<(Location, Draft)>, u64) {
        let mut left_out = 0;
        let mut drafts = Vec::with_capacity(self.groups.len());
        for (key, location, pieces) in self.groups {
            let covered = pieces
                .first()
                .and_then(|piece| piece.stands_in_for.as_ref())
                .is_some_and(|trace| self.rooted.contains(trace));
            if covered {
                left_out += pieces.len() as u64;
            } else {
                drafts.push((location, joined(key, pieces)));
            }
        }
        (drafts, left_out)
    }
}

fn joined(key: String, pieces: Vec<Piece>) -> Draft {
    let join = pieces.first().map_or(Join::Turns, |piece| piece.join);
    let chosen = match join {
        Join::LatestBranch => latest_branch(pieces),
        Join::BestRanked => best_ranked(pieces),
        Join::Turns => in_time_order(pieces),
        Join::Lines => pieces,
    };
    let mut draft = Draft {
        // A log that names no session (an old Codex file) leaves the id to the file.
        id: (!key.is_empty()).then_some(key),
        ..Draft::default()
    };
    for piece in chosen {
        let about = piece.about;
        draft.user_id = draft.user_id.or(about.user_id);
        draft.created_at = match (draft.created_at, about.created_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        for (key, value) in about.metadata {
            draft.metadata.entry(key).or_insert(value);
        }
        let repeated = if join == Join::Turns {
            history_repeated(&draft.messages, &piece.input)
        } else {
            0
        };
        draft
            .messages
            .extend(piece.input.into_iter().skip(repeated));
        draft.messages.extend(piece.output);
    }
    draft
}

/// How many of `input`'s first messages repeat the conversation so far: all of it when the
/// input opens with the whole history; a shorter shared opening only when the input goes on
/// past it (a question asked twice is asked twice).
pub(crate) fn history_repeated(so_far: &[Message], input: &[Message]) -> usize {
    let shared = so_far.iter().zip(input).take_while(|(a, b)| a == b).count();
    if shared == so_far.len() || shared < input.len() {
        shared
    } else {
        0
    }
}

fn in_time_order(mut pieces: Vec<Piece>) -> Vec<Piece> {
    // Exports list the newest first as often as the oldest; pieces without a time keep their
    // place only when none has one.
    if pieces.iter().all(|piece| piece.about.created_at.is_some()) {
        pieces.sort_by_key(|piece| piece.about.created_at);
    }
    pieces
}

/// From the last piece up through its parents; a parent the file does not hold ends the walk.
fn latest_branch(pieces: Vec<Piece>) -> Vec<Piece> {
    if pieces.iter().any(|piece| piece.node.is_none()) {
        return pieces;
    }
    let index_of = indices_by_id(&pieces);
    let parent = |index: usize| {
        let parent = pieces[index].node.as_ref()?.parent.as_deref()?;
        index_of.get(parent).copied()
    };
    let mut chain = walk(pieces.len().checked_sub(1), pieces.len(), parent);
    chain.reverse();
    take_in_order(pieces, &chain)
}

/// From the first root down, at each step the child of lowest rank (the first on a tie).
fn best_ranked(pieces: Vec<Piece>) -> Vec<Piece> {
    let ids = indices_by_id(&pieces);
    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut root = None;
    for (index, piece) in pieces.iter().enumerate() {
        let parent = piece.node.as_ref().and_then(|node| node.parent.as_deref());
        match parent.filter(|parent| ids.contains_key(parent)) {
            Some(parent) => children.entry(parent).or_default().push(index),
            None => {
                root.get_or_insert(index);
            }
        }
    }
    let rank = |i: usize| {
        pieces[i]
            .node
            .as_ref()
            .and_then(|node| node.rank)
            .unwrap_or(f64::INFINITY)
    };
    let best_reply = |index: usize| {
        let replies = children.get(pieces[index].node.as_ref()?.id.as_str())?;
        replies
            .iter()
            .copied()
            .min_by(|&a, &b| rank(a).total_cmp(&rank(b)))
    };
    let chain = walk(root, pieces.len(), best_reply);
    take_in_order(pieces, &chain)
}

/// Each piece's place by its node id.
fn indices_by_id(pieces: &[Piece]) -> HashMap<&str, usize> {
    pieces
        .iter()
        .enumerate()
        .filter_map(|(index, piece)| piece.node.as_ref().map(|node| (node.id.as_str(), index)))
        .collect()
}

/// The places visited from `start` by `next`, at most `limit + 1` (links that form a cycle
/// end there).
fn walk(start: Option<usize>, limit: usize, next: impl Fn(usize) -> Option<usize>) -> Vec<usize> {
    let mut chain = Vec::new();
    let mut current = start;
    while let Some(index) = current {
        if chain.len() > limit {
            break;
        }
        chain.push(index);
        current = next(index);
    }
    chain
}

fn take_in_order(pieces: Vec<Piece>, chain: &[usize]) -> Vec<Piece> {
    let mut slots: Vec<Option<Piece>> = pieces.into_iter().map(Some).collect();
    chain
        .iter()
        .filter_map(|&index| slots.get_mut(index).and_then(Option::take))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chorus_types::Role;
    use chrono::{TimeZone, Utc};

    fn piece(join: Join, node: Option<(&str, Option<&str>, Option<f64>)>, text: &str) -> Piece {
        Piece {
            session: "s".into(),
            join,
            node: node.map(|(id, parent, rank)| Node {
                id: id.into(),
                parent: parent.map(str::to_string),
                rank,
            }),
            input: vec![Message::text(Role::User, text)],
            output: Vec::new(),
            about: Draft::default(),
            stands_in_for: None,
        }
    }

    fn texts(draft: &Draft) -> Vec<String> {
        draft.messages.iter().map(Message::rendered_text).collect()
    }

    #[test]
    fn the_latest_branch_leaves_edited_turns_out() {
        let pieces = vec![
            piece(Join::LatestBranch, Some(("a", None, None)), "q"),
            piece(Join::LatestBranch, Some(("b1", Some("a"), None)), "old"),
            piece(Join::LatestBranch, Some(("b2", Some("a"), None)), "new"),
            piece(Join::LatestBranch, Some(("c", Some("b2"), None)), "more"),
        ];
        assert_eq!(texts(&joined("s".into(), pieces)), ["q", "new", "more"]);
    }

    #[test]
    fn the_best_ranked_reply_is_followed() {
        let pieces = vec![
            piece(Join::BestRanked, Some(("r", None, None)), "q"),
            piece(
                Join::BestRanked,
                Some(("x", Some("r"), Some(1.0))),
                "second",
            ),
            piece(Join::BestRanked, Some(("y", Some("r"), Some(0.0))), "best"),
            piece(
                Join::BestRanked,
                Some(("z", Some("x"), None)),
                "under second",
            ),
        ];
        assert_eq!(texts(&joined("s".into(), pieces)), ["q", "best"]);
    }

    #[test]
    fn turns_in_time_order_add_only_what_is_new() {
        let at = |minute| Utc.with_ymd_and_hms(2025, 1, 1, 0, minute, 0).single();
        let mut second = piece(Join::Turns, None, "q1");
        second.input.push(Message::text(Role::Assistant, "a1"));
        second.input.push(Message::text(Role::User, "q2"));
        second.about.created_at = at(2);
        let mut first = piece(Join::Turns, None, "q1");
        first.output.push(Message::text(Role::Assistant, "a1"));
        first.about.created_at = at(1);
        let mut again = piece(Join::Turns, None, "q2");
        again.about.created_at = at(3);
        let draft = joined("s".into(), vec![second, first, again]);
        assert_eq!(texts(&draft), ["q1", "a1", "q2", "q2"]);
        assert_eq!(draft.created_at, at(1));
    }
}
