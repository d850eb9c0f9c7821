//! The generator: conversation `i` from the seed and `i`, with its truth.

use chrono::{Duration, NaiveDate, NaiveTime};
use serde::Serialize;
use serde_json::{Value, json};

use chorus_types::SeededRng;

use crate::canary::Canary;
use crate::{Category, LANGUAGES, Phrasing, SynthError, SynthOptions, phrasing, taxonomy};

/// The category whose share grows over the period (from a quarter to 1.75× its base weight).
const GROWING: &str = "environment";
/// The category whose share fades over the period.
const FADING: &str = "garden";
/// The leaf with a one-day burst (a quarter of that day's conversations) and its category.
const BURST: (&str, &str) = ("travel", "travel-visa");
/// Accounts of the coordinated group.
const COORDINATED_ACCOUNTS: u64 = 40;
/// Days the coordinated group is active.
const COORDINATED_DAYS: u32 = 3;
/// Language boost of a category's favoured languages.
const BOOST: f64 = 3.0;
/// Each conversation's `plan` (a metadata field with a known skew, for cohorts) comes from a
/// random stream of its own, so the rest of a set is the same with or without it.
const PLAN_STREAM: u64 = 0x706c_616e;
/// The plans and their shares, and the category whose conversations come from the last plan
/// five times as often as others'.
const PLANS: [(&str, f64); 3] = [("free", 0.6), ("pro", 0.3), ("team", 0.1)];
const TEAM_CATEGORY: &str = "programming";
const TEAM_SKEW: f64 = 5.0;

/// How a conversation's topic moves over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrendKind {
    /// Its category's share grows over the period.
    Growing,
    /// Its category's share fades over the period.
    Fading,
    /// Its leaf bursts on one day.
    Burst,
}

/// What is known about one generated conversation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Truth {
    /// The conversation's id.
    pub id: String,
    /// Its account.
    pub user_id: String,
    /// Its day (`YYYY-MM-DD`).
    pub day: String,
    /// Top category id.
    pub category: String,
    /// Top category name.
    pub category_name: String,
    /// `category/leaf`.
    pub leaf: String,
    /// Leaf name.
    pub leaf_name: String,
    /// The language it is written in (full English name).
    pub language: String,
    /// Concern level 1–5.
    pub concern: u8,
    /// The planted personal details it carries, verbatim.
    pub canaries: Vec<String>,
    /// The coordinated group it belongs to, if any.
    pub group: Option<String>,
    /// The trend its topic follows, if any.
    pub trend: Option<TrendKind>,
    /// Its `plan` field (`free`, `pro`, `team`): software development comes from `team` five
    /// times as often as other categories.
    pub plan: String,
}

/// One conversation as an OpenAI-format record, with its truth.
#[derive(Clone, Debug, PartialEq)]
pub struct Synthetic {
    /// `{"id", "user_id", "created_at", "messages": [{"role", "content"}]}`.
    pub record: Value,
    /// What is known about it.
    pub truth: Truth,
}

/// Streams the conversations of a set.
pub struct Generator {
    options: SynthOptions,
    categories: Vec<Category>,
    phrasing: Vec<Phrasing>,
    users: u64,
    /// Per language (in [`LANGUAGES`] order): whether it is written.
    written: [bool; LANGUAGES.len()],
    burst_day: u32,
    coordinated_from: u32,
    next: u64,
}

impl Generator {
    /// A generator for `options`.
    pub fn new(options: SynthOptions) -> Result<Self, SynthError> {
        if options.days == 0 {
            return Err(SynthError::Option(
                "the period needs at least one day".into(),
            ));
        }
        for (name, share) in [
            ("canary rate", options.canary_rate),
            ("coordinated share", options.coordinated_share),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return Err(SynthError::Option(format!(
                    "the {name} must be from 0 to 1"
                )));
            }
        }
        let categories = taxonomy()?;
        let has = |category: &str, leaf: Option<&str>| {
            categories.iter().any(|c| {
                c.id == category && leaf.is_none_or(|l| c.leaves.iter().any(|x| x.id == l))
            })
        };
        if !has(GROWING, None) || !has(FADING, None) || !has(BURST.0, Some(BURST.1)) {
            return Err(SynthError::Option(
                "the taxonomy lacks a trend category".into(),
            ));
        }
        let mut written = [options.languages.is_empty(); LANGUAGES.len()];
        for code in &options.languages {
            let Some(at) = LANGUAGES.iter().position(|l| l.code == code) else {
                let known: Vec<&str> = LANGUAGES.iter().map(|l| l.code).collect();
                return Err(SynthError::Option(format!(
                    "no language {code:?}: the set is written in {}",
                    known.join(", ")
                )));
            };
            written[at] = true;
        }
        Ok(Self {
            users: (options.conversations / 6).max(20),
            written,
            burst_day: options.days / 2 + 3.min(options.days / 2),
            coordinated_from: options.days / 3,
            categories,
            phrasing: phrasing()?,
            options,
            next: 0,
        })
    }

    /// The day of the one-day burst, counted from the start.
    pub fn burst_day(&self) -> NaiveDate {
        self.options.start + Duration::days(i64::from(self.burst_day))
    }

    /// Conversation `index` of the set.
    pub fn conversation(&self, index: u64) -> Synthetic {
        let mut rng = SeededRng::new(self.options.seed, index);
        let day = rng.below(self.options.days as usize) as u32;
        if rng.next_f64() < self.options.coordinated_share {
            return self.coordinated(index, &mut rng);
        }
        let (category, trend) = self.pick_category(day, &mut rng);
        let mut trend = trend;
        let leaf_index = rng.below(category.leaves.len());
        let (category, leaf) = if day == self.burst_day && rng.next_f64() < 0.25 {
            trend = Some(TrendKind::Burst);
            self.burst_leaf()
        } else {
            (category, &category.leaves[leaf_index])
        };
        let language = pick_language(category, &self.written, &mut rng);
        let phrasing = &self.phrasing[language];
        let task = &leaf.tasks[language];
        let detail = if rng.next_f64() < 0.6 {
            pick(&phrasing.details, &mut rng).as_str()
        } else {
            ""
        };
        let mut first = pick(&phrasing.openers, &mut rng)
            .replace("{task}", task)
            .replace("{detail}", detail);
        let mut canaries = Vec::new();
        if rng.next_f64() < self.options.canary_rate {
            let (sentence, used) =
                Canary::for_conversation(index).fill(pick(&phrasing.pii, &mut rng));
            let space = if matches!(LANGUAGES[language].code, "ja" | "zh") {
                ""
            } else {
                " "
            };
            first = format!("{first}{space}{sentence}");
            canaries = used;
        }
        let mut user_turns = vec![first];
        let extra = [0.5, 0.25, 0.15]
            .iter()
            .take_while(|&&p| rng.next_f64() < p)
            .count();
        let mut followups: Vec<&String> = phrasing.followups.iter().collect();
        rng.shuffle(&mut followups);
        user_turns.extend(followups.into_iter().take(extra).cloned());
        let user = self.user(&mut rng);
        let truth = Truth {
            id: format!("syn-{index:07}"),
            user_id: user,
            day: (self.options.start + Duration::days(i64::from(day))).to_string(),
            category: category.id.clone(),
            category_name: category.name.clone(),
            leaf: format!("{}/{}", category.id, leaf.id),
            leaf_name: leaf.name.clone(),
            language: LANGUAGES[language].name.to_string(),
            concern: leaf.concern,
            canaries,
            group: None,
            trend,
            plan: plan(self.options.seed, index, &category.id),
        };
        self.finish(truth, user_turns, phrasing, day, &mut rng)
    }

    fn burst_leaf(&self) -> (&Category, &crate::Leaf) {
        let category = self
            .categories
            .iter()
            .find(|c| c.id == BURST.0)
            .unwrap_or(&self.categories[0]);
        let leaf = category
            .leaves
            .iter()
            .find(|l| l.id == BURST.1)
            .unwrap_or(&category.leaves[0]);
        (category, leaf)
    }

    /// A category by weight on `day`: equal, except the growing and fading ones.
    fn pick_category(&self, day: u32, rng: &mut SeededRng) -> (&Category, Option<TrendKind>) {
        let progress = f64::from(day) / f64::from(self.options.days.max(2) - 1);
        let weight = |c: &Category| match c.id.as_str() {
            GROWING => 0.25 + 1.5 * progress,
            FADING => 1.75 - 1.5 * progress,
            _ => 1.0,
        };
        let total: f64 = self.categories.iter().map(weight).sum();
        let mut target = rng.next_f64() * total;
        let chosen = self
            .categories
            .iter()
            .find(|c| {
                target -= weight(c);
                target < 0.0
            })
            .unwrap_or(&self.categories[self.categories.len() - 1]);
        let trend = match chosen.id.as_str() {
            GROWING => Some(TrendKind::Growing),
            FADING => Some(TrendKind::Fading),
            _ => None,
        };
        (chosen, trend)
    }

    /// An account, heavy-tailed: rank r is drawn with probability about 1/r.
    fn user(&self, rng: &mut SeededRng) -> String {
        let rank = ((rng.next_f64() * ((self.users + 1) as f64).ln()).exp() as u64)
            .saturating_sub(1)
            .min(self.users - 1);
        format!("user-{rank:06}")
    }

    /// A conversation of the coordinated group: one of a few accounts, a few days, the same
    /// request with small variations.
    fn coordinated(&self, index: u64, rng: &mut SeededRng) -> Synthetic {
        let day = self.coordinated_from + rng.below(COORDINATED_DAYS as usize) as u32;
        let product = ["Zentrix X2", "Zentrix X-2", "ZENTRIX X2"][rng.below(3)];
        let ending = ["", " Please hurry.", " Make it sound real.", " Thanks!"][rng.below(4)];
        let first = format!(
            "Write a glowing five-star review of the {product} charger saying it saved my trip.{ending}"
        );
        let account = rng.below(COORDINATED_ACCOUNTS as usize);
        let truth = Truth {
            id: format!("syn-{index:07}"),
            user_id: format!("acct-{account:03}"),
            day: (self.options.start + Duration::days(i64::from(day))).to_string(),
            category: "misuse".into(),
            category_name: "Risky and harmful requests".into(),
            leaf: "misuse/coordinated-reviews".into(),
            leaf_name: "Coordinated fake product reviews".into(),
            language: "English".into(),
            concern: 3,
            canaries: Vec::new(),
            group: Some("coordinated-reviews".into()),
            trend: None,
            plan: plan(self.options.seed, index, "misuse"),
        };
        self.finish(truth, vec![first], &self.phrasing[0], day, rng)
    }

    fn finish(
        &self,
        truth: Truth,
        user_turns: Vec<String>,
        phrasing: &Phrasing,
        day: u32,
        rng: &mut SeededRng,
    ) -> Synthetic {
        let mut messages = Vec::new();
        for turn in user_turns {
            messages.push(json!({"role": "user", "content": turn}));
            messages.push(json!({"role": "assistant", "content": pick(&phrasing.replies, rng)}));
        }
        let seconds = rng.below(86_400) as u32;
        let time = NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0).unwrap_or_default();
        let at = (self.options.start + Duration::days(i64::from(day))).and_time(time);
        let record = json!({
            "id": truth.id,
            "user_id": truth.user_id,
            "created_at": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "plan": truth.plan,
            "messages": messages,
        });
        Synthetic { record, truth }
    }
}

impl Iterator for Generator {
    type Item = Synthetic;

    fn next(&mut self) -> Option<Synthetic> {
        if self.next >= self.options.conversations {
            return None;
        }
        let item = self.conversation(self.next);
        self.next += 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.options.conversations - self.next) as usize;
        (left, Some(left))
    }
}

fn pick<'a>(items: &'a [String], rng: &mut SeededRng) -> &'a String {
    &items[rng.below(items.len())]
}

/// Conversation `index`'s plan: by [`PLANS`]' shares, [`TEAM_CATEGORY`]'s from the last plan
/// [`TEAM_SKEW`] times as often.
fn plan(seed: u64, index: u64, category: &str) -> String {
    let mut rng = SeededRng::new(seed ^ PLAN_STREAM, index);
    let skew = |plan: usize| {
        if plan == PLANS.len() - 1 && category == TEAM_CATEGORY {
            TEAM_SKEW
        } else {
            1.0
        }
    };
    let total: f64 = (0..PLANS.len()).map(|p| PLANS[p].1 * skew(p)).sum();
    let mut target = rng.next_f64() * total;
    let chosen = (0..PLANS.len())
        .find(|&p| {
            target -= PLANS[p].1 * skew(p);
            target < 0.0
        })
        .unwrap_or(0);
    PLANS[chosen].0.to_string()
}

/// A language by the base weights, the category's favoured ones counted [`BOOST`] times, among
/// the `written` ones.
fn pick_language(category: &Category, written: &[bool], rng: &mut SeededRng) -> usize {
    let weight = |i: usize| {
        if !written[i] {
            return 0.0;
        }
        LANGUAGES[i].weight
            * if category.boosted.contains(&i) {
                BOOST
            } else {
                1.0
            }
    };
    let total: f64 = (0..LANGUAGES.len()).map(weight).sum();
    let mut target = rng.next_f64() * total;
    (0..LANGUAGES.len())
        .find(|&i| {
            target -= weight(i);
            target < 0.0
        })
        .or_else(|| (0..LANGUAGES.len()).rev().find(|&i| written[i]))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn set(n: u64, seed: u64) -> Vec<Synthetic> {
        Generator::new(SynthOptions::new(n, seed))
            .unwrap()
            .collect()
    }

    #[test]
    fn same_seed_same_set_and_each_conversation_stands_alone() {
        let first = set(300, 7);
        assert_eq!(first, set(300, 7));
        assert_ne!(first, set(300, 8));
        let generator = Generator::new(SynthOptions::new(300, 7)).unwrap();
        assert_eq!(generator.conversation(123).truth, first[123].truth);
    }

    #[test]
    fn the_known_structure_is_there() {
        let all = set(20_000, 3);
        let share = |pick: &dyn Fn(&Truth) -> bool| {
            all.iter().filter(|s| pick(&s.truth)).count() as f64 / all.len() as f64
        };
        let concerning = share(&|t| t.concern >= 3);
        assert!((0.03..0.08).contains(&concerning), "{concerning}");
        let coordinated = share(&|t| t.group.is_some());
        assert!((0.003..0.008).contains(&coordinated), "{coordinated}");
        let with_canaries = share(&|t| !t.canaries.is_empty());
        assert!((0.007..0.013).contains(&with_canaries), "{with_canaries}");
        // Canaries are in the text they claim to be in.
        for s in all.iter().filter(|s| !s.truth.canaries.is_empty()).take(20) {
            let first = s.record["messages"][0]["content"].as_str().unwrap();
            assert!(s.truth.canaries.iter().all(|c| first.contains(c.as_str())));
        }
        // Travel is asked in Japanese more often than cooking is.
        let japanese = |category: &str| {
            let of: Vec<&Truth> = all
                .iter()
                .map(|s| &s.truth)
                .filter(|t| t.category == category)
                .collect();
            of.iter().filter(|t| t.language == "Japanese").count() as f64 / of.len() as f64
        };
        assert!(japanese("travel") > 1.8 * japanese("cooking"));
        // The growing topic is larger in the last week than in the first; the fading one smaller.
        let weekly = |category: &str, week: usize| {
            all.iter()
                .filter(|s| s.truth.category == category)
                .filter(|s| {
                    let day = NaiveDate::parse_from_str(&s.truth.day, "%Y-%m-%d").unwrap();
                    ((day - NaiveDate::from_ymd_opt(2026, 9, 7).unwrap()).num_days() / 7) as usize
                        == week
                })
                .count()
        };
        assert!(weekly(GROWING, 7) > 2 * weekly(GROWING, 0));
        assert!(weekly(FADING, 0) > 2 * weekly(FADING, 7));
        // Heavy users: the busiest account has far more than the median.
        let mut per_user: HashMap<&str, usize> = HashMap::new();
        for s in &all {
            *per_user.entry(&s.truth.user_id).or_default() += 1;
        }
        let mut counts: Vec<usize> = per_user.values().copied().collect();
        counts.sort_unstable();
        assert!(counts[counts.len() - 1] > 20 * counts[counts.len() / 2]);
    }
}
