use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A conversation format chorus reads. Containers (JSON lines or one JSON array, gzip, zstd) are
/// recognised from the bytes whatever the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// OpenAI chat records: `{"id", "user_id", "created_at", "messages": [{"role", "content"}]}`.
    Openai,
    /// ShareGPT records: `{"conversations": [{"from": "human", "value": "..."}]}`.
    Sharegpt,
    /// `Human:` / `Assistant:` turns inside one string field (hh-rlhf's `chosen`).
    Transcript,
    /// JSON records with one text field, read as a single user turn.
    Text,
    /// Comma-separated values with a header; one text column is a single user turn.
    Csv,
    /// Tab-separated values with a header; one text column is a single user turn.
    Tsv,
    /// Parquet with the columns of the OpenAI form (or a text column).
    Parquet,
    /// The `conversations.json` of a ChatGPT data export (message trees).
    ChatgptExport,
    /// The `conversations.json` of a Claude.ai data export.
    ClaudeExport,
    /// Gemini `generateContent` requests: `{"contents": [{"role", "parts": [..]}]}`.
    Gemini,
    /// OpenAssistant message trees, a tree a line or a message a row.
    Oasst,
    /// OpenAI Batch API input (requests) and output (results) files, joined by `custom_id`.
    OpenaiBatch,
    /// Claude Code session logs, an event a line.
    ClaudeCode,
    /// Codex CLI session rollouts, an event a line.
    Codex,
    /// LangSmith run exports: root runs are conversations.
    Langsmith,
    /// Langfuse trace exports.
    Langfuse,
    /// OpenTelemetry GenAI spans as OTLP JSON.
    Otel,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 17] = [
        Format::Openai,
        Format::Sharegpt,
        Format::Transcript,
        Format::Text,
        Format::Csv,
        Format::Tsv,
        Format::Parquet,
        Format::ChatgptExport,
        Format::ClaudeExport,
        Format::Gemini,
        Format::Oasst,
        Format::OpenaiBatch,
        Format::ClaudeCode,
        Format::Codex,
        Format::Langsmith,
        Format::Langfuse,
        Format::Otel,
    ];

    /// A production log, whose records are not one conversation each (read by `logs`).
    pub(crate) fn is_log(self) -> bool {
        matches!(
            self,
            Format::Oasst
                | Format::OpenaiBatch
                | Format::ClaudeCode
                | Format::Codex
                | Format::Langsmith
                | Format::Langfuse
                | Format::Otel
        )
    }

    /// The name used by `--format` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Openai => "openai",
            Format::Sharegpt => "sharegpt",
            Format::Transcript => "transcript",
            Format::Text => "text",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Parquet => "parquet",
            Format::ChatgptExport => "chatgpt-export",
            Format::ClaudeExport => "claude-export",
            Format::Gemini => "gemini",
            Format::Oasst => "oasst",
            Format::OpenaiBatch => "openai-batch",
            Format::ClaudeCode => "claude-code",
            Format::Codex => "codex",
            Format::Langsmith => "langsmith",
            Format::Langfuse => "langfuse",
            Format::Otel => "otel",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|format| format.name() == text)
            .ok_or_else(|| {
                let names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "unknown format {text:?}; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for format in Format::ALL {
            assert_eq!(format.name().parse::<Format>().unwrap(), format);
            let json = serde_json::to_string(&format).unwrap();
            assert_eq!(json, format!("\"{}\"", format.name()));
        }
        assert!(
            "xml"
                .parse::<Format>()
                .unwrap_err()
                .contains("chatgpt-export")
        );
    }
}
