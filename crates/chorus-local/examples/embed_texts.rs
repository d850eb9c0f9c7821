//! Embeds texts with chorus's own sentence encoder and writes the rows for reference tools
//! (bench/cluster_reference.py clusters the very vectors chorus clusters).
//!
//!     cargo run --release -p chorus-local --example embed_texts -- MODEL MODEL_DIR OUT < TEXTS
//!
//! TEXTS: one JSON string per line. OUT: the rows one after another, each `dim` little-endian
//! f32 numbers, L2-normalised, in the order of the lines.

use std::error::Error;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use chorus_local::{SentenceEncoder, SentenceModel};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, dir, out] = args.as_slice() else {
        return Err(
            "usage: embed_texts MODEL MODEL_DIR OUT < TEXTS (one JSON string a line)".into(),
        );
    };
    let model = SentenceModel::from_name(model)
        .ok_or_else(|| format!("{model}: not a sentence model chorus knows"))?;
    let encoder = SentenceEncoder::load(model, Path::new(dir))?;
    let mut texts = Vec::new();
    for (number, line) in std::io::stdin().lock().lines().enumerate() {
        let text: String = serde_json::from_str(&line?)
            .map_err(|e| format!("line {}: not a JSON string: {e}", number + 1))?;
        texts.push(text);
    }
    let mut rows = BufWriter::new(std::fs::File::create(out)?);
    for batch in texts.chunks(256) {
        let matrix = encoder.embed_now(batch)?;
        for row in 0..matrix.rows() {
            for value in matrix.row(row) {
                rows.write_all(&value.to_le_bytes())?;
            }
        }
    }
    rows.flush()?;
    eprintln!("{} texts → {out}", texts.len());
    Ok(())
}
