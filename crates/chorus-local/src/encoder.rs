//! A transformer encoder over packed tokens. The sequences of a batch lie end to end with no
//! padding, so every dense layer is one large matrix product (AVX-512 gemm where the CPU has it)
//! and attention runs per sequence, in parallel across sequences. On short texts this is what
//! makes it faster than a padded, op-by-op forward pass.

use gemm::{Parallelism, gemm};
use rayon::prelude::*;

use crate::LocalError;
use crate::tensors::Weights;

/// Rows per rayon task in the element-wise steps: enough work to outweigh the scheduling.
const ROWS_PER_TASK: usize = 32;

/// `y = x Wᵀ + b`, with W kept transposed (inputs × outputs, row-major) for the product.
pub(crate) struct Linear {
    inputs: usize,
    outputs: usize,
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Linear {
    /// From PyTorch's layout: `weight` is outputs × inputs, row-major. None if the sizes disagree.
    pub(crate) fn from_torch(weight: &[f32], bias: Vec<f32>) -> Option<Self> {
        let outputs = bias.len();
        if outputs == 0 || !weight.len().is_multiple_of(outputs) {
            return None;
        }
        let inputs = weight.len() / outputs;
        let mut transposed = vec![0.0; weight.len()];
        for (output, row) in weight.chunks_exact(inputs).enumerate() {
            for (input, &value) in row.iter().enumerate() {
                transposed[input * outputs + output] = value;
            }
        }
        Some(Self {
            inputs,
            outputs,
            weight: transposed,
            bias,
        })
    }

    /// Layers that read the same input, side by side: one product computes them all.
    pub(crate) fn side_by_side(parts: &[Linear]) -> Option<Self> {
        let inputs = parts.first()?.inputs;
        if parts.iter().any(|part| part.inputs != inputs) {
            return None;
        }
        let outputs = parts.iter().map(|part| part.outputs).sum();
        let mut weight = Vec::with_capacity(inputs * outputs);
        for input in 0..inputs {
            for part in parts {
                weight.extend_from_slice(&part.weight[input * part.outputs..][..part.outputs]);
            }
        }
        let bias = parts.iter().flat_map(|part| part.bias.clone()).collect();
        Some(Self {
            inputs,
            outputs,
            weight,
            bias,
        })
    }

    fn apply(&self, input: &[f32], out: &mut Vec<f32>) {
        let rows = input.len() / self.inputs;
        out.clear();
        for _ in 0..rows {
            out.extend_from_slice(&self.bias);
        }
        if rows == 0 {
            return;
        }
        product(
            Shape {
                rows,
                columns: self.outputs,
                inner: self.inputs,
            },
            (out, self.outputs, 1),
            (input, self.inputs, 1),
            (&self.weight, self.outputs, 1),
            Accumulate::Yes,
            1.0,
            Parallelism::Rayon(0),
        );
    }
}

pub(crate) struct LayerNorm {
    weight: Vec<f32>,
    bias: Vec<f32>,
    eps: f32,
}

impl LayerNorm {
    pub(crate) fn normalise_rows(&self, values: &mut [f32]) {
        let width = self.weight.len();
        values
            .par_chunks_mut(width)
            .with_min_len(ROWS_PER_TASK)
            .for_each(|row| self.normalise(row));
    }

    fn normalise(&self, row: &mut [f32]) {
        let width = row.len() as f32;
        let mean = reduce_in_lanes(row, 0.0, same, add) / width;
        row.iter_mut().for_each(|x| *x -= mean);
        let variance = reduce_in_lanes(row, 0.0, |x| x * x, add) / width;
        let scale = 1.0 / (variance + self.eps).sqrt();
        for ((x, w), b) in row.iter_mut().zip(&self.weight).zip(&self.bias) {
            *x = *x * scale * w + b;
        }
    }

    /// `values = norm(values + residual)`, row by row.
    fn add_and_normalise(&self, values: &mut [f32], residual: &[f32]) {
        let width = self.weight.len();
        values
            .par_chunks_mut(width)
            .zip(residual.par_chunks(width))
            .with_min_len(ROWS_PER_TASK)
            .for_each(|(row, residual)| {
                for (x, r) in row.iter_mut().zip(residual) {
                    *x += r;
                }
                self.normalise(row);
            });
    }
}

/// One post-norm encoder layer (BERT and MPNet share it).
struct Layer {
    /// Query, key and value side by side.
    qkv: Linear,
    attention_output: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

/// `hidden = norm(hidden + linear(input))`, the post-norm residual step; `projected` is
/// scratch space.
fn add_residual(
    (linear, norm): (&Linear, &LayerNorm),
    input: &[f32],
    hidden: &mut Vec<f32>,
    projected: &mut Vec<f32>,
) {
    linear.apply(input, projected);
    norm.add_and_normalise(projected, hidden);
    std::mem::swap(hidden, projected);
}

/// Where a checkpoint keeps each part of layer `i`, as suffixes of `{prefix}{i}.`; each linear
/// part has `.weight` and `.bias`, each norm `.weight` and `.bias`.
pub(crate) struct LayerNames {
    pub(crate) prefix: &'static str,
    pub(crate) query: &'static str,
    pub(crate) key: &'static str,
    pub(crate) value: &'static str,
    pub(crate) attention_output: &'static str,
    pub(crate) attention_norm: &'static str,
    pub(crate) intermediate: &'static str,
    pub(crate) output: &'static str,
    pub(crate) output_norm: &'static str,
}

pub(crate) fn load_linear(file: &impl Weights, name: &str) -> Result<Linear, LocalError> {
    let weight = file.values(&format!("{name}.weight"))?;
    let bias = file.values(&format!("{name}.bias"))?;
    Linear::from_torch(&weight, bias)
        .ok_or_else(|| file.error(format!("`{name}`: weight and bias sizes disagree")))
}

pub(crate) fn load_norm(
    file: &impl Weights,
    name: &str,
    eps: f32,
) -> Result<LayerNorm, LocalError> {
    Ok(LayerNorm {
        weight: file.values(&format!("{name}.weight"))?,
        bias: file.values(&format!("{name}.bias"))?,
        eps,
    })
}

impl Layer {
    fn load(
        file: &impl Weights,
        names: &LayerNames,
        index: usize,
        eps: f32,
    ) -> Result<Self, LocalError> {
        let name = |part: &str| format!("{}{index}.{part}", names.prefix);
        let qkv = Linear::side_by_side(&[
            load_linear(file, &name(names.query))?,
            load_linear(file, &name(names.key))?,
            load_linear(file, &name(names.value))?,
        ])
        .ok_or_else(|| {
            file.error(format!(
                "layer {index}: query, key and value differ in size"
            ))
        })?;
        Ok(Self {
            qkv,
            attention_output: load_linear(file, &name(names.attention_output))?,
            attention_norm: load_norm(file, &name(names.attention_norm), eps)?,
            intermediate: load_linear(file, &name(names.intermediate))?,
            output: load_linear(file, &name(names.output))?,
            output_norm: load_norm(file, &name(names.output_norm), eps)?,
        })
    }
}

/// MPNet's relative position bias: a learned value per head for each bucket of the distance
/// `j - i` between key and query, added to every layer's attention scores.
pub(crate) struct RelativePositions {
    heads: usize,
    /// Bucket of each distance from `-(longest - 1)` to `longest - 1`.
    buckets: Vec<usize>,
    longest: usize,
    /// buckets × heads.
    weights: Vec<f32>,
}

impl RelativePositions {
    /// `weights` is the checkpoint's buckets × heads table.
    pub(crate) fn new(
        weights: Vec<f32>,
        heads: usize,
        bucket_count: usize,
        max_distance: usize,
        longest: usize,
    ) -> Option<Self> {
        if heads == 0 || weights.len() != bucket_count * heads || bucket_count < 4 {
            return None;
        }
        let buckets = (0..2 * longest.max(1) - 1)
            .map(|index| {
                let distance = index as i64 - (longest.max(1) as i64 - 1);
                relative_bucket(distance, bucket_count, max_distance)
            })
            .collect();
        Some(Self {
            heads,
            buckets,
            longest: longest.max(1),
            weights,
        })
    }

    #[inline(always)]
    fn bias(&self, head: usize, i: usize, j: usize) -> f32 {
        let bucket = self.buckets[j + self.longest - 1 - i];
        self.weights[bucket * self.heads + head]
    }
}

/// T5/MPNet bidirectional buckets: half the buckets for keys after the query; within each
/// half, exact distances up to a quarter of the buckets, then logarithmic up to `max_distance`.
fn relative_bucket(distance: i64, bucket_count: usize, max_distance: usize) -> usize {
    let half = bucket_count / 2;
    let exact = half / 2;
    let after = if distance > 0 { half } else { 0 };
    let n = distance.unsigned_abs() as usize;
    if n < exact {
        return after + n;
    }
    // The small margin keeps exact powers (16, 32, 64 for MPNet) in the bucket PyTorch's float
    // arithmetic gives them.
    let scaled = (n as f64 / exact as f64).ln() / (max_distance as f64 / exact as f64).ln()
        * (half - exact) as f64
        + 1e-6;
    after + (exact + scaled as usize).min(half - 1)
}

pub(crate) struct Encoder {
    layers: Vec<Layer>,
    heads: usize,
    hidden: usize,
}

/// Buffers reused from layer to layer.
#[derive(Default)]
struct Scratch {
    qkv: Vec<f32>,
    context: Vec<f32>,
    projected: Vec<f32>,
    intermediate: Vec<f32>,
}

impl Encoder {
    pub(crate) fn load(
        file: &impl Weights,
        names: &LayerNames,
        layers: usize,
        heads: usize,
        eps: f32,
    ) -> Result<Self, LocalError> {
        let layers = (0..layers)
            .map(|index| Layer::load(file, names, index, eps))
            .collect::<Result<Vec<_>, _>>()?;
        let hidden = layers
            .first()
            .map_or(0, |layer| layer.attention_output.outputs);
        if hidden == 0 || heads == 0 || !hidden.is_multiple_of(heads) {
            return Err(file.error(format!(
                "{hidden} hidden units do not split into {heads} heads"
            )));
        }
        Ok(Self {
            layers,
            heads,
            hidden,
        })
    }

    /// Runs every layer over `hidden` (tokens × hidden size, the sequences of `lengths` end to
    /// end) in place.
    pub(crate) fn forward(
        &self,
        hidden: &mut Vec<f32>,
        lengths: &[usize],
        bias: Option<&RelativePositions>,
    ) {
        let mut scratch = Scratch::default();
        for layer in &self.layers {
            layer.qkv.apply(hidden, &mut scratch.qkv);
            scratch.context.clear();
            scratch.context.resize(hidden.len(), 0.0);
            self.attention(&scratch.qkv, lengths, &mut scratch.context, bias);
            add_residual(
                (&layer.attention_output, &layer.attention_norm),
                &scratch.context,
                hidden,
                &mut scratch.projected,
            );
            layer.intermediate.apply(hidden, &mut scratch.intermediate);
            scratch
                .intermediate
                .par_chunks_mut(layer.intermediate.outputs)
                .with_min_len(ROWS_PER_TASK)
                .for_each(gelu_in_place);
            add_residual(
                (&layer.output, &layer.output_norm),
                &scratch.intermediate,
                hidden,
                &mut scratch.projected,
            );
        }
    }

    /// Scaled dot-product attention within each sequence; writes each head's output into its
    /// columns of `context`.
    fn attention(
        &self,
        qkv: &[f32],
        lengths: &[usize],
        context: &mut [f32],
        bias: Option<&RelativePositions>,
    ) {
        let hidden = self.hidden;
        let mut sequences = Vec::with_capacity(lengths.len());
        let mut rest = context;
        let mut start = 0;
        for &length in lengths {
            let (this, tail) = rest.split_at_mut(length * hidden);
            sequences.push((start, length, this));
            rest = tail;
            start += length;
        }
        sequences.into_par_iter().for_each(|(start, length, out)| {
            let rows = &qkv[start * 3 * hidden..(start + length) * 3 * hidden];
            self.sequence_attention(rows, length, out, bias);
        });
    }

    fn sequence_attention(
        &self,
        rows: &[f32],
        length: usize,
        out: &mut [f32],
        bias: Option<&RelativePositions>,
    ) {
        #[cfg(target_arch = "x86_64")]
        if has_avx512() {
            // SAFETY: the CPU has AVX-512F, checked just above.
            return unsafe { self.sequence_attention_avx512(rows, length, out, bias) };
        }
        self.attend(rows, length, out, bias);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn sequence_attention_avx512(
        &self,
        rows: &[f32],
        length: usize,
        out: &mut [f32],
        bias: Option<&RelativePositions>,
    ) {
        self.attend(rows, length, out, bias);
    }

    /// Inlined into both the baseline and the AVX-512 build of the caller.
    #[inline(always)]
    fn attend(
        &self,
        rows: &[f32],
        length: usize,
        out: &mut [f32],
        bias: Option<&RelativePositions>,
    ) {
        let hidden = self.hidden;
        let width = 3 * hidden;
        let head_dim = hidden / self.heads;
        let scale = 1.0 / (head_dim as f32).sqrt();
        let mut scores = vec![0.0f32; length * length];
        for head in 0..self.heads {
            let (query_at, key_at, value_at) = (
                head * head_dim,
                hidden + head * head_dim,
                2 * hidden + head * head_dim,
            );
            // scores = scale · Q Kᵀ: key j's values, read down its row, are column j of Kᵀ.
            product(
                Shape {
                    rows: length,
                    columns: length,
                    inner: head_dim,
                },
                (&mut scores, length, 1),
                (&rows[query_at..], width, 1),
                (&rows[key_at..], 1, width),
                Accumulate::No,
                scale,
                Parallelism::None,
            );
            for (i, row) in scores.chunks_exact_mut(length).enumerate() {
                if let Some(bias) = bias {
                    for (j, score) in row.iter_mut().enumerate() {
                        *score += bias.bias(head, i, j);
                    }
                }
                softmax(row);
            }
            product(
                Shape {
                    rows: length,
                    columns: head_dim,
                    inner: length,
                },
                (&mut out[query_at..], hidden, 1),
                (&scores, length, 1),
                (&rows[value_at..], width, 1),
                Accumulate::No,
                1.0,
                Parallelism::None,
            );
        }
    }
}

#[derive(Clone, Copy)]
struct Shape {
    rows: usize,
    columns: usize,
    inner: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Accumulate {
    Yes,
    No,
}

/// `dst (+)= scale · lhs · rhs` for matrices addressed as (slice, row stride, column stride)
/// from the start of their slice: a rows × columns result of an inner-long product.
///
/// Panics if a slice is too short for its shape and strides (a bug here, never input).
fn product(
    shape: Shape,
    dst: (&mut [f32], usize, usize),
    lhs: (&[f32], usize, usize),
    rhs: (&[f32], usize, usize),
    accumulate: Accumulate,
    scale: f32,
    parallelism: Parallelism,
) {
    let Shape {
        rows,
        columns,
        inner,
    } = shape;
    if rows == 0 || columns == 0 {
        return;
    }
    let reach = |rows: usize, columns: usize, row_stride: usize, column_stride: usize| {
        if rows == 0 || columns == 0 {
            0
        } else {
            (rows - 1) * row_stride + (columns - 1) * column_stride + 1
        }
    };
    assert!(dst.0.len() >= reach(rows, columns, dst.1, dst.2));
    assert!(lhs.0.len() >= reach(rows, inner, lhs.1, lhs.2));
    assert!(rhs.0.len() >= reach(inner, columns, rhs.1, rhs.2));
    // SAFETY: every element the strides address lies inside its slice (asserted above), and
    // `dst` is borrowed mutably, so it aliases neither operand.
    unsafe {
        gemm(
            rows,
            columns,
            inner,
            dst.0.as_mut_ptr(),
            dst.2 as isize,
            dst.1 as isize,
            accumulate == Accumulate::Yes,
            lhs.0.as_ptr(),
            lhs.2 as isize,
            lhs.1 as isize,
            rhs.0.as_ptr(),
            rhs.2 as isize,
            rhs.1 as isize,
            1.0,
            scale,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// In separate passes, each of which vectorises: a single running sum or maximum cannot be
/// reordered by the compiler, so it would keep the whole loop scalar.
#[inline(always)]
fn softmax(row: &mut [f32]) {
    let highest = reduce_in_lanes(row, f32::NEG_INFINITY, same, f32::max);
    row.iter_mut()
        .for_each(|score| *score = exp(*score - highest));
    let inverse = 1.0 / reduce_in_lanes(row, 0.0, same, add);
    row.iter_mut().for_each(|score| *score *= inverse);
}

/// Combines `map` of each value in 16 independent lanes, then combines the lanes: a fixed
/// order, so the same input always gives the same bits.
#[inline(always)]
fn reduce_in_lanes(
    values: &[f32],
    start: f32,
    map: impl Fn(f32) -> f32,
    combine: impl Fn(f32, f32) -> f32,
) -> f32 {
    let mut lanes = [start; 16];
    let chunks = values.chunks_exact(16);
    let tail = chunks
        .remainder()
        .iter()
        .fold(start, |a, &b| combine(a, map(b)));
    for chunk in chunks {
        for (lane, &value) in lanes.iter_mut().zip(chunk) {
            *lane = combine(*lane, map(value));
        }
    }
    lanes.into_iter().fold(tail, &combine)
}

fn add(a: f32, b: f32) -> f32 {
    a + b
}

fn same(x: f32) -> f32 {
    x
}

#[cfg(target_arch = "x86_64")]
fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
}

/// The element-wise loops are compiled twice, for baseline x86-64 and for AVX-512 (chosen at run
/// time), since the default build targets CPUs without it. Both give the same bits: no step is
/// contracted or reordered differently.
fn gelu_in_place(values: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx512() {
        // SAFETY: the CPU has AVX-512F, checked just above.
        return unsafe { gelu_avx512(values) };
    }
    values.iter_mut().for_each(|x| *x = gelu(*x));
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn gelu_avx512(values: &mut [f32]) {
    values.iter_mut().for_each(|x| *x = gelu(*x));
}

/// The exact (erf) GELU that BERT and MPNet were trained with. Branch-free and without library
/// calls, so the loop over a row compiles to SIMD.
#[inline(always)]
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// erf to ~1.2e-7 relative error (Numerical Recipes' Chebyshev fit of erfc).
#[inline(always)]
fn erf(x: f32) -> f32 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let polynomial = -1.265_512_2
        + t * (1.000_023_7
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_204
                                + t * (1.488_515_9 + t * (-0.822_152_2 + t * 0.170_872_77))))))));
    let complement = t * exp(-z * z + polynomial);
    (1.0 - complement).copysign(x)
}

/// e^x to about one unit in the last place (Cephes' expf: 2^n times a degree-6 polynomial on
/// the remainder), written so that loops over it vectorise, unlike calls into libm.
#[inline(always)]
fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    // Adding 1.5 × 2^23 rounds to the nearest integer and leaves it in the low mantissa bits,
    // so both the float and the integer come without a (scalar) conversion instruction.
    const ROUND: f32 = 12_582_912.0;
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let n = shifted - ROUND;
    let power = shifted.to_bits().wrapping_sub(ROUND.to_bits());
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let mut p = 1.987_569_1e-4;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e_r = p * r * r + r + 1.0;
    e_r * f32::from_bits(power.wrapping_add(127) << 23)
}

/// Mean of each sequence's rows: sentence-transformers' mean pooling over real tokens.
pub(crate) fn mean_pool(hidden: &[f32], lengths: &[usize], width: usize) -> Vec<Vec<f32>> {
    let mut start = 0;
    lengths
        .iter()
        .map(|&length| {
            let mut sum = vec![0.0f32; width];
            for row in hidden[start * width..(start + length) * width].chunks_exact(width) {
                for (s, x) in sum.iter_mut().zip(row) {
                    *s += x;
                }
            }
            start += length;
            let count = length.max(1) as f32;
            sum.iter_mut().for_each(|s| *s /= count);
            sum
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_known_values() {
        for (x, expected) in [
            (0.0f32, 0.0f32),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-2.0, -0.995_322_3),
            (3.5, 0.999_999_3),
        ] {
            assert!((erf(x) - expected).abs() < 1e-6, "erf({x}) = {}", erf(x));
        }
    }

    #[test]
    fn relative_buckets_match_pytorch() {
        // From transformers' MPNetEncoder.relative_position_bucket(…, 32, 128).
        for (distance, expected) in [
            (-383, 15),
            (-128, 15),
            (-65, 14),
            (-64, 14),
            (-63, 13),
            (-32, 12),
            (-31, 11),
            (-16, 10),
            (-15, 9),
            (-8, 8),
            (-7, 7),
            (-1, 1),
            (0, 0),
            (1, 17),
            (7, 23),
            (8, 24),
            (15, 25),
            (16, 26),
            (31, 27),
            (32, 28),
            (63, 29),
            (64, 30),
            (127, 31),
            (383, 31),
        ] {
            assert_eq!(
                relative_bucket(distance, 32, 128),
                expected,
                "distance {distance}"
            );
        }
    }

    #[test]
    fn exp_matches_the_library() {
        for step in -400..=400 {
            let x = step as f32 * 0.2;
            let relative = (exp(x) - x.exp()).abs() / x.exp();
            assert!(relative < 3e-7, "exp({x}): {} vs {}", exp(x), x.exp());
        }
    }

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let mut row: Vec<f32> = (0..37).map(|i| (i as f32 * 0.37).sin() * 4.0).collect();
        let before = row.clone();
        softmax(&mut row);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        let highest = before.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let expected: f32 = 1.0 / before.iter().map(|x| (x - highest).exp()).sum::<f32>();
        let at = before.iter().position(|&x| x == highest).unwrap();
        assert!((row[at] - expected).abs() < 1e-6);
    }

    #[test]
    fn linear_equals_the_naive_product() {
        // weight is 2 outputs × 3 inputs, as PyTorch stores it.
        let linear = Linear::from_torch(&[1.0, 2.0, 3.0, -1.0, 0.5, 0.0], vec![0.1, -0.2])
            .expect("sizes agree");
        let mut out = Vec::new();
        linear.apply(&[1.0, 1.0, 1.0, 2.0, 0.0, -1.0], &mut out);
        let expected = [6.1, -0.7, -0.9, -2.2];
        for (got, want) in out.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{out:?}");
        }
        let both = Linear::side_by_side(&[
            Linear::from_torch(&[1.0, 2.0, 3.0], vec![0.0]).expect("sizes agree"),
            Linear::from_torch(&[0.0, 0.0, 1.0], vec![1.0]).expect("sizes agree"),
        ])
        .expect("same inputs");
        both.apply(&[1.0, 1.0, 1.0], &mut out);
        assert_eq!(out, vec![6.0, 2.0]);
    }

    #[test]
    fn mismatched_sizes_are_refused() {
        assert!(Linear::from_torch(&[1.0, 2.0, 3.0], vec![0.0, 0.0]).is_none());
        assert!(Linear::from_torch(&[], Vec::new()).is_none());
    }
}
