//! Cost control: what a model charges, and a spending cap that is never exceeded.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::{
    BoxFuture, ChatModel, ChatReply, ChatRequest, ModelError, Readiness, Usage, UsageTotals,
};

/// What a model charges, in US dollars per million tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    /// Per million prompt tokens.
    pub input_per_million: f64,
    /// Per million generated tokens.
    pub output_per_million: f64,
}

/// A rough token count for text before it is sent: about four characters a token for English,
/// and never fewer tokens than words.
pub fn estimate_tokens(text: &str) -> u64 {
    let by_chars = text.chars().count().div_ceil(4) as u64;
    by_chars.max(text.split_whitespace().count() as u64)
}

impl Pricing {
    /// The cost of some usage.
    pub fn cost(&self, usage: Usage) -> f64 {
        (usage.input_tokens as f64 * self.input_per_million
            + usage.output_tokens as f64 * self.output_per_million)
            / 1e6
    }

    /// The most a request can cost: its estimated prompt and every token it may generate.
    pub fn worst_case(&self, request: &ChatRequest) -> f64 {
        let prompt: u64 = request
            .messages
            .iter()
            .map(|m| estimate_tokens(&m.content))
            .sum::<u64>()
            + request.prefill.as_deref().map_or(0, estimate_tokens);
        self.cost(Usage {
            input_tokens: prompt,
            output_tokens: u64::from(request.max_tokens),
        })
    }
}

/// A spending cap shared by every call of a run.
#[derive(Debug)]
pub struct Budget {
    limit_usd: f64,
    /// Spent plus reserved for calls in flight.
    committed: Mutex<f64>,
}

impl Budget {
    /// A cap of `limit_usd`.
    pub fn new(limit_usd: f64) -> Self {
        Self {
            limit_usd,
            committed: Mutex::new(0.0),
        }
    }

    fn committed(&self) -> std::sync::MutexGuard<'_, f64> {
        self.committed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Spent so far plus what calls in flight may still cost.
    pub fn committed_usd(&self) -> f64 {
        *self.committed()
    }

    fn reserve(&self, amount: f64) -> bool {
        let mut committed = self.committed();
        if *committed + amount > self.limit_usd {
            return false;
        }
        *committed += amount;
        true
    }

    fn settle(&self, reserved: f64, actual: f64) {
        *self.committed() += actual - reserved;
    }
}

/// A chat model that refuses to start a call whose worst case would take spending past the
/// budget. The refusal is fatal, so the run stops cleanly with everything before it stored.
pub struct Budgeted<'a, M> {
    inner: M,
    pricing: Pricing,
    budget: &'a Budget,
}

impl<'a, M: ChatModel> Budgeted<'a, M> {
    /// Wraps `inner`, charging `pricing` against `budget`.
    pub fn new(inner: M, pricing: Pricing, budget: &'a Budget) -> Self {
        Self {
            inner,
            pricing,
            budget,
        }
    }
}

impl<M: ChatModel> ChatModel for Budgeted<'_, M> {
    fn id(&self) -> &str {
        self.inner.id()
    }

    fn request_form(&self) -> &str {
        self.inner.request_form()
    }

    fn probe(&self) -> BoxFuture<'_, Result<Readiness, ModelError>> {
        self.inner.probe()
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatReply, ModelError>> {
        Box::pin(async move {
            let reserved = self.pricing.worst_case(request);
            if !self.budget.reserve(reserved) {
                return Err(ModelError::Fatal {
                    backend: self.inner.id().to_string(),
                    message: format!(
                        "the budget of ${:.4} would be exceeded (${:.4} committed, this call may cost ${reserved:.4})",
                        self.budget.limit_usd,
                        self.budget.committed_usd()
                    ),
                    fix:
                        "raise --budget, or rerun: finished calls are cached and cost nothing again"
                            .into(),
                });
            }
            let result = self.inner.complete(request).await;
            let actual = result
                .as_ref()
                .map_or(0.0, |reply| self.pricing.cost(reply.usage));
            self.budget.settle(reserved, actual);
            result
        })
    }

    fn usage(&self) -> UsageTotals {
        self.inner.usage()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChatMessage;

    #[test]
    fn costs_and_worst_cases() {
        let pricing = Pricing {
            input_per_million: 1.0,
            output_per_million: 4.0,
        };
        assert_eq!(
            pricing.cost(Usage {
                input_tokens: 1_000_000,
                output_tokens: 500_000
            }),
            3.0
        );
        let request = ChatRequest::new(vec![ChatMessage::user("abcdefgh")], 0.0, 10);
        assert!((pricing.worst_case(&request) - (2.0 + 40.0) / 1e6).abs() < 1e-12);
        assert_eq!(
            estimate_tokens("a b c d e"),
            5,
            "never fewer tokens than words"
        );
    }

    #[test]
    fn reservations_never_pass_the_limit() {
        let budget = Budget::new(1.0);
        assert!(budget.reserve(0.6));
        assert!(!budget.reserve(0.5));
        budget.settle(0.6, 0.2);
        assert!(budget.reserve(0.5));
        assert!((budget.committed_usd() - 0.7).abs() < 1e-12);
    }
}
