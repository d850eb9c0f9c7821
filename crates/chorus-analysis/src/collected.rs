//! What the analysis keeps of each clustered conversation: no text in keyword mode, only term
//! ids, and its vector in one [`VectorFile`]; and the per-conversation table written from it.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;

use chorus_cluster::center_by_group;
use chorus_facets::Profile;
use chorus_facets::custom::{CustomFacetConfig, CustomKind};
use chorus_facets::summary::{FacetValue, SummaryFacets};
use chorus_parquet::Column;
use chorus_report::ReportTotals;
use chorus_text::{PiiKind, Redacted, Vocabulary, redact, word_runs};
use chorus_types::{ContentHash, Conversation};

use crate::concern::ConcernScorer;
use crate::tree_file::CenteringFile;
use crate::{AnalysisError, Centering, Mode, Plan, UnknownUsers, VectorFile};

/// Numbers distinct names 0, 1, 2… in the order they first appear.
#[derive(Default)]
pub(crate) struct FirstSeen<'a>(HashMap<&'a str, usize>);

impl<'a> FirstSeen<'a> {
    pub(crate) fn id(&mut self, name: &'a str) -> usize {
        let next = self.0.len();
        *self.0.entry(name).or_insert(next)
    }

    /// Distinct names seen.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The names by their numbers.
    pub(crate) fn in_order(&self) -> Vec<String> {
        let mut names = vec![String::new(); self.0.len()];
        for (name, &id) in &self.0 {
            names[id] = (*name).to_string();
        }
        names
    }
}

/// A language with fewer conversations is centred on the overall mean: its own would be noise.
const MIN_CENTERING_GROUP: usize = 50;

/// Characters of an investigation-mode excerpt.
pub(crate) const EXCERPT_CHARS: usize = 300;

/// What the analysis keeps of each clustered conversation: no text in keyword mode (only term
/// ids), its vector, its computed facets, and in summary mode the model's answers.
#[derive(Default)]
pub struct Collected {
    pub(crate) users: Vec<u64>,
    pub(crate) terms: Vec<Vec<u32>>,
    /// Per conversation: its text's opening words in order, for phrases.
    pub(crate) sequences: Vec<Vec<u32>>,
    pub(crate) languages: Vec<Option<String>>,
    pub(crate) turns: Vec<u32>,
    pub(crate) days: Vec<Option<NaiveDate>>,
    pub(crate) labels: Vec<Option<String>>,
    /// The metadata field cohorts are read from (`--cohort-field`), and per conversation its
    /// value.
    pub(crate) cohort_field: Option<String>,
    pub(crate) cohorts: Vec<Option<String>>,
    pub(crate) vectors: VectorFile,
    pub(crate) dim: usize,
    pub(crate) vocabulary: Vocabulary,
    pub(crate) totals: ReportTotals,
    pub(crate) redactions: BTreeMap<PiiKind, u64>,
    /// Summary mode only: the `request` summaries (already free of identifying details).
    pub(crate) summaries: Vec<String>,
    pub(crate) concern: Vec<Option<u8>>,
    /// Keyword mode, until the base clusters are known: the scorer and each conversation's
    /// cosines with its anchors.
    concern_reading: Option<(ConcernScorer, Vec<f32>)>,
    pub(crate) model_languages: Vec<Vec<String>>,
    pub(crate) mode: Mode,
    pub(crate) ids: Vec<String>,
    pub(crate) user_ids: Vec<Option<String>>,
    /// Summary mode: the operator's own facets, and per conversation their values in that
    /// order.
    pub(crate) custom_facets: Vec<CustomFacetConfig>,
    pub(crate) custom: Vec<Vec<Option<FacetValue>>>,
    /// Investigation mode only: each conversation's redacted user words, cut short.
    pub(crate) excerpts: Option<Vec<String>>,
    /// When a model writes names: per conversation, its text's runs of words (see
    /// [`word_runs`]), which the release gate checks model text against.
    pub(crate) word_runs: Vec<Vec<u64>>,
    pub(crate) keep_word_runs: bool,
    /// What [`Collected::center`] took out of the vectors.
    pub(crate) centering: CenteringFile,
}

/// The language most of some conversations were detected in.
pub(crate) struct MajorityLanguage<'a> {
    pub language: &'a str,
    /// Its conversations.
    pub count: usize,
    /// The conversations whose language was detected.
    pub detected: usize,
}

impl MajorityLanguage<'_> {
    /// Its share of the conversations whose language was detected.
    pub fn share(&self) -> f64 {
        self.count as f64 / self.detected as f64
    }
}

/// What one conversation brings to the analysis.
pub struct Observation<'a> {
    /// The conversation.
    pub conversation: &'a Conversation,
    /// Its computed facets.
    pub profile: &'a Profile,
    /// The text embedded: the user's redacted words, or the model's summary.
    pub text: &'a str,
    /// Personal details the redaction rules replaced in it, by kind.
    pub redactions: &'a [(PiiKind, u32)],
    /// Its vector, when it was embedded.
    pub vector: Option<&'a [f32]>,
    /// Its label, when the run compares clusters with labels.
    pub label: Option<String>,
    /// Summary mode: the facets the model gave.
    pub facets: Option<&'a SummaryFacets>,
}

impl Collected {
    /// Collects into `vectors` what `plan`'s steps need: summary mode the custom facets'
    /// values, investigation mode excerpts of the users' words, and when a model writes names
    /// what the release gate needs to check them.
    pub fn new(plan: &Plan, vectors: VectorFile) -> Self {
        Self {
            mode: plan.steps.mode,
            vectors,
            custom_facets: plan.custom_facets.clone(),
            excerpts: plan.privacy.investigation.then(Vec::new),
            keep_word_runs: plan.steps.model_names(),
            cohort_field: plan.cohort_field.clone(),
            ..Self::default()
        }
    }

    /// Every vector is in: from here on they are read, never written.
    pub fn seal(&mut self) -> Result<(), AnalysisError> {
        self.vectors.seal()
    }

    /// The vectors of the clustered conversations, one row each.
    pub(crate) fn vectors(&self) -> &[f32] {
        self.vectors.as_slice()
    }

    /// Takes out of every vector what `centering` says (after the concern scorer has read them
    /// as embedded, before clustering).
    pub fn center(&mut self, centering: Centering) -> Result<(), AnalysisError> {
        // Undetected text is not a language of its own: it is centred like the language it
        // lies nearest.
        let by_language = match (centering, self.mode == Mode::Summary) {
            (Centering::None, _) => {
                self.centering.center = centering.name().into();
                return Ok(());
            }
            (Centering::All, _) | (Centering::Language, true) => false,
            (Centering::Language, false) => true,
        };
        let mut ids = FirstSeen::default();
        let groups: Vec<Option<u32>> = self
            .languages
            .iter()
            .map(|language| {
                language
                    .as_deref()
                    .filter(|_| by_language)
                    .map(|name| ids.id(name) as u32)
            })
            .collect();
        if self.dim == 0 || groups.is_empty() {
            return Ok(());
        }
        let means = center_by_group(
            self.vectors.as_mut_slice(),
            self.dim,
            &groups,
            MIN_CENTERING_GROUP,
        )
        .map_err(AnalysisError::numeric_step("cluster"))?;
        self.centering = CenteringFile::of(centering.name(), &means, &ids.in_order());
        Ok(())
    }

    /// Takes out of every vector what an earlier run took out of its own (`chorus assign`): a
    /// language that run did not see is centred like the language it lies nearest.
    pub fn center_like(&mut self, earlier: &CenteringFile) -> Result<(), AnalysisError> {
        self.centering = earlier.clone();
        let languages = self.languages.iter().map(Option::as_deref);
        earlier.center(self.vectors.as_mut_slice(), self.dim, languages)
    }

    /// Conversations the screener kept out: `missing` when it had no usable answer.
    pub fn screened_out(&mut self, missing: bool) {
        if missing {
            self.totals.screener_missing += 1;
        } else {
            self.totals.screened_out += 1;
        }
    }

    /// Conversations ready to cluster.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// The distinct users behind the conversations at `docs`.
    pub(crate) fn distinct_users(&self, docs: &[usize]) -> usize {
        docs.iter()
            .map(|&d| self.users[d])
            .collect::<HashSet<_>>()
            .len()
    }

    /// The language most of the conversations at `docs` were detected in (on a tie, the first
    /// by name); None when none was.
    pub(crate) fn majority_language(
        &self,
        docs: impl IntoIterator<Item = usize>,
    ) -> Option<MajorityLanguage<'_>> {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for doc in docs {
            if let Some(language) = self.languages[doc].as_deref() {
                *counts.entry(language).or_default() += 1;
            }
        }
        let detected: usize = counts.values().sum();
        counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
            .map(|(language, count)| MajorityLanguage {
                language,
                count,
                detected,
            })
    }

    /// The length of the vectors (0 before the first).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Whether no conversation is ready to cluster.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Keyword mode: reads each conversation's nearness to the concern anchors from its vector
    /// as embedded (before centring); the levels are settled once the base clusters are known
    /// ([`Collected::settle_concern`]).
    pub fn read_concern(&mut self, scorer: ConcernScorer) {
        if scorer.dim() != self.dim {
            return;
        }
        let mut similarities = Vec::with_capacity(self.len() * scorer.anchors());
        for vector in self.vectors().chunks_exact(self.dim) {
            scorer.similarities(vector, &mut similarities);
        }
        self.concern_reading = Some((scorer, similarities));
    }

    /// Keyword mode: each conversation's concern level, read beside its base cluster's
    /// (`base_of`, `k` clusters); the share taken from the cluster, when levels were read.
    pub(crate) fn settle_concern(&mut self, base_of: &[usize], k: usize) -> Option<f32> {
        let (scorer, similarities) = self.concern_reading.take()?;
        self.concern = scorer.levels(&similarities, base_of, k);
        Some(scorer.context())
    }

    /// Takes in one conversation; one with no text or no usable vector is only counted.
    pub fn add(
        &mut self,
        observation: Observation<'_>,
        unknown_users: UnknownUsers,
    ) -> Result<(), AnalysisError> {
        self.totals.conversations += 1;
        for &(kind, count) in observation.redactions {
            *self.redactions.entry(kind).or_default() += u64::from(count);
        }
        if let Some(facets) = observation.facets {
            for facet in facets.missing.keys() {
                *self
                    .totals
                    .facet_missing
                    .entry(facet.to_string())
                    .or_default() += 1;
            }
        }
        if observation.text.trim().is_empty() {
            match observation.facets {
                Some(_) => self.totals.no_summary += 1,
                None => self.totals.no_user_text += 1,
            }
            return Ok(());
        }
        let Some(vector) = observation.vector else {
            self.totals.not_embedded += 1;
            return Ok(());
        };
        if self.dim == 0 {
            self.dim = vector.len();
        }
        if vector.len() != self.dim || self.dim == 0 {
            self.totals.not_embedded += 1;
            return Ok(());
        }
        self.vectors.push(vector)?;
        self.users.push(user_key(
            observation.conversation,
            self.totals.conversations,
            unknown_users,
        ));
        // A model's summary is its own text, in the model's language, not the user's.
        let language = match self.mode {
            Mode::Summary => None,
            Mode::Keyword => observation.profile.language.as_deref(),
        };
        let (terms, sequence) = self
            .vocabulary
            .terms_and_sequence(observation.text, language);
        self.terms.push(terms);
        self.sequences.push(sequence);
        if self.keep_word_runs {
            self.word_runs.push(word_runs(observation.text));
        }
        self.languages.push(observation.profile.language.clone());
        self.turns.push(observation.profile.turns);
        self.days.push(observation.profile.day);
        self.labels.push(observation.label);
        if let Some(field) = &self.cohort_field {
            let metadata = &observation.conversation.metadata;
            self.cohorts.push(metadata.get(field).cloned());
        }
        self.ids.push(observation.conversation.id.clone());
        self.user_ids.push(observation.conversation.user_id.clone());
        if let Some(excerpts) = self.excerpts.as_mut() {
            excerpts.push(keyword_text(observation.conversation, EXCERPT_CHARS).text);
        }
        if let Some(facets) = observation.facets {
            self.summaries.push(observation.text.to_string());
            self.concern.push(facets.scale("concern"));
            self.model_languages
                .push(facets.languages("language").to_vec());
            self.custom.push(
                self.custom_facets
                    .iter()
                    .map(|c| facets.values.get(&c.name).cloned())
                    .collect(),
            );
        }
        Ok(())
    }
}

/// The text keyword mode embeds and counts: the user's own turns, personal details replaced by
/// placeholders, cut at `max_chars` characters.
pub fn keyword_text(conversation: &Conversation, max_chars: usize) -> Redacted {
    let joined: Vec<String> = conversation
        .user_messages()
        .map(|message| message.rendered_text())
        .collect();
    let mut redacted = redact(&joined.join("\n"));
    if let Some((cut, _)) = redacted.text.char_indices().nth(max_chars) {
        redacted.text.truncate(cut);
    }
    redacted
}

/// A number standing for the person behind a conversation, for distinct-user counts.
fn user_key(conversation: &Conversation, ordinal: usize, unknown: UnknownUsers) -> u64 {
    let hash = match (&conversation.user_id, unknown) {
        (Some(user), _) => ContentHash::of(format!("user\0{user}").as_bytes()),
        (None, UnknownUsers::Shared) => return u64::MAX,
        (None, UnknownUsers::Distinct) => ContentHash::of(format!("unknown\0{ordinal}").as_bytes()),
    };
    u64::from_le_bytes(hash.as_bytes()[..8].try_into().unwrap_or([0; 8])) & (u64::MAX >> 1)
}

impl Collected {
    /// The per-conversation table for `conversations.parquet` (sensitive: ids and, in summary
    /// mode, the summaries).
    pub fn conversation_table(
        &self,
        paths: &[String],
        coordinates: Option<&[[f32; 2]]>,
    ) -> Vec<Column> {
        let text = |name: &str, values: Vec<Option<String>>| Column::Text(name.into(), values);
        let mut columns = vec![
            text("id", self.ids.iter().cloned().map(Some).collect()),
            text("user_id", self.user_ids.clone()),
            text("cluster_path", paths.iter().cloned().map(Some).collect()),
            text(
                "base_cluster",
                paths
                    .iter()
                    .map(|p| p.rsplit('/').next().map(str::to_string))
                    .collect(),
            ),
            text("language", self.languages.clone()),
            Column::Int(
                "turns".into(),
                self.turns.iter().map(|&t| Some(t as i32)).collect(),
            ),
            text(
                "day",
                self.days.iter().map(|d| d.map(|d| d.to_string())).collect(),
            ),
        ];
        if let Some(coordinates) = coordinates {
            for (axis, name) in ["x", "y"].into_iter().enumerate() {
                columns.push(Column::Float(
                    name.into(),
                    coordinates.iter().map(|c| Some(c[axis])).collect(),
                ));
            }
        }
        if !self.concern.is_empty() {
            columns.push(Column::Int(
                "concern".into(),
                self.concern.iter().map(|c| c.map(i32::from)).collect(),
            ));
        }
        if self.mode == Mode::Summary {
            columns.push(text(
                "request",
                self.summaries.iter().cloned().map(Some).collect(),
            ));
        }
        for (index, facet) in self.custom_facets.iter().enumerate() {
            let values = self.custom.iter().map(|row| row[index].as_ref());
            columns.push(match facet.kind {
                CustomKind::Number => Column::Float(
                    facet.name.clone(),
                    values
                        .map(|v| match v {
                            Some(FacetValue::Number(n)) => Some(*n as f32),
                            _ => None,
                        })
                        .collect(),
                ),
                _ => text(
                    &facet.name,
                    values
                        .map(|v| match v? {
                            FacetValue::Text(t) | FacetValue::Category(t) => Some(t.clone()),
                            FacetValue::YesNo(yes) => Some(if *yes { "yes" } else { "no" }.into()),
                            _ => None,
                        })
                        .collect(),
                ),
            });
        }
        columns
    }
}
