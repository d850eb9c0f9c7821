use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use candle_transformers::models::quantized_llama::{MAX_SEQ_LEN, ModelWeights};

use chorus_models::{
    BoxFuture, ChatModel, ChatReply, ChatRequest, ChatRole, ItemFailure, ModelError, Usage,
    UsageTotals,
};

use crate::LocalError;
use crate::gguf_tokenizer::GgufTokenizer;

const MODEL_ID: &str = "smollm2-135m-instruct";
/// The file `chorus models fetch smollm2-135m-instruct` installs.
pub const SMOLLM_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// The chat template's default system turn, used when a request brings none.
const DEFAULT_SYSTEM: &str = "You are a helpful AI assistant named SmolLM, trained by Hugging Face";

/// SmolLM2-135M-Instruct (Q4_1 GGUF), a small instruct LLM run in-process on the CPU.
///
/// Calls run one at a time (the model keeps one key-value cache); a request at temperature 0 is
/// greedy, any other samples with a seed derived from the configured seed and the prompt, so the
/// same request always gets the same reply.
pub struct SmolLm {
    model: Mutex<ModelWeights>,
    tokenizer: GgufTokenizer,
    im_start: u32,
    im_end: u32,
    end_of_text: u32,
    seed: u64,
    counters: Counters,
}

#[derive(Default)]
struct Counters {
    calls: AtomicU64,
    input_tokens: AtomicU64,
    output_tokens: AtomicU64,
}

fn compute_error(error: impl ToString) -> LocalError {
    LocalError::compute(MODEL_ID, error)
}

impl SmolLm {
    /// Loads the model from the folder `chorus models fetch` fills.
    pub fn load(dir: &Path, seed: u64) -> Result<Self, LocalError> {
        let path = dir.join(SMOLLM_FILE);
        let file_error = |e: &dyn ToString| LocalError::file(MODEL_ID, &path, e.to_string());
        let mut reader = BufReader::new(File::open(&path).map_err(|e| file_error(&e))?);
        let content = gguf_file::Content::read(&mut reader).map_err(|e| file_error(&e))?;
        let tokenizer = GgufTokenizer::from_metadata(&content).map_err(|e| file_error(&e))?;
        let control = |token: &str| tokenizer.control(token).map_err(|e| file_error(&e));
        let (im_start, im_end, end_of_text) = (
            control("<|im_start|>")?,
            control("<|im_end|>")?,
            control("<|endoftext|>")?,
        );
        let model = ModelWeights::from_gguf(content, &mut reader, &Device::Cpu)
            .map_err(|e| file_error(&e))?;
        Ok(Self {
            model: Mutex::new(model),
            tokenizer,
            im_start,
            im_end,
            end_of_text,
            seed,
            counters: Counters::default(),
        })
    }

    /// The token ids of plain text (control tokens spelled out in it stay plain text).
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, LocalError> {
        self.tokenizer.encode(text).map_err(compute_error)
    }

    /// Runs one request on this thread.
    pub fn complete_now(&self, request: &ChatRequest) -> Result<ChatReply, LocalError> {
        self.counters.calls.fetch_add(1, Ordering::Relaxed);
        let prompt = self.prompt(request)?;
        let budget = usize::try_from(request.max_tokens).unwrap_or(usize::MAX);
        if prompt.len() + budget > MAX_SEQ_LEN {
            return Err(compute_error(format!(
                "the prompt ({} tokens) plus {} to generate exceeds the model's window of {MAX_SEQ_LEN}",
                prompt.len(),
                request.max_tokens
            )));
        }
        let generated = self.generate(&prompt, request)?;
        let text = self.tokenizer.decode(&generated).map_err(compute_error)?;
        let text = cut_at_stop(text, &request.stop);
        let usage = Usage {
            input_tokens: prompt.len() as u64,
            output_tokens: generated.len() as u64,
        };
        self.counters
            .input_tokens
            .fetch_add(usage.input_tokens, Ordering::Relaxed);
        self.counters
            .output_tokens
            .fetch_add(usage.output_tokens, Ordering::Relaxed);
        Ok(ChatReply { text, usage })
    }

    /// The ChatML prompt, built from token ids so that no text can forge a turn boundary.
    fn prompt(&self, request: &ChatRequest) -> Result<Vec<u32>, LocalError> {
        let mut ids = Vec::new();
        let mut turn = |role: &str, content: &str, close: bool| -> Result<(), LocalError> {
            ids.push(self.im_start);
            ids.extend(
                self.tokenizer
                    .encode(&format!("{role}\n{content}"))
                    .map_err(compute_error)?,
            );
            if close {
                ids.push(self.im_end);
                ids.extend(self.tokenizer.encode("\n").map_err(compute_error)?);
            }
            Ok(())
        };
        if request.messages.first().map(|m| m.role) != Some(ChatRole::System) {
            turn("system", DEFAULT_SYSTEM, true)?;
        }
        for message in &request.messages {
            let role = match message.role {
                ChatRole::System => "system",
                ChatRole::User => "user",
                ChatRole::Assistant => "assistant",
            };
            turn(role, &message.content, true)?;
        }
        turn("assistant", request.prefill.as_deref().unwrap_or(""), false)?;
        Ok(ids)
    }

    fn generate(&self, prompt: &[u32], request: &ChatRequest) -> Result<Vec<u32>, LocalError> {
        let sampling = if request.temperature <= 0.0 {
            Sampling::ArgMax
        } else {
            Sampling::All {
                temperature: f64::from(request.temperature),
            }
        };
        let seed = prompt.iter().fold(self.seed, |hash, &id| {
            (hash ^ u64::from(id)).wrapping_mul(0x0100_0000_01b3)
        });
        let mut sampler = LogitsProcessor::from_sampling(seed, sampling);
        let mut model = self
            .model
            .lock()
            .map_err(|_| compute_error("an earlier call panicked"))?;
        model.clear_kv_cache();
        let mut generated = Vec::new();
        let mut input = prompt.to_vec();
        let mut position = 0;
        while generated.len() < request.max_tokens as usize {
            let tensor = Tensor::new(input.as_slice(), &Device::Cpu)
                .and_then(|t| t.unsqueeze(0))
                .map_err(compute_error)?;
            let logits = model
                .forward(&tensor, position)
                .and_then(|l| l.squeeze(0))
                .map_err(compute_error)?;
            position += input.len();
            let next = sampler.sample(&logits).map_err(compute_error)?;
            if next == self.im_end || next == self.end_of_text {
                break;
            }
            generated.push(next);
            if !request.stop.is_empty() && self.ends_with_stop(&generated, &request.stop)? {
                break;
            }
            input = vec![next];
        }
        Ok(generated)
    }

    fn ends_with_stop(&self, generated: &[u32], stop: &[String]) -> Result<bool, LocalError> {
        let text = self.tokenizer.decode(generated).map_err(compute_error)?;
        Ok(stop
            .iter()
            .any(|s| !s.is_empty() && text.contains(s.as_str())))
    }
}

fn cut_at_stop(mut text: String, stop: &[String]) -> String {
    if let Some(end) = stop
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()))
        .min()
    {
        text.truncate(end);
    }
    text
}

/// The future computes on the thread that polls it: callers on an async runtime that must stay
/// responsive run it under `spawn_blocking`.
impl ChatModel for SmolLm {
    fn id(&self) -> &str {
        MODEL_ID
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatReply, ModelError>> {
        Box::pin(async move {
            let reply = self
                .complete_now(request)
                .map_err(LocalError::into_item_failure)?;
            if reply.text.trim().is_empty() {
                return Err(ModelError::Item {
                    backend: MODEL_ID.to_string(),
                    failure: ItemFailure::Empty,
                    message: "the model generated no text".to_string(),
                });
            }
            Ok(reply)
        })
    }

    fn usage(&self) -> UsageTotals {
        UsageTotals {
            requests: self.counters.calls.load(Ordering::Relaxed),
            retries: 0,
            input_tokens: self.counters.input_tokens.load(Ordering::Relaxed),
            output_tokens: self.counters.output_tokens.load(Ordering::Relaxed),
        }
    }
}
