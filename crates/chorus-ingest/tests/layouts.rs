//! The layouts of well-known public chat datasets and tools, from faithful copies of their
//! records (see `fixtures/layouts/README.md`): conversations, turns, roles, users and metadata.

mod common;

use std::path::Path;

use chorus_ingest::{Format, IngestOptions};
use chorus_types::{Conversation, Role};
use common::{fixture, read_paths};

fn roles(conversation: &Conversation) -> Vec<Role> {
    conversation.messages.iter().map(|m| m.role).collect()
}

fn user_words(conversation: &Conversation) -> Vec<String> {
    conversation
        .messages
        .iter()
        .filter(|m| m.role == Role::User)
        .map(|m| m.rendered_text())
        .collect()
}

#[test]
fn lmsys_chat_jsonl_keeps_turns_and_metadata() {
    let read = read_paths(
        &[fixture("layouts/lmsys-chat.jsonl")],
        &IngestOptions::default(),
    );
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    let [first, second] = &read.conversations[..] else {
        panic!("two conversations expected")
    };
    assert_eq!(first.id, "5a1f0c2e9b7d4e31a0c4f6d8b2e9a713");
    assert_eq!(roles(first), [Role::User, Role::Assistant]);
    assert_eq!(
        roles(second),
        [Role::User, Role::Assistant, Role::User, Role::Assistant]
    );
    assert_eq!(user_words(second)[1], "¿Y cuántos habitantes tiene?");
    assert_eq!(first.metadata["model"], "vicuna-13b");
    assert_eq!(second.metadata["language"], "Spanish");
    assert!(first.metadata["openai_moderation"].contains("\"flagged\":false"));
    assert!(!first.metadata.contains_key("conversation"));
}

#[test]
fn wildchat_users_are_the_hashed_ip() {
    let read = read_paths(
        &[fixture("layouts/wildchat.jsonl")],
        &IngestOptions::default(),
    );
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    let first = &read.conversations[0];
    assert_eq!(first.id, "9f8e7d6c5b4a39281706f5e4d3c2b1a0");
    assert_eq!(
        first.user_id.as_deref(),
        Some("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    );
    assert_eq!(
        first.created_at.unwrap().to_rfc3339(),
        "2023-04-09T00:02:53+00:00"
    );
    assert_eq!(roles(first), [Role::User, Role::Assistant]);
    assert_eq!(first.metadata["country"], "United States");
    assert_eq!(first.metadata["toxic"], "false");
    let users: std::collections::BTreeSet<_> = read
        .conversations
        .iter()
        .map(|c| c.user_id.clone())
        .collect();
    assert_eq!(users.len(), 2);
}

#[test]
fn parquet_list_of_structs_and_json_string_messages() {
    let read = read_paths(
        &[
            fixture("layouts/lmsys-chat.parquet"),
            fixture("layouts/messages-json.parquet"),
        ],
        &IngestOptions::default(),
    );
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    let turns: Vec<(String, Vec<Role>)> = read
        .conversations
        .iter()
        .map(|c| (c.id.clone(), roles(c)))
        .collect();
    assert_eq!(
        turns,
        [
            ("lm-1".into(), vec![Role::User, Role::Assistant]),
            (
                "lm-2".into(),
                vec![Role::User, Role::Assistant, Role::User, Role::Assistant]
            ),
            ("js-1".into(), vec![Role::User, Role::Assistant]),
            (
                "js-2".into(),
                vec![Role::System, Role::User, Role::Assistant]
            ),
        ]
    );
    assert_eq!(read.conversations[3].user_id.as_deref(), Some("u-8"));
    assert_eq!(user_words(&read.conversations[3]), ["How far is the Moon?"]);
    assert_eq!(read.report.files[1].format, Some(Format::Parquet));
}

#[test]
fn chat_template_text_is_split_into_turns() {
    let read = read_paths(
        &[fixture("layouts/chat-templates.csv")],
        &IngestOptions::default(),
    );
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    for conversation in &read.conversations {
        let expected_users: &[&str] = match conversation.id.as_str() {
            "llama2" => &["How do I boil an egg?", "And a soft one?"],
            _ => &["How do I boil an egg?"],
        };
        assert_eq!(
            user_words(conversation),
            expected_users,
            "{}",
            conversation.id
        );
        let replies = conversation
            .messages
            .iter()
            .filter(|m| m.role == Role::Assistant)
            .count();
        let expected_replies = match conversation.id.as_str() {
            "plain" => 0,
            "llama2" => 2,
            _ => 1,
        };
        assert_eq!(replies, expected_replies, "{}", conversation.id);
    }
    assert_eq!(read.conversations.len(), 6);
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn chatgpt_tree_from_parent_links_without_current_node() {
    let dir = tempfile::tempdir().unwrap();
    // No `children` lists and no `current_node`: the branch is rebuilt from the parents and the
    // latest leaf is the one shown; the hidden custom instructions are not the person's turn.
    let record = serde_json::json!([{
        "id": "tree-1",
        "mapping": {
            "root": {"message": null, "parent": null},
            "ctx": {"message": {"author": {"role": "user"}, "create_time": 1.0,
                "content": {"content_type": "user_editable_context", "user_profile": "I am a chef"},
                "metadata": {"is_visually_hidden_from_conversation": true}}, "parent": "root"},
            "q": {"message": {"author": {"role": "user"}, "create_time": 2.0,
                "content": {"content_type": "text", "parts": ["How long do I rest a steak?"]}}, "parent": "ctx"},
            "a-old": {"message": {"author": {"role": "assistant"}, "create_time": 3.0,
                "content": {"content_type": "text", "parts": ["Ten minutes."]}}, "parent": "q"},
            "a-new": {"message": {"author": {"role": "assistant"}, "create_time": 4.0,
                "content": {"content_type": "text", "parts": ["Five to ten minutes."]}}, "parent": "q"},
            "q2": {"message": {"author": {"role": "user"}, "create_time": 5.0,
                "content": {"content_type": "text", "parts": ["Covered?"]}}, "parent": "a-new"},
            "a2": {"message": {"author": {"role": "assistant"}, "create_time": 6.0,
                "content": {"content_type": "text", "parts": ["Loosely, with foil."]}}, "parent": "q2"}
        }
    }]);
    let path = write(dir.path(), "conversations.json", &record.to_string());
    let read = read_paths(&[path], &IngestOptions::default());
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    let conversation = &read.conversations[0];
    assert_eq!(
        roles(conversation),
        [
            Role::System,
            Role::User,
            Role::Assistant,
            Role::User,
            Role::Assistant
        ]
    );
    assert_eq!(
        conversation.messages[2].rendered_text(),
        "Five to ten minutes."
    );
    assert_eq!(conversation.turns(), 2);
}

#[test]
fn tool_results_are_not_user_turns() {
    let dir = tempfile::tempdir().unwrap();
    let record = serde_json::json!({"id": "t", "messages": [
        {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "x", "name": "weather", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "x", "content": "4 C"}]},
        {"role": "assistant", "content": "It is 4 C."}
    ]});
    let path = write(dir.path(), "anthropic.jsonl", &format!("{record}\n"));
    let read = read_paths(&[path], &IngestOptions::default());
    let conversation = &read.conversations[0];
    assert_eq!(
        roles(conversation),
        [Role::User, Role::Assistant, Role::Tool, Role::Assistant]
    );
    assert_eq!(conversation.turns(), 1);
}

#[test]
fn gemini_contents_and_parts() {
    let dir = tempfile::tempdir().unwrap();
    let record = serde_json::json!({"id": "g", "contents": [
        {"role": "user", "parts": [
            {"text": "What is in this picture?"},
            {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}
        ]},
        {"role": "model", "parts": [{"functionCall": {"name": "describe", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "describe", "response": {"label": "cat"}}}]},
        {"role": "model", "parts": [{"text": "A cat on a sofa."}]},
        {"role": "user", "parts": [{"text": "Thanks!"}]}
    ], "generationConfig": {"temperature": 0.2}});
    let path = write(dir.path(), "gemini.jsonl", &format!("{record}\n"));
    let read = read_paths(&[path], &IngestOptions::default());
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    let conversation = &read.conversations[0];
    assert_eq!(
        roles(conversation),
        [
            Role::User,
            Role::Assistant,
            Role::Tool,
            Role::Assistant,
            Role::User
        ]
    );
    assert_eq!(conversation.turns(), 2);
    let first = conversation.messages[0].rendered_text();
    assert!(first.starts_with("What is in this picture?"), "{first}");
    assert!(first.contains("inlineData"), "{first}");
    assert!(!first.contains("iVBORw0KGgo"), "{first}");
    assert_eq!(user_words(conversation)[1], "Thanks!");
}

#[test]
fn message_lists_with_other_field_names() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        r#"{"id": "a", "messages": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}"#,
        r#"{"id": "b", "conversation": [{"sender": "user", "text": "hi"}, {"sender": "bot", "text": "hello"}]}"#,
        r#"{"id": "c", "conversations": [{"role": "prompter", "content": "hi"}, {"role": "assistant", "content": "hello"}]}"#,
    ];
    let path = write(dir.path(), "mixed.jsonl", &lines.join("\n"));
    let read = read_paths(&[path], &IngestOptions::default());
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    for conversation in &read.conversations {
        assert_eq!(
            roles(conversation),
            [Role::User, Role::Assistant],
            "{}",
            conversation.id
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "bad.jsonl",
        r#"{"id": "x", "messages": [{"speaker_name": "me", "content": "hi"}]}"#,
    );
    let read = read_paths(&[path], &IngestOptions::default());
    assert!(read.rejections[0].detail.contains("role, from, sender"));
}

/// An unzipped ChatGPT export: its conversations plus the files every export carries beside
/// them.
fn chatgpt_export_folder(dir: &Path) {
    std::fs::copy(
        fixture("chatgpt-export/conversations.json"),
        dir.join("conversations.json"),
    )
    .unwrap();
    write(
        dir,
        "user.json",
        r#"{"id": "user-1", "email": "a@example.com"}"#,
    );
    write(
        dir,
        "message_feedback.json",
        r#"[{"id": "f", "rating": "thumbsUp"}]"#,
    );
    write(dir, "shared_conversations.json", "[]");
    write(dir, "chat.html", "<html></html>");
}

fn zip_folder(dir: &Path, archive: &Path) {
    let mut writer = zip::ZipWriter::new(std::fs::File::create(archive).unwrap());
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for (i, name) in names.iter().enumerate() {
        // Both methods an export zip uses: deflated and stored.
        let method = if i % 2 == 0 {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        writer
            .start_file(format!("export/{name}"), options)
            .unwrap();
        std::io::Write::write_all(&mut writer, &std::fs::read(dir.join(name)).unwrap()).unwrap();
    }
    writer.finish().unwrap();
}

fn read_expanded(arg: &Path) -> (common::Read, chorus_ingest::Expansion) {
    let expansion = chorus_ingest::expand_inputs(&[arg.display().to_string()]).unwrap();
    let mut conversations = Vec::new();
    let mut rejections = Vec::new();
    let report = chorus_ingest::read_inputs(
        &expansion.inputs,
        &IngestOptions::default(),
        &mut |item: chorus_ingest::Item| match item {
            chorus_ingest::Item::Accepted(c) => conversations.push(c),
            chorus_ingest::Item::Rejected(r) => rejections.push(r),
        },
    );
    (
        common::Read {
            conversations,
            rejections,
            report,
        },
        expansion,
    )
}

#[test]
fn export_zip_and_folder_read_the_same_conversations() {
    let folder = tempfile::tempdir().unwrap();
    chatgpt_export_folder(folder.path());
    let (from_folder, folder_expansion) = read_expanded(folder.path());
    let zipped = tempfile::tempdir().unwrap();
    let archive = zipped.path().join("chatgpt-export.zip");
    zip_folder(folder.path(), &archive);
    let (from_zip, zip_expansion) = read_expanded(&archive);
    for (read, expansion) in [
        (&from_folder, &folder_expansion),
        (&from_zip, &zip_expansion),
    ] {
        assert!(read.rejections.is_empty(), "{:?}", read.rejections);
        assert_eq!(expansion.inputs.len(), 1);
        assert_eq!(expansion.skipped.len(), 4, "{:?}", expansion.skipped);
        assert_eq!(read.report.files[0].format, Some(Format::ChatgptExport));
    }
    assert!(!from_folder.conversations.is_empty());
    assert_eq!(from_folder.conversations, from_zip.conversations);
    assert!(
        from_zip.report.files[0]
            .source
            .ends_with("chatgpt-export.zip/export/conversations.json")
    );
}

#[test]
fn odd_entries_of_folders_are_named_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.ndjson", "{\"text\": \"hello there\"}\n");
    write(dir.path(), "notes.md", "# not data");
    let fifo = dir.path().join("pipe.jsonl");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/loop")).unwrap();
    let (read, expansion) = read_expanded(dir.path());
    assert_eq!(read.conversations.len(), 1, "the .ndjson file is read");
    let reasons: Vec<&str> = expansion.skipped.iter().map(|s| s.why).collect();
    assert!(reasons.iter().any(|why| why.contains("not a data file")));
    if made {
        assert!(
            expansion
                .skipped
                .iter()
                .any(|s| s.path.ends_with("pipe.jsonl") && s.why.contains("pipe")),
            "{:?}",
            expansion.skipped
        );
    }
    #[cfg(unix)]
    assert!(reasons.iter().any(|why| why.contains("symlink loop")));
}

#[test]
fn one_message_per_row_is_grouped_by_conversation() {
    let read = read_paths(
        &[fixture("layouts/message-rows.csv")],
        &IngestOptions::default(),
    );
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    let [first, second] = &read.conversations[..] else {
        panic!("two conversations expected, got {:?}", read.conversations)
    };
    assert_eq!((first.id.as_str(), second.id.as_str()), ("c-1", "c-2"));
    assert_eq!(
        roles(first),
        [Role::User, Role::Assistant, Role::User, Role::Assistant]
    );
    assert_eq!(
        user_words(first),
        ["How do I reset my password?", "I did. What next?"]
    );
    assert_eq!(
        first.messages[3].rendered_text(),
        "Then check your inbox for the link."
    );
    assert_eq!(first.user_id.as_deref(), Some("u-1"));
    assert_eq!(
        first.created_at.unwrap().to_rfc3339(),
        "2025-02-01T10:00:00+00:00"
    );
    assert_eq!(first.metadata["channel"], "web");
    assert_eq!(
        user_words(second),
        ["Can you translate \"thank you\" into Japanese?"]
    );
    assert_eq!(read.report.totals.accepted, 2);
}

#[test]
fn wrapped_records_and_named_fields() {
    let dir = tempfile::tempdir().unwrap();
    // A wrapper found by itself: a list of conversations under a common key.
    let wrapped = serde_json::json!({"conversations": [
        {"conversationId": "w1", "userId": "u-1", "messages": [
            {"sender": "user", "content": "Plan a trip to Lisbon"},
            {"sender": "assistant", "content": "Day one: Alfama."}]},
        {"conversationId": "w2", "userId": "u-2", "messages": [
            {"sender": "user", "content": "Fix my bike chain"}]}
    ]});
    let path = write(dir.path(), "wrapped.json", &wrapped.to_string());
    let read = read_paths(&[path], &IngestOptions::default());
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    let users: Vec<_> = read
        .conversations
        .iter()
        .map(|c| c.user_id.clone())
        .collect();
    assert_eq!(users, [Some("u-1".into()), Some("u-2".into())]);
    assert_eq!(roles(&read.conversations[0]), [Role::User, Role::Assistant]);

    // A path the flag names, and speaker/words under names of their own.
    let nested = serde_json::json!({"export": {"version": 2, "dialogues": [
        {"id": "n1", "turns": [{"who": "customer", "said": "Where is my parcel?"},
                               {"who": "agent", "said": "On its way."}]}
    ]}});
    let path = write(dir.path(), "nested.json", &nested.to_string());
    let options = IngestOptions {
        fields: chorus_ingest::FieldNames {
            records: Some("export.dialogues".into()),
            role: Some("who".into()),
            content: Some("said".into()),
            ..chorus_ingest::FieldNames::default()
        },
        ..IngestOptions::default()
    };
    let read = read_paths(std::slice::from_ref(&path), &options);
    // "turns" is no message list chorus knows: the record names the field to use.
    assert_eq!(read.report.totals.rejected, 1, "{:?}", read.conversations);
    let renamed = nested.to_string().replace("\"turns\"", "\"messages\"");
    std::fs::write(&path, renamed).unwrap();
    let read = read_paths(std::slice::from_ref(&path), &options);
    // "customer" and "agent" are not roles chorus knows: said so, by name, with the fix.
    assert!(
        read.rejections[0]
            .detail
            .contains("--role-map customer=user"),
        "{:?}",
        read.rejections
    );
    let mut options = options;
    options.fields.role_values = [("Customer", "user"), ("agent", "assistant")]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let read = read_paths(&[path], &options);
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    assert_eq!(read.conversations[0].id, "n1");
    assert_eq!(roles(&read.conversations[0]), [Role::User, Role::Assistant]);
}
