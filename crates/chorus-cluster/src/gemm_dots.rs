use gemm::{Parallelism, gemm};

/// `out[i * k + j] = rows[i] · centroids[j]`, for `m` rows and `k` centroids of length `dim`,
/// through a blocked matrix product (runtime-detected SIMD).
pub(crate) fn dot_products(rows: &[f32], centroids: &[f32], dim: usize, out: &mut [f32]) {
    let m = rows.len() / dim;
    let k = centroids.len() / dim;
    assert_eq!(out.len(), m * k, "output sized for every row and centroid");
    if m == 0 || k == 0 {
        return;
    }
    // SAFETY: the three slices hold exactly m×dim, k×dim and m×k elements (checked above and by
    // the callers' construction); the strides describe row-major `rows`, the transpose of
    // row-major `centroids`, and row-major `out`; `out` does not alias the inputs.
    unsafe {
        gemm(
            m,
            k,
            dim,
            out.as_mut_ptr(),
            1,
            k as isize,
            false,
            rows.as_ptr(),
            1,
            dim as isize,
            centroids.as_ptr(),
            dim as isize,
            1,
            0.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// The squared length of each row of `dim` values: with the dot products, squared distances
/// are `|a|² + |b|² - 2 a·b`.
pub(crate) fn squared_norms(rows: &[f32], dim: usize) -> Vec<f32> {
    rows.chunks_exact(dim)
        .map(|row| row.iter().map(|x| x * x).sum())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_the_naive_product() {
        let dim = 5;
        let rows: Vec<f32> = (0..3 * dim).map(|i| (i as f32 * 0.37).sin()).collect();
        let centroids: Vec<f32> = (0..4 * dim).map(|i| (i as f32 * 0.11).cos()).collect();
        let mut out = vec![0.0; 12];
        dot_products(&rows, &centroids, dim, &mut out);
        for i in 0..3 {
            for j in 0..4 {
                let expected: f32 = (0..dim)
                    .map(|d| rows[i * dim + d] * centroids[j * dim + d])
                    .sum();
                assert!((out[i * 4 + j] - expected).abs() < 1e-5);
            }
        }
    }
}
