//! Production logs, from faithful copies of their layouts (see `fixtures/logs/README.md`):
//! agent sessions, tracing exports, Batch API files and OpenAssistant trees become
//! conversations with the right turns, roles, users and times.

mod common;

use chorus_ingest::{Format, IngestOptions};
use chorus_types::{Conversation, Role};
use common::{fixture, read_paths};

fn turns(conversation: &Conversation) -> Vec<(Role, String)> {
    conversation
        .messages
        .iter()
        .map(|m| (m.role, m.rendered_text()))
        .collect()
}

fn read_one(name: &str) -> common::Read {
    read_paths(
        &[fixture(&format!("logs/{name}"))],
        &IngestOptions::default(),
    )
}

#[test]
fn claude_code_session_follows_the_latest_branch() {
    let read = read_one("claude-code-session.jsonl");
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    assert_eq!(read.report.files[0].format, Some(Format::ClaudeCode));
    let [session] = &read.conversations[..] else {
        panic!("one session, one conversation")
    };
    assert_eq!(session.id, "5f0c1d2e-8b7a-4c3d-9e10-aa11bb22cc33");
    assert_eq!(session.user_id, None);
    let said = turns(session);
    let roles: Vec<Role> = said.iter().map(|(role, _)| *role).collect();
    assert_eq!(
        roles,
        [
            Role::System, // the command caveat, a meta line
            Role::User,
            Role::Assistant,
            Role::Tool, // a tool_result block is not the person's words
            Role::Assistant,
            Role::User,
            Role::Assistant,
        ]
    );
    // The edited question and the reply to it are a dropped branch; the sub-agent's prompt
    // is the agent's own.
    let users: Vec<&str> = said
        .iter()
        .filter(|(role, _)| *role == Role::User)
        .map(|(_, text)| text.as_str())
        .collect();
    assert_eq!(
        users,
        [
            "The date test fails on Mondays, can you find out why?",
            "Pin the test to Monday 2025-09-08 and fix week_start"
        ]
    );
    assert_eq!(said[2].1, "I'll look at the test first.\n\n[tool_use]");
    assert_eq!(
        session.created_at.map(|t| t.to_rfc3339()),
        Some("2025-09-14T08:00:00+00:00".into())
    );
    assert_eq!(session.metadata["model"], "claude-sonnet-4-20250514");
    assert!(!session.metadata.values().any(|v| v.contains("/home/dana")));
    // The summary, the queue operation (its prompt is sent later as a user line), the file
    // snapshot and the sub-agent line hold no words of the session.
    assert_eq!(read.report.totals.log_events_without_words, 4);
}

#[test]
fn codex_rollout_is_one_conversation_without_its_context_lines() {
    let read = read_one("codex-rollout.jsonl");
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    assert_eq!(read.report.files[0].format, Some(Format::Codex));
    let [session] = &read.conversations[..] else {
        panic!("one rollout, one conversation")
    };
    assert_eq!(session.id, "019a2d7a-41c4-78b1-b7cc-a45d62a89cd5");
    assert_eq!(
        turns(session),
        [
            (Role::System, "<environment_context>\n  <cwd>/home/lee/api</cwd>\n  <approval_policy>on-request</approval_policy>\n</environment_context>".into()),
            (Role::User, "Add pagination to the /orders endpoint".into()),
            (Role::Assistant, "[function_call]".into()),
            (Role::Tool, "[function_call_output]".into()),
            (Role::Assistant, "I added limit and cursor parameters to /orders.".into()),
        ]
    );
    assert_eq!(session.metadata["model"], "gpt-5-codex");
    assert_eq!(session.metadata["codex_version"], "0.46.0");
    // The user_message event repeats the response item; reasoning and token counts say nothing.
    assert_eq!(read.report.totals.log_events_without_words, 3);
}

#[test]
fn oasst_trees_and_message_rows_read_the_same_conversations() {
    let trees = read_one("oasst-trees.jsonl");
    let rows = read_one("oasst-messages.jsonl");
    let table = read_one("oasst-messages.parquet");
    let forced = read_paths(
        &[fixture("logs/oasst-messages.parquet")],
        &IngestOptions {
            format: Some(Format::Oasst),
            ..IngestOptions::default()
        },
    );
    // A Parquet file is reported as Parquet, whatever its rows hold, unless a format is forced.
    for (read, format) in [
        (&trees, Format::Oasst),
        (&rows, Format::Oasst),
        (&table, Format::Parquet),
        (&forced, Format::Oasst),
    ] {
        assert!(read.rejections.is_empty(), "{:?}", read.rejections);
        assert_eq!(read.report.files[0].format, Some(format));
    }
    for read in [&table, &forced] {
        let mut from_table = read.conversations.clone();
        from_table.sort_by(|a, b| a.id.cmp(&b.id));
        let mut from_rows = rows.conversations.clone();
        from_rows.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(from_table, from_rows);
    }
    let mut from_rows = rows.conversations.clone();
    from_rows.sort_by(|a, b| a.id.cmp(&b.id));
    let mut from_trees = trees.conversations.clone();
    from_trees.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(from_trees.len(), 2);
    for (tree, row) in from_trees.iter().zip(&from_rows) {
        assert_eq!(
            (&tree.id, &tree.user_id, tree.created_at),
            (&row.id, &row.user_id, row.created_at)
        );
        assert_eq!(turns(tree), turns(row));
        assert_eq!(tree.metadata["lang"], row.metadata["lang"]);
    }
    let hash_table = &from_trees[0];
    assert_eq!(
        hash_table.user_id.as_deref(),
        Some("c3fe8c76-fc30-4fa7-b7f8-c492f5967d18")
    );
    assert_eq!(
        turns(hash_table),
        [
            (Role::User, "Can you explain what a hash table is?".into()),
            (
                Role::Assistant,
                "A hash table stores key-value pairs in buckets chosen by a hash of the key."
                    .into()
            ),
            (Role::User, "What happens on a collision?".into()),
        ]
    );
}

#[test]
fn batch_requests_and_results_join_across_files() {
    // The output file first: the join does not depend on the order of the inputs.
    let read = read_paths(
        &[
            fixture("logs/openai-batch-output.jsonl"),
            fixture("logs/openai-batch-input.jsonl"),
        ],
        &IngestOptions::default(),
    );
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    assert_eq!(read.conversations.len(), 3);
    let files = &read.report.files;
    assert_eq!(
        (files[0].format, files[1].format),
        (Some(Format::OpenaiBatch), Some(Format::OpenaiBatch))
    );
    // Each call counts once, in the file of its request.
    assert_eq!((files[0].accepted, files[1].accepted), (0, 3));
    let by_id = |id: &str| read.conversations.iter().find(|c| c.id == id).unwrap();
    let billing = by_id("ticket-1041");
    assert_eq!(billing.user_id.as_deref(), Some("acct-17"));
    assert_eq!(
        turns(billing),
        [
            (Role::System, "You sort support tickets.".into()),
            (
                Role::User,
                "My card was charged twice for one order.".into()
            ),
            (Role::Assistant, "Category: billing.".into()),
        ]
    );
    assert_eq!(
        billing.created_at.map(|t| t.timestamp()),
        Some(1_733_389_000)
    );
    let failed = by_id("ticket-1042");
    assert_eq!(failed.metadata["batch_error"], "rate_limit_exceeded");
    assert_eq!(turns(failed).len(), 2);
    let responses = by_id("ticket-1043");
    assert_eq!(responses.user_id.as_deref(), Some("acct-17"));
    assert_eq!(
        turns(responses)[2],
        (Role::Assistant, "Category: login.".into())
    );
}

#[test]
fn langsmith_root_runs_of_a_thread_are_one_conversation() {
    let read = read_one("langsmith-runs.jsonl");
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    assert_eq!(read.report.files[0].format, Some(Format::Langsmith));
    // A run alone is read as it comes; a thread once the file is read.
    let [single, thread] = &read.conversations[..] else {
        panic!(
            "a thread of two root runs and one run alone: {:?}",
            read.conversations
        )
    };
    assert_eq!(thread.id, "thread-a");
    assert_eq!(thread.user_id.as_deref(), Some("org-4"));
    assert_eq!(
        turns(thread),
        [
            (Role::User, "Which plan includes SSO?".into()),
            (Role::Assistant, "SSO comes with the Business plan.".into()),
            (Role::User, "And what does it cost per seat?".into()),
            (
                Role::Assistant,
                "The Business plan is 12 euros a seat.".into()
            ),
        ]
    );
    assert_eq!(single.id, "0b7d3f1e-0004-4000-8000-000000000004");
    assert_eq!(
        turns(single)[0],
        (Role::User, "Can I export my invoices as CSV?".into())
    );
    // The LLM run inside the first trace repeats its root run.
    assert_eq!(read.report.totals.log_events_without_words, 1);
}

#[test]
fn langsmith_model_calls_stand_in_for_a_root_run_the_export_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llm-runs.jsonl");
    let lines: Vec<String> = std::fs::read_to_string(fixture("logs/langsmith-runs.jsonl"))
        .unwrap()
        .lines()
        .filter(|line| line.contains("\"run_type\": \"llm\""))
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 1);
    std::fs::write(&path, lines.join("\n")).unwrap();
    let read = read_paths(&[path], &IngestOptions::default());
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    let [call] = &read.conversations[..] else {
        panic!(
            "the model call is the conversation: {:?}",
            read.conversations
        )
    };
    assert_eq!(call.id, "0b7d3f1e-0001-4000-8000-000000000001");
    assert_eq!(call.user_id.as_deref(), Some("org-4"));
    assert_eq!(
        turns(call),
        [
            (Role::User, "Which plan includes SSO?".into()),
            (Role::Assistant, "SSO comes with the Business plan.".into()),
        ]
    );
}

#[test]
fn langfuse_api_export_joins_the_traces_of_a_session() {
    let read = read_one("langfuse-traces.json");
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
    assert_eq!(read.report.files[0].format, Some(Format::Langfuse));
    let [single, session] = &read.conversations[..] else {
        panic!("one session and one trace alone: {:?}", read.conversations)
    };
    assert_eq!(
        (session.id.as_str(), session.user_id.as_deref()),
        ("sess-77", Some("traveller-5"))
    );
    // Listed newest first, each trace sending the whole history: read once, in time order.
    assert_eq!(
        turns(session)
            .into_iter()
            .map(|(_, text)| text)
            .collect::<Vec<_>>(),
        [
            "You are a travel assistant.",
            "Find me a train from Lyon to Turin",
            "There is one at 7:12.",
            "Is there a later one?",
            "Yes, at 15:40."
        ]
    );
    assert_eq!(
        session.created_at.map(|t| t.to_rfc3339()),
        Some("2025-07-01T12:00:00+00:00".into())
    );
    assert_eq!(single.id, "trace-1");
    assert_eq!(
        turns(single)[0],
        (
            Role::User,
            "Summarise my booking emails from last week".into()
        )
    );
    assert_eq!(
        turns(single)[1],
        (
            Role::Assistant,
            "You booked two hotels and a flight.".into()
        )
    );
}

#[test]
fn otel_genai_spans_are_model_calls() {
    let read = read_one("otel-genai.jsonl");
    assert_eq!(read.report.files[0].format, Some(Format::Otel));
    let [soup, dough] = &read.conversations[..] else {
        panic!("two spans with content: {:?}", read.conversations)
    };
    assert_eq!(soup.id, "eee19b7ec3c1b174");
    assert_eq!(soup.user_id.as_deref(), Some("cook-3"));
    assert_eq!(
        turns(soup),
        [
            (
                Role::User,
                "What can I cook with leeks and potatoes?".into()
            ),
            (Role::Assistant, "A leek and potato soup.".into()),
        ]
    );
    assert_eq!(soup.created_at.map(|t| t.timestamp()), Some(1_733_400_000));
    assert_eq!(
        (
            soup.metadata["model"].as_str(),
            soup.metadata["service"].as_str()
        ),
        ("gpt-4o-mini", "recipe-bot")
    );
    assert_eq!(dough.user_id.as_deref(), Some("cook-8"));
    assert_eq!(
        turns(dough)[1],
        (
            Role::Assistant,
            "Raw flour and eggs carry some risk.".into()
        )
    );
    // The HTTP span says nothing of a conversation.
    assert_eq!(read.report.totals.log_events_without_words, 1);
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
}

#[test]
fn a_model_call_span_without_content_names_the_setting_that_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spans.json");
    let span = r#"{"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": [
        {"traceId": "t", "spanId": "s", "name": "chat gpt-4o", "startTimeUnixNano": "1733407200000000000",
         "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}}]}]}]}]}"#;
    std::fs::write(&path, span).unwrap();
    let read = read_paths(&[path], &IngestOptions::default());
    let [missing] = &read.rejections[..] else {
        panic!("one span without content: {:?}", read.rejections)
    };
    assert_eq!(missing.reason, chorus_ingest::Reason::MissingMessages);
    assert!(
        missing.detail.contains("CAPTURE_MESSAGE_CONTENT"),
        "{}",
        missing.detail
    );
}

#[test]
fn a_forced_log_format_reads_only_that_layout() {
    let options = IngestOptions {
        format: Some(Format::Langfuse),
        ..IngestOptions::default()
    };
    let read = read_paths(&[fixture("logs/langfuse-traces.json")], &options);
    assert_eq!(read.conversations.len(), 2);
    assert!(read.rejections.is_empty(), "{:?}", read.rejections);
}

#[test]
fn a_broken_log_record_costs_that_record_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.jsonl");
    let line = |uuid: &str, parent: &str, extra: &str| {
        format!(
            r#"{{"type": "user", "sessionId": "s-1", "uuid": "{uuid}", "parentUuid": {parent}, "timestamp": "2025-09-14T08:00:00Z", "message": {{"role": "user", "content": "question {uuid}"}}{extra}}}"#
        )
    };
    let text = [
        line("a", "null", ""),
        line("b", "\"a\"", r#", "timestamp": "yesterday""#),
        r#"{"custom_id": {"not": "an id"}, "response": {}}"#.to_string(),
        "{broken".to_string(),
        line("c", "\"a\"", ""),
    ]
    .join("\n");
    std::fs::write(&path, text).unwrap();
    let read = read_paths(&[path], &IngestOptions::default());
    let reasons: Vec<(chorus_ingest::Reason, Option<u64>)> = read
        .rejections
        .iter()
        .map(|r| (r.reason, r.location.line))
        .collect();
    assert_eq!(
        reasons,
        [
            (chorus_ingest::Reason::InvalidTimestamp, Some(2)),
            (chorus_ingest::Reason::InvalidField, Some(3)),
            (chorus_ingest::Reason::InvalidJson, Some(4)),
        ]
    );
    let [session] = &read.conversations[..] else {
        panic!("the session survives its broken lines")
    };
    assert_eq!(
        turns(session),
        [
            (Role::User, "question a".into()),
            (Role::User, "question c".into())
        ]
    );
}
