//! Every reader on real files: the shared data sets and format fixtures.

mod common;

use chorus_ingest::{FieldNames, Format, IngestOptions};
use chorus_types::{Part, Role};
use common::{fixture, read_paths, shared_data};

fn roles(conversation: &chorus_types::Conversation) -> Vec<Role> {
    conversation.messages.iter().map(|m| m.role).collect()
}

#[test]
fn hh_rlhf_transcripts() {
    let read = read_paths(
        &[shared_data("hh-rlhf-harmless-test.jsonl.gz")],
        &IngestOptions::default(),
    );
    assert_eq!(read.report.totals.accepted, 2312);
    assert_eq!(read.report.files[0].format, Some(Format::Transcript));
    assert_eq!(read.report.files[0].compression.as_deref(), Some("gzip"));
    let first = &read.conversations[0];
    assert_eq!(first.id, "hh-rlhf-harmless-test.jsonl.gz:1");
    assert_eq!(first.messages[0].role, Role::User);
    assert!(
        first.metadata.contains_key("rejected"),
        "the other field is kept as metadata"
    );
    assert!(read.conversations.iter().all(|c| c.turns() >= 1));
    // The data itself has 8 transcripts with two turns of one speaker in a row, and removing
    // 4 empty replies joins 4 more.
    let alternating = read
        .conversations
        .iter()
        .filter(|c| {
            c.messages
                .windows(2)
                .all(|pair| pair[0].role != pair[1].role)
        })
        .count();
    assert!(alternating >= 2312 - 12, "only {alternating} alternate");
    assert_eq!(read.report.totals.empty_messages_removed, 4);
}

#[test]
fn banking77_csv_with_label_as_metadata() {
    let options = IngestOptions {
        fields: FieldNames {
            label: Some("category".into()),
            ..FieldNames::default()
        },
        ..IngestOptions::default()
    };
    let read = read_paths(&[shared_data("banking77-test.csv.gz")], &options);
    assert_eq!(read.report.totals.accepted, 3080);
    assert_eq!(read.report.files[0].format, Some(Format::Csv));
    let first = &read.conversations[0];
    assert_eq!(roles(first), [Role::User]);
    assert_eq!(first.id, "banking77-test.csv.gz:2", "line 1 is the header");
    assert!(first.metadata.contains_key("category"));
    let labels: std::collections::BTreeSet<&String> = read
        .conversations
        .iter()
        .map(|c| &c.metadata["category"])
        .collect();
    assert_eq!(labels.len(), 77);
}

#[test]
fn openai_jsonl_string_and_part_contents() {
    let read = read_paths(&[fixture("openai.jsonl")], &IngestOptions::default());
    assert_eq!(read.report.files[0].format, Some(Format::Openai));
    let [first, second, third] = &read.conversations[..] else {
        panic!("three conversations expected")
    };
    assert_eq!(first.user_id.as_deref(), Some("acct-17"));
    assert_eq!(
        first.created_at.unwrap().to_rfc3339(),
        "2025-01-05T09:12:00+00:00"
    );
    assert_eq!(first.metadata["model"], "gpt-4o");
    assert_eq!(roles(first), [Role::System, Role::User, Role::Assistant]);
    assert_eq!(
        roles(second),
        [Role::User, Role::Assistant, Role::Tool, Role::Assistant]
    );
    assert_eq!(second.messages[0].placeholder_count(), 1);
    assert_eq!(
        second.messages[1].parts,
        [Part::Placeholder {
            kind: "tool_calls".into()
        }]
    );
    assert_eq!(
        (third.id.as_str(), third.user_id.as_deref()),
        ("3", Some("42"))
    );
    assert_eq!(
        third.messages[0].role,
        Role::System,
        "developer is a system role"
    );
}

#[test]
fn sharegpt_array_and_lines() {
    let read = read_paths(
        &[fixture("sharegpt.json"), fixture("sharegpt.jsonl")],
        &IngestOptions::default(),
    );
    assert_eq!(read.report.totals.accepted, 4);
    assert!(
        read.report
            .files
            .iter()
            .all(|f| f.format == Some(Format::Sharegpt))
    );
    assert_eq!(read.conversations[0].turns(), 2);
    assert_eq!(read.conversations[0].messages[0].role, Role::System);
}

#[test]
fn chatgpt_export_follows_the_visible_branch() {
    let read = read_paths(
        &[fixture("chatgpt-export/conversations.json")],
        &IngestOptions::default(),
    );
    assert_eq!(read.report.files[0].format, Some(Format::ChatgptExport));
    let first = &read.conversations[0];
    assert_eq!(first.id, "6779a1b2-0000-4000-8000-000000000001");
    assert_eq!(
        roles(first),
        [Role::User, Role::Assistant, Role::User, Role::Assistant]
    );
    let texts: Vec<String> = first.messages.iter().map(|m| m.rendered_text()).collect();
    assert!(
        !texts.iter().any(|t| t.contains("regenerated")),
        "the abandoned branch is left out"
    );
    assert_eq!(
        texts[2],
        "[image_asset_pointer]\n\nDoes it look better now?"
    );
    assert_eq!(first.metadata["title"], "Sourdough starter help");
    assert_eq!(first.created_at.unwrap().timestamp(), 1735689600);
    assert!(!first.metadata.contains_key("mapping"));
    let code = &read.conversations[1].messages[1];
    assert_eq!(code.rendered_text(), "squares = [x * x for x in numbers]");
}

#[test]
fn claude_export_with_account_and_attachments() {
    let read = read_paths(
        &[fixture("claude-export/conversations.json")],
        &IngestOptions::default(),
    );
    assert_eq!(read.report.files[0].format, Some(Format::ClaudeExport));
    let [first, second] = &read.conversations[..] else {
        panic!("two conversations expected")
    };
    assert_eq!(first.user_id.as_deref(), Some("acct-claude-9"));
    assert_eq!(
        first.messages[2].placeholder_count(),
        1,
        "the file is a placeholder"
    );
    assert_eq!(
        second.messages[0].rendered_text(),
        "Summarise the attached report.\n\n[attachment]"
    );
    assert_eq!(
        second.messages[1].placeholder_count(),
        1,
        "tool use is a placeholder"
    );
    assert_eq!(first.metadata["name"], "Planning a garden");
}

#[test]
fn parquet_from_pyarrow() {
    let read = read_paths(
        &[fixture("conversations.parquet"), fixture("texts.parquet")],
        &IngestOptions::default(),
    );
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    assert_eq!(read.report.files[0].format, Some(Format::Parquet));
    let first = &read.conversations[0];
    assert_eq!(
        (first.id.as_str(), first.user_id.as_deref()),
        ("pq-1", Some("u-1"))
    );
    assert_eq!(
        first.created_at.unwrap().to_rfc3339(),
        "2025-03-01T12:00:00+00:00"
    );
    assert_eq!(first.metadata["surface"], "web");
    assert_eq!(read.conversations[1].messages.len(), 3);
    assert_eq!(read.conversations[2].created_at, None);
    let text = &read.conversations[3];
    assert_eq!(roles(text), [Role::User]);
    assert_eq!(text.metadata["category"], "lost_or_stolen_card");
}

#[test]
fn tsv_with_mapped_fields() {
    let options = IngestOptions {
        fields: FieldNames {
            user: Some("customer".into()),
            ..FieldNames::default()
        },
        ..IngestOptions::default()
    };
    let read = read_paths(&[fixture("support.tsv")], &options);
    assert_eq!(read.report.files[0].format, Some(Format::Tsv));
    assert_eq!(read.conversations[0].user_id.as_deref(), Some("c-1"));
    assert_eq!(read.conversations[0].metadata["intent"], "card_arrival");
    assert_eq!(
        read.conversations[1].messages[0].rendered_text(),
        "how do I top up by bank transfer?"
    );
}

#[test]
fn zstd_and_gzip_are_recognised_by_their_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(fixture("openai.jsonl")).unwrap();
    let zstd_path = dir.path().join("no-extension");
    std::fs::write(&zstd_path, zstd::encode_all(&plain[..], 3).unwrap()).unwrap();
    let read = read_paths(&[zstd_path], &IngestOptions::default());
    assert_eq!(read.report.totals.accepted, 3);
    assert_eq!(read.report.files[0].compression.as_deref(), Some("zstd"));
    assert_eq!(read.report.files[0].format, Some(Format::Openai));
}

#[test]
fn forced_format_overrides_recognition() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "body\nplease reset my password\n").unwrap();
    let options = IngestOptions {
        format: Some(Format::Csv),
        fields: FieldNames {
            text: Some("body".into()),
            ..FieldNames::default()
        },
        ..IngestOptions::default()
    };
    let read = read_paths(&[path], &options);
    assert_eq!(read.report.totals.accepted, 1);
}

#[test]
fn file_hashes_cover_the_raw_bytes() {
    let path = shared_data("banking77-test.csv.gz");
    let read = read_paths(std::slice::from_ref(&path), &IngestOptions::default());
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(read.report.files[0].bytes, bytes.len() as u64);
    assert_eq!(
        read.report.files[0].blake3,
        blake3::hash(&bytes).to_hex().to_string()
    );
}
