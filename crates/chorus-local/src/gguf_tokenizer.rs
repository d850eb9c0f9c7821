//! The tokenizer a GGUF file describes in its metadata, rebuilt for the `tokenizers` crate.
//!
//! The registry package that carries SmolLM2 ships the GGUF alone, so its byte-level BPE (vocab,
//! merges, pre-tokenizer) is read from the file itself rather than from a `tokenizer.json`.

use std::collections::HashMap;

use candle_core::quantized::gguf_file::{Content, Value};
use serde_json::{Value as Json, json};
use tokenizers::Tokenizer;

/// GGUF's token type for control tokens (`<|im_start|>` and the like).
const CONTROL: i32 = 3;

/// A byte-level BPE tokenizer for ordinary text, plus the ids of the control tokens. Control
/// tokens are kept out of the tokenizer on purpose: text from a conversation that spells
/// `<|im_end|>` is encoded as plain characters and can never close a turn.
pub(crate) struct GgufTokenizer {
    pub(crate) text: Tokenizer,
    control: HashMap<String, u32>,
}

impl GgufTokenizer {
    pub(crate) fn from_metadata(content: &Content) -> Result<Self, String> {
        let model = string(content, "tokenizer.ggml.model")?;
        if model != "gpt2" {
            return Err(format!(
                "tokenizer model {model:?} is not supported (only byte-level BPE, \"gpt2\")"
            ));
        }
        let tokens = strings(content, "tokenizer.ggml.tokens")?;
        let merges = strings(content, "tokenizer.ggml.merges")?;
        let types = match content.metadata.get("tokenizer.ggml.token_type") {
            Some(value) => value
                .to_vec()
                .map_err(|e| e.to_string())?
                .iter()
                .map(|v| v.to_i32().map_err(|e| e.to_string()))
                .collect::<Result<Vec<i32>, String>>()?,
            None => vec![1; tokens.len()],
        };
        let mut vocab = serde_json::Map::with_capacity(tokens.len());
        let mut control = HashMap::new();
        for (id, token) in tokens.iter().enumerate() {
            let id = u32::try_from(id).map_err(|_| "vocabulary too large".to_string())?;
            if types.get(id as usize) == Some(&CONTROL) {
                control.insert(token.clone(), id);
            }
            vocab.insert(token.clone(), json!(id));
        }
        let pre_tokenizer = pre_tokenizer(content)?;
        let spec = json!({
            "version": "1.0",
            "truncation": null,
            "padding": null,
            "added_tokens": [],
            "normalizer": null,
            "pre_tokenizer": pre_tokenizer,
            "post_processor": null,
            "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
            "model": {
                "type": "BPE",
                "dropout": null,
                "unk_token": null,
                "continuing_subword_prefix": null,
                "end_of_word_suffix": null,
                "fuse_unk": false,
                "byte_fallback": false,
                "ignore_merges": false,
                "vocab": Json::Object(vocab),
                "merges": merges,
            }
        });
        let text: Tokenizer = spec
            .to_string()
            .parse()
            .map_err(|e: tokenizers::Error| format!("cannot build the tokenizer: {e}"))?;
        Ok(Self { text, control })
    }

    /// The id of a control token such as `<|im_start|>`.
    pub(crate) fn control(&self, token: &str) -> Result<u32, String> {
        self.control
            .get(token)
            .copied()
            .ok_or_else(|| format!("the model has no control token {token}"))
    }

    pub(crate) fn encode(&self, text: &str) -> Result<Vec<u32>, String> {
        self.text
            .encode(text, false)
            .map(|encoding| encoding.get_ids().to_vec())
            .map_err(|e| e.to_string())
    }

    pub(crate) fn decode(&self, ids: &[u32]) -> Result<String, String> {
        self.text.decode(ids, true).map_err(|e| e.to_string())
    }
}

/// llama.cpp names the pre-tokenizer; the ones byte-level BPE models use here split digits one by
/// one (`smollm`) or not (`gpt2`), then apply GPT-2's pattern.
fn pre_tokenizer(content: &Content) -> Result<Json, String> {
    let byte_level = json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true});
    let pre = content
        .metadata
        .get("tokenizer.ggml.pre")
        .and_then(|v| v.to_string().ok())
        .map_or("gpt2", String::as_str);
    match pre {
        "gpt2" | "default" => Ok(byte_level),
        "smollm" => Ok(json!({"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": true},
            byte_level,
        ]})),
        other => Err(format!("pre-tokenizer {other:?} is not supported")),
    }
}

fn string<'a>(content: &'a Content, key: &str) -> Result<&'a String, String> {
    content
        .metadata
        .get(key)
        .ok_or_else(|| format!("metadata {key} is missing"))?
        .to_string()
        .map_err(|e| format!("metadata {key}: {e}"))
}

fn strings(content: &Content, key: &str) -> Result<Vec<String>, String> {
    content
        .metadata
        .get(key)
        .ok_or_else(|| format!("metadata {key} is missing"))?
        .to_vec()
        .map_err(|e| format!("metadata {key}: {e}"))?
        .iter()
        .map(|value| match value {
            Value::String(text) => Ok(text.clone()),
            _ => Err(format!("metadata {key} holds a non-string")),
        })
        .collect()
}
