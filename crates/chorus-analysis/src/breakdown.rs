//! Facet breakdowns of a node's conversations: languages, turns, days and weeks, concern,
//! near-identical requests across accounts, and the operator's custom facets.

use std::collections::{BTreeMap, HashMap, HashSet};

use chorus_facets::custom::{CustomFacetConfig, CustomKind};
use chorus_facets::summary::FacetValue;
use chorus_report::{CustomBreakdown, Facets, NO_COHORT, NumericFacet, RunTotals, week_label};

use crate::Mode;
use crate::tree::TreeBuilder;

/// Turn counts at or above this share one histogram bucket.
const TURN_BUCKETS: u32 = 10;

/// The breakdowns of a published node's conversations, every cell through the release rule
/// (`run` says which half of the run's weeks a day falls in).
pub(crate) fn facets(
    builder: &TreeBuilder<'_>,
    run: &RunTotals,
    docs: &[usize],
    withheld: &mut usize,
) -> Facets {
    let collected = builder.collected;
    let senders = builder.senders;
    let min_cell_users = builder.policy.min_cell_users;
    let mut release = |cells: Cells| cells.release(min_cell_users, withheld);
    let user = |d: usize| collected.users[d];
    let mut language = Cells::default();
    let mut turns = Cells::default();
    let mut day = Cells::default();
    let mut week = Cells::default();
    let mut halves = Cells::default();
    for bucket in 1..=TURN_BUCKETS {
        turns.declare(turn_label(bucket));
    }
    let mut turn_sum = 0u64;
    for &d in docs {
        language.add(
            collected.languages[d].as_deref().unwrap_or("unknown"),
            user(d),
        );
        turn_sum += u64::from(collected.turns[d]);
        turns.add(
            turn_label(collected.turns[d].clamp(1, TURN_BUCKETS)),
            user(d),
        );
        if let Some(date) = collected.days[d] {
            day.add(date.to_string(), user(d));
            let week_of = week_label(date);
            if let Some(half) = run.half_of(&week_of) {
                halves.add(half, user(d));
            }
            week.add(week_of, user(d));
        }
    }
    let mut facets = Facets {
        cross_account_duplicates: docs.iter().filter(|&&d| senders[d] > 1).count(),
        largest_sender_group: largest_sender_group(senders, docs),
        language: release(language).into_iter().collect(),
        day: release(day).into_iter().collect(),
        week: release(week).into_iter().collect(),
        halves: release(halves).into_iter().collect(),
        turns: NumericFacet {
            mean: turn_sum as f64 / docs.len().max(1) as f64,
            histogram: release(turns),
        },
        ..Facets::default()
    };
    if !collected.concern.is_empty() {
        let mut levels = Cells::default();
        for level in 1..=5u8 {
            levels.declare(level.to_string());
        }
        let (mut sum, mut rated) = (0u64, 0usize);
        for &d in docs {
            if let Some(level) = collected.concern[d] {
                levels.add(level.clamp(1, 5).to_string(), user(d));
                sum += u64::from(level);
                rated += 1;
            }
        }
        facets.concern = Some(NumericFacet {
            mean: sum as f64 / rated.max(1) as f64,
            histogram: release(levels),
        });
    }
    if collected.cohort_field.is_some() {
        let mut cohorts = Cells::default();
        for &d in docs {
            let cohort = collected.cohorts[d].as_deref().unwrap_or(NO_COHORT);
            cohorts.add(cohort, user(d));
        }
        facets.cohort = release(cohorts).into_iter().collect();
    }
    if collected.mode == Mode::Summary {
        let mut languages = Cells::default();
        for &d in docs {
            for name in &collected.model_languages[d] {
                languages.add(name.clone(), user(d));
            }
        }
        facets.model_language = Some(release(languages).into_iter().collect());
    }
    facets.custom = collected
        .custom_facets
        .iter()
        .enumerate()
        .map(|(index, facet)| {
            let values = docs
                .iter()
                .filter_map(|&d| Some((collected.custom[d][index].as_ref()?, user(d))));
            (
                facet.name.clone(),
                custom_breakdown(facet, values, &mut release),
            )
        })
        .collect();
    facets
}

/// The most distinct accounts behind one near-identical request among `docs` (`senders`: per
/// conversation, the accounts that sent it or its near-identical twins).
fn largest_sender_group(senders: &[u32], docs: &[usize]) -> usize {
    docs.iter().map(|&d| senders[d]).max().unwrap_or(0) as usize
}

fn turn_label(bucket: u32) -> String {
    if bucket == TURN_BUCKETS {
        format!("{bucket}+")
    } else {
        bucket.to_string()
    }
}

/// Buckets of a number facet's histogram.
const NUMBER_BUCKETS: usize = 10;

fn custom_breakdown<'a>(
    facet: &CustomFacetConfig,
    values: impl Iterator<Item = (&'a FacetValue, u64)>,
    release: &mut impl FnMut(Cells) -> Vec<(String, usize)>,
) -> CustomBreakdown {
    match facet.kind {
        CustomKind::Text => CustomBreakdown::Text {
            answered: values.count(),
        },
        CustomKind::Categorical => {
            let mut cells = Cells::default();
            for value in &facet.values {
                cells.declare(value.clone());
            }
            for (value, user) in values {
                if let FacetValue::Category(name) = value {
                    cells.add(name.clone(), user);
                }
            }
            CustomBreakdown::Categorical {
                counts: release(cells).into_iter().collect(),
            }
        }
        CustomKind::Number => {
            let (min, max) = (facet.min.unwrap_or(0.0), facet.max.unwrap_or(1.0));
            let width = (max - min) / NUMBER_BUCKETS as f64;
            let label = |i: usize| {
                let low = min + width * i as f64;
                format!("{}–{}", round2(low), round2(low + width))
            };
            let mut cells = Cells::default();
            for i in 0..NUMBER_BUCKETS {
                cells.declare(label(i));
            }
            let (mut sum, mut answered) = (0.0, 0usize);
            for (value, user) in values {
                if let FacetValue::Number(number) = value {
                    let bucket = ((number - min) / width).floor().max(0.0) as usize;
                    cells.add(label(bucket.min(NUMBER_BUCKETS - 1)), user);
                    sum += number;
                    answered += 1;
                }
            }
            CustomBreakdown::Number {
                answered,
                mean: sum / answered.max(1) as f64,
                histogram: release(cells),
            }
        }
        CustomKind::YesNo => {
            let mut cells = Cells::default();
            cells.declare("yes");
            cells.declare("no");
            for (value, user) in values {
                if let FacetValue::YesNo(yes) = value {
                    cells.add(if *yes { "yes" } else { "no" }, user);
                }
            }
            let shown: BTreeMap<String, usize> = release(cells).into_iter().collect();
            CustomBreakdown::YesNo {
                yes: shown.get("yes").copied(),
                no: shown.get("no").copied(),
            }
        }
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The name of the cell that holds a breakdown's values too small to show on their own.
pub const OTHER_VALUES: &str = "other values";

/// A breakdown's cells in the order they were first named, each with the conversations and
/// the distinct users behind it.
#[derive(Default)]
pub(crate) struct Cells {
    index: HashMap<String, usize>,
    cells: Vec<(String, usize, HashSet<u64>)>,
}

impl Cells {
    fn cell(&mut self, value: String) -> &mut (String, usize, HashSet<u64>) {
        let next = self.cells.len();
        let at = *self.index.entry(value.clone()).or_insert(next);
        if at == next {
            self.cells.push((value, 0, HashSet::new()));
        }
        &mut self.cells[at]
    }

    pub(crate) fn add(&mut self, value: impl Into<String>, user: u64) {
        let cell = self.cell(value.into());
        cell.1 += 1;
        cell.2.insert(user);
    }

    /// Makes sure `value` is a cell, even an empty one (so a zero can be shown).
    pub(crate) fn declare(&mut self, value: impl Into<String>) {
        self.cell(value.into());
    }

    /// The counts that may be shown, in order: each cell with at least `min_cell_users` users
    /// (and empty ones, which point at no one), the rest summed into [`OTHER_VALUES`] at the end
    /// when that passes.
    pub(crate) fn release(
        self,
        min_cell_users: usize,
        withheld: &mut usize,
    ) -> Vec<(String, usize)> {
        let mut shown = Vec::new();
        let mut rest = (0usize, HashSet::new());
        for (value, conversations, users) in self.cells {
            if conversations == 0 || users.len() >= min_cell_users {
                shown.push((value, conversations));
            } else {
                *withheld += 1;
                rest.0 += conversations;
                rest.1.extend(users);
            }
        }
        if rest.0 > 0 && rest.1.len() >= min_cell_users {
            shown.push((OTHER_VALUES.to_string(), rest.0));
        }
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_of_few_users_fold_into_other_values_only_when_that_passes() {
        let mut cells = Cells::default();
        for user in 0..30 {
            cells.add("English", user);
        }
        cells.add("French", 1);
        cells.declare("Dutch");
        cells.add("German", 2);
        let mut withheld = 0;
        let shown = cells.release(2, &mut withheld);
        assert_eq!(
            shown,
            [
                ("English".to_string(), 30),
                ("Dutch".to_string(), 0),
                (OTHER_VALUES.to_string(), 2)
            ]
        );
        assert_eq!(withheld, 2);
        let mut cells = Cells::default();
        for _ in 0..100 {
            cells.add("French", 7);
        }
        let mut withheld = 0;
        assert!(cells.release(2, &mut withheld).is_empty());
        assert_eq!(withheld, 1);
    }
}
