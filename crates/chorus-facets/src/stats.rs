use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use chorus_types::Conversation;

use crate::Profile;

/// Summary of a list of counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Smallest value.
    pub min: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest value.
    pub max: u64,
    /// Mean, to two decimals.
    pub mean: f64,
}

impl Distribution {
    fn of(mut values: Vec<u64>) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        values.sort_unstable();
        // Nearest-rank percentiles: always a value that occurs in the data.
        let at =
            |q: f64| values[((values.len() as f64 * q).ceil() as usize).clamp(1, values.len()) - 1];
        let sum: u64 = values.iter().sum();
        Self {
            min: values[0],
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            max: values[values.len() - 1],
            mean: (sum as f64 / values.len() as f64 * 100.0).round() / 100.0,
        }
    }
}

/// The language [`DatasetStats::languages`] counts text under when detection was not confident.
pub const UNDETECTED_LANGUAGE: &str = "unknown";

/// What a set of conversations looks like, without any of their text.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DatasetStats {
    /// Conversations.
    pub conversations: u64,
    /// Distinct user ids.
    pub users: u64,
    /// Conversations without a user id.
    pub without_user: u64,
    /// Conversations without a time.
    pub without_time: u64,
    /// Turns (user messages) per conversation.
    pub turns: Distribution,
    /// Conversations by number of turns: "1", "2", ..., "10+".
    pub turns_histogram: BTreeMap<String, u64>,
    /// Messages per conversation.
    pub messages: Distribution,
    /// Characters per conversation.
    pub chars: Distribution,
    /// Characters the user wrote per conversation.
    pub user_chars: Distribution,
    /// Non-text parts over all conversations.
    pub placeholders: u64,
    /// Conversations by detected language; "unknown" when detection was not confident.
    pub languages: BTreeMap<String, u64>,
    /// First day seen.
    pub first_day: Option<NaiveDate>,
    /// Last day seen.
    pub last_day: Option<NaiveDate>,
    /// The evaluation label, when a label field was named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<LabelStats>,
}

/// How a named label field is filled: enough to see that `--label-field` found something.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelStats {
    /// The metadata field holding the label.
    pub field: String,
    /// Distinct label values.
    pub distinct: u64,
    /// Conversations without the field.
    pub missing: u64,
}

/// Accumulates [`DatasetStats`] one conversation at a time.
#[derive(Default)]
pub struct StatsBuilder {
    stats: DatasetStats,
    users: HashSet<String>,
    label_field: Option<String>,
    labels: HashSet<String>,
    turns: Vec<u64>,
    messages: Vec<u64>,
    chars: Vec<u64>,
    user_chars: Vec<u64>,
}

const TURN_BUCKETS: u32 = 10;

impl StatsBuilder {
    /// A builder that also summarises the label held in metadata field `label_field`.
    pub fn new(label_field: Option<String>) -> Self {
        let labels = label_field.as_ref().map(|field| LabelStats {
            field: field.clone(),
            ..LabelStats::default()
        });
        Self {
            stats: DatasetStats {
                labels,
                ..DatasetStats::default()
            },
            label_field,
            ..Self::default()
        }
    }

    /// Adds one conversation with its profile.
    pub fn add(&mut self, conversation: &Conversation, profile: &Profile) {
        if let (Some(field), Some(labels)) = (&self.label_field, &mut self.stats.labels) {
            match conversation.metadata.get(field) {
                Some(label) => {
                    if !self.labels.contains(label) {
                        self.labels.insert(label.clone());
                    }
                }
                None => labels.missing += 1,
            }
        }
        let stats = &mut self.stats;
        stats.conversations += 1;
        match conversation.user_id.as_deref() {
            Some(user) => {
                if !self.users.contains(user) {
                    self.users.insert(user.to_string());
                }
            }
            None => stats.without_user += 1,
        }
        match profile.day {
            Some(day) => {
                stats.first_day = Some(stats.first_day.map_or(day, |d| d.min(day)));
                stats.last_day = Some(stats.last_day.map_or(day, |d| d.max(day)));
            }
            None => stats.without_time += 1,
        }
        let bucket = if profile.turns >= TURN_BUCKETS {
            format!("{TURN_BUCKETS}+")
        } else {
            profile.turns.to_string()
        };
        *stats.turns_histogram.entry(bucket).or_default() += 1;
        let language = profile.language.as_deref().unwrap_or(UNDETECTED_LANGUAGE);
        *stats.languages.entry(language.to_string()).or_default() += 1;
        stats.placeholders += u64::from(profile.placeholders);
        let messages = profile.turns
            + profile.assistant_messages
            + profile.system_messages
            + profile.tool_messages;
        self.turns.push(u64::from(profile.turns));
        self.messages.push(u64::from(messages));
        self.chars.push(profile.chars);
        self.user_chars.push(profile.user_chars);
    }

    /// The finished summary.
    pub fn finish(self) -> DatasetStats {
        let labels = self.stats.labels.clone().map(|labels| LabelStats {
            distinct: self.labels.len() as u64,
            ..labels
        });
        DatasetStats {
            users: self.users.len() as u64,
            labels,
            turns: Distribution::of(self.turns),
            messages: Distribution::of(self.messages),
            chars: Distribution::of(self.chars),
            user_chars: Distribution::of(self.user_chars),
            ..self.stats
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_turns(turns: u32) -> Profile {
        Profile {
            turns,
            assistant_messages: turns,
            system_messages: 0,
            tool_messages: 0,
            placeholders: 0,
            chars: u64::from(turns) * 10,
            user_chars: u64::from(turns) * 5,
            language: None,
            day: None,
        }
    }

    fn conversation(user: Option<&str>, label: Option<&str>) -> Conversation {
        Conversation {
            id: "c".into(),
            user_id: user.map(String::from),
            created_at: None,
            messages: Vec::new(),
            metadata: label
                .map(|l| ("intent".to_string(), l.to_string()))
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn distributions_and_histogram() {
        let mut builder = StatsBuilder::default();
        for turns in [1, 1, 2, 3, 12] {
            builder.add(&conversation(Some("u"), None), &with_turns(turns));
        }
        builder.add(&conversation(None, None), &with_turns(1));
        let stats = builder.finish();
        assert_eq!(
            (stats.conversations, stats.users, stats.without_user),
            (6, 1, 1)
        );
        assert_eq!(stats.turns.p50, 1);
        assert_eq!(stats.turns.max, 12);
        assert_eq!(stats.turns_histogram["1"], 3);
        assert_eq!(stats.turns_histogram["10+"], 1);
        assert_eq!(stats.languages["unknown"], 6);
        assert_eq!(stats.messages.max, 24);
        assert_eq!(stats.labels, None);
    }

    #[test]
    fn labels_are_counted_when_a_field_is_named() {
        let mut builder = StatsBuilder::new(Some("intent".into()));
        for label in [Some("a"), Some("b"), Some("a"), None] {
            builder.add(&conversation(None, label), &with_turns(1));
        }
        let labels = builder.finish().labels.unwrap();
        assert_eq!(
            (labels.field.as_str(), labels.distinct, labels.missing),
            ("intent", 2, 1)
        );
    }
}
