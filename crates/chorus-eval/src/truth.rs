//! What is known about each conversation: from a `chorus synth` truth file, or from a label
//! field of any input chorus reads.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::Deserialize;

use chorus_ingest::{IngestOptions, Input, Item, read_inputs};

use crate::EvalError;

/// The truth about one conversation; only `category` is always known.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct TruthRow {
    /// The top-level truth (a synthetic category, or the label).
    pub category: String,
    /// The category's readable name (a synthetic set's; a label is its own name).
    #[serde(default)]
    pub category_name: Option<String>,
    /// The finest truth (a synthetic leaf task, or the label again).
    #[serde(default)]
    pub leaf: Option<String>,
    /// The language it is written in.
    #[serde(default)]
    pub language: Option<String>,
    /// Its concern level.
    #[serde(default)]
    pub concern: Option<u8>,
    /// Planted personal details it carries.
    #[serde(default)]
    pub canaries: Vec<String>,
    /// A coordinated group it belongs to.
    #[serde(default)]
    pub group: Option<String>,
    /// `growing`, `fading` or `burst`.
    #[serde(default)]
    pub trend: Option<String>,
    /// Its day (`YYYY-MM-DD`).
    #[serde(default)]
    pub day: Option<String>,
}

impl TruthRow {
    /// The finest known truth.
    pub fn finest(&self) -> &str {
        self.leaf.as_deref().unwrap_or(&self.category)
    }
}

/// Truth by conversation id.
#[derive(Clone, Debug, Default)]
pub struct Truth {
    /// Conversation id → what is known.
    pub rows: HashMap<String, TruthRow>,
}

#[derive(Deserialize)]
struct SynthLine {
    id: String,
    #[serde(flatten)]
    row: TruthRow,
}

impl Truth {
    /// Reads a truth file written by `chorus synth` (JSON lines; gzip when it ends in `.gz`).
    pub fn from_synth_file(path: &Path) -> Result<Self, EvalError> {
        let file = std::fs::File::open(path).map_err(|source| EvalError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(flate2::read::GzDecoder::new(file))
        } else {
            Box::new(file)
        };
        let mut rows = HashMap::new();
        for (index, line) in BufReader::new(reader).lines().enumerate() {
            let line = line.map_err(|source| EvalError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            if line.trim().is_empty() {
                continue;
            }
            let parsed: SynthLine =
                serde_json::from_str(&line).map_err(|error| EvalError::Truth {
                    path: path.to_path_buf(),
                    line: index + 1,
                    message: format!(
                        "{error} (a truth line needs at least \"id\" and \"category\"; `chorus synth` writes them)"
                    ),
                })?;
            rows.insert(parsed.id, parsed.row);
        }
        Ok(Self { rows })
    }

    /// Reads the inputs as the run did and takes each conversation's `field` as its truth.
    /// Conversations without the field are left out.
    pub fn from_labels(inputs: &[Input], options: &IngestOptions, field: &str) -> Self {
        let mut rows = HashMap::new();
        read_inputs(inputs, options, &mut |item: Item| {
            if let Item::Accepted(conversation) = item
                && let Some(label) = conversation.metadata.get(field)
            {
                rows.insert(
                    conversation.id.clone(),
                    TruthRow {
                        category: label.clone(),
                        ..TruthRow::default()
                    },
                );
            }
        });
        Self { rows }
    }

    /// Every planted personal detail.
    pub fn canaries(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self
            .rows
            .values()
            .flat_map(|row| row.canaries.iter().map(String::as_str))
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}
