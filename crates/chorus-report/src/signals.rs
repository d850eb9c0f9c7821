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
    weeks: BTreeMap<String, usize>,
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
            weeks,
            days: by_day,
            dated,
            conversations_per_user: conversations as f64 / users.max(1) as f64,
        }
    }

    /// The signals of a node whose facets are already released.
    pub fn signals(&self, node: &ReportNode) -> Signals {
        let conversations_per_user = node.conversations as f64 / node.users.max(1) as f64;
        let senders = node.facets.largest_sender_group;
        Signals {
            growth: self.growth(&node.facets.week),
            burst: self.burst(&node.facets.day),
            conversations_per_user,
            concentrated: conversations_per_user
                > CONCENTRATION_FACTOR * self.conversations_per_user,
            coordinated: !node.other
                && senders >= COORDINATED_MIN_ACCOUNTS
                && senders as f64 >= COORDINATED_MIN_SHARE * node.users as f64,
        }
    }

    fn growth(&self, weeks: &BTreeMap<String, usize>) -> Option<f64> {
        if self.weeks.len() < 2 {
            return None;
        }
        let share = |(week, total): (&String, &usize)| -> Option<f64> {
            Some(*weeks.get(week)? as f64 / (*total).max(1) as f64)
        };
        let first = share(self.weeks.iter().next()?)?;
        let last = share(self.weeks.iter().next_back()?)?;
        (first > 0.0).then(|| last / first)
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
            weeks: counts(&[("2026-W37", 100), ("2026-W38", 300)]),
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
        node.facets.week = counts(&[("2026-W37", 10), ("2026-W38", 90)]);
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
        // Absent from the first week: no growth figure at all, not 0 or infinity.
        node.facets.week.remove("2026-W37");
        node.users = 21;
        let signals = totals.signals(&node);
        assert_eq!(signals.growth, None);
        assert!(!signals.coordinated, "10 of 21 accounts is under half");
    }
}
