//! A transformer encoder over packed tokens. The sequences of a batch lie end to end with no
//! padding, so every dense layer is one large matrix product (AVX-512 gemm where the CPU has it)
//! and attention runs per sequence, in parallel across sequences. On short texts this is what
//! makes it faster than a padded, op-by-op forward pass.

use gemm::{Parallelism, gemm};
use rayon::prelude::*;

use crate::LocalError;
use crate::tensors::TensorFile;

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
        // SAFETY: `input` holds rows × inputs values, `weight` inputs × outputs, and `out` was
        // just filled to rows × outputs; all three are row-major as the strides say, and `out`
        // is a separate allocation from both inputs.
        unsafe {
            gemm(
                rows,
                self.outputs,
                self.inputs,
                out.as_mut_ptr(),
                1,
                self.outputs as isize,
                true,
                input.as_ptr(),
                1,
                self.inputs as isize,
                self.weight.as_ptr(),
                1,
                self.outputs as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                Parallelism::Rayon(0),
            );
        }
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
        let mean = row.iter().sum::<f32>() / width;
        let variance = row.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / width;
        let scale = 1.0 / (variance + self.eps).sqrt();
        for ((x, w), b) in row.iter_mut().zip(&self.weight).zip(&self.bias) {
            *x = (*x - mean) * scale * w + b;
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

pub(crate) fn load_linear(file: &TensorFile, name: &str) -> Result<Linear, LocalError> {
    let weight = file.values(&format!("{name}.weight"))?;
    let bias = file.values(&format!("{name}.bias"))?;
    Linear::from_torch(&weight, bias)
        .ok_or_else(|| file.error(format!("`{name}`: weight and bias sizes disagree")))
}

pub(crate) fn load_norm(file: &TensorFile, name: &str, eps: f32) -> Result<LayerNorm, LocalError> {
    Ok(LayerNorm {
        weight: file.values(&format!("{name}.weight"))?,
        bias: file.values(&format!("{name}.bias"))?,
        eps,
    })
}

impl Layer {
    fn load(
        file: &TensorFile,
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

/// Added to the attention score of query `i` and key `j` in head `head`, for a sequence of
/// `length` tokens (MPNet's relative positions; BERT has none).
pub(crate) trait AttentionBias: Sync {
    fn bias(&self, head: usize, i: usize, j: usize) -> f32;
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
        file: &TensorFile,
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
        bias: Option<&dyn AttentionBias>,
    ) {
        let mut scratch = Scratch::default();
        for layer in &self.layers {
            layer.qkv.apply(hidden, &mut scratch.qkv);
            scratch.context.clear();
            scratch.context.resize(hidden.len(), 0.0);
            self.attention(&scratch.qkv, lengths, &mut scratch.context, bias);
            layer
                .attention_output
                .apply(&scratch.context, &mut scratch.projected);
            layer
                .attention_norm
                .add_and_normalise(&mut scratch.projected, hidden);
            std::mem::swap(hidden, &mut scratch.projected);
            layer.intermediate.apply(hidden, &mut scratch.intermediate);
            scratch
                .intermediate
                .par_chunks_mut(layer.intermediate.outputs)
                .with_min_len(ROWS_PER_TASK)
                .for_each(gelu_in_place);
            layer
                .output
                .apply(&scratch.intermediate, &mut scratch.projected);
            layer
                .output_norm
                .add_and_normalise(&mut scratch.projected, hidden);
            std::mem::swap(hidden, &mut scratch.projected);
        }
    }

    /// Scaled dot-product attention within each sequence; writes each head's output into its
    /// columns of `context`.
    fn attention(
        &self,
        qkv: &[f32],
        lengths: &[usize],
        context: &mut [f32],
        bias: Option<&dyn AttentionBias>,
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
        bias: Option<&dyn AttentionBias>,
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
        bias: Option<&dyn AttentionBias>,
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
        bias: Option<&dyn AttentionBias>,
    ) {
        let hidden = self.hidden;
        let width = 3 * hidden;
        let head_dim = hidden / self.heads;
        let scale = 1.0 / (head_dim as f32).sqrt();
        let mut scores = vec![0.0f32; length];
        for head in 0..self.heads {
            let (query_at, key_at, value_at) = (
                head * head_dim,
                hidden + head * head_dim,
                2 * hidden + head * head_dim,
            );
            for i in 0..length {
                let query = &rows[i * width + query_at..][..head_dim];
                let mut highest = f32::NEG_INFINITY;
                for (j, score) in scores.iter_mut().enumerate() {
                    let key = &rows[j * width + key_at..][..head_dim];
                    *score = dot(query, key) * scale + bias.map_or(0.0, |b| b.bias(head, i, j));
                    highest = highest.max(*score);
                }
                let mut total = 0.0;
                for score in scores.iter_mut() {
                    *score = exp(*score - highest);
                    total += *score;
                }
                let output = &mut out[i * hidden + query_at..][..head_dim];
                output.fill(0.0);
                for (j, score) in scores.iter().enumerate() {
                    let weight = score / total;
                    let value = &rows[j * width + value_at..][..head_dim];
                    for (o, v) in output.iter_mut().zip(value) {
                        *o += weight * v;
                    }
                }
            }
        }
    }
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

/// A dot product summed in eight lanes, so it compiles to SIMD (a single running sum cannot be
/// reordered by the compiler).
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..8 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
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
    fn exp_matches_the_library() {
        for step in -400..=400 {
            let x = step as f32 * 0.2;
            let relative = (exp(x) - x.exp()).abs() / x.exp();
            assert!(relative < 3e-7, "exp({x}): {} vs {}", exp(x), x.exp());
        }
    }

    #[test]
    fn dot_equals_the_plain_sum() {
        let a: Vec<f32> = (0..37).map(|i| (i as f32 * 0.3).sin()).collect();
        let b: Vec<f32> = (0..37).map(|i| (i as f32 * 0.7).cos()).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-5);
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
