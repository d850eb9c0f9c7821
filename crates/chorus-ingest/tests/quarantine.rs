//! Every kind of bad input becomes a rejection with its specific reason; nothing panics and
//! every record is accounted for (the helper asserts accepted + duplicates + rejected = read).

mod common;

use std::io::Write;

use chorus_ingest::{IngestOptions, OversizePolicy, Reason};
use common::read_paths;

struct Case {
    name: &'static str,
    file: &'static str,
    bytes: Vec<u8>,
    options: IngestOptions,
    /// Rejections expected, in order: (reason, line or record, or 0 for the file).
    rejected: Vec<(Reason, u64)>,
    accepted: u64,
}

fn case(
    name: &'static str,
    file: &'static str,
    bytes: impl Into<Vec<u8>>,
    rejected: Vec<(Reason, u64)>,
    accepted: u64,
) -> Case {
    Case {
        name,
        file,
        bytes: bytes.into(),
        options: IngestOptions::default(),
        rejected,
        accepted,
    }
}

const GOOD: &str = r#"{"id": "good", "messages": [{"role": "user", "content": "hello there"}]}"#;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn cases() -> Vec<Case> {
    let truncated_gzip = {
        let mut full = gzip(format!("{GOOD}\n").repeat(200).as_bytes());
        full.truncate(full.len() / 2);
        full
    };
    let long_message = format!(
        r#"{{"id": "long", "messages": [{{"role": "user", "content": "{}"}}]}}"#,
        "x".repeat(50)
    );
    vec![
        case(
            "invalid JSON line",
            "a.jsonl",
            format!("{GOOD}\n{{\"id\": \"x\", \"messages\": [\n"),
            vec![(Reason::InvalidJson, 2)],
            1,
        ),
        case(
            "invalid UTF-8 line",
            "a.jsonl",
            [
                format!("{GOOD}\n").as_bytes(),
                b"{\"id\": \"\xff\xfe\", \"messages\": []}\n",
            ]
            .concat(),
            vec![(Reason::InvalidUtf8, 2)],
            1,
        ),
        case(
            "record that is not an object",
            "a.jsonl",
            format!("{GOOD}\n[1, 2, 3]\n"),
            vec![(Reason::NotAnObject, 2)],
            1,
        ),
        case(
            "missing messages",
            "a.jsonl",
            format!("{GOOD}\n{{\"id\": \"m\", \"text_only\": 1}}\n"),
            vec![(Reason::MissingMessages, 2)],
            1,
        ),
        case(
            "empty messages list",
            "a.jsonl",
            format!("{GOOD}\n{{\"id\": \"e\", \"messages\": []}}\n"),
            vec![(Reason::EmptyMessages, 2)],
            1,
        ),
        case(
            "messages with only blank text",
            "a.jsonl",
            format!(
                "{GOOD}\n{{\"id\": \"b\", \"messages\": [{{\"role\": \"user\", \"content\": \"  \"}}]}}\n"
            ),
            vec![(Reason::EmptyMessages, 2)],
            1,
        ),
        case(
            "unknown role",
            "a.jsonl",
            format!(
                "{GOOD}\n{{\"id\": \"r\", \"messages\": [{{\"role\": \"wizard\", \"content\": \"hi\"}}]}}\n"
            ),
            vec![(Reason::UnknownRole, 2)],
            1,
        ),
        case(
            "no user turn",
            "a.jsonl",
            format!(
                "{GOOD}\n{{\"id\": \"n\", \"messages\": [{{\"role\": \"assistant\", \"content\": \"hi\"}}]}}\n"
            ),
            vec![(Reason::NoUserTurn, 2)],
            1,
        ),
        Case {
            options: IngestOptions {
                max_message_chars: 20,
                oversize: OversizePolicy::Reject,
                ..IngestOptions::default()
            },
            ..case(
                "oversize message, reject policy",
                "a.jsonl",
                format!("{GOOD}\n{long_message}\n"),
                vec![(Reason::OversizeMessage, 2)],
                1,
            )
        },
        Case {
            options: IngestOptions {
                max_message_chars: 20,
                ..IngestOptions::default()
            },
            ..case(
                "oversize message, truncate policy",
                "a.jsonl",
                format!("{GOOD}\n{long_message}\n"),
                vec![],
                2,
            )
        },
        case(
            "duplicate id, different content",
            "a.jsonl",
            format!("{GOOD}\n{}\n", GOOD.replace("hello there", "other words")),
            vec![(Reason::DuplicateIdConflict, 2)],
            1,
        ),
        case(
            "duplicate id, same content",
            "a.jsonl",
            format!("{GOOD}\n{GOOD}\n"),
            vec![],
            1,
        ),
        case("empty file", "a.jsonl", "", vec![(Reason::EmptyFile, 0)], 0),
        case(
            "blank lines only",
            "a.jsonl",
            "\n  \n\n",
            vec![(Reason::EmptyFile, 0)],
            0,
        ),
        case(
            "unknown format",
            "notes.txt",
            "Dear diary, today I asked a chatbot about tea.\n",
            vec![(Reason::UnknownFormat, 0)],
            0,
        ),
        case(
            "JSON of an unknown shape",
            "a.jsonl",
            "{\"sku\": 1, \"price\": 2}\n",
            // Each record of no known layout is rejected on its own line.
            vec![(Reason::UnknownFormat, 1)],
            0,
        ),
        case(
            "transcript without a Human turn",
            "a.jsonl",
            "{\"chosen\": \"\\n\\nHuman: hi\\n\\nAssistant: yo\"}\n{\"chosen\": \"no speakers here\"}\n",
            vec![(Reason::MalformedTranscript, 2)],
            1,
        ),
        case(
            "invalid timestamp",
            "a.jsonl",
            format!(
                "{GOOD}\n{{\"id\": \"t\", \"created_at\": \"last tuesday\", \"messages\": [{{\"role\": \"user\", \"content\": \"hi\"}}]}}\n"
            ),
            vec![(Reason::InvalidTimestamp, 2)],
            1,
        ),
        case(
            "id of the wrong type",
            "a.jsonl",
            format!(
                "{GOOD}\n{{\"id\": {{\"a\": 1}}, \"messages\": [{{\"role\": \"user\", \"content\": \"hi\"}}]}}\n"
            ),
            vec![(Reason::InvalidField, 2)],
            1,
        ),
        case(
            "content of the wrong type",
            "a.jsonl",
            format!(
                "{GOOD}\n{{\"id\": \"c\", \"messages\": [{{\"role\": \"user\", \"content\": 42}}]}}\n"
            ),
            vec![(Reason::InvalidField, 2)],
            1,
        ),
        case(
            "CSV row with too many fields",
            "a.csv",
            "text,label\nfine,a\none,two,three\nalso fine,b\n",
            vec![(Reason::MalformedRow, 3)],
            2,
        ),
        case(
            "CSV without a text column",
            "a.csv",
            "sku,price\n1,2\n",
            vec![(Reason::MissingTextField, 0)],
            0,
        ),
        case(
            "CSV cell with invalid UTF-8",
            "a.csv",
            b"text,label\nfine,a\n\xff\xfe,b\n".to_vec(),
            vec![(Reason::InvalidUtf8, 3)],
            1,
        ),
        case(
            "ChatGPT export with a missing node",
            "conversations.json",
            r#"[{"id": "x", "current_node": "b", "mapping": {"b": {"message": {"author": {"role": "user"}, "content": {"content_type": "text", "parts": ["hi"]}}, "parent": "gone"}}}]"#,
            vec![(Reason::BrokenMessageTree, 1)],
            0,
        ),
        case(
            "JSON array cut off",
            "a.json",
            format!("[{GOOD}, {{\"id\": \"cut\", \"mess"),
            vec![(Reason::InvalidJson, 2)],
            1,
        ),
        case(
            "gzip cut off",
            "a.jsonl.gz",
            truncated_gzip,
            vec![(Reason::UnreadableFile, 0)],
            0,
        ),
    ]
}

#[test]
fn every_bad_input_has_its_own_reason() {
    let cases = cases();
    assert!(cases.len() >= 15);
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(case.file);
        std::fs::write(&path, &case.bytes).unwrap();
        let read = read_paths(std::slice::from_ref(&path), &case.options);
        let got: Vec<(Reason, u64)> = read
            .rejections
            .iter()
            .map(|r| (r.reason, r.location.line.or(r.location.record).unwrap_or(0)))
            .collect();
        if case.name == "gzip cut off" {
            // Whatever was decoded before the cut is kept; the cut itself is reported.
            assert_eq!(
                got.last().map(|g| g.0),
                Some(Reason::UnreadableFile),
                "{}",
                case.name
            );
            continue;
        }
        assert_eq!(got, case.rejected, "{}: {:?}", case.name, read.rejections);
        assert_eq!(read.report.totals.accepted, case.accepted, "{}", case.name);
        for rejection in &read.rejections {
            assert!(
                !rejection.detail.is_empty(),
                "{}: a reason needs specifics",
                case.name
            );
            assert_eq!(rejection.source, path.display().to_string());
        }
    }
}

#[test]
fn missing_files_are_rejected_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.jsonl");
    std::fs::write(&good, format!("{GOOD}\n")).unwrap();
    let missing = dir.path().join("missing.jsonl");
    let read = read_paths(&[missing, good], &IngestOptions::default());
    assert_eq!(read.rejections[0].reason, Reason::UnreadableFile);
    assert!(read.rejections[0].detail.contains("no such file"));
    assert_eq!(read.report.totals.accepted, 1);
}

#[test]
fn truncation_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.jsonl");
    let long = GOOD.replace("hello there", &"y".repeat(100));
    std::fs::write(&path, format!("{long}\n")).unwrap();
    let options = IngestOptions {
        max_message_chars: 10,
        ..IngestOptions::default()
    };
    let read = read_paths(&[path], &options);
    assert_eq!(read.report.totals.messages_truncated, 1);
    assert!(
        read.conversations[0].messages[0]
            .rendered_text()
            .starts_with("yyyyyyyyyy [")
    );
}

#[test]
fn duplicates_are_counted_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    std::fs::write(&a, format!("{GOOD}\n")).unwrap();
    std::fs::write(&b, format!("{GOOD}\n")).unwrap();
    let read = read_paths(&[a, b], &IngestOptions::default());
    assert_eq!(
        (read.report.totals.accepted, read.report.totals.duplicates),
        (1, 1)
    );
    assert_eq!(read.report.files[1].duplicates, 1);
}

#[test]
fn ids_repeated_across_shards_are_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let shard = |name: &str, words: &str| {
        let path = dir.path().join(name);
        let lines: Vec<String> = (0..5)
            .map(|i| {
                format!(
                    r#"{{"id": {i}, "messages": [{{"role": "user", "content": "{words} {i}"}}]}}"#
                )
            })
            .collect();
        std::fs::write(&path, lines.join("\n")).unwrap();
        path
    };
    let first = shard("part-0.jsonl", "bread");
    let second = shard("part-1.jsonl", "cars");
    let read = read_paths(&[first, second], &IngestOptions::default());
    assert_eq!(read.report.totals.accepted, 10, "{:?}", read.rejections);
    assert_eq!(read.report.totals.ids_namespaced, 5);
    assert_eq!(read.conversations[5].id, "part-1.jsonl/0");
    // Within one file, a reused id with other content is still a conflict.
    let same = dir.path().join("same.jsonl");
    std::fs::write(
        &same,
        "{\"id\": \"x\", \"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}\n{\"id\": \"x\", \"messages\": [{\"role\": \"user\", \"content\": \"b\"}]}\n",
    )
    .unwrap();
    let read = read_paths(&[same], &IngestOptions::default());
    assert_eq!(read.report.totals.rejected, 1);
}

#[test]
fn a_field_flag_no_record_has_is_reported_with_the_fields_seen() {
    let options = IngestOptions {
        fields: chorus_ingest::FieldNames {
            user: Some("metadata.contry".into()),
            time: Some("created_at".into()),
            ..chorus_ingest::FieldNames::default()
        },
        ..IngestOptions::default()
    };
    let read = read_paths(&[common::fixture("openai.jsonl")], &options);
    let [unmatched] = &read.report.unmatched_fields[..] else {
        panic!("{:?}", read.report.unmatched_fields)
    };
    assert_eq!(
        (unmatched.flag, unmatched.field.as_str()),
        ("--user-field", "metadata.contry")
    );
    assert!(unmatched.fields_seen.contains(&"user_id".to_string()));
    assert!(
        unmatched
            .to_string()
            .contains("matches no field of any record")
    );
}

#[test]
fn a_broken_or_huge_first_record_costs_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let good = "{\"id\": \"g\", \"messages\": [{\"role\": \"user\", \"content\": \"hello\"}]}";
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(&broken, format!("{{\"id\": \"b\", \"messa\n{good}\n")).unwrap();
    let read = read_paths(&[broken], &IngestOptions::default());
    assert_eq!(
        (read.report.totals.accepted, read.report.totals.rejected),
        (1, 1)
    );
    assert_eq!(read.rejections[0].location.line, Some(1));
    // A first record of 1.5 MiB: longer than the bytes sniffed for the format.
    let huge = dir.path().join("huge.jsonl");
    let words = "lorem ipsum ".repeat(130_000);
    let first = format!(
        "{{\"id\": \"h\", \"messages\": [{{\"role\": \"user\", \"content\": \"{words}\"}}]}}"
    );
    std::fs::write(&huge, format!("{first}\n{good}\n")).unwrap();
    let read = read_paths(&[huge], &IngestOptions::default());
    assert_eq!(read.report.totals.accepted, 2, "{:?}", read.rejections);
    assert_eq!(
        read.report.files[0].format,
        Some(chorus_ingest::Format::Openai)
    );
}

#[test]
fn utf16_is_decoded_and_latin1_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let text = "text,category\nWo ist meine Überweisung?,transfer\n¿Dónde está mi tarjeta?,card\n";
    let mut bytes = vec![0xff, 0xfe];
    for unit in text.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    let utf16 = dir.path().join("windows-export.csv");
    std::fs::write(&utf16, bytes).unwrap();
    let read = read_paths(&[utf16], &IngestOptions::default());
    assert_eq!(read.report.totals.accepted, 2, "{:?}", read.rejections);
    assert_eq!(read.report.files[0].encoding.as_deref(), Some("utf-16le"));
    assert_eq!(
        read.conversations[0].messages[0].rendered_text(),
        "Wo ist meine Überweisung?"
    );
    let latin1 = dir.path().join("latin1.jsonl");
    std::fs::write(&latin1, b"{\"text\": \"caf\xe9 cr\xe8me\"}\n").unwrap();
    let read = read_paths(&[latin1], &IngestOptions::default());
    assert!(
        read.rejections[0].detail.contains("Latin-1"),
        "{:?}",
        read.rejections
    );
}

#[test]
fn times_before_2000_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("turns.jsonl");
    // A turn counter taken for the time: 1, 2, 3 seconds after 1970.
    let lines: Vec<String> = (1..=3)
        .map(|turn| {
            format!(r#"{{"id": "t{turn}", "turn": {turn}, "messages": [{{"role": "user", "content": "hi {turn}"}}]}}"#)
        })
        .collect();
    std::fs::write(&path, lines.join("\n")).unwrap();
    let options = IngestOptions {
        fields: chorus_ingest::FieldNames {
            time: Some("turn".into()),
            ..chorus_ingest::FieldNames::default()
        },
        ..IngestOptions::default()
    };
    let read = read_paths(&[path], &options);
    assert_eq!(read.report.totals.accepted, 3);
    assert_eq!(read.report.totals.times_before_2000, 3);
}
