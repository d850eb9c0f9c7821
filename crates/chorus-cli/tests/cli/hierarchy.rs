//! Summary mode's model-built hierarchy against the scriptable server: proposals per
//! neighbourhood (the first unusable, then retried), a merge of near-duplicate proposals, a
//! cluster the model will not place, parent names — and the tree still converges, the same on
//! a rerun from the cache; a taxonomy's categories placed by the model; an assign into a
//! summary-mode tree.

use std::path::Path;

use chorus_testkit::{Script, TestServer, last_user_text};
use serde_json::{Value, json};

use crate::util::{read_json, run_ok, scripted_chat_model, small_run_args};

/// Per topic: what users write, the `request` summary, the base cluster's name, its parent.
const TOPICS: [(&str, &str, &str, &str); 8] = [
    (
        "My new card has not arrived yet, where is it?",
        "find out when their new bank card will arrive.",
        "Track delivery of new bank cards",
        BANK,
    ),
    (
        "Which exchange rate applies when I pay in euros?",
        "learn the exchange rate used for payments in euros.",
        "Explain currency exchange rates",
        BANK,
    ),
    (
        "Can you find me a cheap flight to the coast next month?",
        "find a cheap flight for an upcoming trip.",
        "Find cheap flights for trips",
        TRAVEL,
    ),
    (
        "Which hotel near the old town would you recommend?",
        "choose a hotel for a holiday stay.",
        "Recommend hotels for holiday stays",
        TRAVEL,
    ),
    (
        "How long should I knead bread dough?",
        "learn how to knead and bake bread.",
        "Bake bread at home",
        COOK,
    ),
    (
        "Give me a recipe for a vegetable soup.",
        "get a recipe for a vegetable soup.",
        "Cook soups from vegetables",
        COOK,
    ),
    (
        "Why does my Python script raise a KeyError?",
        "fix an error raised by a Python script.",
        UNPLACEABLE,
        CODE,
    ),
    (
        "Write a SQL query that counts orders per customer.",
        "write a SQL query that counts orders per customer.",
        "Write SQL queries for reports",
        CODE,
    ),
];
const BANK: &str = "Manage bank cards and payments";
const TRAVEL: &str = "Plan trips and bookings";
const COOK: &str = "Cook and bake at home";
const CODE: &str = "Write and fix code";
/// The model never gives a usable answer when asked where this cluster goes.
const UNPLACEABLE: &str = "Debug Python script errors";
const MONEY_AND_TRAVEL: &str = "Handle money and travel";
const MAKING: &str = "Make things at home and at work";

/// The level-1 category of a base name, or the level-2 category of a level-1 name.
fn category_of(name: &str) -> Option<&'static str> {
    if let Some(topic) = TOPICS.iter().find(|t| name.contains(t.2)) {
        return Some(topic.3);
    }
    match name {
        n if n.contains(BANK) || n.contains(TRAVEL) => Some(MONEY_AND_TRAVEL),
        n if n.contains(COOK) || n.contains(CODE) => Some(MAKING),
        _ => None,
    }
}

fn section<'a>(prompt: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    // The last opening tag: the instructions name the tags too.
    let after = prompt.rsplit(open.as_str()).next().unwrap_or("");
    after.split(close.as_str()).next().unwrap_or("")
}

/// The categories of the clusters listed in `text`, once each, in order.
fn categories_in(text: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    for line in text.lines() {
        let name = line
            .trim_start_matches("- ")
            .split(':')
            .next()
            .unwrap_or("");
        if let Some(category) = category_of(name)
            && !found.contains(&category)
        {
            found.push(category);
        }
    }
    found
}

fn tagged(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("<name>{n}</name>"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn scripted_reply(body: &Value) -> String {
    let prompt = last_user_text(body);
    let retried = prompt.contains("An earlier answer could not be used");
    if prompt.contains("<nearby>") {
        let mut proposed = categories_in(section(&prompt, "groups"));
        if proposed.contains(&BANK) {
            if !retried {
                return "<name>Help with everything people might ever ask an assistant about at all</name>".into();
            }
            // A near-duplicate that the merge step folds away.
            proposed.push("Handle bank cards and payment questions");
        }
        return tagged(&proposed);
    }
    if prompt.contains("<candidates>") {
        return tagged(&[BANK, TRAVEL, COOK, CODE]);
    }
    if prompt.contains("<cluster>") {
        let cluster = section(&prompt, "cluster");
        if cluster.contains(UNPLACEABLE) {
            return "It is hard to say.".into();
        }
        return format!("{}</answer>", category_of(cluster).unwrap_or("none"));
    }
    if prompt.contains("<groups>") {
        let children = section(&prompt, "groups");
        let name = categories_in(children)
            .first()
            .copied()
            .unwrap_or("Unknown");
        return format!("Users asked about {name}.</summary><name>{name}</name>");
    }
    if prompt.contains("<group>") {
        let group = section(&prompt, "group").to_lowercase();
        let topic = TOPICS.iter().find(|t| group.contains(&t.1.to_lowercase()));
        let name = topic.map_or("Unknown", |t| t.2);
        return format!("Users asked to {name}.</summary><name>{name}</name>");
    }
    let Some(topic) = TOPICS.iter().find(|t| prompt.contains(t.0)) else {
        return "unexpected prompt".into();
    };
    if prompt.contains("overall request") {
        // The summary uses the words of the names the model gives its cluster and their
        // parents, as a model's names use its summaries' words: the release gate passes them.
        let parent = topic.3;
        let top = category_of(parent).unwrap_or("");
        return format!(" {} {}, {parent}, {top}.</answer>", topic.1, topic.2);
    }
    if prompt.contains("Which human languages") {
        return "English</answer>".into();
    }
    if prompt.contains("How concerning") {
        return "1</answer>".into();
    }
    " answer a question.</answer>".into()
}

fn write_conversations(path: &Path) {
    let lines: Vec<String> = (0..TOPICS.len() * 20)
        .map(|i| {
            let topic = i % TOPICS.len();
            json!({
                "id": format!("c{i}"),
                "user_id": format!("u{topic}-{}", i % 10),
                "messages": [
                    {"role": "user", "content": TOPICS[topic].0},
                    {"role": "assistant", "content": "Here is what I found."},
                ],
            })
            .to_string()
        })
        .collect();
    std::fs::write(path, lines.join("\n")).unwrap();
}

fn find<'a>(node: &'a Value, name: &str) -> Option<&'a Value> {
    if node["name"] == name {
        return Some(node);
    }
    node["children"]
        .as_array()?
        .iter()
        .find_map(|child| find(child, name))
}

fn child_names(node: &Value) -> Vec<String> {
    let mut names: Vec<String> = node["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// A run of the eight topics against a server answering with `reply`: the output folder, the
/// arguments, and the server.
struct Scene {
    server: TestServer,
    dir: tempfile::TempDir,
    args: Vec<String>,
}

fn scene(reply: fn(&Value) -> String) -> Scene {
    let server = TestServer::start(Script::new().reply(reply));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    write_conversations(&input);
    let config = dir.path().join("chorus.toml");
    std::fs::write(
        &config,
        format!(
            "{}\n[hierarchy]\ntop_clusters = 2\nbranching = 2\n",
            scripted_chat_model(&server.openai_base_url())
        ),
    )
    .unwrap();
    let args = small_run_args(
        &input.display().to_string(),
        &dir.path().join("out"),
        &config.display().to_string(),
        8,
        (5, 10),
    );
    Scene { server, dir, args }
}

impl Scene {
    fn run(&self, extra: &[&str]) {
        let args: Vec<&str> = self
            .args
            .iter()
            .map(String::as_str)
            .chain(extra.iter().copied())
            .collect();
        run_ok(&args);
    }

    fn out(&self) -> std::path::PathBuf {
        self.dir.path().join("out")
    }
}

fn hierarchy_usage(out: &Path) -> Value {
    let manifest = read_json(&out.join("run.json"));
    manifest["model_usage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["stage"] == "hierarchy")
        .cloned()
        .unwrap()
}

#[test]
fn the_model_built_tree_converges_through_unusable_replies() {
    let scene = scene(scripted_reply);
    scene.run(&[]);
    let out = scene.out();
    let report = read_json(&out.join("report.json"));
    assert_eq!(report["parameters"]["level_sizes"], json!([8, 4, 2]));
    let tree = &report["tree"];
    assert_eq!(child_names(tree), vec![MONEY_AND_TRAVEL, MAKING]);
    assert_eq!(
        child_names(find(tree, MONEY_AND_TRAVEL).unwrap()),
        vec![BANK, TRAVEL]
    );
    assert_eq!(
        child_names(find(tree, BANK).unwrap()),
        vec![
            "Explain currency exchange rates",
            "Track delivery of new bank cards"
        ]
    );
    // The model never placed this cluster: the nearest parent by embedding took it.
    let code = find(tree, CODE).unwrap();
    assert_eq!(
        child_names(code),
        vec![UNPLACEABLE, "Write SQL queries for reports"]
    );
    assert_eq!(tree["conversations"], 160);
    let usage = hierarchy_usage(&out);
    // Level 1: one proposal, its retry, one merge, eight placements, one retry; level 2: one
    // proposal and four placements.
    assert_eq!(usage["sent"], 17);
    assert_eq!(usage["parse_retries"], 2);
    assert_eq!(usage["missing"], 1);

    let sent = scene.server.requests();
    let again = scene.dir.path().join("again");
    let cache = out.join("store.sqlite").display().to_string();
    let mut rerun = scene.args.clone();
    rerun[3] = again.display().to_string();
    let rerun: Vec<&str> = rerun.iter().map(String::as_str).collect();
    run_ok(&[&rerun[..], &["--cache", &cache]].concat());
    assert_eq!(
        scene.server.requests(),
        sent,
        "a rerun answers from the cache"
    );
    assert_eq!(
        std::fs::read(out.join("report.json")).unwrap(),
        std::fs::read(again.join("report.json")).unwrap()
    );
}

/// Every hierarchy reply unusable: the levels come from the embeddings alone.
fn useless_hierarchy_reply(body: &Value) -> String {
    let prompt = last_user_text(body);
    if ["<nearby>", "<candidates>", "<cluster>"]
        .iter()
        .any(|tag| prompt.contains(tag))
    {
        return "I would rather not say.".into();
    }
    scripted_reply(body)
}

#[test]
fn a_model_that_never_answers_usably_still_gets_a_tree() {
    let scene = scene(useless_hierarchy_reply);
    scene.run(&[]);
    let report = read_json(&scene.out().join("report.json"));
    let sizes: Vec<u64> = report["parameters"]["level_sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    assert_eq!(sizes[0], 8);
    assert!(sizes.windows(2).all(|w| w[1] < w[0]), "{sizes:?}");
    assert!(*sizes.last().unwrap() <= 2, "{sizes:?}");
    assert_eq!(report["tree"]["conversations"], 160);
    let usage = hierarchy_usage(&scene.out());
    // Per level one proposal and its retry, both unusable; no placements are asked for.
    assert_eq!(usage["sent"], 2 * (sizes.len() as u64 - 1));
    assert_eq!(usage["missing"], sizes.len() as u64 - 1);
}

/// Taxonomy mode's placement: the model picks a category the list offers, or "None of these"
/// when the cluster's own category is not offered.
fn taxonomy_reply(body: &Value) -> String {
    let prompt = last_user_text(body);
    if prompt.contains("<cluster>") && prompt.contains("None of these") {
        let cluster = section(&prompt, "cluster");
        if cluster.contains(UNPLACEABLE) {
            return "It is hard to say.".into();
        }
        let offered = section(&prompt, "categories");
        return match category_of(cluster) {
            Some(category) if offered.contains(category) => format!("{category}</answer>"),
            _ => "None of these</answer>".into(),
        };
    }
    scripted_reply(body)
}

#[test]
fn summary_mode_places_clusters_in_a_taxonomy_with_the_chat_model() {
    let scene = scene(taxonomy_reply);
    let taxonomy = scene.dir.path().join("taxonomy.toml");
    // No category for code: the model says so for the SQL cluster.
    let categories: String = [
        (BANK, "cards, payments, exchange rates"),
        (TRAVEL, "flights and hotels"),
        (COOK, "recipes and baking"),
    ]
    .iter()
    .map(|(name, description)| {
        format!("[[category]]\nname = \"{name}\"\ndescription = \"{description}\"\n\n")
    })
    .collect();
    std::fs::write(&taxonomy, categories).unwrap();
    scene.run(&["--taxonomy", &taxonomy.display().to_string()]);
    let out = scene.out();
    let report = read_json(&out.join("report.json"));
    let tree = &report["tree"];
    assert_eq!(report["parameters"]["level_sizes"], json!([8, 4]));
    for (category, children) in [
        (
            BANK,
            vec![
                "Explain currency exchange rates",
                "Track delivery of new bank cards",
            ],
        ),
        (
            TRAVEL,
            vec![
                "Find cheap flights for trips",
                "Recommend hotels for holiday stays",
            ],
        ),
        (
            COOK,
            vec!["Bake bread at home", "Cook soups from vegetables"],
        ),
    ] {
        let node = find(tree, category).unwrap_or_else(|| panic!("{category} missing: {tree}"));
        assert_eq!(node["level"], 1);
        let expected: Vec<String> = children.iter().map(|c| c.to_string()).collect();
        // The cluster the model never placed goes where the embeddings put it.
        let placed: Vec<String> = child_names(node)
            .into_iter()
            .filter(|c| c != UNPLACEABLE)
            .collect();
        assert_eq!(placed, expected, "{category}");
    }
    // The model placed the SQL cluster under none; the Python cluster it never placed went
    // where the embeddings put it.
    let unassigned = find(tree, "Unassigned").unwrap();
    // A category holding one cluster is published once, under the cluster's id, with the
    // category's name.
    assert_eq!(unassigned["level"], 0);
    assert!(
        unassigned["keywords"].to_string().contains("sql"),
        "{unassigned}"
    );
    assert!(find(tree, UNPLACEABLE).is_some());
    let usage = hierarchy_usage(&out);
    // Eight placements, the unusable one retried once; no proposals or merges.
    assert_eq!(usage["sent"], 9);
    assert_eq!(usage["missing"], 1);
}

#[test]
fn summary_mode_assign_reuses_the_stored_facets_and_keeps_the_model_names() {
    let scene = scene(scripted_reply);
    scene.run(&[]);
    let out = scene.out();
    let sent = scene.server.requests();
    let again = scene.dir.path().join("assigned");
    let store = out.join("store.sqlite").display().to_string();
    run_ok(&[
        "assign",
        &out.display().to_string(),
        &scene.dir.path().join("in.jsonl").display().to_string(),
        "-o",
        &again.display().to_string(),
        "--store",
        &store,
        "-q",
    ]);
    // Every facet and summary came from the store; nothing is named or placed by the model.
    assert_eq!(scene.server.requests(), sent);
    let (first, placed) = (
        read_json(&out.join("report.json")),
        read_json(&again.join("report.json")),
    );
    assert_eq!(placed["mode"], "summary");
    assert_eq!(
        placed["parameters"]["tree_id"],
        first["parameters"]["tree_id"]
    );
    assert_eq!(child_names(&placed["tree"]), child_names(&first["tree"]));
    assert_eq!(
        child_names(find(&placed["tree"], BANK).unwrap()),
        child_names(find(&first["tree"], BANK).unwrap())
    );
}
