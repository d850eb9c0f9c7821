use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// The kinds of personal detail the rules remove.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    /// `https://…`, `www.…`.
    Url,
    /// `name@example.com`.
    Email,
    /// IPv4 and full IPv6 addresses.
    Ip,
    /// 13–19 digits, optionally grouped by spaces or dashes (payment cards).
    Card,
    /// IBANs and runs of 8 or more digits (account, customer, order numbers).
    Account,
    /// Phone numbers in common national and international layouts.
    Phone,
    /// A house number followed by a street name and a street word.
    Address,
}

impl PiiKind {
    /// The placeholder written instead.
    pub fn placeholder(self) -> &'static str {
        match self {
            PiiKind::Url => "[URL]",
            PiiKind::Email => "[EMAIL]",
            PiiKind::Ip => "[IP]",
            PiiKind::Card => "[CARD]",
            PiiKind::Account => "[ACCOUNT]",
            PiiKind::Phone => "[PHONE]",
            PiiKind::Address => "[ADDRESS]",
        }
    }
}

/// The rules in the order they run: URLs before e-mail addresses, IBANs before card numbers,
/// card numbers before other long digit runs, all numbers before phone numbers, so each text is
/// claimed once.
const PATTERNS: [(PiiKind, &str); 8] = [
    (PiiKind::Url, r"(?i)\b(?:https?://|www\.)[^\s<>]+"),
    (
        PiiKind::Email,
        r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
    ),
    (
        PiiKind::Ip,
        r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b|\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b",
    ),
    (
        PiiKind::Account,
        r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b",
    ),
    (PiiKind::Card, r"\b\d(?:[ \-]?\d){12,18}\b"),
    (PiiKind::Account, r"\b\d{8,}\b"),
    (
        PiiKind::Phone,
        r"(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{1,4}\)[\s.\-]?)?\b\d{2,4}[\s.\-]\d{3,4}(?:[\s.\-]\d{2,4})?\b",
    ),
    (
        PiiKind::Address,
        r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Square|Sq)\b\.?",
    ),
];

static RULES: LazyLock<Vec<(PiiKind, Regex)>> = LazyLock::new(|| {
    PATTERNS
        .iter()
        .map(|&(kind, pattern)| {
            let regex = Regex::new(pattern).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            (kind, regex)
        })
        .collect()
});

/// What redaction removed from one text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redacted {
    /// The text with each detail replaced by its placeholder.
    pub text: String,
    /// How many of each kind were replaced.
    pub counts: Vec<(PiiKind, u32)>,
}

/// Replaces e-mail addresses, phone numbers, URLs, IP addresses, card and account numbers and
/// street addresses by placeholders. Rules, not a model: they catch the common layouts and miss
/// names; the privacy gate downstream does not rely on them alone.
pub fn redact(text: &str) -> Redacted {
    let mut current = text.to_string();
    let mut counts = Vec::new();
    for (kind, regex) in RULES.iter() {
        let found = regex.find_iter(&current).count();
        if found > 0 {
            current = regex.replace_all(&current, kind.placeholder()).into_owned();
            match counts.iter_mut().find(|(k, _)| k == kind) {
                Some((_, n)) => *n += found as u32,
                None => counts.push((*kind, found as u32)),
            }
        }
    }
    Redacted {
        text: current,
        counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(text: &str) -> String {
        redact(text).text
    }

    #[test]
    fn each_kind_is_replaced() {
        let cases = [
            (
                "mail me at jane.doe+x@mail.example.co.uk today",
                "mail me at [EMAIL] today",
            ),
            (
                "see https://example.com/a?b=c and www.foo.org.",
                "see [URL] and [URL]",
            ),
            ("server 192.168.10.254 is down", "server [IP] is down"),
            ("card 4111 1111 1111 1111 expired", "card [CARD] expired"),
            ("card 4111-1111-1111-1111", "card [CARD]"),
            (
                "iban DE89 3704 0044 0532 0130 00 please",
                "iban [ACCOUNT] please",
            ),
            ("account 123456789", "account [ACCOUNT]"),
            ("call +1 (555) 010-9999 now", "call [PHONE] now"),
            ("call 555-010-9999 now", "call [PHONE] now"),
            ("call 020 7946 0958", "call [PHONE]"),
            (
                "I live at 221 Baker Street in town",
                "I live at [ADDRESS] in town",
            ),
            ("ship to 1600 Pennsylvania Ave.", "ship to [ADDRESS]"),
        ];
        for (input, expected) in cases {
            assert_eq!(only(input), expected, "{input}");
        }
    }

    #[test]
    fn ordinary_numbers_and_dates_stay() {
        for text in [
            "I have 3 cats and 12 dogs",
            "on 2026-11-28 at 10:30",
            "the year 1999 was good",
            "version 1.2.3 of the app",
            "it costs $1,250.00",
        ] {
            assert_eq!(only(text), text);
        }
    }

    #[test]
    fn counts_say_what_was_found() {
        let r = redact("a@b.io and c@d.io, call 555-010-9999");
        assert_eq!(r.counts, [(PiiKind::Email, 2), (PiiKind::Phone, 1)]);
    }
}
