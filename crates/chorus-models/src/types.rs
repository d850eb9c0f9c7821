use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// Who says a chat message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    /// Instructions.
    System,
    /// The prompt.
    User,
    /// Earlier model turns.
    Assistant,
}

/// One message of a prompt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who says it.
    pub role: ChatRole,
    /// What is said.
    pub content: String,
}

impl ChatMessage {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: ChatRole::System,
            content: content.into(),
        }
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: ChatRole::User,
            content: content.into(),
        }
    }
}

/// A completion request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The prompt.
    pub messages: Vec<ChatMessage>,
    /// Text the reply must start with; the model continues from it.
    pub prefill: Option<String>,
    /// Sampling temperature.
    pub temperature: f32,
    /// Most tokens to generate.
    pub max_tokens: u32,
    /// Sequences that end the reply.
    pub stop: Vec<String>,
}

impl ChatRequest {
    /// A request with one user message and the given limits.
    pub fn new(messages: Vec<ChatMessage>, temperature: f32, max_tokens: u32) -> Self {
        Self {
            messages,
            prefill: None,
            temperature,
            max_tokens,
            stop: Vec::new(),
        }
    }
}

/// Tokens one call used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Generated tokens.
    pub output_tokens: u64,
}

/// A completion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatReply {
    /// The generated text, without the prefill.
    pub text: String,
    /// Tokens used.
    pub usage: Usage,
}

/// Running totals for one backend, safe to update from many requests at once.
#[derive(Debug, Default)]
pub(crate) struct UsageCounter {
    requests: AtomicU64,
    retries: AtomicU64,
    input_tokens: AtomicU64,
    output_tokens: AtomicU64,
}

impl UsageCounter {
    pub(crate) fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn tokens(&self, usage: Usage) {
        self.input_tokens
            .fetch_add(usage.input_tokens, Ordering::Relaxed);
        self.output_tokens
            .fetch_add(usage.output_tokens, Ordering::Relaxed);
    }

    pub(crate) fn totals(&self) -> UsageTotals {
        UsageTotals {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            input_tokens: self.input_tokens.load(Ordering::Relaxed),
            output_tokens: self.output_tokens.load(Ordering::Relaxed),
        }
    }
}

/// What a backend has used so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageTotals {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Requests that were retries.
    pub retries: u64,
    /// Prompt tokens of successful calls.
    pub input_tokens: u64,
    /// Generated tokens of successful calls.
    pub output_tokens: u64,
}

/// Rows of equal length, each L2-normalised.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    dim: usize,
    data: Vec<f32>,
}

impl Matrix {
    /// Builds a matrix from rows, normalising each to unit length (a zero row stays zero).
    /// Returns `None` when the rows differ in length.
    pub fn from_rows(rows: Vec<Vec<f32>>) -> Option<Self> {
        let dim = rows.first().map_or(0, Vec::len);
        if rows.iter().any(|row| row.len() != dim) {
            return None;
        }
        let mut data = Vec::with_capacity(rows.len() * dim);
        for row in rows {
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
            let scale = if norm > 0.0 { 1.0 / norm } else { 0.0 };
            data.extend(row.iter().map(|x| x * scale));
        }
        Some(Self { dim, data })
    }

    /// Vector length.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    /// One row.
    pub fn row(&self, index: usize) -> &[f32] {
        &self.data[index * self.dim..(index + 1) * self.dim]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_normalised_and_ragged_rows_refused() {
        let matrix = Matrix::from_rows(vec![vec![3.0, 4.0], vec![0.0, 0.0]]).unwrap();
        assert_eq!(matrix.row(0), [0.6, 0.8]);
        assert_eq!(matrix.row(1), [0.0, 0.0]);
        assert_eq!((matrix.rows(), matrix.dim()), (2, 2));
        assert!(Matrix::from_rows(vec![vec![1.0], vec![1.0, 2.0]]).is_none());
    }
}
