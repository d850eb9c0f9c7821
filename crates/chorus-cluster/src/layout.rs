//! Low-dimensional embeddings of vectors in the manner of UMAP: each row's nearest neighbours,
//! fuzzy memberships from their distances, and a seeded layout by stochastic gradient descent
//! with negative sampling, started from the principal components. Past `sample` rows, a sample
//! is laid out and every other row is placed at the distance-weighted mean of its nearest
//! sampled rows, so the cost of the layout does not grow with N.
//!
//! Two uses: the 2-D map ([`layout`]: the sample stratified by cluster, the rest placed from
//! their own cluster's sampled rows) and the reduction base clusters are found in ([`reduce`]:
//! a few dimensions that keep the neighbourhood graph, where k-means separates topics better
//! than in the embedding space itself).

use rayon::prelude::*;

use crate::gemm_dots::{dot_products, squared_norms};
use crate::{ClusterError, SeededRng};

/// umap-learn's curve `1 / (1 + a d^2b)`: how similarity falls with distance in the layout.
#[derive(Clone, Copy, Debug)]
struct Curve {
    a: f32,
    b: f32,
}

/// The curve fitted for min_dist = 0.1, spread = 1 (umap-learn's default): a readable map.
const MAP_CURVE: Curve = Curve {
    a: 1.577,
    b: 0.8951,
};
/// The curve fitted for min_dist = 0, spread = 1: points of one neighbourhood packed tight, as
/// clustering wants them.
const CLUSTERING_CURVE: Curve = Curve {
    a: 1.929,
    b: 0.7915,
};
/// Repulsive samples per attractive one.
const NEGATIVE_SAMPLES: f32 = 5.0;
const GRADIENT_CLIP: f32 = 4.0;
/// The starting layout spans [-10, 10], as umap-learn scales its own.
const START_SPAN: f32 = 10.0;
/// Rows compared against the sample at once: bounds memory at this many × sample floats.
const QUERY_BLOCK: usize = 256;
const POWER_ITERATIONS: usize = 60;
/// Separate random streams of one seed: the sample, the starting directions, the descent.
const SAMPLE_STREAM: u64 = 0x11;
const START_STREAM: u64 = 0x12;
const DESCENT_STREAM: u64 = 0x13;

/// How to lay the rows out.
#[derive(Clone, Debug)]
pub struct LayoutOptions {
    /// Neighbours per row in the graph (umap-learn's `n_neighbors`).
    pub neighbours: usize,
    /// Rows laid out directly; the rest are placed from their neighbours.
    pub sample: usize,
    /// Passes of gradient descent.
    pub epochs: usize,
    /// Seed of every random choice.
    pub seed: u64,
}

impl LayoutOptions {
    /// 15 neighbours, up to 50,000 rows laid out directly, 200 epochs.
    pub fn new(seed: u64) -> Self {
        Self {
            neighbours: 15,
            sample: 50_000,
            epochs: 200,
            seed,
        }
    }
}

/// Where each row lies on the map.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// x and y per row, in input order.
    pub coordinates: Vec<[f32; 2]>,
    /// Rows laid out directly (the others were placed from their neighbours).
    pub sampled: usize,
}

/// Lays out `vectors` (rows of `dim`) in two dimensions; `clusters` gives each row's cluster,
/// used to stratify the sample and to place the rows outside it.
pub fn layout(
    vectors: &[f32],
    dim: usize,
    clusters: &[u32],
    options: &LayoutOptions,
) -> Result<Layout, ClusterError> {
    let n = crate::row_count(vectors, dim)?;
    if clusters.len() != n {
        return Err(ClusterError::Parameter(format!(
            "{} cluster labels for {n} rows",
            clusters.len()
        )));
    }
    if options.neighbours == 0 || options.sample < 2 || options.epochs == 0 {
        return Err(ClusterError::Parameter(
            "the map needs at least 1 neighbour, a sample of 2 and 1 epoch".into(),
        ));
    }
    let sample = stratified_sample(clusters, options.sample, options.seed);
    let positions = embed_sample::<2>(vectors, dim, &sample, options, MAP_CURVE);
    let mut coordinates = vec![[0.0f32; 2]; n];
    for (&row, &position) in sample.iter().zip(&positions) {
        coordinates[row] = position;
    }
    if sample.len() < n {
        place_outside_sample(
            vectors,
            dim,
            clusters,
            &sample,
            &positions,
            options.neighbours,
            &mut coordinates,
        );
    }
    Ok(Layout {
        coordinates,
        sampled: sample.len(),
    })
}

/// The fewest and most dimensions [`reduce`] makes.
pub const REDUCED_DIMS: std::ops::RangeInclusive<usize> = 2..=10;

/// `vectors` (rows of `dim`) embedded in `dims` dimensions (see [`REDUCED_DIMS`]) that keep each
/// row's neighbourhood graph, rows of `dims` floats, row-major. Points of one neighbourhood are
/// packed tight (umap-learn's min_dist = 0), as clustering wants them. Past `options.sample`
/// rows, a seeded sample is laid out and every other row is placed at the distance-weighted
/// mean of its nearest sampled rows.
pub fn reduce(
    vectors: &[f32],
    dim: usize,
    dims: usize,
    options: &LayoutOptions,
) -> Result<Vec<f32>, ClusterError> {
    let n = crate::row_count(vectors, dim)?;
    if options.neighbours == 0 || options.sample < 2 || options.epochs == 0 {
        return Err(ClusterError::Parameter(
            "the reduction needs at least 1 neighbour, a sample of 2 and 1 epoch".into(),
        ));
    }
    macro_rules! reduce_to {
        ($($d:literal)*) => {
            match dims {
                $($d => Ok(reduce_in::<$d>(vectors, dim, n, options)),)*
                _ => Err(ClusterError::Parameter(format!(
                    "cannot reduce to {dims} dimensions; choose {} to {}",
                    REDUCED_DIMS.start(),
                    REDUCED_DIMS.end()
                ))),
            }
        };
    }
    reduce_to!(2 3 4 5 6 7 8 9 10)
}

fn reduce_in<const D: usize>(
    vectors: &[f32],
    dim: usize,
    n: usize,
    options: &LayoutOptions,
) -> Vec<f32> {
    // The same text sent many times would fill its own neighbour lists with copies of itself
    // and cut the graph into islands that land anywhere: each distinct row is laid out once.
    let first_of = first_identical(vectors, dim);
    let distinct: Vec<usize> = (0..n).filter(|&row| first_of[row] == row).collect();
    let picked = stratified_sample(&vec![0; distinct.len()], options.sample, options.seed);
    let sample: Vec<usize> = picked.iter().map(|&index| distinct[index]).collect();
    let positions = embed_sample::<D>(vectors, dim, &sample, options, CLUSTERING_CURVE);
    let mut reduced = vec![0.0f32; n * D];
    for (&row, position) in sample.iter().zip(&positions) {
        reduced[row * D..(row + 1) * D].copy_from_slice(position);
    }
    let mut in_sample = vec![false; n];
    sample.iter().for_each(|&row| in_sample[row] = true);
    let outside: Vec<usize> = distinct
        .into_iter()
        .filter(|&row| !in_sample[row])
        .collect();
    for (row, position) in place_from_sample(
        vectors,
        dim,
        &sample,
        &positions,
        &outside,
        options.neighbours,
    ) {
        reduced[row * D..(row + 1) * D].copy_from_slice(&position);
    }
    for (row, &first) in first_of.iter().enumerate() {
        if first != row {
            reduced.copy_within(first * D..(first + 1) * D, row * D);
        }
    }
    reduced
}

/// Per row, the first row bit-for-bit identical to it (itself when it is the first).
fn first_identical(vectors: &[f32], dim: usize) -> Vec<usize> {
    use std::hash::{Hash, Hasher};
    let row = |index: usize| &vectors[index * dim..(index + 1) * dim];
    let hashes: Vec<u64> = vectors
        .par_chunks(dim)
        .map(|values| {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            values.iter().for_each(|v| v.to_bits().hash(&mut hasher));
            hasher.finish()
        })
        .collect();
    let mut seen: std::collections::HashMap<u64, Vec<usize>> = Default::default();
    (0..hashes.len())
        .map(|index| {
            let firsts = seen.entry(hashes[index]).or_default();
            let same = |&first: &usize| {
                row(first)
                    .iter()
                    .zip(row(index))
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            };
            match firsts.iter().find(|first| same(first)) {
                Some(&first) => first,
                None => {
                    firsts.push(index);
                    index
                }
            }
        })
        .collect()
}

/// Each row of `outside` at the inverse-distance-weighted mean of the positions of its `k`
/// nearest sampled rows, found by gemm blocks against the whole sample.
fn place_from_sample<const D: usize>(
    vectors: &[f32],
    dim: usize,
    sample: &[usize],
    positions: &[[f32; D]],
    outside: &[usize],
    k: usize,
) -> Vec<(usize, [f32; D])> {
    let rows = gather_rows(vectors, dim, sample);
    let norms = squared_norms(&rows, dim);
    let m = sample.len();
    outside
        .par_chunks(QUERY_BLOCK)
        .flat_map_iter(|block| {
            let queries = gather_rows(vectors, dim, block);
            let query_norms = squared_norms(&queries, dim);
            let mut dots = vec![0.0f32; block.len() * m];
            dot_products(&queries, &rows, dim, &mut dots);
            block
                .iter()
                .enumerate()
                .map(|(q, &row)| {
                    let candidates =
                        dots[q * m..(q + 1) * m]
                            .iter()
                            .enumerate()
                            .map(|(index, &dot)| {
                                let squared = (query_norms[q] + norms[index] - 2.0 * dot).max(0.0);
                                (index as u32, squared.sqrt())
                            });
                    let place = weighted_place(smallest(candidates, k), positions);
                    (row, place.unwrap_or([0.0; D]))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The `sample` rows of `vectors` embedded in `D` dimensions.
fn embed_sample<const D: usize>(
    vectors: &[f32],
    dim: usize,
    sample: &[usize],
    options: &LayoutOptions,
    curve: Curve,
) -> Vec<[f32; D]> {
    let rows = gather_rows(vectors, dim, sample);
    let mut positions = principal_components::<D>(&rows, dim, options.seed);
    if sample.len() > 2 {
        let k = options.neighbours.min(sample.len() - 1);
        let neighbours = nearest_within(&rows, dim, k);
        let edges = fuzzy_edges(&neighbours, options.epochs);
        optimise(&mut positions, &edges, options.epochs, options.seed, curve);
    }
    positions
}

/// At most `size` rows (all of them when there are fewer), the same share of every cluster and
/// at least one row of each, chosen by the seed; sorted.
fn stratified_sample(clusters: &[u32], size: usize, seed: u64) -> Vec<usize> {
    if clusters.len() <= size {
        return (0..clusters.len()).collect();
    }
    let mut members: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for (row, &cluster) in clusters.iter().enumerate() {
        members.entry(cluster).or_default().push(row);
    }
    let rate = size as f64 / clusters.len() as f64;
    let mut rng = SeededRng::new(seed, SAMPLE_STREAM);
    let mut chosen = Vec::with_capacity(size + members.len());
    for rows in members.values_mut() {
        rng.shuffle(rows);
        let take = ((rows.len() as f64 * rate).round() as usize).clamp(1, rows.len());
        chosen.extend_from_slice(&rows[..take]);
    }
    chosen.sort_unstable();
    chosen
}

/// Each row's `k` nearest other rows, nearest first, as (row, Euclidean distance).
fn nearest_within(rows: &[f32], dim: usize, k: usize) -> Vec<Vec<(u32, f32)>> {
    let m = rows.len() / dim;
    let norms = squared_norms(rows, dim);
    rows.par_chunks(QUERY_BLOCK * dim)
        .enumerate()
        .flat_map_iter(|(block, queries)| {
            let count = queries.len() / dim;
            let mut dots = vec![0.0f32; count * m];
            dot_products(queries, rows, dim, &mut dots);
            let first = block * QUERY_BLOCK;
            (0..count)
                .map(|q| {
                    let me = first + q;
                    let candidates = dots[q * m..(q + 1) * m]
                        .iter()
                        .enumerate()
                        .filter(|&(other, _)| other != me)
                        .map(|(other, &dot)| {
                            let squared = (norms[me] + norms[other] - 2.0 * dot).max(0.0);
                            (other as u32, squared.sqrt())
                        });
                    smallest(candidates, k)
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The `k` pairs with the smallest distance, ties broken by row, smallest first.
fn smallest(candidates: impl Iterator<Item = (u32, f32)>, k: usize) -> Vec<(u32, f32)> {
    let mut best: Vec<(u32, f32)> = Vec::with_capacity(k + 1);
    let before = |a: &(u32, f32), b: &(u32, f32)| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0));
    for candidate in candidates {
        if best.len() == k
            && best
                .last()
                .is_some_and(|worst| before(&candidate, worst).is_ge())
        {
            continue;
        }
        let at = best.partition_point(|held| before(held, &candidate).is_lt());
        best.insert(at, candidate);
        best.truncate(k);
    }
    best
}

/// One directed edge of the graph with its weight.
#[derive(Clone, Copy, Debug)]
struct Edge {
    from: u32,
    to: u32,
    weight: f32,
}

/// umap-learn's fuzzy simplicial set: memberships `exp(-(d - ρ)/σ)` with ρ the distance to the
/// nearest neighbour and σ chosen so each row's memberships sum to log2(k); made symmetric by
/// the fuzzy union `a + b - ab`; both directions kept, edges too weak to be sampled once in
/// `epochs` dropped.
fn fuzzy_edges(neighbours: &[Vec<(u32, f32)>], epochs: usize) -> Vec<Edge> {
    let mut directed: Vec<((u32, u32), f32)> = Vec::new();
    for (row, list) in neighbours.iter().enumerate() {
        let row = row as u32;
        for (other, weight) in memberships(list) {
            directed.push(((row.min(other), row.max(other)), weight));
        }
    }
    directed.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut undirected: Vec<((u32, u32), f32)> = Vec::with_capacity(directed.len());
    for (pair, weight) in directed {
        match undirected.last_mut() {
            Some((last, held)) if *last == pair => *held = *held + weight - *held * weight,
            _ => undirected.push((pair, weight)),
        }
    }
    let strongest = undirected.iter().map(|e| e.1).fold(0.0f32, f32::max);
    let weakest_kept = strongest / epochs as f32;
    undirected
        .into_iter()
        .filter(|&(_, weight)| weight >= weakest_kept && weight > 0.0)
        .flat_map(|((a, b), weight)| {
            [
                Edge {
                    from: a,
                    to: b,
                    weight,
                },
                Edge {
                    from: b,
                    to: a,
                    weight,
                },
            ]
        })
        .collect()
}

/// One row's memberships in its neighbours' sets.
fn memberships(list: &[(u32, f32)]) -> Vec<(u32, f32)> {
    let Some(&(_, rho)) = list.iter().find(|&&(_, d)| d > 0.0) else {
        return list.iter().map(|&(other, _)| (other, 1.0)).collect();
    };
    let target = (list.len() as f32).log2();
    let total = |sigma: f32| -> f32 {
        list.iter()
            .map(|&(_, d)| (-(d - rho).max(0.0) / sigma).exp())
            .sum()
    };
    let (mut low, mut high, mut sigma) = (0.0f32, f32::INFINITY, 1.0f32);
    for _ in 0..64 {
        let sum = total(sigma);
        if (sum - target).abs() < 1e-5 {
            break;
        }
        if sum > target {
            high = sigma;
            sigma = (low + high) / 2.0;
        } else {
            low = sigma;
            sigma = if high.is_finite() {
                (low + high) / 2.0
            } else {
                sigma * 2.0
            };
        }
    }
    let mean = list.iter().map(|&(_, d)| d).sum::<f32>() / list.len() as f32;
    let sigma = sigma.max(1e-3 * mean);
    list.iter()
        .map(|&(other, d)| (other, (-(d - rho).max(0.0) / sigma).exp()))
        .collect()
}

/// The rows projected on their first `D` principal components (power iteration from a seeded
/// start), scaled to span [-10, 10].
fn principal_components<const D: usize>(rows: &[f32], dim: usize, seed: u64) -> Vec<[f32; D]> {
    let m = rows.len() / dim;
    let mut mean = vec![0.0f32; dim];
    for row in rows.chunks_exact(dim) {
        mean.iter_mut().zip(row).for_each(|(s, x)| *s += x);
    }
    mean.iter_mut().for_each(|s| *s /= m.max(1) as f32);
    let centred = |row: &[f32], direction: &[f32]| -> f32 {
        row.iter()
            .zip(&mean)
            .zip(direction)
            .map(|((x, mu), d)| (x - mu) * d)
            .sum()
    };
    let mut rng = SeededRng::new(seed, START_STREAM);
    let mut components: Vec<Vec<f32>> = Vec::new();
    for _ in 0..D {
        let mut direction: Vec<f32> = (0..dim).map(|_| rng.next_f64() as f32 - 0.5).collect();
        for _ in 0..POWER_ITERATIONS {
            let mut next = vec![0.0f32; dim];
            for row in rows.chunks_exact(dim) {
                let along = centred(row, &direction);
                next.iter_mut()
                    .zip(row.iter().zip(&mean))
                    .for_each(|(n, (x, mu))| *n += along * (x - mu));
            }
            for done in &components {
                let overlap: f32 = next.iter().zip(done).map(|(a, b)| a * b).sum();
                next.iter_mut()
                    .zip(done)
                    .for_each(|(n, d)| *n -= overlap * d);
            }
            let norm = next.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm <= f32::EPSILON {
                break;
            }
            direction = next.into_iter().map(|x| x / norm).collect();
        }
        components.push(direction);
    }
    let mut positions: Vec<[f32; D]> = rows
        .chunks_exact(dim)
        .map(|row| std::array::from_fn(|axis| centred(row, &components[axis])))
        .collect();
    let widest = positions
        .iter()
        .flat_map(|p| p.iter().map(|x| x.abs()))
        .fold(0.0f32, f32::max);
    if widest > 0.0 {
        let scale = START_SPAN / widest;
        positions
            .iter_mut()
            .for_each(|p| p.iter_mut().for_each(|x| *x *= scale));
    }
    positions
}

/// umap-learn's `optimize_layout_euclidean` with `move_other`: each edge pulls its ends
/// together as often as its weight says, and each pull comes with negative samples that push
/// the row away from random others; the step shrinks linearly to zero. One thread, so the
/// seed alone decides the result.
fn optimise<const D: usize>(
    positions: &mut [[f32; D]],
    edges: &[Edge],
    epochs: usize,
    seed: u64,
    curve: Curve,
) {
    let Curve { a, b } = curve;
    let Some(strongest) = edges.iter().map(|e| e.weight).reduce(f32::max) else {
        return;
    };
    let every: Vec<f32> = edges.iter().map(|e| strongest / e.weight).collect();
    let every_negative: Vec<f32> = every.iter().map(|e| e / NEGATIVE_SAMPLES).collect();
    let mut next = every.clone();
    let mut next_negative = every_negative.clone();
    let mut rng = SeededRng::new(seed, DESCENT_STREAM);
    let count = positions.len();
    for epoch in 0..epochs {
        let now = epoch as f32;
        let alpha = 1.0 - now / epochs as f32;
        for (e, edge) in edges.iter().enumerate() {
            if next[e] > now {
                continue;
            }
            let (i, j) = (edge.from as usize, edge.to as usize);
            let diff: [f32; D] =
                std::array::from_fn(|axis| positions[i][axis] - positions[j][axis]);
            let squared = squared_length(&diff);
            if squared > 0.0 {
                let coefficient =
                    -2.0 * a * b * squared.powf(b - 1.0) / (a * squared.powf(b) + 1.0);
                for axis in 0..D {
                    let step = clip(coefficient * diff[axis]) * alpha;
                    positions[i][axis] += step;
                    positions[j][axis] -= step;
                }
            }
            next[e] += every[e];
            let negatives = ((now - next_negative[e]) / every_negative[e]).max(0.0) as usize;
            for _ in 0..negatives {
                let other = rng.below(count);
                if other == i {
                    continue;
                }
                let diff: [f32; D] =
                    std::array::from_fn(|axis| positions[i][axis] - positions[other][axis]);
                let squared = squared_length(&diff);
                let coefficient = if squared > 0.0 {
                    2.0 * b / ((0.001 + squared) * (a * squared.powf(b) + 1.0))
                } else {
                    0.0
                };
                for axis in 0..D {
                    let push = if coefficient > 0.0 {
                        clip(coefficient * diff[axis])
                    } else {
                        GRADIENT_CLIP
                    };
                    positions[i][axis] += push * alpha;
                }
            }
            next_negative[e] += negatives as f32 * every_negative[e];
        }
    }
}

/// The squared length of `diff`, summed axis by axis in order.
fn squared_length<const D: usize>(diff: &[f32; D]) -> f32 {
    let mut squared = diff[0] * diff[0];
    for value in &diff[1..] {
        squared += value * value;
    }
    squared
}

fn clip(value: f32) -> f32 {
    value.clamp(-GRADIENT_CLIP, GRADIENT_CLIP)
}

/// Places each row outside the sample at the inverse-distance-weighted mean of its `k`
/// nearest sampled rows of the same cluster (every cluster has one: the sample is stratified).
fn place_outside_sample(
    vectors: &[f32],
    dim: usize,
    clusters: &[u32],
    sample: &[usize],
    positions: &[[f32; 2]],
    k: usize,
    coordinates: &mut [[f32; 2]],
) {
    let mut sampled_in: std::collections::HashMap<u32, Vec<usize>> = Default::default();
    for (index, &row) in sample.iter().enumerate() {
        sampled_in.entry(clusters[row]).or_default().push(index);
    }
    let in_sample: std::collections::HashSet<usize> = sample.iter().copied().collect();
    coordinates
        .par_iter_mut()
        .enumerate()
        .filter(|(row, _)| !in_sample.contains(row))
        .for_each(|(row, place)| {
            let Some(candidates) = sampled_in.get(&clusters[row]) else {
                return;
            };
            let me = &vectors[row * dim..(row + 1) * dim];
            let distances = candidates.iter().map(|&index| {
                let other = &vectors[sample[index] * dim..(sample[index] + 1) * dim];
                let squared: f32 = me.iter().zip(other).map(|(a, b)| (a - b) * (a - b)).sum();
                (index as u32, squared.sqrt())
            });
            if let Some(weighted) = weighted_place(smallest(distances, k), positions) {
                *place = weighted;
            }
        });
}

/// The rows at `indices`, one after another.
fn gather_rows(vectors: &[f32], dim: usize, indices: &[usize]) -> Vec<f32> {
    indices
        .iter()
        .flat_map(|&row| vectors[row * dim..(row + 1) * dim].iter().copied())
        .collect()
}

/// The inverse-distance-weighted mean of the `positions` of `nearest` (index, distance); none
/// when there is no neighbour.
fn weighted_place<const D: usize>(
    nearest: Vec<(u32, f32)>,
    positions: &[[f32; D]],
) -> Option<[f32; D]> {
    let mut total = 0.0f32;
    let mut sum = [0.0f32; D];
    for (index, distance) in nearest {
        let weight = 1.0 / (distance + 1e-3);
        total += weight;
        for (s, p) in sum.iter_mut().zip(&positions[index as usize]) {
            *s += weight * p;
        }
    }
    (total > 0.0).then(|| sum.map(|s| s / total))
}

/// How well the map keeps neighbourhoods (Venna and Kaski's trustworthiness, as
/// scikit-learn computes it): 1 when each row's `k` nearest on the map are among its nearest in
/// the original space, lower as the map brings in strangers. Quadratic in the rows: use it on a
/// sample.
pub fn trustworthiness(vectors: &[f32], dim: usize, coordinates: &[[f32; 2]], k: usize) -> f64 {
    let n = coordinates.len();
    if n < 3 || dim == 0 || vectors.len() != n * dim || k == 0 || 2 * k >= n {
        return 1.0;
    }
    let squared = |a: usize, b: usize| -> f32 {
        vectors[a * dim..(a + 1) * dim]
            .iter()
            .zip(&vectors[b * dim..(b + 1) * dim])
            .map(|(x, y)| (x - y) * (x - y))
            .sum()
    };
    let penalty: f64 = (0..n)
        .into_par_iter()
        .map(|i| {
            // Rank (1 = nearest) of every other row in the original space.
            let mut order: Vec<usize> = (0..n).filter(|&j| j != i).collect();
            let distances: Vec<f32> = (0..n).map(|j| squared(i, j)).collect();
            order.sort_by(|&a, &b| distances[a].total_cmp(&distances[b]).then(a.cmp(&b)));
            let mut rank = vec![0usize; n];
            for (position, &j) in order.iter().enumerate() {
                rank[j] = position + 1;
            }
            let on_map = (0..n).filter(|&j| j != i).map(|j| {
                let dx = coordinates[i][0] - coordinates[j][0];
                let dy = coordinates[i][1] - coordinates[j][1];
                (j as u32, (dx * dx + dy * dy).sqrt())
            });
            smallest(on_map, k)
                .into_iter()
                .map(|(j, _)| rank[j as usize].saturating_sub(k) as f64)
                .sum::<f64>()
        })
        .sum();
    let (n, k) = (n as f64, k as f64);
    1.0 - penalty * 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `per` unit vectors around each of `blobs` random directions in `dim` dimensions.
    fn blobs(blobs: usize, per: usize, dim: usize, spread: f32) -> (Vec<f32>, Vec<u32>) {
        let mut rng = SeededRng::new(3, 1);
        let mut gaussian = || {
            let (u, v) = (rng.next_f64().max(1e-12), rng.next_f64());
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        };
        let centres: Vec<Vec<f32>> = (0..blobs)
            .map(|_| (0..dim).map(|_| gaussian()).collect())
            .collect();
        let mut vectors = Vec::new();
        let mut labels = Vec::new();
        for (label, centre) in centres.iter().enumerate() {
            for _ in 0..per {
                let row: Vec<f32> = centre.iter().map(|c| c + spread * gaussian()).collect();
                let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
                vectors.extend(row.iter().map(|x| x / norm));
                labels.push(label as u32);
            }
        }
        (vectors, labels)
    }

    /// Share of rows whose nearest row on the map has their label.
    fn map_neighbour_agreement(coordinates: &[[f32; 2]], labels: &[u32]) -> f64 {
        reduced_neighbour_agreement(&coordinates.concat(), 2, labels)
    }

    #[test]
    fn blobs_stay_together_and_neighbourhoods_are_kept() {
        let (vectors, labels) = blobs(6, 80, 24, 0.35);
        let map = layout(&vectors, 24, &labels, &LayoutOptions::new(7)).unwrap();
        assert_eq!(map.sampled, labels.len());
        assert!(map.coordinates.iter().flatten().all(|x| x.is_finite()));
        let agreement = map_neighbour_agreement(&map.coordinates, &labels);
        assert!(
            agreement > 0.95,
            "nearest-on-map label agreement {agreement}"
        );
        let trust = trustworthiness(&vectors, 24, &map.coordinates, 10);
        assert!(trust > 0.9, "trustworthiness {trust}");
        // A random map keeps far less.
        let mut rng = SeededRng::new(1, 1);
        let random: Vec<[f32; 2]> = (0..labels.len())
            .map(|_| [rng.next_f64() as f32, rng.next_f64() as f32])
            .collect();
        assert!(trustworthiness(&vectors, 24, &random, 10) < 0.7);
    }

    #[test]
    fn the_same_seed_gives_the_same_map() {
        let (vectors, labels) = blobs(3, 40, 16, 0.5);
        let options = LayoutOptions::new(11);
        let first = layout(&vectors, 16, &labels, &options).unwrap();
        assert_eq!(first, layout(&vectors, 16, &labels, &options).unwrap());
        let other = layout(&vectors, 16, &labels, &LayoutOptions::new(12)).unwrap();
        assert_ne!(first, other);
    }

    #[test]
    fn rows_outside_the_sample_land_near_their_cluster() {
        let (vectors, labels) = blobs(4, 100, 16, 0.3);
        let mut options = LayoutOptions::new(5);
        options.sample = 80;
        let map = layout(&vectors, 16, &labels, &options).unwrap();
        assert!(map.sampled >= 80 && map.sampled < labels.len());
        assert!(map.coordinates.iter().flatten().all(|x| x.is_finite()));
        let agreement = map_neighbour_agreement(&map.coordinates, &labels);
        assert!(agreement > 0.95, "{agreement}");
    }

    #[test]
    fn bad_input_is_refused() {
        let options = LayoutOptions::new(1);
        assert!(matches!(
            layout(&[1.0; 5], 2, &[0, 0], &options),
            Err(ClusterError::Shape { .. })
        ));
        assert_eq!(
            layout(&[], 2, &[], &options).unwrap_err(),
            ClusterError::Empty
        );
        assert!(layout(&[1.0; 4], 2, &[0], &options).is_err());
        let single = layout(&[0.6, 0.8], 2, &[0], &options).unwrap();
        assert_eq!(single.coordinates.len(), 1);
    }

    /// Share of rows whose nearest row in `reduced` (rows of `dims`) has their label.
    fn reduced_neighbour_agreement(reduced: &[f32], dims: usize, labels: &[u32]) -> f64 {
        let rows: Vec<&[f32]> = reduced.chunks_exact(dims).collect();
        let squared =
            |a: &[f32], b: &[f32]| -> f32 { a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum() };
        let hits = (0..rows.len())
            .filter(|&i| {
                let nearest = (0..rows.len())
                    .filter(|&j| j != i)
                    .min_by(|&a, &b| {
                        squared(rows[i], rows[a]).total_cmp(&squared(rows[i], rows[b]))
                    })
                    .unwrap();
                labels[nearest] == labels[i]
            })
            .count();
        hits as f64 / rows.len() as f64
    }

    #[test]
    fn a_reduction_keeps_blobs_apart_in_and_outside_its_sample() {
        let (vectors, labels) = blobs(5, 60, 24, 0.35);
        let mut options = LayoutOptions::new(9);
        for sample in [labels.len(), 120] {
            options.sample = sample;
            let reduced = reduce(&vectors, 24, 5, &options).unwrap();
            assert_eq!(reduced.len(), labels.len() * 5);
            assert!(reduced.iter().all(|x| x.is_finite()));
            let agreement = reduced_neighbour_agreement(&reduced, 5, &labels);
            assert!(agreement > 0.95, "sample {sample}: {agreement}");
            assert_eq!(reduced, reduce(&vectors, 24, 5, &options).unwrap());
        }
        // Each row sent again many times: the copies land on their row, the blobs stay apart.
        let copies: Vec<f32> = vectors
            .chunks_exact(24)
            .flat_map(|row| row.repeat(20))
            .collect();
        options.sample = labels.len();
        let reduced = reduce(&copies, 24, 5, &options).unwrap();
        assert_eq!(reduced[..5], reduced[19 * 5..20 * 5]);
        let distinct: Vec<f32> = reduced
            .chunks_exact(5 * 20)
            .flat_map(|c| c[..5].to_vec())
            .collect();
        let agreement = reduced_neighbour_agreement(&distinct, 5, &labels);
        assert!(agreement > 0.95, "copies: {agreement}");
        assert_eq!(reduced.len(), copies.len() / 24 * 5);
        assert!(matches!(
            reduce(&vectors, 24, 11, &options),
            Err(ClusterError::Parameter(_))
        ));
        assert!(matches!(
            reduce(&vectors, 24, 1, &options),
            Err(ClusterError::Parameter(_))
        ));
    }

    #[test]
    fn smallest_keeps_the_k_nearest_in_order() {
        let pairs = [(0, 0.5), (1, 0.1), (2, 0.9), (3, 0.1), (4, 0.3)];
        assert_eq!(
            smallest(pairs.into_iter(), 3),
            vec![(1, 0.1), (3, 0.1), (4, 0.3)]
        );
    }
}
