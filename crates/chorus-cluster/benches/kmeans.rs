//! k-means at scale on the same data `bench/kmeans_reference.py` gives faiss-cpu and
//! scikit-learn: `N` unit vectors of `DIM` dimensions drawn around `CENTERS` random directions
//! (seeded), written once to `FILE` as raw little-endian f32.
//!
//!   cargo bench -p chorus-cluster --bench kmeans -- N DIM K ITERATIONS FILE [BATCH]
//!
//! With BATCH, mini-batch k-means: 100 batches of BATCH sampled rows, then ITERATIONS full
//! Lloyd steps.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use chorus_cluster::{KMeansOptions, SeededRng, kmeans};

/// Directions the rows are drawn around; with the noise below the clusters overlap, as text
/// embeddings do, so Lloyd steps keep moving points.
const CENTERS: usize = 500;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let number =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (n, dim, k, iterations) = (
        number(0, 1_000_000),
        number(1, 384),
        number(2, 256),
        number(3, 10),
    );
    let file = args
        .get(4)
        .cloned()
        .unwrap_or_else(|| "target/kmeans-bench.f32".into());
    let rows = load_or_make(Path::new(&file), n, dim);
    let mut options = KMeansOptions::new(k, 7);
    options.restarts = 1;
    options.max_iterations = iterations;
    // Never stop on a small gain: the references run every step they are given.
    options.tolerance = -1.0;
    options.mini_batch = args.get(5).and_then(|a| a.parse().ok());
    let method = match options.mini_batch {
        Some(batch) => format!(
            "{} mini-batches of {batch} rows, then",
            options.mini_batch_steps
        ),
        None => String::new(),
    };
    let started = Instant::now();
    let result = kmeans(&rows, dim, &options).expect("valid input");
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "chorus k-means: {n} x {dim}, k {k}, {method} {} Lloyd steps over all rows: {seconds:.2} s total, {:.3} s/step (incl. seeding), inertia {:.1}",
        result.inertia_history.len(),
        seconds / result.inertia_history.len().max(1) as f64,
        result.inertia()
    );
}

fn load_or_make(path: &Path, n: usize, dim: usize) -> Vec<f32> {
    if let Ok(bytes) = std::fs::read(path)
        && bytes.len() == n * dim * 4
    {
        return bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
    }
    let mut rng = SeededRng::new(42, 0);
    let mut gaussian = move || {
        // Box–Muller.
        let (u, v) = (rng.next_f64().max(1e-12), rng.next_f64());
        ((-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()) as f32
    };
    let centers: Vec<f32> = (0..CENTERS * dim).map(|_| gaussian()).collect();
    let mut rows = Vec::with_capacity(n * dim);
    let mut pick = SeededRng::new(43, 0);
    for _ in 0..n {
        let c = pick.below(CENTERS);
        let mut row: Vec<f32> = (0..dim)
            .map(|d| centers[c * dim + d] + 1.5 * gaussian())
            .collect();
        let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        row.iter_mut().for_each(|x| *x /= norm);
        rows.extend(row);
    }
    let mut file = std::fs::File::create(path).expect("writable bench file");
    let bytes: Vec<u8> = rows.iter().flat_map(|x| x.to_le_bytes()).collect();
    file.write_all(&bytes).expect("bench file written");
    rows
}
