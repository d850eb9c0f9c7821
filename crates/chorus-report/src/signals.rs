//! What stands out about a published node — growth, a one-day burst, concentration, signs of
//! coordination — by the rules documented on [`Signals`], from the node's published cells and
//! the run's totals.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::{Burst, ReportNode, Signals};

/// A burst needs at least this many conversations on its day…
const BURST_MIN_CONVERSATIONS: usize = 10;
/// … this many times the node's share of other days…
const BURST_MIN_RATIO: f64 = 3.0;
/// … and this many standard deviations above the count that share predicts.
const BURST_MIN_SIGMA: f64 = 5.0;
/// A node is concentrated above this many times the run's conversations per user.
const CONCENTRATION_FACTOR: f64 = 3.0;
/// A coordinated group: at least this many accounts sent one near-identical request…
const COORDINATED_MIN_ACCOUNTS: usize = 10;
/// … and they are at least this share of the node's accounts.
const COORDINATED_MIN_SHARE: f64 = 0.5;

/// The run's totals the signals compare a node against.
pub struct RunTotals {
    halves: Option<Halves>,
    days: BTreeMap<String, usize>,
    dated: usize,
    conversations_per_user: f64,
}

impl RunTotals {
    /// The totals of a run of `conversations` conversations by `users` distinct users, dated
    /// by `days` (one per dated conversation).
    pub fn of(
        days: impl IntoIterator<Item = NaiveDate>,
        conversations: usize,
        users: usize,
    ) -> Self {
        let mut weeks = BTreeMap::new();
        let mut by_day = BTreeMap::new();
        let mut dated = 0;
        for day in days {
            *by_day.entry(day.to_string()).or_default() += 1;
            *weeks.entry(week_label(day)).or_default() += 1;
            dated += 1;
        }
        Self {
            halves: Halves::of(&weeks),
            days: by_day,
            dated,
            conversations_per_user: conversations as f64 / users.max(1) as f64,
        }
    }

    /// The label of the half of the run's weeks that `week` (a [`week_label`]) is in (see
    /// [`Halves`]); `None` for the middle week of an odd count, or a run of fewer than two
    /// weeks.
    pub fn half_of(&self, week: &str) -> Option<&str> {
        self.halves.as_ref()?.label_of(week)
    }

    /// The signals of a node whose facets are already released.
    pub fn signals(&self, node: &ReportNode) -> Signals {
        let conversations_per_user = node.conversations as f64 / node.users.max(1) as f64;
        let senders = node.facets.largest_sender_group;
        Signals {
            growth: self.growth(&node.facets.halves),
            burst: self.burst(&node.facets.day),
            conversations_per_user,
            concentrated: conversations_per_user
                > CONCENTRATION_FACTOR * self.conversations_per_user,
            coordinated: !node.other
                && senders >= COORDINATED_MIN_ACCOUNTS
                && senders as f64 >= COORDINATED_MIN_SHARE * node.users as f64,
        }
    }

    fn growth(&self, halves: &BTreeMap<String, usize>) -> Option<f64> {
        let run = self.halves.as_ref()?;
        let share = |half: usize| -> Option<f64> {
            Some(*halves.get(&run.labels[half])? as f64 / run.totals[half].max(1) as f64)
        };
        let (earlier, later) = (share(0)?, share(1)?);
        (earlier > 0.0).then(|| later / earlier)
    }

    fn burst(&self, days: &BTreeMap<String, usize>) -> Option<Burst> {
        let dated: usize = days.values().sum();
        let mut best: Option<Burst> = None;
        for (day, &count) in days {
            let Some(&day_total) = self.days.get(day) else {
                continue;
            };
            let share = count as f64 / day_total.max(1) as f64;
            let rest = (dated - count) as f64 / self.dated.saturating_sub(day_total).max(1) as f64;
            let ratio = (rest > 0.0).then(|| share / rest);
            let expected = rest * day_total as f64;
            let sigma = (count as f64 - expected) / expected.max(1.0).sqrt();
            let strong = ratio.is_none_or(|r| r >= BURST_MIN_RATIO);
            let better = best
                .as_ref()
                .is_none_or(|b| b.ratio.is_some() && ratio.is_none_or(|r| Some(r) > b.ratio));
            if count >= BURST_MIN_CONVERSATIONS && strong && sigma >= BURST_MIN_SIGMA && better {
                best = Some(Burst {
                    day: day.clone(),
                    conversations: count,
                    ratio,
                });
            }
        }
        best
    }
}

/// The run's weeks cut in two: the first ⌊n/2⌋ weeks and the last ⌊n/2⌋ (the middle week of an
/// odd count is in neither). Growth compares a node's share of the later half with its share of
/// the earlier one: a half holds enough of a cluster's users for its cell to be published where
/// a single week often does not.
struct Halves {
    /// `2026-W37..2026-W40`: the first and last week of each half.
    labels: [String; 2],
    /// Where each half starts and ends, as week labels (they sort in time order).
    spans: [(String, String); 2],
    /// Dated conversations of the run in each half.
    totals: [usize; 2],
}

impl Halves {
    fn of(weeks: &BTreeMap<String, usize>) -> Option<Self> {
        let weeks: Vec<(&String, &usize)> = weeks.iter().collect();
        let half = weeks.len() / 2;
        if half == 0 {
            return None;
        }
        let parts = [&weeks[..half], &weeks[weeks.len() - half..]];
        let spans = parts.map(|part| (part[0].0.clone(), part[half - 1].0.clone()));
        Some(Self {
            labels: spans
                .clone()
                .map(|(first, last)| format!("{first}..{last}")),
            totals: parts.map(|part| part.iter().map(|(_, n)| **n).sum()),
            spans,
        })
    }

    fn label_of(&self, week: &str) -> Option<&str> {
        let at = self
            .spans
            .iter()
            .position(|(first, last)| (first.as_str()..=last.as_str()).contains(&week))?;
        Some(&self.labels[at])
    }
}

/// The ISO week a day falls in, as breakdowns and signals label it (`2026-W37`).
pub fn week_label(day: NaiveDate) -> String {
    let iso = day.iso_week();
    format!("{}-W{:02}", iso.year(), iso.week())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn growth_bursts_and_coordination_follow_their_rules() {
        let mut days = BTreeMap::new();
        let mut node_days = BTreeMap::new();
        for day in 10..20 {
            let key = format!("2026-09-{day}");
            let piano = if day == 15 { 60 } else { 2 };
            days.insert(key.clone(), 10 + piano);
            node_days.insert(key, piano);
        }
        let totals = RunTotals {
            halves: Halves::of(&counts(&[("2026-W37", 100), ("2026-W38", 300)])),
            dated: days.values().sum(),
            days,
            conversations_per_user: 2.0,
        };
        let mut node = ReportNode {
            id: "L1.1".into(),
            conversations: 100,
            users: 20,
            ..ReportNode::default()
        };
        node.facets.halves = counts(&[("2026-W37..2026-W37", 10), ("2026-W38..2026-W38", 90)]);
        node.facets.day = node_days;
        node.facets.largest_sender_group = 10;
        let signals = totals.signals(&node);
        assert!((signals.growth.unwrap() - 3.0).abs() < 1e-9);
        let burst = signals.burst.unwrap();
        assert_eq!(
            (burst.day.as_str(), burst.conversations),
            ("2026-09-15", 60)
        );
        assert!((burst.ratio.unwrap() - 60.0 / 70.0 / (18.0 / 108.0)).abs() < 1e-9);
        assert!(signals.coordinated);
        assert!(!signals.concentrated);
        // Absent from the first half: no growth figure at all, not 0 or infinity.
        node.facets.halves.remove("2026-W37..2026-W37");
        node.users = 21;
        let signals = totals.signals(&node);
        assert_eq!(signals.growth, None);
        assert!(!signals.coordinated, "10 of 21 accounts is under half");
    }

    #[test]
    fn halves_leave_out_the_middle_week_of_an_odd_count() {
        let weeks = counts(&[
            ("2026-W01", 5),
            ("2026-W02", 7),
            ("2026-W03", 9),
            ("2026-W52", 1),
        ]);
        let halves = Halves::of(&weeks).unwrap();
        assert_eq!(halves.labels, ["2026-W01..2026-W02", "2026-W03..2026-W52"]);
        assert_eq!(halves.totals, [12, 10]);
        let odd = Halves::of(&counts(&[
            ("2025-W52", 1),
            ("2026-W01", 1),
            ("2026-W02", 1),
        ]))
        .unwrap();
        assert_eq!(odd.label_of("2025-W52"), Some("2025-W52..2025-W52"));
        assert_eq!(odd.label_of("2026-W01"), None);
        assert_eq!(odd.label_of("2026-W02"), Some("2026-W02..2026-W02"));
        assert!(Halves::of(&counts(&[("2026-W01", 3)])).is_none());
    }
}
