//! The 2-D map on real sentence embeddings, beside umap-learn on the same vectors
//! (`bench/layout.sh` runs both and scores both layouts with scikit-learn's trustworthiness).
//!
//!   cargo bench -p chorus-cluster --bench layout -- VECTORS_FILE DIM OUT_FILE
//!
//! VECTORS_FILE holds raw little-endian f32 rows; OUT_FILE receives x, y per row the same way.

use std::time::Instant;

use chorus_cluster::{LayoutOptions, layout, trustworthiness};

const REPEATS: usize = 3;
/// Rows scored for trustworthiness here (quadratic cost); the script scores more.
const SCORED: usize = 2000;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [input, dim, output] = [0, 1, 2].map(|i| args.get(i).cloned().unwrap_or_default());
    let dim: usize = dim.parse().expect("DIM: a number");
    let bytes = std::fs::read(&input).expect("VECTORS_FILE: run bench/layout.sh");
    let rows: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let n = rows.len() / dim;
    let clusters = vec![0u32; n];
    let options = LayoutOptions::new(7);
    let mut seconds = Vec::new();
    let mut map = None;
    for _ in 0..REPEATS {
        let started = Instant::now();
        map = Some(layout(&rows, dim, &clusters, &options).expect("valid input"));
        seconds.push(started.elapsed().as_secs_f64());
    }
    seconds.sort_by(f64::total_cmp);
    let map = map.expect("ran at least once");
    let scored = SCORED.min(n);
    let trust = trustworthiness(&rows[..scored * dim], dim, &map.coordinates[..scored], 10);
    println!(
        "chorus layout: {n} x {dim}, {} neighbours, {} epochs: median {:.2} s of {REPEATS}; trustworthiness (k=10, first {scored} rows) {trust:.4}",
        options.neighbours,
        options.epochs,
        seconds[REPEATS / 2]
    );
    let out: Vec<u8> = map
        .coordinates
        .iter()
        .flat_map(|p| p.iter().flat_map(|x| x.to_le_bytes()))
        .collect();
    std::fs::write(&output, out).expect("OUT_FILE writable");
}
