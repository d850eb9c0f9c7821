//! The reduction base clusters are found in, at scale: N seeded unit vectors around 500 topic
//! directions (so the neighbourhood graph has structure), reduced to 5 dimensions with the
//! default settings (15 neighbours, 25,000 rows laid out, the rest placed), then k-means over
//! the reduction; wall time of each part.
//!
//!   cargo bench -p chorus-cluster --bench reduce -- N [DIM]

use std::time::Instant;

use chorus_cluster::{KMeansOptions, LayoutOptions, SeededRng, kmeans, reduce};

const TOPICS: usize = 500;
const DIMS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).expect("N: rows");
    let dim: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(384);
    let mut rng = SeededRng::new(7, 1);
    let mut gaussian = move || {
        let (u, v) = (rng.next_f64().max(1e-12), rng.next_f64());
        ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
    };
    let topics: Vec<Vec<f32>> = (0..TOPICS)
        .map(|_| (0..dim).map(|_| gaussian()).collect())
        .collect();
    let mut rows = Vec::with_capacity(n * dim);
    for i in 0..n {
        let row: Vec<f32> = topics[i % TOPICS]
            .iter()
            .map(|c| c + 0.8 * gaussian())
            .collect();
        let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        rows.extend(row.iter().map(|x| x / norm));
    }
    let mut options = LayoutOptions::new(7);
    options.sample = 25_000;
    let started = Instant::now();
    let reduced = reduce(&rows, dim, DIMS, &options).expect("valid input");
    let reduce_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let clusters = kmeans(&reduced, DIMS, &KMeansOptions::new(n / 100, 7)).expect("valid input");
    println!(
        "chorus reduce: {n} x {dim} -> {DIMS}: {reduce_seconds:.1} s; k-means k={} over it: {:.1} s",
        clusters.k(),
        started.elapsed().as_secs_f64()
    );
}
