//! Planted personal details: fake but realistic names, e-mail addresses, phone numbers,
//! street addresses and account ids, each unique to the conversation that carries it (derived
//! from its index), so any of them appearing in an analyst's file is a leak.

const FIRST_NAMES: [&str; 32] = [
    "Maribel",
    "Osvaldo",
    "Ingrid",
    "Tobias",
    "Yuki",
    "Anneliese",
    "Dmitri",
    "Priyanka",
    "Lucien",
    "Henrike",
    "Bartholomew",
    "Rosalind",
    "Emeka",
    "Svetlana",
    "Joaquim",
    "Ottilie",
    "Ravindra",
    "Marguerite",
    "Casimir",
    "Leocadia",
    "Thaddeus",
    "Wilhelmina",
    "Anselm",
    "Perpetua",
    "Ignatius",
    "Clementine",
    "Fitzgerald",
    "Honoria",
    "Lysander",
    "Petronella",
    "Evander",
    "Seraphina",
];
const SYLLABLES: [&str; 16] = [
    "ka", "ro", "vel", "min", "tor", "sa", "len", "qui", "bra", "dor", "fen", "gal", "mur", "nis",
    "pel", "zan",
];

/// The personal details planted in conversation `index`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Canary {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub account: String,
}

impl Canary {
    pub(crate) fn for_conversation(index: u64) -> Self {
        let first = FIRST_NAMES[(index % 32) as usize];
        let surname = surname(index / 32);
        Self {
            name: format!("{first} {surname}"),
            email: format!(
                "{}.{}@mail{}.example",
                first.to_lowercase(),
                surname.to_lowercase(),
                index % 7
            ),
            phone: format!(
                "+1 555 {:03} {:04}",
                (index / 10_000) % 1000,
                index % 10_000
            ),
            address: format!("{} {surname} Lane, Ashford", 10 + index % 90),
            account: format!("ACC-{index:08}-{}", (index * 7) % 10),
        }
    }

    /// Fills a template's `{name}`, `{email}`, `{phone}`, `{address}`, `{account}`, and lists
    /// the values it used.
    pub(crate) fn fill(&self, template: &str) -> (String, Vec<String>) {
        let mut text = template.to_string();
        let mut used = Vec::new();
        for (slot, value) in [
            ("{name}", &self.name),
            ("{email}", &self.email),
            ("{phone}", &self.phone),
            ("{address}", &self.address),
            ("{account}", &self.account),
        ] {
            if text.contains(slot) {
                text = text.replace(slot, value);
                used.push(value.clone());
            }
        }
        (text, used)
    }
}

/// A capitalised surname of four syllables spelling `number` in base 16 (unique below 65,536;
/// more syllables beyond).
fn surname(mut number: u64) -> String {
    let mut parts = Vec::new();
    while parts.len() < 4 || number > 0 {
        parts.push(SYLLABLES[(number % 16) as usize]);
        number /= 16;
    }
    let joined: String = parts.concat();
    let mut chars = joined.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_value_is_unique_to_its_conversation() {
        let canaries: Vec<Canary> = (0..20_000).map(Canary::for_conversation).collect();
        for field in [
            |c: &Canary| c.name.clone(),
            |c: &Canary| c.email.clone(),
            |c: &Canary| c.phone.clone(),
            |c: &Canary| c.address.clone(),
            |c: &Canary| c.account.clone(),
        ] {
            let distinct: HashSet<String> = canaries.iter().map(field).collect();
            assert_eq!(distinct.len(), canaries.len());
        }
        let (text, used) = canaries[3].fill("I am {name}, mail {email}.");
        assert_eq!(used.len(), 2);
        assert!(text.contains(&canaries[3].email));
    }
}
