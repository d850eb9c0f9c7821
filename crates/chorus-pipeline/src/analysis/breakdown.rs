//! Facet breakdowns of a node's conversations: languages, turns, days and weeks, concern,
//! near-identical requests across accounts, and the operator's custom facets.

use std::collections::{BTreeMap, HashSet};

use chrono::Datelike;

use chorus_facets::summary::FacetValue;

use super::Collected;
use crate::report::{CustomBreakdown, Facets, NumericFacet};
use crate::{CustomFacetConfig, CustomKind};

/// Turn counts at or above this share one histogram bucket.
const TURN_BUCKETS: u32 = 10;

pub(super) fn distinct_users(collected: &Collected, docs: &[usize]) -> usize {
    docs.iter()
        .map(|&d| collected.users[d])
        .collect::<HashSet<_>>()
        .len()
}

pub(super) fn facets(collected: &Collected, senders: &[u32], docs: &[usize]) -> Facets {
    let mut facets = Facets {
        cross_account_duplicates: docs.iter().filter(|&&d| senders[d] > 1).count(),
        largest_sender_group: docs.iter().map(|&d| senders[d]).max().unwrap_or(0) as usize,
        ..Facets::default()
    };
    let mut histogram = vec![0usize; TURN_BUCKETS as usize];
    let mut turn_sum = 0u64;
    for &d in docs {
        let language = collected.languages[d].as_deref().unwrap_or("unknown");
        *facets.language.entry(language.to_string()).or_default() += 1;
        let turns = collected.turns[d];
        turn_sum += u64::from(turns);
        histogram[(turns.clamp(1, TURN_BUCKETS) - 1) as usize] += 1;
        if let Some(day) = collected.days[d] {
            *facets.day.entry(day.to_string()).or_default() += 1;
            let week = day.iso_week();
            *facets
                .week
                .entry(format!("{}-W{:02}", week.year(), week.week()))
                .or_default() += 1;
        }
    }
    if !collected.concern.is_empty() {
        let mut concern = vec![0usize; 5];
        let (mut sum, mut rated) = (0u64, 0usize);
        for &d in docs {
            if let Some(level) = collected.concern[d] {
                concern[usize::from(level.clamp(1, 5)) - 1] += 1;
                sum += u64::from(level);
                rated += 1;
            }
        }
        facets.concern = Some(NumericFacet {
            mean: sum as f64 / rated.max(1) as f64,
            histogram: concern
                .into_iter()
                .enumerate()
                .map(|(i, count)| ((i + 1).to_string(), count))
                .collect(),
        });
    }
    if collected.summary_mode {
        let mut languages: BTreeMap<String, usize> = BTreeMap::new();
        for &d in docs {
            for name in &collected.model_languages[d] {
                *languages.entry(name.clone()).or_default() += 1;
            }
        }
        facets.model_language = Some(languages);
    }
    facets.custom = collected
        .custom_facets
        .iter()
        .enumerate()
        .map(|(index, facet)| {
            let values = docs
                .iter()
                .filter_map(|&d| collected.custom[d][index].as_ref());
            (facet.name.clone(), custom_breakdown(facet, values))
        })
        .collect();
    facets.turns = NumericFacet {
        mean: turn_sum as f64 / docs.len().max(1) as f64,
        histogram: histogram
            .into_iter()
            .enumerate()
            .map(|(i, count)| {
                let bucket = i as u32 + 1;
                let label = if bucket == TURN_BUCKETS {
                    format!("{bucket}+")
                } else {
                    bucket.to_string()
                };
                (label, count)
            })
            .collect(),
    };
    facets
}

/// Buckets of a number facet's histogram.
const NUMBER_BUCKETS: usize = 10;

fn custom_breakdown<'a>(
    facet: &CustomFacetConfig,
    values: impl Iterator<Item = &'a FacetValue>,
) -> CustomBreakdown {
    match facet.kind {
        CustomKind::Text => CustomBreakdown::Text {
            answered: values.count(),
        },
        CustomKind::Categorical => {
            let mut counts: BTreeMap<String, usize> =
                facet.values.iter().map(|v| (v.clone(), 0)).collect();
            for value in values {
                if let FacetValue::Category(name) = value {
                    *counts.entry(name.clone()).or_default() += 1;
                }
            }
            CustomBreakdown::Categorical { counts }
        }
        CustomKind::Number => {
            let (min, max) = (facet.min.unwrap_or(0.0), facet.max.unwrap_or(1.0));
            let width = (max - min) / NUMBER_BUCKETS as f64;
            let mut histogram = vec![0usize; NUMBER_BUCKETS];
            let (mut sum, mut answered) = (0.0, 0usize);
            for value in values {
                if let FacetValue::Number(number) = value {
                    let bucket = ((number - min) / width).floor().max(0.0) as usize;
                    histogram[bucket.min(NUMBER_BUCKETS - 1)] += 1;
                    sum += number;
                    answered += 1;
                }
            }
            CustomBreakdown::Number {
                answered,
                mean: sum / answered.max(1) as f64,
                histogram: histogram
                    .into_iter()
                    .enumerate()
                    .map(|(i, count)| {
                        let low = min + width * i as f64;
                        (format!("{}–{}", round2(low), round2(low + width)), count)
                    })
                    .collect(),
            }
        }
        CustomKind::YesNo => {
            let (mut yes, mut no) = (0, 0);
            for value in values {
                match value {
                    FacetValue::YesNo(true) => yes += 1,
                    FacetValue::YesNo(false) => no += 1,
                    _ => {}
                }
            }
            CustomBreakdown::YesNo { yes, no }
        }
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
