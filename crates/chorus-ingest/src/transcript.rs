//! Conversations written as one string: `Human:` / `Assistant:` transcripts (hh-rlhf) and the
//! prompt formats of chat templates (ChatML, Llama 2, Llama 3, Gemma, Vicuna, `### Human:`),
//! split back into turns so that an assistant's words are never taken for the user's.

use chorus_types::{Message, Role};

use crate::fields::MapError;
use crate::quarantine::Reason;

/// Where a speaker label counts as the start of a turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Boundary {
    /// At the start of the text or after a blank line (hh-rlhf), so "Human:" quoted inside a
    /// sentence stays text.
    BlankLine,
    /// At the start of the text or after any whitespace or an end-of-sequence token (Vicuna
    /// writes `... USER: hi ASSISTANT: hello</s>USER: ...` on one line).
    Whitespace,
}

/// Speakers written as labels in the text.
struct Labelled {
    labels: &'static [(&'static str, Role)],
    boundary: Boundary,
}

/// Speakers opened (and closed) by special tokens; the role's name follows the opener.
struct Tagged {
    open: &'static str,
    /// Ends the role's name.
    header_end: &'static str,
    close: &'static str,
}

const HUMAN_ASSISTANT: Labelled = Labelled {
    labels: &[
        ("Human:", Role::User),
        ("Assistant:", Role::Assistant),
        ("User:", Role::User),
        ("System:", Role::System),
    ],
    boundary: Boundary::BlankLine,
};

/// The label sets of chat templates that write speakers as labels (Guanaco, Vicuna, OIG);
/// each opens a turn after any whitespace.
const TEMPLATE_LABELS: [&[(&str, Role)]; 3] = [
    &[
        ("### Human:", Role::User),
        ("### Assistant:", Role::Assistant),
        ("### System:", Role::System),
    ],
    &[
        ("USER:", Role::User),
        ("ASSISTANT:", Role::Assistant),
        ("SYSTEM:", Role::System),
    ],
    &[("<human>:", Role::User), ("<bot>:", Role::Assistant)],
];

const TAGGED: [Tagged; 3] = [
    Tagged {
        open: "<|im_start|>",
        header_end: "\n",
        close: "<|im_end|>",
    },
    Tagged {
        open: "<|start_header_id|>",
        header_end: "<|end_header_id|>",
        close: "<|eot_id|>",
    },
    Tagged {
        open: "<start_of_turn>",
        header_end: "\n",
        close: "<end_of_turn>",
    },
];

/// Sequence tokens that carry no words.
const SEQUENCE_TOKENS: [&str; 6] = [
    "<s>",
    "</s>",
    "<|begin_of_text|>",
    "<|endoftext|>",
    "<bos>",
    "<eos>",
];

/// True when the text is a transcript: `Human:` turns or a chat template.
pub(crate) fn looks_like_transcript(text: &str) -> bool {
    opens_with_human(text) || chat_template(text).is_some()
}

fn opens_with_human(text: &str) -> bool {
    text.trim_start().starts_with("Human:") || text.contains("\n\nHuman:")
}

/// Splits a transcript into messages: `Human:` / `Assistant:` turns when it opens like one,
/// else a chat template's turns.
pub(crate) fn parse_transcript(text: &str) -> Result<Vec<Message>, MapError> {
    if !opens_with_human(text)
        && let Some(messages) = chat_template(text)
    {
        return messages;
    }
    split_labelled(text, &HUMAN_ASSISTANT).ok_or_else(|| {
        MapError::new(
            Reason::MalformedTranscript,
            "no \"Human:\" turn found at the start of the text or after a blank line",
        )
    })
}

/// The turns of a text written in a chat template's prompt format; `None` when it is not.
pub(crate) fn chat_template(text: &str) -> Option<Result<Vec<Message>, MapError>> {
    if let Some(style) = TAGGED.iter().find(|style| text.contains(style.open)) {
        return Some(split_tagged(text, style));
    }
    if text.contains("[INST]") && text.contains("[/INST]") {
        return Some(Ok(split_llama2(text)));
    }
    TEMPLATE_LABELS.iter().find_map(|labels| {
        let (user, assistant) = (labels[0].0, labels[1].0);
        if !(text.contains(user) && text.contains(assistant)) {
            return None;
        }
        let style = Labelled {
            labels,
            boundary: Boundary::Whitespace,
        };
        let messages = split_labelled(text, &style)?;
        let speaks = |role| messages.iter().any(|m| m.role == role);
        (speaks(Role::User) && speaks(Role::Assistant)).then_some(Ok(messages))
    })
}

fn split_labelled(text: &str, style: &Labelled) -> Option<Vec<Message>> {
    let mut boundaries: Vec<(usize, usize, Role)> = Vec::new();
    let mut search_from = 0;
    for start in turn_starts(text, style.boundary) {
        if start < search_from {
            continue;
        }
        let rest = &text[start..];
        if let Some((label, role)) = style
            .labels
            .iter()
            .find(|(label, _)| rest.starts_with(label))
        {
            boundaries.push((start, start + label.len(), *role));
            search_from = start + label.len();
        }
    }
    if !boundaries.iter().any(|(_, _, role)| *role == Role::User) {
        return None;
    }
    let mut messages = Vec::with_capacity(boundaries.len() + 1);
    push_turn(&mut messages, Role::System, &text[..boundaries[0].0]);
    for (i, (_, body_start, role)) in boundaries.iter().enumerate() {
        let body_end = boundaries.get(i + 1).map_or(text.len(), |next| next.0);
        messages.push(Message::text(
            *role,
            without_sequence_tokens(&text[*body_start..body_end]),
        ));
    }
    Some(messages)
}

/// Byte offsets where a label may open a turn.
fn turn_starts(text: &str, boundary: Boundary) -> Vec<usize> {
    let mut starts = vec![0];
    match boundary {
        Boundary::BlankLine => starts.extend(text.match_indices("\n\n").map(|(at, _)| at + 2)),
        Boundary::Whitespace => {
            starts.extend(
                text.char_indices()
                    .filter(|(_, c)| c.is_whitespace())
                    .map(|(at, c)| at + c.len_utf8()),
            );
            starts.extend(text.match_indices("</s>").map(|(at, _)| at + 4));
            starts.sort_unstable();
        }
    }
    starts
}

/// The text before the first `open`, as a system turn when it holds words, and the chunks
/// each `open` starts.
fn preamble_and_turns<'t>(
    text: &'t str,
    open: &'t str,
) -> (Vec<Message>, std::str::Split<'t, &'t str>) {
    let mut chunks = text.split(open);
    let mut messages = Vec::new();
    push_turn(
        &mut messages,
        Role::System,
        chunks.next().unwrap_or_default(),
    );
    (messages, chunks)
}

fn split_tagged(text: &str, style: &Tagged) -> Result<Vec<Message>, MapError> {
    let (mut messages, chunks) = preamble_and_turns(text, style.open);
    for chunk in chunks {
        let (name, rest) = chunk.split_once(style.header_end).unwrap_or((chunk, ""));
        let body = rest.split(style.close).next().unwrap_or_default();
        let role = template_role(name.trim()).ok_or_else(|| {
            MapError::new(
                Reason::MalformedTranscript,
                format!(
                    "a {} turn has the unknown role {:?}",
                    style.open,
                    name.trim()
                ),
            )
        })?;
        messages.push(Message::text(role, without_sequence_tokens(body)));
    }
    if !messages.iter().any(|m| m.role == Role::User) {
        return Err(MapError::new(
            Reason::MalformedTranscript,
            format!("no user turn after any {}", style.open),
        ));
    }
    Ok(messages)
}

/// `<s>[INST] <<SYS>>\nsystem\n<</SYS>>\n\nquestion [/INST] answer </s><s>[INST] ...`
fn split_llama2(text: &str) -> Vec<Message> {
    let (mut messages, chunks) = preamble_and_turns(text, "[INST]");
    for chunk in chunks {
        let (question, answer) = chunk.split_once("[/INST]").unwrap_or((chunk, ""));
        let question = match question.split_once("<<SYS>>") {
            Some((_, system)) => {
                let (system, rest) = system.split_once("<</SYS>>").unwrap_or((system, ""));
                push_turn(&mut messages, Role::System, system);
                rest
            }
            None => question,
        };
        messages.push(Message::text(Role::User, without_sequence_tokens(question)));
        push_turn(&mut messages, Role::Assistant, answer);
    }
    messages
}

fn template_role(name: &str) -> Option<Role> {
    match name.to_ascii_lowercase().as_str() {
        "system" | "developer" => Some(Role::System),
        "user" | "human" => Some(Role::User),
        "assistant" | "model" | "gpt" | "bot" => Some(Role::Assistant),
        "tool" | "ipython" | "function" => Some(Role::Tool),
        _ => None,
    }
}

/// Adds a turn unless it holds no words.
fn push_turn(messages: &mut Vec<Message>, role: Role, text: &str) {
    let text = without_sequence_tokens(text);
    if !text.is_empty() {
        messages.push(Message::text(role, text));
    }
}

fn without_sequence_tokens(text: &str) -> String {
    let mut text = text.trim();
    loop {
        let before = text;
        for token in SEQUENCE_TOKENS {
            text = text.strip_prefix(token).unwrap_or(text);
            text = text.strip_suffix(token).unwrap_or(text).trim();
        }
        if text == before {
            return text.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turns(text: &str) -> Vec<(Role, String)> {
        parse_transcript(text)
            .unwrap()
            .into_iter()
            .map(|m| (m.role, m.rendered_text()))
            .collect()
    }

    fn pairs(expected: &[(Role, &str)]) -> Vec<(Role, String)> {
        expected
            .iter()
            .map(|(role, text)| (*role, text.to_string()))
            .collect()
    }

    #[test]
    fn human_assistant_labels_count_after_blank_lines_only() {
        assert_eq!(
            turns("\n\nHuman: Say \"Human: hi\" please\n\nAssistant: Human: hi\n\nHuman: thanks"),
            pairs(&[
                (Role::User, "Say \"Human: hi\" please"),
                (Role::Assistant, "Human: hi"),
                (Role::User, "thanks"),
            ])
        );
        let error = parse_transcript("just some text").unwrap_err();
        assert_eq!(error.reason, Reason::MalformedTranscript);
    }

    #[test]
    fn chatml_and_llama3_and_gemma() {
        let expected = pairs(&[
            (Role::System, "Be brief."),
            (Role::User, "What is rust?"),
            (Role::Assistant, "A language."),
            (Role::User, "Thanks"),
        ]);
        let chatml = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is rust?<|im_end|>\n<|im_start|>assistant\nA language.<|im_end|>\n<|im_start|>user\nThanks<|im_end|>\n<|im_start|>assistant\n";
        let llama3 = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is rust?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nA language.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nThanks<|eot_id|>";
        let gemma = "<bos><start_of_turn>system\nBe brief.<end_of_turn>\n<start_of_turn>user\nWhat is rust?<end_of_turn>\n<start_of_turn>model\nA language.<end_of_turn>\n<start_of_turn>user\nThanks<end_of_turn>";
        for text in [chatml, llama3] {
            let mut found = turns(text);
            // The open assistant turn a prompt ends with holds no words.
            found.retain(|(_, text)| !text.is_empty());
            assert_eq!(found, expected, "{text}");
        }
        assert_eq!(turns(gemma), expected);
    }

    #[test]
    fn llama2_with_system_block() {
        let text = "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nWhat is rust? [/INST] A language. </s><s>[INST] Thanks [/INST]";
        assert_eq!(
            turns(text),
            pairs(&[
                (Role::System, "Be brief."),
                (Role::User, "What is rust?"),
                (Role::Assistant, "A language."),
                (Role::User, "Thanks"),
            ])
        );
    }

    #[test]
    fn vicuna_and_guanaco_labels() {
        let vicuna = "A chat between a curious user and an assistant. USER: What is rust? ASSISTANT: A language.</s>USER: Thanks ASSISTANT:";
        let found = turns(vicuna);
        assert_eq!(
            found[..4],
            pairs(&[
                (
                    Role::System,
                    "A chat between a curious user and an assistant."
                ),
                (Role::User, "What is rust?"),
                (Role::Assistant, "A language."),
                (Role::User, "Thanks"),
            ])[..]
        );
        let guanaco = "### Human: What is rust? ### Assistant: A language.\n### Human: Thanks";
        assert_eq!(
            turns(guanaco),
            pairs(&[
                (Role::User, "What is rust?"),
                (Role::Assistant, "A language."),
                (Role::User, "Thanks"),
            ])
        );
    }

    #[test]
    fn plain_text_is_no_template() {
        for text in [
            "How do I reset my card PIN?",
            "The USER: field in the form is empty",
            "[INST] alone",
        ] {
            assert!(chat_template(text).is_none(), "{text}");
        }
        let unknown = "<|im_start|>narrator\nOnce<|im_end|>";
        assert_eq!(
            chat_template(unknown).unwrap().unwrap_err().reason,
            Reason::MalformedTranscript
        );
    }
}
