//! Q8_0 matrix–vector and matrix–matrix products for the native forward
//! pass ([`super::forward`]).
//!
//! Weights are Q8_0 (blocks of 32 signed bytes sharing one scale), stored
//! split at load: every row's quants contiguous, the scales apart and
//! already converted to f32, so the inner loop neither parses 34-byte
//! blocks nor converts f16. Activations are quantised to Q8_0 once per
//! product (as candle and llama.cpp do: scale `amax / 127` rounded to f16,
//! quants `round(x / scale)`), so each block's dot product is an exact
//! integer sum, scaled by `weight scale * activation scale` and accumulated
//! in f32.
//!
//! The AVX2 kernel handles [`ROWS`] rows per pass, sharing the activation
//! loads; each row keeps eight f32 lanes (lane `k` of a block holds the
//! integer sum of bytes `4k..4k+4`), summed once at the end of the row. The
//! scalar fallback follows the same lanes, the same fused multiply-adds and
//! the same final summation order, so both give bit-identical results.

use half::f16;

/// Values per Q8_0 block.
pub(crate) const BLOCK: usize = 32;
/// Rows per pass of the kernel.
const ROWS: usize = 4;

/// A Q8_0 matrix, `rows × cols`, split into quants and f32 scales, its
/// rows interleaved in groups of [`ROWS`] so that the kernel reads it as
/// one linear stream: for group `g`, block `b`, row `i` of the group, the
/// 32 quants are at `((g * nb + b) * ROWS + i) * 32` and the scale at
/// `(g * nb + b) * ROWS + i` (`nb = cols / 32`). The last group is padded
/// with zero rows.
#[derive(Debug, Clone)]
pub(crate) struct QMatrix {
    pub rows: usize,
    pub cols: usize,
    quants: Vec<i8>,
    scales: Vec<f32>,
}

/// A Q8_0 matrix with plain row-major rows (an intermediate at load).
#[derive(Debug, Clone)]
pub(crate) struct QRows {
    pub rows: usize,
    pub cols: usize,
    /// `rows * cols` quants.
    quants: Vec<i8>,
    /// `rows * cols / BLOCK` scales.
    scales: Vec<f32>,
}

impl QRows {
    /// Rows from GGUF Q8_0 bytes (34-byte blocks: f16 scale, 32 quants).
    /// `None` when `cols` is not a multiple of [`BLOCK`] or the byte count
    /// is not `rows * cols / 32 * 34`.
    pub(crate) fn from_q8_0(bytes: &[u8], rows: usize, cols: usize) -> Option<QRows> {
        const SIZE: usize = 2 + BLOCK;
        if cols == 0 || !cols.is_multiple_of(BLOCK) || bytes.len() != rows * cols / BLOCK * SIZE {
            return None;
        }
        let blocks = rows * cols / BLOCK;
        let mut quants = Vec::with_capacity(rows * cols);
        let mut scales = Vec::with_capacity(blocks);
        for block in bytes.chunks_exact(SIZE) {
            scales.push(f16::from_le_bytes([block[0], block[1]]).to_f32());
            quants.extend(block[2..].iter().map(|&b| b as i8));
        }
        Some(QRows {
            rows,
            cols,
            quants,
            scales,
        })
    }

    /// Quantises a dense row-major f32 matrix (tests, other weight types).
    pub(crate) fn quantize(values: &[f32], rows: usize, cols: usize) -> Option<QRows> {
        if cols == 0 || !cols.is_multiple_of(BLOCK) || values.len() != rows * cols {
            return None;
        }
        let mut q = QVec::new(cols);
        q.quantize(values);
        Some(QRows {
            rows,
            cols,
            quants: q.quants,
            scales: q.scales,
        })
    }

    /// The rows of `parts` one after the other; `None` when their column
    /// counts differ.
    pub(crate) fn stack(parts: Vec<QRows>) -> Option<QRows> {
        let cols = parts.first()?.cols;
        if parts.iter().any(|p| p.cols != cols) {
            return None;
        }
        let rows = parts.iter().map(|p| p.rows).sum();
        let mut quants = Vec::with_capacity(rows * cols);
        let mut scales = Vec::with_capacity(rows * cols / BLOCK);
        for p in parts {
            quants.extend_from_slice(&p.quants);
            scales.extend_from_slice(&p.scales);
        }
        Some(QRows {
            rows,
            cols,
            quants,
            scales,
        })
    }
}

impl QMatrix {
    /// Interleaves `m`'s rows for the kernel.
    pub(crate) fn new(m: &QRows) -> QMatrix {
        let (rows, cols) = (m.rows, m.cols);
        let nb = cols / BLOCK;
        let groups = rows.div_ceil(ROWS);
        let mut quants = vec![0i8; groups * ROWS * cols];
        let mut scales = vec![0f32; groups * ROWS * nb];
        for r in 0..rows {
            let (g, i) = (r / ROWS, r % ROWS);
            for b in 0..nb {
                let at = (g * nb + b) * ROWS + i;
                quants[at * BLOCK..(at + 1) * BLOCK]
                    .copy_from_slice(&m.quants[r * cols + b * BLOCK..r * cols + (b + 1) * BLOCK]);
                scales[at] = m.scales[r * nb + b];
            }
        }
        QMatrix {
            rows,
            cols,
            quants,
            scales,
        }
    }

    /// Row `r` dequantised into `out` (`cols` long); used for embeddings.
    pub(crate) fn dequantize_row(&self, r: usize, out: &mut [f32]) {
        let nb = self.cols / BLOCK;
        let (g, i) = (r / ROWS, r % ROWS);
        for (b, o) in out.chunks_exact_mut(BLOCK).enumerate().take(nb) {
            let at = (g * nb + b) * ROWS + i;
            let d = self.scales[at];
            for (o, &q) in o.iter_mut().zip(&self.quants[at * BLOCK..(at + 1) * BLOCK]) {
                *o = f32::from(q) * d;
            }
        }
    }
}

/// Activations quantised to Q8_0: `n` vectors of `cols` values.
#[derive(Debug, Clone, Default)]
pub(crate) struct QVec {
    pub cols: usize,
    quants: Vec<i8>,
    scales: Vec<f32>,
}

impl QVec {
    pub(crate) fn new(cols: usize) -> QVec {
        QVec {
            cols,
            quants: Vec::new(),
            scales: Vec::new(),
        }
    }

    /// Vectors held.
    pub(crate) fn len(&self) -> usize {
        self.quants.len().checked_div(self.cols).unwrap_or(0)
    }

    /// Quantises `values` (`n * cols` long, `cols` a multiple of 32) as
    /// candle's `BlockQ8_0::from_float` does: scale `amax / 127`, quants
    /// `round(x / scale)` (half away from zero), the scale kept as f16.
    pub(crate) fn quantize(&mut self, values: &[f32]) {
        self.quants.clear();
        self.scales.clear();
        self.quants.reserve(values.len());
        for block in values.chunks_exact(BLOCK) {
            let amax = block.iter().fold(0f32, |a, v| a.max(v.abs()));
            let d = amax / 127.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            self.scales.push(f16::from_f32(d).to_f32());
            // |x * id| <= 127 (up to rounding), and `as` saturates.
            self.quants
                .extend(block.iter().map(|&x| (x * id).round() as i8));
        }
    }
}

/// `out[t * w.rows + r] = dot(w row r, x vector t)` for every row and every
/// vector of `x` (`out` is `x.len() * w.rows` long). With `parallel`, a
/// single vector's rows are split across the current rayon pool.
///
/// # Panics
///
/// When the shapes disagree (a bug in the caller).
pub(crate) fn matmul(w: &QMatrix, x: &QVec, out: &mut [f32], parallel: bool) {
    matmul_with(Kernel::detect(), w, x, out, parallel);
}

fn matmul_with(kernel: Kernel, w: &QMatrix, x: &QVec, out: &mut [f32], parallel: bool) {
    let n = x.len();
    assert_eq!(x.cols, w.cols, "activation length");
    assert_eq!(x.quants.len(), n * w.cols, "activation quants");
    assert_eq!(out.len(), n * w.rows, "output length");
    // Rows `first..first + out.len()` (`first` a multiple of ROWS) for
    // vector `t`.
    let run = |first: usize, t: usize, out: &mut [f32]| {
        let mut tmp = [0f32; ROWS];
        for (k, o) in out.chunks_mut(ROWS).enumerate() {
            kernel.group(w, first / ROWS + k, x, t, &mut tmp);
            o.copy_from_slice(&tmp[..o.len()]);
        }
    };
    if n == 1 {
        if parallel && w.rows >= 256 {
            use rayon::prelude::*;
            const CHUNK: usize = 16 * ROWS;
            out.par_chunks_mut(CHUNK)
                .enumerate()
                .for_each(|(i, o)| run(i * CHUNK, 0, o));
        } else {
            run(0, 0, out);
        }
        return;
    }
    // Each group of rows is read once for all vectors: the rows stay in L1,
    // the activations in L2.
    let mut tmp = [0f32; ROWS];
    for g in 0..w.rows.div_ceil(ROWS) {
        let first = g * ROWS;
        let take = ROWS.min(w.rows - first);
        for t in 0..n {
            kernel.group(w, g, x, t, &mut tmp);
            out[t * w.rows + first..t * w.rows + first + take].copy_from_slice(&tmp[..take]);
        }
    }
}

#[derive(Clone, Copy)]
enum Kernel {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Kernel {
    fn detect() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        {
            use std::sync::OnceLock;
            static AVX2: OnceLock<bool> = OnceLock::new();
            let avx2 = *AVX2.get_or_init(|| {
                is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
            });
            if avx2 {
                return Kernel::Avx2;
            }
        }
        Kernel::Scalar
    }

    /// `out[i] = dot(w row g * ROWS + i, x vector t)` (padding rows give 0).
    fn group(self, w: &QMatrix, g: usize, x: &QVec, t: usize, out: &mut [f32; ROWS]) {
        let cols = w.cols;
        let nb = cols / BLOCK;
        let wq = &w.quants[g * ROWS * cols..(g + 1) * ROWS * cols];
        let ws = &w.scales[g * ROWS * nb..(g + 1) * ROWS * nb];
        let xq = &x.quants[t * cols..(t + 1) * cols];
        let xs = &x.scales[t * nb..(t + 1) * nb];
        match self {
            Kernel::Scalar => group_scalar(wq, ws, xq, xs, out),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Avx2` is only chosen when AVX2 and FMA were detected at
            // run time; the slices are `ROWS * cols`, `ROWS * nb`, `cols`,
            // `nb` long, as `group_avx2` requires (checked there again).
            Kernel::Avx2 => unsafe { group_avx2(wq, ws, xq, xs, out) },
        }
    }
}

/// The eight lanes summed in the order the AVX2 kernel sums them.
#[inline]
fn lanes_sum(a: &[f32; 8]) -> f32 {
    ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]))
}

/// Portable kernel: same lanes, same rounding as [`group_avx2`].
fn group_scalar(wq: &[i8], ws: &[f32], xq: &[i8], xs: &[f32], out: &mut [f32; ROWS]) {
    let mut acc = [[0f32; 8]; ROWS];
    for (b, (xb, dx)) in xq.chunks_exact(BLOCK).zip(xs).enumerate() {
        for (i, acc) in acc.iter_mut().enumerate() {
            let at = b * ROWS + i;
            let wb = &wq[at * BLOCK..(at + 1) * BLOCK];
            let d = ws[at] * dx;
            for (k, a) in acc.iter_mut().enumerate() {
                let s: i32 = (4 * k..4 * k + 4)
                    .map(|j| i32::from(wb[j]) * i32::from(xb[j]))
                    .sum();
                *a = (s as f32).mul_add(d, *a);
            }
        }
    }
    for (o, a) in out.iter_mut().zip(&acc) {
        *o = lanes_sum(a);
    }
}

/// AVX2 kernel: one group of [`ROWS`] interleaved rows against one vector.
///
/// # Safety
///
/// The CPU must support AVX2 and FMA. The slices' lengths are checked
/// (`xq.len() == xs.len() * 32`, `wq.len() == ROWS * xq.len()`,
/// `ws.len() == ROWS * xs.len()`); the function panics otherwise.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn group_avx2(wq: &[i8], ws: &[f32], xq: &[i8], xs: &[f32], out: &mut [f32; ROWS]) {
    use std::arch::x86_64::*;
    let cols = xq.len();
    let nb = xs.len();
    assert_eq!(cols, nb * BLOCK, "activation blocks");
    assert_eq!(wq.len(), ROWS * cols, "weight quants");
    assert_eq!(ws.len(), ROWS * nb, "weight scales");

    #[inline(always)]
    fn hsum(v: __m256) -> f32 {
        // SAFETY: only inlined into `group_avx2`, which has AVX2 enabled.
        unsafe {
            let s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
            let s1 = _mm_add_ss(s2, _mm_movehdup_ps(s2));
            _mm_cvtss_f32(s1)
        }
    }

    let ones = _mm256_set1_epi16(1);
    let wp = wq.as_ptr();
    let xp = xq.as_ptr();
    let mut acc = [_mm256_setzero_ps(); ROWS];
    for b in 0..nb {
        // A hint only: prefetching past the end of `wq` is harmless.
        _mm_prefetch::<_MM_HINT_T0>(wp.wrapping_add((b + 4) * ROWS * BLOCK).cast());
        _mm_prefetch::<_MM_HINT_T0>(wp.wrapping_add((b + 4) * ROWS * BLOCK + 64).cast());
        // SAFETY: b < nb, so bytes b*32..b*32+32 lie inside `xq`.
        let x = unsafe { _mm256_loadu_si256(xp.add(b * BLOCK).cast()) };
        let dx = xs[b];
        for (i, a) in acc.iter_mut().enumerate() {
            // SAFETY: b < nb and i < ROWS, so the 32 bytes at
            // (b * ROWS + i) * 32 lie inside `wq` (length checked above).
            let w = unsafe { _mm256_loadu_si256(wp.add((b * ROWS + i) * BLOCK).cast()) };
            let aw = _mm256_abs_epi8(w);
            let sx = _mm256_sign_epi8(x, w);
            let p = _mm256_madd_epi16(_mm256_maddubs_epi16(aw, sx), ones);
            let d = _mm256_set1_ps(ws[b * ROWS + i] * dx);
            *a = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), d, *a);
        }
    }
    for (o, a) in out.iter_mut().zip(&acc) {
        *o = hsum(*a);
    }
}

/// `out[t * w.rows + r] = dot(w row r, x vector t)` with the activations
/// kept in f32 (`x` is `n * w.cols` long): slower than [`matmul`] but
/// without the activations' 8-bit rounding, for the products whose errors
/// the model amplifies (the attention projections).
///
/// # Panics
///
/// When the shapes disagree (a bug in the caller).
pub(crate) fn matmul_f32(w: &QMatrix, x: &[f32], out: &mut [f32], parallel: bool) {
    matmul_f32_with(Kernel::detect(), w, x, out, parallel);
}

fn matmul_f32_with(kernel: Kernel, w: &QMatrix, x: &[f32], out: &mut [f32], parallel: bool) {
    assert_eq!(x.len() % w.cols, 0, "activation length");
    let n = x.len() / w.cols;
    assert_eq!(out.len(), n * w.rows, "output length");
    let run = |first: usize, t: usize, out: &mut [f32]| {
        let mut tmp = [0f32; ROWS];
        let xt = &x[t * w.cols..(t + 1) * w.cols];
        for (k, o) in out.chunks_mut(ROWS).enumerate() {
            kernel.group_f32(w, first / ROWS + k, xt, &mut tmp);
            o.copy_from_slice(&tmp[..o.len()]);
        }
    };
    if n == 1 {
        if parallel && w.rows >= 256 {
            use rayon::prelude::*;
            const CHUNK: usize = 16 * ROWS;
            out.par_chunks_mut(CHUNK)
                .enumerate()
                .for_each(|(i, o)| run(i * CHUNK, 0, o));
        } else {
            run(0, 0, out);
        }
        return;
    }
    let mut tmp = [0f32; ROWS];
    for g in 0..w.rows.div_ceil(ROWS) {
        let first = g * ROWS;
        let take = ROWS.min(w.rows - first);
        for t in 0..n {
            kernel.group_f32(w, g, &x[t * w.cols..(t + 1) * w.cols], &mut tmp);
            out[t * w.rows + first..t * w.rows + first + take].copy_from_slice(&tmp[..take]);
        }
    }
}

impl Kernel {
    /// `out[i] = dot(w row g * ROWS + i, x)` with `x` in f32.
    fn group_f32(self, w: &QMatrix, g: usize, x: &[f32], out: &mut [f32; ROWS]) {
        let cols = w.cols;
        let nb = cols / BLOCK;
        let wq = &w.quants[g * ROWS * cols..(g + 1) * ROWS * cols];
        let ws = &w.scales[g * ROWS * nb..(g + 1) * ROWS * nb];
        match self {
            Kernel::Scalar => group_f32_scalar(wq, ws, x, out),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Avx2` is only chosen when AVX2 and FMA were detected at
            // run time; the slices are `ROWS * cols`, `ROWS * nb` and `cols`
            // long, as `group_f32_avx2` requires (checked there again).
            Kernel::Avx2 => unsafe { group_f32_avx2(wq, ws, x, out) },
        }
    }
}

/// Portable f32-activation kernel: same lanes, same rounding as
/// [`group_f32_avx2`].
fn group_f32_scalar(wq: &[i8], ws: &[f32], x: &[f32], out: &mut [f32; ROWS]) {
    let mut acc = [[0f32; 8]; ROWS];
    for (b, xb) in x.chunks_exact(BLOCK).enumerate() {
        for (i, acc) in acc.iter_mut().enumerate() {
            let at = b * ROWS + i;
            let wb = &wq[at * BLOCK..(at + 1) * BLOCK];
            let mut block = [0f32; 8];
            for k in 0..BLOCK / 8 {
                for (j, s) in block.iter_mut().enumerate() {
                    *s = f32::from(wb[8 * k + j]).mul_add(xb[8 * k + j], *s);
                }
            }
            for (a, s) in acc.iter_mut().zip(block) {
                *a = s.mul_add(ws[at], *a);
            }
        }
    }
    for (o, a) in out.iter_mut().zip(&acc) {
        *o = lanes_sum(a);
    }
}

/// AVX2 f32-activation kernel: one group of [`ROWS`] rows against `x`.
///
/// # Safety
///
/// The CPU must support AVX2 and FMA. The slices' lengths are checked
/// (`x.len()` a multiple of 32, `wq.len() == ROWS * x.len()`,
/// `ws.len() == ROWS * x.len() / 32`); the function panics otherwise.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn group_f32_avx2(wq: &[i8], ws: &[f32], x: &[f32], out: &mut [f32; ROWS]) {
    use std::arch::x86_64::*;
    let cols = x.len();
    let nb = cols / BLOCK;
    assert_eq!(cols, nb * BLOCK, "activation blocks");
    assert_eq!(wq.len(), ROWS * cols, "weight quants");
    assert_eq!(ws.len(), ROWS * nb, "weight scales");

    #[inline(always)]
    fn hsum(v: __m256) -> f32 {
        // SAFETY: only inlined into `group_f32_avx2`, which has AVX2 enabled.
        unsafe {
            let s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
            let s1 = _mm_add_ss(s2, _mm_movehdup_ps(s2));
            _mm_cvtss_f32(s1)
        }
    }

    let wp = wq.as_ptr();
    let xp = x.as_ptr();
    let mut acc = [_mm256_setzero_ps(); ROWS];
    for b in 0..nb {
        // SAFETY: b < nb, so the 32 floats at b * 32 lie inside `x`.
        let xv = unsafe {
            [
                _mm256_loadu_ps(xp.add(b * BLOCK)),
                _mm256_loadu_ps(xp.add(b * BLOCK + 8)),
                _mm256_loadu_ps(xp.add(b * BLOCK + 16)),
                _mm256_loadu_ps(xp.add(b * BLOCK + 24)),
            ]
        };
        for (i, a) in acc.iter_mut().enumerate() {
            let at = b * ROWS + i;
            let mut s = _mm256_setzero_ps();
            for (k, xk) in xv.iter().enumerate() {
                // SAFETY: at < ROWS * nb, so the 8 bytes at at * 32 + 8k
                // (k < 4) lie inside `wq` (length checked above).
                let w8 = unsafe { _mm_loadl_epi64(wp.add(at * BLOCK + 8 * k).cast()) };
                let wf = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(w8));
                s = _mm256_fmadd_ps(wf, *xk, s);
            }
            *a = _mm256_fmadd_ps(s, _mm256_set1_ps(ws[at]), *a);
        }
    }
    for (o, a) in out.iter_mut().zip(&acc) {
        *o = hsum(*a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 4.0
            })
            .collect()
    }

    /// Dequantise both sides and take the dot product in f64; also the sum
    /// of the terms' magnitudes (the scale of f32 rounding errors).
    fn reference(w: &QMatrix, x: &QVec, r: usize, t: usize) -> (f64, f64) {
        let mut row = vec![0f32; w.cols];
        w.dequantize_row(r, &mut row);
        let nb = w.cols / BLOCK;
        (0..w.cols)
            .map(|i| {
                let xv = f32::from(x.quants[t * w.cols + i]) * x.scales[t * nb + i / BLOCK];
                f64::from(row[i]) * f64::from(xv)
            })
            .fold((0.0, 0.0), |(s, m), v| (s + v, m + v.abs()))
    }

    #[test]
    fn kernels_agree_with_each_other_and_the_reference() {
        for &(rows, cols, n) in &[(7, 64, 1), (13, 576, 3), (64, 1536, 2), (5, 32, 4)] {
            let w = QMatrix::new(&QRows::quantize(&random(rows * cols, 1), rows, cols).unwrap());
            let mut x = QVec::new(cols);
            x.quantize(&random(n * cols, 2));
            assert_eq!(x.len(), n);
            let mut scalar = vec![0f32; n * rows];
            matmul_with(Kernel::Scalar, &w, &x, &mut scalar, false);
            let mut fast = vec![0f32; n * rows];
            matmul(&w, &x, &mut fast, false);
            let mut par = vec![0f32; n * rows];
            matmul(&w, &x, &mut par, true);
            assert_eq!(
                scalar, fast,
                "{rows}x{cols}x{n}: scalar and detected kernel"
            );
            assert_eq!(fast, par);
            // f32 activations: the dequantised activations, so the same
            // reference applies.
            let xf: Vec<f32> = (0..n * cols)
                .map(|i| f32::from(x.quants[i]) * x.scales[i / BLOCK])
                .collect();
            let mut f_scalar = vec![0f32; n * rows];
            matmul_f32_with(Kernel::Scalar, &w, &xf, &mut f_scalar, false);
            let mut f_fast = vec![0f32; n * rows];
            matmul_f32(&w, &xf, &mut f_fast, false);
            let mut f_par = vec![0f32; n * rows];
            matmul_f32(&w, &xf, &mut f_par, true);
            assert_eq!(
                f_scalar, f_fast,
                "{rows}x{cols}x{n}: f32 scalar and detected kernel"
            );
            assert_eq!(f_fast, f_par);
            for t in 0..n {
                for r in 0..rows {
                    let (want, magnitude) = reference(&w, &x, r, t);
                    let got = f64::from(fast[t * rows + r]);
                    assert!(
                        (got - want).abs() <= 1e-6 * magnitude,
                        "{rows}x{cols} row {r} vector {t}: {got} vs {want}"
                    );
                    let got = f64::from(f_fast[t * rows + r]);
                    assert!(
                        (got - want).abs() <= 1e-6 * magnitude,
                        "f32 {rows}x{cols} row {r} vector {t}: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_integer_part_is_exact() {
        // Scales of 1: the result is the integer dot product itself.
        let (rows, cols) = (9, 96);
        let mut bytes = Vec::new();
        let mut s = 7u32;
        let mut wq = Vec::new();
        for _ in 0..rows * cols / BLOCK {
            bytes.extend_from_slice(&f16::from_f32(1.0).to_le_bytes());
            for _ in 0..BLOCK {
                s = s.wrapping_mul(1103515245).wrapping_add(12345);
                let q = ((s >> 16) % 255) as i32 - 127;
                wq.push(q);
                bytes.push(q as i8 as u8);
            }
        }
        let w = QMatrix::new(&QRows::from_q8_0(&bytes, rows, cols).unwrap());
        // 127 opens every block, so every scale is 1.
        let xv: Vec<f32> = (0..cols)
            .map(|i| {
                if i % BLOCK == 0 {
                    127.0
                } else {
                    (i * 37 % 255) as f32 - 127.0
                }
            })
            .collect();
        let mut x = QVec::new(cols);
        x.quantize(&xv);
        // amax is 127 in every block, so scale 1 and quants equal the values.
        assert!(x.scales.iter().all(|&d| d == 1.0));
        let mut out = vec![0f32; rows];
        matmul(&w, &x, &mut out, false);
        for r in 0..rows {
            let want: i32 = (0..cols).map(|i| wq[r * cols + i] * xv[i] as i32).sum();
            assert_eq!(out[r], want as f32);
        }
    }

    #[test]
    fn extreme_weights_are_handled() {
        // -128 weights (legal in Q8_0) against ±127 activations.
        let (rows, cols) = (4, 32);
        let mut bytes = Vec::new();
        for _ in 0..rows {
            bytes.extend_from_slice(&f16::from_f32(1.0).to_le_bytes());
            bytes.extend(std::iter::repeat_n(0x80u8, BLOCK));
        }
        let w = QMatrix::new(&QRows::from_q8_0(&bytes, rows, cols).unwrap());
        let mut x = QVec::new(cols);
        x.quantize(&[-127.0; 32]);
        let mut out = vec![0f32; rows];
        matmul(&w, &x, &mut out, false);
        assert!(out.iter().all(|&o| o == (128 * 127 * 32) as f32), "{out:?}");
    }
}
