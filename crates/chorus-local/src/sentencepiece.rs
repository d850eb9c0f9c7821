//! SentencePiece's unigram tokenizer over a vocabulary of scored pieces: characters normalised
//! by the model's table, runs of spaces made one, every space (and the start) marked with `▁`,
//! then the split whose pieces' scores sum highest (Viterbi). A character no piece covers becomes
//! the unknown token.

use std::collections::HashMap;

use crate::packed::Vocabulary;

/// SentencePiece's word-start mark.
const WORD_START: char = '\u{2581}';
/// SentencePiece scores an unknown character this far below the least likely piece.
const UNKNOWN_PENALTY: f32 = 10.0;

pub(crate) struct SentencePiece {
    ids: HashMap<String, u32>,
    scores: Vec<f32>,
    replacements: HashMap<char, String>,
    longest_piece: usize,
    unknown: u32,
    unknown_score: f32,
    begin: u32,
    end: u32,
    /// Tokens per text, the begin and end marks included.
    max_tokens: usize,
}

impl SentencePiece {
    pub(crate) fn new(vocabulary: Vocabulary, max_tokens: usize) -> Self {
        let specials = [vocabulary.begin, vocabulary.end, vocabulary.unknown];
        let least = vocabulary.scores.iter().copied().fold(f32::MAX, f32::min);
        let mut ids = HashMap::with_capacity(vocabulary.pieces.len());
        let mut longest_piece = 1;
        for (id, piece) in vocabulary.pieces.into_iter().enumerate() {
            let id = id as u32;
            // Control tokens (`<s>`, `<pad>`, …) are never matched in text.
            let control = piece.starts_with('<') && piece.ends_with('>') && piece.len() > 2;
            if specials.contains(&id) || control || piece.is_empty() {
                continue;
            }
            longest_piece = longest_piece.max(piece.chars().count());
            ids.entry(piece).or_insert(id);
        }
        Self {
            ids,
            scores: vocabulary.scores,
            replacements: vocabulary.replacements,
            longest_piece,
            unknown: vocabulary.unknown,
            unknown_score: least - UNKNOWN_PENALTY,
            begin: vocabulary.begin,
            end: vocabulary.end,
            max_tokens: max_tokens.max(2),
        }
    }

    /// The text's token ids between the begin and end marks, cut to the model's length.
    pub(crate) fn encode(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::with_capacity(self.max_tokens.min(text.len() + 2));
        ids.push(self.begin);
        let pieces = self.pieces(&self.normalise(text));
        ids.extend(pieces.into_iter().take(self.max_tokens - 2));
        ids.push(self.end);
        ids
    }

    fn normalise(&self, text: &str) -> String {
        let mut replaced = String::with_capacity(text.len());
        for character in text.chars() {
            match self.replacements.get(&character) {
                Some(replacement) => replaced.push_str(replacement),
                None => replaced.push(character),
            }
        }
        // As Hugging Face's fast tokenizer does: runs of spaces made one, each space a mark, and
        // a mark before the first word unless a space stands there already.
        let mut marked = String::with_capacity(replaced.len() + 3);
        if !replaced.is_empty() && !replaced.starts_with(' ') {
            marked.push(WORD_START);
        }
        let mut after_space = false;
        for character in replaced.chars() {
            let space = character == ' ';
            if !(space && after_space) {
                marked.push(if space { WORD_START } else { character });
            }
            after_space = space;
        }
        marked
    }

    /// The best-scoring split of `text` into pieces (ties keep the earliest found).
    fn pieces(&self, text: &str) -> Vec<u32> {
        let starts: Vec<usize> = text
            .char_indices()
            .map(|(at, _)| at)
            .chain([text.len()])
            .collect();
        let count = starts.len() - 1;
        // best[e]: the highest score of a split of the first e characters, and its last piece.
        let mut best: Vec<Option<(f32, u32, usize)>> = vec![None; count + 1];
        best[0] = Some((0.0, self.unknown, 0));
        for from in 0..count {
            let Some((score, _, _)) = best[from] else {
                continue;
            };
            let mut offer = |to: usize, id: u32, piece_score: f32| {
                let total = score + piece_score;
                if best[to].is_none_or(|(known, _, _)| total > known) {
                    best[to] = Some((total, id, from));
                }
            };
            for to in from + 1..=count.min(from + self.longest_piece) {
                if let Some(&id) = self.ids.get(&text[starts[from]..starts[to]]) {
                    offer(to, id, self.scores[id as usize]);
                }
            }
            offer(from + 1, self.unknown, self.unknown_score);
        }
        let mut pieces = Vec::new();
        let mut at = count;
        while at > 0 {
            let Some((_, id, from)) = best[at] else {
                break;
            };
            pieces.push(id);
            at = from;
        }
        pieces.reverse();
        pieces
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary(pieces: &[(&str, f32)]) -> Vocabulary {
        let mut all = vec![("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)];
        all.extend_from_slice(pieces);
        Vocabulary {
            pieces: all.iter().map(|(p, _)| p.to_string()).collect(),
            scores: all.iter().map(|(_, s)| *s).collect(),
            begin: 0,
            end: 2,
            unknown: 3,
            replacements: HashMap::from([('\u{a0}', " ".into()), ('Ａ', "A".into())]),
        }
    }

    #[test]
    fn the_highest_scoring_split_wins() {
        let tokenizer = SentencePiece::new(
            vocabulary(&[
                ("▁", -3.0),
                ("▁un", -4.0),
                ("▁under", -5.0),
                ("der", -4.0),
                ("stand", -4.5),
                ("▁understand", -12.0),
                ("s", -2.0),
            ]),
            512,
        );
        // ▁under + stand (-9.5) beats ▁understand (-12) and ▁un + der + stand (-12.5).
        assert_eq!(tokenizer.encode("understand"), vec![0, 6, 8, 2]);
        assert_eq!(tokenizer.encode("understands"), vec![0, 6, 8, 10, 2]);
    }

    #[test]
    fn spaces_are_normalised_and_marked() {
        let tokenizer =
            SentencePiece::new(vocabulary(&[("▁A", -1.0), ("▁b", -1.0), ("▁", -1.0)]), 512);
        let expected = vec![0, 4, 5, 2];
        assert_eq!(tokenizer.encode("A b"), expected);
        assert_eq!(tokenizer.encode("  Ａ\u{a0}\u{a0} b"), expected);
        // A trailing space is a mark of its own, as in Hugging Face's tokenizer.
        assert_eq!(tokenizer.encode("A b "), vec![0, 4, 5, 6, 2]);
        assert_eq!(tokenizer.encode(""), vec![0, 2]);
    }

    #[test]
    fn unknown_characters_and_markup_become_the_unknown_token() {
        let tokenizer = SentencePiece::new(vocabulary(&[("▁", -1.0), ("x", -1.0)]), 512);
        // "<s>" in text is data, not the begin mark.
        assert_eq!(tokenizer.encode("x"), vec![0, 4, 5, 2]);
        assert_eq!(tokenizer.encode("<s>"), vec![0, 4, 3, 3, 3, 2]);
        assert_eq!(tokenizer.encode("日x"), vec![0, 4, 3, 5, 2]);
    }

    #[test]
    fn long_texts_are_cut_to_the_model_length() {
        let tokenizer = SentencePiece::new(vocabulary(&[("▁x", -1.0)]), 5);
        let ids = tokenizer.encode(&"x ".repeat(100));
        assert_eq!(ids, vec![0, 4, 4, 4, 2]);
    }
}
