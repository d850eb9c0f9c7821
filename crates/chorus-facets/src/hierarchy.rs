//! Summary mode's hierarchy prompts: proposing parent categories for a neighbourhood of
//! clusters, merging the proposals of all neighbourhoods, and placing one cluster under one
//! parent — with tolerant, validated parsing of each reply.

use std::sync::LazyLock;

use chorus_models::{ChatMessage, ChatRequest};
use chorus_text::{Instructions, unusable_reply};

use crate::summary::ClusterName;

/// Proposing parents for one neighbourhood of clusters.
pub const PROPOSE_PARENTS_PROMPT: &str = include_str!("../prompts/propose_parents.v1.txt");
/// Merging the proposals of every neighbourhood into at most a given number.
pub const DEDUPE_PARENTS_PROMPT: &str = include_str!("../prompts/dedupe_parents.v1.txt");
/// Placing one cluster under one of the parents.
pub const ASSIGN_PARENT_PROMPT: &str = include_str!("../prompts/assign_parent.v1.txt");

/// The version of the hierarchy prompts (part of the hierarchy stage's cache keys).
pub const HIERARCHY_PROMPT_VERSION: u32 = 1;

/// What a proposed category name may not repeat: the prompts that ask for one.
static PARENT_NAME_INSTRUCTIONS: LazyLock<Instructions> =
    LazyLock::new(|| Instructions::new(&[PROPOSE_PARENTS_PROMPT, DEDUPE_PARENTS_PROMPT]));

/// Words a category name may have.
const MAX_NAME_WORDS: usize = 10;

fn listed(children: &[ClusterName]) -> String {
    children
        .iter()
        .map(|c| format!("- {}: {}", one_line(&c.name), one_line(&c.description)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn list_request(prompt: &str, count: usize, body: String) -> ChatRequest {
    let text = format!(
        "{}\n\n{body}",
        prompt.trim().replace("{count}", &count.to_string())
    );
    ChatRequest::new(vec![ChatMessage::user(text)], 0.0, 40 + 24 * count as u32)
}

/// Asks for about `count` parents of `members`, with `nearby` clusters as contrast.
pub fn propose_parents_request(
    members: &[ClusterName],
    nearby: &[ClusterName],
    count: usize,
) -> ChatRequest {
    list_request(
        PROPOSE_PARENTS_PROMPT,
        count,
        format!(
            "<groups>\n{}\n</groups>\n\n<nearby>\n{}\n</nearby>",
            listed(members),
            listed(nearby)
        ),
    )
}

/// Asks to merge `candidates` into at most `count` distinct parents.
pub fn dedupe_parents_request(candidates: &[String], count: usize) -> ChatRequest {
    let names: Vec<String> = candidates
        .iter()
        .map(|c| format!("- {}", one_line(c)))
        .collect();
    list_request(
        DEDUPE_PARENTS_PROMPT,
        count,
        format!("<candidates>\n{}\n</candidates>", names.join("\n")),
    )
}

/// Asks which of `parents` (in the order shown) fits `child` best.
pub fn assign_parent_request(child: &ClusterName, parents: &[&str]) -> ChatRequest {
    let options: Vec<String> = parents
        .iter()
        .map(|p| format!("- {}", one_line(p)))
        .collect();
    let text = format!(
        "{}\n\n<cluster>\n{}: {}\n</cluster>\n\n<categories>\n{}\n</categories>",
        ASSIGN_PARENT_PROMPT.trim(),
        one_line(&child.name),
        one_line(&child.description),
        options.join("\n")
    );
    let mut request = ChatRequest::new(vec![ChatMessage::user(text)], 0.0, 40);
    request.prefill = Some("<answer>".into());
    request.stop = vec!["</answer>".into()];
    request
}

/// Category names from a list reply: every `<name>` tag, or, when the model left the tags out,
/// every line marked as a list item (bullets and numbers dropped); prose is never a name. Names
/// over ten words, and names holding markup, a quoted turn or the prompt's words, are refused;
/// repeats (ignoring case) are kept once. At most `max` names.
pub fn parse_name_list(reply: &str, max: usize) -> Result<Vec<String>, String> {
    let tagged: Vec<&str> = reply
        .split("<name>")
        .skip(1)
        .map(|part| part.split("</name>").next().unwrap_or(part))
        .collect();
    let candidates: Vec<String> = if tagged.is_empty() {
        reply.lines().filter_map(list_item).collect()
    } else {
        tagged.into_iter().map(one_line).collect()
    };
    let mut names: Vec<String> = Vec::new();
    for candidate in candidates {
        let name = one_line(candidate.trim_matches(['"', '.', ' ', '*']));
        let words = name.split_whitespace().count();
        if words == 0 {
            continue;
        }
        if words > MAX_NAME_WORDS {
            return Err(format!(
                "{name:?} has {words} words (at most {MAX_NAME_WORDS})"
            ));
        }
        if let Some(problem) = unusable_reply(&name, &PARENT_NAME_INSTRUCTIONS) {
            return Err(format!("{name:?} is not a name: {problem}"));
        }
        if !names.iter().any(|n| same_name(n, &name)) {
            names.push(name);
        }
    }
    if names.is_empty() {
        return Err("no category name in the reply".into());
    }
    if names.len() > max {
        return Err(format!("{} categories (at most {max})", names.len()));
    }
    Ok(names)
}

/// The text of a line marked as a list item (`- `, `* `, `• `, `1. `, `1) `); prose is not.
fn list_item(line: &str) -> Option<String> {
    let line = line.trim();
    let rest = match line.strip_prefix(['-', '*', '•']) {
        Some(rest) => rest,
        None => {
            let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            line[digits..]
                .strip_prefix(['.', ')'])
                .filter(|_| digits > 0)?
        }
    };
    let item = rest.trim();
    (!item.is_empty() && !item.ends_with(':') && !item.contains('<')).then(|| item.to_string())
}

/// Names compared by their letters and digits alone, ignoring case.
pub fn same_name(a: &str, b: &str) -> bool {
    normalised(a) == normalised(b)
}

fn normalised(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Which of `options` an assignment reply chose: the answer matches one name (ignoring case and
/// punctuation), or contains exactly one of them, or is its number in the list (1-based).
pub fn parse_choice(reply: &str, options: &[&str]) -> Result<usize, String> {
    let mut answer = reply;
    if let Some(at) = answer.find("<answer>") {
        answer = &answer[at + "<answer>".len()..];
    }
    if let Some(at) = answer.find("</answer>") {
        answer = &answer[..at];
    }
    let answer = answer.trim();
    if let Some(index) = options.iter().position(|o| same_name(o, answer)) {
        return Ok(index);
    }
    let wanted = normalised(answer);
    let contained: Vec<usize> = (0..options.len())
        .filter(|&i| {
            let option = normalised(options[i]);
            !option.is_empty() && wanted.contains(&option)
        })
        .collect();
    if let [only] = contained[..] {
        return Ok(only);
    }
    if let Ok(number) = answer.trim_matches(['.', ')', ' ']).parse::<usize>()
        && (1..=options.len()).contains(&number)
    {
        return Ok(number - 1);
    }
    Err(format!(
        "{answer:?} is not one of the {} categories",
        options.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_lists_parse_with_or_without_tags() {
        let tagged = "Sure!\n<name>Plan travel</name>\n<name>plan travel.</name>\n<name>Cook meals at home</name>";
        assert_eq!(
            parse_name_list(tagged, 5).unwrap(),
            vec!["Plan travel", "Cook meals at home"]
        );
        let plain = "Here are the categories:\n1. Plan travel\n- Cook meals\n";
        assert_eq!(
            parse_name_list(plain, 5).unwrap(),
            vec!["Plan travel", "Cook meals"]
        );
        assert!(parse_name_list("<name>a b c d e f g h i j k</name>", 5).is_err());
        assert!(parse_name_list("", 5).is_err());
        assert!(parse_name_list("I would rather not say.", 5).is_err());
        assert!(parse_name_list("<name>A</name><name>B</name><name>C</name>", 2).is_err());
    }

    #[test]
    fn choices_match_by_name_containment_or_number() {
        let options = ["Plan travel", "Cook meals at home", "Fix code"];
        assert_eq!(
            parse_choice(" cook meals AT home</answer>", &options),
            Ok(1)
        );
        assert_eq!(
            parse_choice("The best fit is \"Fix code\".", &options),
            Ok(2)
        );
        assert_eq!(parse_choice("1", &options), Ok(0));
        assert!(parse_choice("Something else", &options).is_err());
        assert!(parse_choice("4", &options).is_err());
    }

    #[test]
    fn requests_carry_the_count_and_keep_data_on_one_line() {
        let child = ClusterName {
            name: "Fix\ncode".into(),
            description: "Users fixed\n\ncode.".into(),
        };
        let request = propose_parents_request(std::slice::from_ref(&child), &[], 3);
        let text = &request.messages[0].content;
        assert!(text.contains("about 3 broader"), "{text}");
        assert!(text.contains("- Fix code: Users fixed code."), "{text}");
        let assign = assign_parent_request(&child, &["A", "B"]);
        assert_eq!(assign.prefill.as_deref(), Some("<answer>"));
        assert!(assign.messages[0].content.contains("- A\n- B"));
    }
}
