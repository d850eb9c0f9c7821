//! Facets the operator defines in `chorus.toml`: their question wrapped in our prompt (the
//! form of the answer per kind, the conversation kept as data), and the parsers of the kinds
//! only custom facets have.

use serde::{Deserialize, Serialize};

use crate::facet::{FacetKind, SummaryFacet};

/// The frame around an operator's question, one part per kind of answer.
const CUSTOM_FACET_PROMPT: &str = include_str!("../prompts/custom_facet.v1.txt");
/// The version of that frame (every custom facet's requests carry its text, so editing it
/// invalidates their cached replies).
pub const CUSTOM_FACET_PROMPT_VERSION: u32 = 1;

fn part(name: &str) -> &'static str {
    CUSTOM_FACET_PROMPT
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (key, text) = line.split_once('\t')?;
            (key == name).then_some(text.trim())
        })
        .unwrap_or("")
}

/// A facet asking `question` about each conversation, its answer of `kind`. `prefill`, when
/// given, is the text the answer is made to start with.
pub fn custom_facet(
    name: &str,
    question: &str,
    kind: FacetKind,
    prefill: Option<&str>,
) -> SummaryFacet {
    let range =
        |min: String, max: String| part("number").replace("{min}", &min).replace("{max}", &max);
    let form = match &kind {
        FacetKind::Text | FacetKind::Languages => part("text").to_string(),
        FacetKind::Categorical(values) => {
            part("categorical").replace("{values}", &values.join(", "))
        }
        FacetKind::Number { min, max } => range(min.to_string(), max.to_string()),
        FacetKind::Scale { min, max } => range(min.to_string(), max.to_string()),
        FacetKind::YesNo => part("yes_no").to_string(),
    };
    let max_tokens = match kind {
        FacetKind::Text | FacetKind::Languages => 120,
        FacetKind::Categorical(_) => 30,
        _ => 10,
    };
    SummaryFacet {
        name: name.to_string(),
        version: CUSTOM_FACET_PROMPT_VERSION,
        question: format!(
            "{} {form} {}",
            part("question").replace("{question}", question.trim()),
            part("ending")
        ),
        prefill: format!("<answer>{}", prefill.unwrap_or("")),
        max_tokens,
        kind,
    }
}

/// The allowed value the answer names (ignoring case and punctuation; the answer may say more
/// around it if it names exactly one value).
/// The kind of answer a custom facet takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomKind {
    /// Two sentences of free text.
    Text,
    /// One of `values`.
    Categorical,
    /// A number from `min` to `max`.
    Number,
    /// Yes or no.
    YesNo,
}

/// One custom facet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomFacetConfig {
    /// Its name in reports (letters, digits and `_`).
    pub name: String,
    /// What the model is asked about each conversation.
    pub question: String,
    /// The kind of answer.
    pub kind: CustomKind,
    /// Categorical: the allowed values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Number: the lowest allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Number: the highest allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Text the answer is made to start with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<String>,
    /// Text facets: cluster on this answer instead of the `request` summary.
    #[serde(default)]
    pub cluster: bool,
}

/// Facet names the built-in and computed facets already use.
const RESERVED_FACET_NAMES: [&str; 8] = [
    "request",
    "task",
    "language",
    "concern",
    "model_language",
    "turns",
    "day",
    "week",
];

impl CustomFacetConfig {
    /// The facet as the model is asked it.
    pub fn facet(&self) -> SummaryFacet {
        let kind = match self.kind {
            CustomKind::Text => FacetKind::Text,
            CustomKind::Categorical => FacetKind::Categorical(self.values.clone()),
            CustomKind::Number => FacetKind::Number {
                min: self.min.unwrap_or(0.0),
                max: self.max.unwrap_or(0.0),
            },
            CustomKind::YesNo => FacetKind::YesNo,
        };
        custom_facet(&self.name, &self.question, kind, self.prefill.as_deref())
    }

    /// Checks the definition; the message names the facet and the fix.
    pub fn validate(&self) -> Result<(), String> {
        let name = &self.name;
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "facets.custom name {name:?} must be letters, digits and _ only"
            ));
        }
        if RESERVED_FACET_NAMES.contains(&name.as_str()) {
            return Err(format!(
                "facets.custom name {name:?} is a built-in facet; choose another name"
            ));
        }
        if self.question.trim().is_empty() {
            return Err(format!("facets.custom {name}: the question is empty"));
        }
        match self.kind {
            CustomKind::Categorical => {
                let mut values = self.values.clone();
                values.sort();
                values.dedup();
                if values.len() < 2 || values.len() != self.values.len() {
                    return Err(format!(
                        "facets.custom {name}: a categorical facet needs at least two distinct values (values = [\"a\", \"b\"])"
                    ));
                }
            }
            CustomKind::Number => match (self.min, self.max) {
                (Some(min), Some(max)) if min < max => {}
                _ => {
                    return Err(format!(
                        "facets.custom {name}: a number facet needs min and max, min below max"
                    ));
                }
            },
            CustomKind::Text | CustomKind::YesNo => {}
        }
        if self.cluster && self.kind != CustomKind::Text {
            return Err(format!(
                "facets.custom {name}: only a text facet can be clustered on"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facet::{FacetValue, parse_reply};

    #[test]
    fn the_question_is_framed_with_the_form_of_its_answer() {
        let values = vec!["cards".to_string(), "loans".to_string()];
        let facet = custom_facet(
            "product",
            "Which product is asked about?",
            FacetKind::Categorical(values),
            None,
        );
        assert!(facet.question.starts_with("Which product is asked about?"));
        assert!(
            facet.question.contains("cards, loans"),
            "{}",
            facet.question
        );
        assert!(facet.question.contains("<answer>"));
        let number = custom_facet(
            "urgency",
            "How urgent?",
            FacetKind::Number {
                min: 1.0,
                max: 10.0,
            },
            Some("Urgency:"),
        );
        assert!(
            number.question.contains("from 1 to 10"),
            "{}",
            number.question
        );
        assert_eq!(number.prefill, "<answer>Urgency:");
        let yes_no = custom_facet("complaint", "Is it a complaint?", FacetKind::YesNo, None);
        assert!(yes_no.question.contains("Yes or No"));
    }

    #[test]
    fn answers_are_validated_per_kind() {
        let values = vec!["Cards".to_string(), "Loans".to_string()];
        let product = custom_facet("p", "?", FacetKind::Categorical(values), None);
        assert_eq!(
            parse_reply(&product, "cards.</answer>"),
            Ok(FacetValue::Category("Cards".into()))
        );
        assert_eq!(
            parse_reply(&product, "It is about loans."),
            Ok(FacetValue::Category("Loans".into()))
        );
        assert!(parse_reply(&product, "purple").is_err());
        assert!(parse_reply(&product, "cards and loans").is_err());
        let urgency = custom_facet(
            "u",
            "?",
            FacetKind::Number {
                min: 1.0,
                max: 10.0,
            },
            None,
        );
        assert_eq!(parse_reply(&urgency, "7.5/10"), Ok(FacetValue::Number(7.5)));
        assert!(parse_reply(&urgency, "11").is_err());
        assert!(parse_reply(&urgency, "high").is_err());
        let yes_no = custom_facet("c", "?", FacetKind::YesNo, None);
        assert_eq!(
            parse_reply(&yes_no, "Yes, clearly."),
            Ok(FacetValue::YesNo(true))
        );
        assert_eq!(parse_reply(&yes_no, "no"), Ok(FacetValue::YesNo(false)));
        assert!(parse_reply(&yes_no, "maybe").is_err());
    }
}
