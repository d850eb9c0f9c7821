//! Summary mode's model calls: facets per conversation and names per cluster, every call through
//! the run store (an identical request is never sent twice), one retry for a reply that does not
//! parse, then the value is recorded as missing with the reason.

use std::collections::BTreeMap;

use serde::Serialize;

use chorus_analysis::{AnalysisError, Embed, ModelAccess, ReplyCheck};
use chorus_facets::summary::{
    CONVERSATION_TOKEN_BUDGET, FacetValue, SummaryFacet, SummaryFacets, facet_instructions,
    facet_request, parse_facet_answer, parse_reply, render_conversation, with_problem,
};
use chorus_models::{ChatModel, ChatRequest, Pricing, UsageTotals, estimate_tokens};
use chorus_store::Store;
use chorus_types::Conversation;

use crate::embed::{AnalysisEmbedder, model_runtime};
use crate::{ChatOutcome, EmbedStage, PipelineError, complete_all};

/// Bump when what the facet stage asks changes. Replies are stored as they came and parsed on
/// every run, so a stricter parser needs no bump (and re-pays nothing).
const FACET_STAGE_VERSION: u32 = 1;
/// How the reason of a value missing for an unusable reply begins.
const UNUSABLE: &str = "unusable after one retry";

fn is_zero(count: &u64) -> bool {
    *count == 0
}

/// What one model stage sent and spent, for `run.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ModelStageUsage {
    /// The stage (`facet`, `name`).
    pub stage: String,
    /// The model.
    pub model: String,
    /// Calls answered from the store.
    pub cache_hits: u64,
    /// Calls sent to the model.
    pub sent: u64,
    /// Requests identical to another of the same batch, answered by its call.
    #[serde(skip_serializing_if = "is_zero")]
    pub shared: u64,
    /// Retries after replies that did not parse.
    pub parse_retries: u64,
    /// Items left without a value, for any reason.
    pub missing: u64,
    /// Of the calls sent, those that got no answer from the server (refused or reset
    /// connections, timeouts, 5xx and 429 after every retry). They are not stored: a rerun
    /// sends them again.
    pub transport_failures: u64,
    /// Items whose reply came but could not be used (did not parse, or echoed the prompt,
    /// the prefill or the conversation), after the one retry.
    pub unusable: u64,
    /// Prompt tokens of the calls sent.
    pub input_tokens: u64,
    /// Generated tokens of the calls sent.
    pub output_tokens: u64,
    /// What the calls sent cost, with the configured prices.
    pub cost_usd: f64,
}

/// Calls a chat model through the store.
pub(crate) struct ModelCaller<'a> {
    model: &'a dyn ChatModel,
    pricing: Pricing,
    runtime: tokio::runtime::Runtime,
    store: Store,
    usage: BTreeMap<&'static str, ModelStageUsage>,
    last_transport_failure: Option<String>,
}

impl<'a> ModelCaller<'a> {
    pub(crate) fn new(
        model: &'a dyn ChatModel,
        pricing: Pricing,
        store: Store,
    ) -> Result<Self, PipelineError> {
        Ok(Self {
            model,
            pricing,
            runtime: model_runtime("facet")?,
            store,
            usage: BTreeMap::new(),
            last_transport_failure: None,
        })
    }

    fn call(
        &mut self,
        stage: &'static str,
        version: u32,
        requests: &[ChatRequest],
    ) -> Result<Vec<ChatOutcome>, PipelineError> {
        let before = self.model.usage();
        let result = self.runtime.block_on(complete_all(
            self.model,
            &mut self.store,
            stage,
            version,
            requests,
        ));
        let after = self.model.usage();
        let entry = self.usage.entry(stage).or_insert_with(|| ModelStageUsage {
            stage: stage.to_string(),
            model: self.model.id().to_string(),
            ..ModelStageUsage::default()
        });
        let spent = delta(before, after);
        entry.input_tokens += spent.input_tokens;
        entry.output_tokens += spent.output_tokens;
        entry.cost_usd += self.pricing.cost(chorus_models::Usage {
            input_tokens: spent.input_tokens,
            output_tokens: spent.output_tokens,
        });
        let (outcomes, counts) = result?;
        entry.cache_hits += counts.cache_hits;
        entry.sent += counts.sent;
        entry.shared += counts.shared;
        entry.transport_failures += counts.transport_failures;
        if counts.last_transport_failure.is_some() {
            self.last_transport_failure = counts.last_transport_failure;
        }
        self.stop_when_mostly_unanswered()?;
        Ok(outcomes)
    }

    /// Going on when most calls of the run got no answer would only record more missing
    /// values (and publish a report built from them): the run stops, naming the server, and
    /// a rerun resumes, since every answered call is stored.
    fn stop_when_mostly_unanswered(&self) -> Result<(), PipelineError> {
        let sent: u64 = self.usage.values().map(|u| u.sent).sum();
        let failed: u64 = self.usage.values().map(|u| u.transport_failures).sum();
        match &self.last_transport_failure {
            Some(last) if failed * 2 > sent => Err(PipelineError::Unanswered {
                model: self.model.id().to_string(),
                failed,
                sent,
                last: last.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// Sends `requests` and parses each reply; where a reply does not parse, asks once more,
    /// told what was wrong. Per request: the value, or why there is none (counted as missing).
    pub(crate) fn ask<T>(
        &mut self,
        stage: &'static str,
        version: u32,
        requests: &[ChatRequest],
        parse: impl Fn(usize, &str) -> Result<T, String>,
    ) -> Result<Vec<Result<T, String>>, PipelineError> {
        self.ask_checked(stage, version, requests, true, parse)
    }

    /// [`Self::ask`], with the retry of a reply that does not parse only when `retry`.
    fn ask_checked<T>(
        &mut self,
        stage: &'static str,
        version: u32,
        requests: &[ChatRequest],
        retry: bool,
        parse: impl Fn(usize, &str) -> Result<T, String>,
    ) -> Result<Vec<Result<T, String>>, PipelineError> {
        let outcomes = self.call(stage, version, requests)?;
        let mut results = Vec::with_capacity(requests.len());
        let mut retry_at = Vec::new();
        let mut retries = Vec::new();
        for (index, outcome) in outcomes.into_iter().enumerate() {
            results.push(match outcome {
                ChatOutcome::Reply(reply) if !retry => {
                    parse(index, &reply.text).map_err(|problem| format!("{UNUSABLE}: {problem}"))
                }
                ChatOutcome::Reply(reply) => parse(index, &reply.text).inspect_err(|problem| {
                    retries.push(with_problem(requests[index].clone(), problem));
                    retry_at.push(index);
                }),
                ChatOutcome::Failed { failure, message } => Err(format!("{failure}: {message}")),
            });
        }
        if !retries.is_empty() {
            let outcomes = self.call(stage, version, &retries)?;
            for (&index, outcome) in retry_at.iter().zip(outcomes) {
                results[index] = match outcome {
                    ChatOutcome::Reply(reply) => parse(index, &reply.text)
                        .map_err(|problem| format!("{UNUSABLE}: {problem}")),
                    ChatOutcome::Failed { failure, message } => {
                        Err(format!("{failure}: {message}"))
                    }
                };
            }
        }
        let entry = self.usage.entry(stage).or_default();
        entry.parse_retries += retries.len() as u64;
        entry.missing += results.iter().filter(|r| r.is_err()).count() as u64;
        entry.unusable += results
            .iter()
            .filter(|r| r.as_ref().is_err_and(|why| why.starts_with(UNUSABLE)))
            .count() as u64;
        Ok(results)
    }

    /// The screener's answer for each conversation: yes, no, or why there is none.
    pub(crate) fn screen(
        &mut self,
        conversations: &[&Conversation],
        screener: &SummaryFacet,
    ) -> Result<Vec<Result<bool, String>>, PipelineError> {
        let requests: Vec<ChatRequest> = conversations
            .iter()
            .map(|c| facet_request(screener, &render_conversation(c, CONVERSATION_TOKEN_BUDGET)))
            .collect();
        let answers =
            self.ask(
                "screen",
                FACET_STAGE_VERSION,
                &requests,
                |_, text| match parse_reply(screener, text)? {
                    FacetValue::YesNo(yes) => Ok(yes),
                    other => Err(format!("{other:?} is not yes or no")),
                },
            )?;
        Ok(answers)
    }

    /// The facets of each conversation.
    pub(crate) fn facets(
        &mut self,
        conversations: &[&Conversation],
        facets: &[SummaryFacet],
    ) -> Result<Vec<SummaryFacets>, PipelineError> {
        let rendered: Vec<String> = conversations
            .iter()
            .map(|c| render_conversation(c, CONVERSATION_TOKEN_BUDGET))
            .collect();
        let slots: Vec<(usize, usize)> = (0..conversations.len())
            .flat_map(|c| (0..facets.len()).map(move |f| (c, f)))
            .collect();
        let requests: Vec<ChatRequest> = slots
            .iter()
            .map(|&(c, f)| facet_request(&facets[f], &rendered[c]))
            .collect();
        let instructions: Vec<_> = facets.iter().map(facet_instructions).collect();
        let answers = self.ask("facet", FACET_STAGE_VERSION, &requests, |slot, text| {
            let (c, f) = slots[slot];
            parse_facet_answer(&facets[f], text, &rendered[c], &instructions[f])
        })?;
        let mut results = vec![SummaryFacets::default(); conversations.len()];
        for (&(c, f), answer) in slots.iter().zip(answers) {
            let name = facets[f].name.clone();
            match answer {
                Ok(value) => {
                    results[c].values.insert(name, value);
                }
                Err(reason) => {
                    results[c].missing.insert(name, reason);
                }
            }
        }
        Ok(results)
    }

    /// What each stage sent and spent.
    pub(crate) fn usage(&self) -> Vec<ModelStageUsage> {
        self.usage.values().cloned().collect()
    }
}

/// The run's chat model (through the store) and embedder, as the analysis's model steps use
/// them.
pub(crate) struct AnalysisModels<'c, 'a> {
    pub caller: &'c mut ModelCaller<'a>,
    pub embedder: &'c EmbedStage<'a>,
}

impl Embed for AnalysisModels<'_, '_> {
    fn embed(&mut self, texts: &[String]) -> Result<Vec<Option<Vec<f32>>>, AnalysisError> {
        AnalysisEmbedder(self.embedder).embed(texts)
    }
}

impl ModelAccess for AnalysisModels<'_, '_> {
    fn ask(
        &mut self,
        stage: &'static str,
        version: u32,
        requests: &[ChatRequest],
        retry: bool,
        check: ReplyCheck<'_>,
    ) -> Result<Vec<Result<String, String>>, AnalysisError> {
        self.caller
            .ask_checked(stage, version, requests, retry, |index, text| {
                check(index, text).map(|()| text.to_string())
            })
            .map_err(|error| AnalysisError::Model(Box::new(error)))
    }
}

fn delta(before: UsageTotals, after: UsageTotals) -> UsageTotals {
    UsageTotals {
        requests: after.requests.saturating_sub(before.requests),
        retries: after.retries.saturating_sub(before.retries),
        input_tokens: after.input_tokens.saturating_sub(before.input_tokens),
        output_tokens: after.output_tokens.saturating_sub(before.output_tokens),
    }
}

/// Expected calls, tokens and cost of the facet stage before anything is sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FacetEstimate {
    /// Calls the facet stage would make (one per conversation and facet).
    pub calls: u64,
    /// Of them, already in the store.
    pub cached: u64,
    /// Estimated prompt tokens of the calls to send.
    pub input_tokens: u64,
    /// Most generated tokens of the calls to send.
    pub max_output_tokens: u64,
}

impl FacetEstimate {
    /// Adds the calls of some conversations (the screener's, then every facet's, as if every
    /// conversation passed the screener), checking the store for each.
    pub(crate) fn add(
        &mut self,
        conversations: &[Conversation],
        model: &dyn ChatModel,
        store: &Store,
        screener: Option<&SummaryFacet>,
        facets: &[SummaryFacet],
    ) -> Result<(), PipelineError> {
        let asked: Vec<(&str, &SummaryFacet)> = screener
            .map(|s| ("screen", s))
            .into_iter()
            .chain(facets.iter().map(|f| ("facet", f)))
            .collect();
        for conversation in conversations {
            let rendered = render_conversation(conversation, CONVERSATION_TOKEN_BUDGET);
            for &(stage, facet) in &asked {
                let request = facet_request(facet, &rendered);
                self.calls += 1;
                if crate::model_calls::is_cached(
                    store,
                    stage,
                    FACET_STAGE_VERSION,
                    model,
                    &request,
                )? {
                    self.cached += 1;
                    continue;
                }
                self.input_tokens += request
                    .messages
                    .iter()
                    .map(|m| estimate_tokens(&m.content))
                    .sum::<u64>()
                    + request.prefill.as_deref().map_or(0, estimate_tokens);
                self.max_output_tokens += u64::from(request.max_tokens);
            }
        }
        Ok(())
    }
}
