//! The topic taxonomy and the phrasing templates, read from the data files of this crate.

use crate::{LANGUAGES, SynthError};

const TAXONOMY: &str = include_str!("../data/taxonomy.tsv");
const PHRASING: &str = include_str!("../data/phrasing.tsv");

/// A top category and its leaf tasks.
#[derive(Clone, Debug)]
pub struct Category {
    /// Stable id (`cooking`).
    pub id: String,
    /// Readable name.
    pub name: String,
    /// Indices into [`LANGUAGES`] this category is asked in more often than the others.
    pub boosted: Vec<usize>,
    /// Its leaf tasks.
    pub leaves: Vec<Leaf>,
}

/// One leaf task.
#[derive(Clone, Debug)]
pub struct Leaf {
    /// Stable id within its category (`bake-bread`).
    pub id: String,
    /// Concern level 1–5 of asking for it.
    pub concern: u8,
    /// Readable name.
    pub name: String,
    /// The task as a verb phrase, per language in [`LANGUAGES`] order.
    pub tasks: Vec<String>,
}

/// The taxonomy of the data file.
pub fn taxonomy() -> Result<Vec<Category>, SynthError> {
    let mut categories: Vec<Category> = Vec::new();
    for (number, line) in data_lines(TAXONOMY) {
        let fields: Vec<&str> = line.split('\t').collect();
        let bad = |what: &str| SynthError::Data {
            file: "taxonomy.tsv",
            line: number,
            message: what.to_string(),
        };
        if let Some(id) = fields[0].strip_prefix("= ") {
            let [_, name, boosted] = fields[..] else {
                return Err(bad(
                    "a category line has an id, a name and boosted languages",
                ));
            };
            let boosted = boosted
                .split(',')
                .map(|code| {
                    LANGUAGES
                        .iter()
                        .position(|l| l.code == code.trim())
                        .ok_or_else(|| bad(&format!("unknown language {code:?}")))
                })
                .collect::<Result<_, _>>()?;
            categories.push(Category {
                id: id.to_string(),
                name: name.to_string(),
                boosted,
                leaves: Vec::new(),
            });
            continue;
        }
        if fields.len() != 3 + LANGUAGES.len() {
            return Err(bad(&format!(
                "a leaf line has {} tab-separated fields, not {}",
                fields.len(),
                3 + LANGUAGES.len()
            )));
        }
        let concern: u8 = fields[1]
            .parse()
            .ok()
            .filter(|c| (1..=5).contains(c))
            .ok_or_else(|| bad("the concern level is not 1–5"))?;
        let leaf = Leaf {
            id: fields[0].to_string(),
            concern,
            name: fields[2].to_string(),
            tasks: fields[3..].iter().map(|t| t.to_string()).collect(),
        };
        categories
            .last_mut()
            .ok_or_else(|| bad("a leaf before any category"))?
            .leaves
            .push(leaf);
    }
    Ok(categories)
}

/// Phrasing templates for one language.
#[derive(Clone, Debug, Default)]
pub struct Phrasing {
    /// First user turns, with `{task}` and `{detail}`.
    pub openers: Vec<String>,
    /// Modifiers that fill `{detail}`.
    pub details: Vec<String>,
    /// Later user turns.
    pub followups: Vec<String>,
    /// Assistant turns.
    pub replies: Vec<String>,
    /// Sentences that carry planted personal details.
    pub pii: Vec<String>,
}

/// The phrasing of every language, in [`LANGUAGES`] order.
pub fn phrasing() -> Result<Vec<Phrasing>, SynthError> {
    let mut all = vec![Phrasing::default(); LANGUAGES.len()];
    for (number, line) in data_lines(PHRASING) {
        let bad = |what: String| SynthError::Data {
            file: "phrasing.tsv",
            line: number,
            message: what,
        };
        let [kind, code, text] = line.splitn(3, '\t').collect::<Vec<_>>()[..] else {
            return Err(bad("a line has a kind, a language and a text".into()));
        };
        let language = LANGUAGES
            .iter()
            .position(|l| l.code == code)
            .ok_or_else(|| bad(format!("unknown language {code:?}")))?;
        let entry = &mut all[language];
        let list = match kind {
            "opener" => &mut entry.openers,
            "detail" => &mut entry.details,
            "followup" => &mut entry.followups,
            "reply" => &mut entry.replies,
            "pii" => &mut entry.pii,
            other => return Err(bad(format!("unknown kind {other:?}"))),
        };
        list.push(text.to_string());
    }
    for (language, entry) in LANGUAGES.iter().zip(&all) {
        if [
            &entry.openers,
            &entry.details,
            &entry.followups,
            &entry.replies,
            &entry.pii,
        ]
        .iter()
        .any(|list| list.is_empty())
        {
            return Err(SynthError::Data {
                file: "phrasing.tsv",
                line: 0,
                message: format!("{} lacks a kind of template", language.name),
            });
        }
    }
    Ok(all)
}

fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line))
        .filter(|(_, line)| !line.starts_with('#') && !line.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_files_hold_the_promised_breadth() {
        let categories = taxonomy().unwrap();
        assert!(categories.len() >= 20, "{}", categories.len());
        let leaves: usize = categories.iter().map(|c| c.leaves.len()).sum();
        assert!(leaves >= 150, "{leaves}");
        assert!(
            categories
                .iter()
                .all(|c| !c.leaves.is_empty() && !c.boosted.is_empty())
        );
        assert!(
            categories
                .iter()
                .flat_map(|c| &c.leaves)
                .any(|l| l.concern >= 4)
        );
        let phrasing = phrasing().unwrap();
        assert!(
            phrasing
                .iter()
                .all(|p| p.openers.len() >= 6 && p.followups.len() >= 6)
        );
    }
}
