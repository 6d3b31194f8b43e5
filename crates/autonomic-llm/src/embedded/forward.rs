//! The native llama forward pass: the same maths as candle's
//! `quantized_llama` (RMSNorm, rotary embeddings on interleaved pairs as
//! GGUF llama weights expect, grouped-query causal attention with an f32
//! softmax, SwiGLU, tied or separate output projection), over Q8_0 weights
//! with this crate's own kernels ([`super::q8`]).
//!
//! Differences from candle that matter for speed: the KV cache is
//! allocated once for the whole window (untouched pages cost no memory) and
//! written in place; q/k/v and gate/up are each one stacked matrix read in
//! one pass; a prompt is evaluated as a batch, every weight row read once
//! for all its tokens; only the last position's logits are computed.

use super::q8::{matmul, matmul_f32, QMatrix, QVec};

/// The shape of a llama model.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    pub layers: usize,
    pub dim: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub ffn: usize,
    pub vocab: usize,
    pub eps: f32,
    pub rope_base: f32,
    pub rope_dim: usize,
    /// Positions the KV cache holds.
    pub window: usize,
}

impl Config {
    fn head_dim(&self) -> usize {
        self.dim / self.heads
    }
    fn kv_dim(&self) -> usize {
        self.kv_heads * self.head_dim()
    }
}

/// One transformer block's weights.
#[derive(Debug)]
pub(crate) struct Layer {
    pub attn_norm: Vec<f32>,
    /// q, k and v stacked: `dim + 2 * kv_dim` rows.
    pub qkv: QMatrix,
    pub wo: QMatrix,
    pub ffn_norm: Vec<f32>,
    /// gate and up stacked: `2 * ffn` rows.
    pub gate_up: QMatrix,
    pub down: QMatrix,
}

/// The weights, the KV cache and scratch buffers.
#[derive(Debug)]
pub(crate) struct Llama {
    cfg: Config,
    embd: QMatrix,
    layers: Vec<Layer>,
    norm: Vec<f32>,
    /// `None`: tied to `embd`.
    output: Option<QMatrix>,
    /// `window * rope_dim / 2` each.
    cos: Vec<f32>,
    sin: Vec<f32>,
    /// `layers * window * kv_dim` each; position `p` of layer `l` at
    /// `(l * window + p) * kv_dim`.
    k_cache: Vec<f32>,
    v_cache: Vec<f32>,
    /// Positions filled.
    filled: usize,
}

/// Why a forward pass cannot run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ForwardError {
    #[error(
        "positions {from}..{to} do not follow the {filled} cached, or pass the window of {window}"
    )]
    Position {
        from: usize,
        to: usize,
        filled: usize,
        window: usize,
    },
    #[error("token {token} is outside the vocabulary of {vocab}")]
    Token { token: u32, vocab: usize },
}

impl Llama {
    /// Checks the shapes and allocates the cache.
    pub(crate) fn new(
        cfg: Config,
        embd: QMatrix,
        layers: Vec<Layer>,
        norm: Vec<f32>,
        output: Option<QMatrix>,
    ) -> Result<Llama, String> {
        let hd = cfg.head_dim();
        let kv = cfg.kv_dim();
        let check = |ok: bool, what: &str| if ok { Ok(()) } else { Err(what.to_owned()) };
        check(
            cfg.heads > 0 && cfg.kv_heads > 0 && cfg.dim.is_multiple_of(cfg.heads),
            "heads do not divide the embedding",
        )?;
        check(
            cfg.heads.is_multiple_of(cfg.kv_heads),
            "kv heads do not divide heads",
        )?;
        check(
            cfg.rope_dim.is_multiple_of(2) && cfg.rope_dim <= hd,
            "rope dimension larger than a head",
        )?;
        check(
            embd.rows == cfg.vocab && embd.cols == cfg.dim,
            "token_embd shape",
        )?;
        check(norm.len() == cfg.dim, "output_norm length")?;
        if let Some(o) = &output {
            check(o.rows == cfg.vocab && o.cols == cfg.dim, "output shape")?;
        }
        check(layers.len() == cfg.layers, "layer count")?;
        for l in &layers {
            check(l.attn_norm.len() == cfg.dim, "attn_norm length")?;
            check(l.ffn_norm.len() == cfg.dim, "ffn_norm length")?;
            check(
                l.qkv.rows == cfg.dim + 2 * kv && l.qkv.cols == cfg.dim,
                "attn_q/k/v shapes",
            )?;
            check(
                l.wo.rows == cfg.dim && l.wo.cols == cfg.dim,
                "attn_output shape",
            )?;
            check(
                l.gate_up.rows == 2 * cfg.ffn && l.gate_up.cols == cfg.dim,
                "ffn_gate/up shapes",
            )?;
            check(
                l.down.rows == cfg.dim && l.down.cols == cfg.ffn,
                "ffn_down shape",
            )?;
        }
        // Rotary tables as candle computes them (f32 throughout).
        let half = cfg.rope_dim / 2;
        let theta: Vec<f32> = (0..cfg.rope_dim)
            .step_by(2)
            .map(|i| 1f32 / cfg.rope_base.powf(i as f32 / cfg.rope_dim as f32))
            .collect();
        let mut cos = Vec::with_capacity(cfg.window * half);
        let mut sin = Vec::with_capacity(cfg.window * half);
        for p in 0..cfg.window {
            for &t in &theta {
                let a = p as f32 * t;
                cos.push(a.cos());
                sin.push(a.sin());
            }
        }
        // Zeroed allocations: pages are only touched as positions fill.
        let cache = cfg.layers * cfg.window * kv;
        Ok(Llama {
            cfg,
            embd,
            layers,
            norm,
            output,
            cos,
            sin,
            k_cache: vec![0.0; cache],
            v_cache: vec![0.0; cache],
            filled: 0,
        })
    }

    /// Forgets the cached positions.
    pub(crate) fn clear(&mut self) {
        self.filled = 0;
    }

    /// Runs `tokens` at positions `pos..pos + tokens.len()` (`pos` must be
    /// the number of positions already cached) and returns the logits of
    /// the last one.
    pub(crate) fn forward(&mut self, tokens: &[u32], pos: usize) -> Result<Vec<f32>, ForwardError> {
        let cfg = self.cfg;
        let n = tokens.len();
        if n == 0 || pos > self.filled || pos + n > cfg.window {
            return Err(ForwardError::Position {
                from: pos,
                to: pos + n,
                filled: self.filled,
                window: cfg.window,
            });
        }
        if let Some(&token) = tokens.iter().find(|&&t| t as usize >= cfg.vocab) {
            return Err(ForwardError::Token {
                token,
                vocab: cfg.vocab,
            });
        }
        // Rewinding (pos < filled) overwrites the later positions.
        self.filled = pos;
        let parallel = rayon::current_num_threads() > 1;
        let (dim, kv, hd, ffn) = (cfg.dim, cfg.kv_dim(), cfg.head_dim(), cfg.ffn);
        let qkv_rows = dim + 2 * kv;

        let mut x = vec![0f32; n * dim];
        for (row, &t) in x.chunks_exact_mut(dim).zip(tokens) {
            self.embd.dequantize_row(t as usize, row);
        }
        let mut h = vec![0f32; n * dim];
        let mut qx = QVec::new(dim);
        let mut qf = QVec::new(ffn);
        let mut qkv = vec![0f32; n * qkv_rows];
        let mut att = vec![0f32; n * dim];
        let mut o = vec![0f32; n * dim];
        let mut gu = vec![0f32; n * 2 * ffn];
        let mut act = vec![0f32; n * ffn];
        let mut scores = vec![0f32; pos + n];

        for (l, layer) in self.layers.iter().enumerate() {
            rms_norm(&x, &layer.attn_norm, cfg.eps, &mut h);
            // Unquantised activations here: errors in q and k are
            // amplified by the softmax (measured: with 8-bit activations
            // the greedy answer to "Which city is the capital of France?"
            // leaves the f32 reference's at its first token).
            matmul_f32(&layer.qkv, &h, &mut qkv, parallel);
            let base = l * cfg.window;
            for (t, row) in qkv.chunks_exact_mut(qkv_rows).enumerate() {
                let p = pos + t;
                let (q, rest) = row.split_at_mut(dim);
                let (k, v) = rest.split_at_mut(kv);
                let half = cfg.rope_dim / 2;
                let cos = &self.cos[p * half..(p + 1) * half];
                let sin = &self.sin[p * half..(p + 1) * half];
                for head in q.chunks_exact_mut(hd).chain(k.chunks_exact_mut(hd)) {
                    rope_interleaved(&mut head[..cfg.rope_dim], cos, sin);
                }
                let at = (base + p) * kv;
                self.k_cache[at..at + kv].copy_from_slice(k);
                self.v_cache[at..at + kv].copy_from_slice(v);
            }
            let layer_k = &self.k_cache[base * kv..(base + pos + n) * kv];
            let layer_v = &self.v_cache[base * kv..(base + pos + n) * kv];
            let group = cfg.heads / cfg.kv_heads;
            let scale = 1.0 / (hd as f32).sqrt();
            for t in 0..n {
                let seen = pos + t + 1;
                let q = &qkv[t * qkv_rows..t * qkv_rows + dim];
                for head in 0..cfg.heads {
                    let g = head / group;
                    let qh = &q[head * hd..(head + 1) * hd];
                    let s = &mut scores[..seen];
                    for (j, sj) in s.iter_mut().enumerate() {
                        let kj = &layer_k[j * kv + g * hd..j * kv + (g + 1) * hd];
                        *sj = dot(qh, kj) * scale;
                    }
                    softmax(s);
                    let out = &mut att[t * dim + head * hd..t * dim + (head + 1) * hd];
                    out.fill(0.0);
                    for (j, &a) in s.iter().enumerate() {
                        let vj = &layer_v[j * kv + g * hd..j * kv + (g + 1) * hd];
                        for (o, &v) in out.iter_mut().zip(vj) {
                            *o += a * v;
                        }
                    }
                }
            }
            qx.quantize(&att);
            matmul(&layer.wo, &qx, &mut o, parallel);
            add(&mut x, &o);

            rms_norm(&x, &layer.ffn_norm, cfg.eps, &mut h);
            qx.quantize(&h);
            matmul(&layer.gate_up, &qx, &mut gu, parallel);
            for (a, g) in act.chunks_exact_mut(ffn).zip(gu.chunks_exact(2 * ffn)) {
                let (gate, up) = g.split_at(ffn);
                for ((a, &g), &u) in a.iter_mut().zip(gate).zip(up) {
                    *a = g / (1.0 + (-g).exp()) * u;
                }
            }
            qf.quantize(&act);
            matmul(&layer.down, &qf, &mut o, parallel);
            add(&mut x, &o);
        }
        self.filled = pos + n;

        let last = &x[(n - 1) * dim..];
        let mut normed = vec![0f32; dim];
        rms_norm(last, &self.norm, cfg.eps, &mut normed);
        let out = self.output.as_ref().unwrap_or(&self.embd);
        let mut logits = vec![0f32; cfg.vocab];
        // Unquantised activations: the logits' errors decide near-ties.
        matmul_f32(out, &normed, &mut logits, parallel);
        Ok(logits)
    }
}

/// Row by row: `x / sqrt(mean(x²) + eps) * w`.
fn rms_norm(x: &[f32], w: &[f32], eps: f32, out: &mut [f32]) {
    let dim = w.len();
    for (row, o) in x.chunks_exact(dim).zip(out.chunks_exact_mut(dim)) {
        let sum2: f32 = row.iter().map(|v| v * v).sum();
        let m = (sum2 / dim as f32 + eps).sqrt();
        for ((o, &v), &w) in o.iter_mut().zip(row).zip(w) {
            *o = v / m * w;
        }
    }
}

/// Rotates pairs `(x[2i], x[2i+1])` by the angles whose cosines and sines
/// are `cos[i]`, `sin[i]` (GGUF llama's "interleaved" layout).
fn rope_interleaved(x: &mut [f32], cos: &[f32], sin: &[f32]) {
    for ((pair, &c), &s) in x.chunks_exact_mut(2).zip(cos).zip(sin) {
        let (a, b) = (pair[0], pair[1]);
        pair[0] = a * c - b * s;
        pair[1] = a * s + b * c;
    }
}

/// In place, in f32, stable against overflow.
fn softmax(s: &mut [f32]) {
    let max = s.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let mut sum = 0f32;
    for v in s.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in s.iter_mut() {
        *v /= sum;
    }
}

/// f32 dot product with eight independent accumulators.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ac, ar) = a.split_at(a.len() / 8 * 8);
    let (bc, br) = b.split_at(ac.len().min(b.len()));
    for (x, y) in ac.chunks_exact(8).zip(bc.chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f32 = ar.iter().zip(br).map(|(x, y)| x * y).sum();
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

fn add(x: &mut [f32], y: &[f32]) {
    for (x, &y) in x.iter_mut().zip(y) {
        *x += y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rope_rotates_pairs() {
        let mut x = [1.0, 0.0, 0.0, 2.0];
        let (c, s) = (0.0f32, 1.0f32);
        rope_interleaved(&mut x, &[c, 1.0], &[s, 0.0]);
        assert_eq!(x, [0.0, 1.0, 0.0, 2.0]);
    }

    #[test]
    fn softmax_sums_to_one() {
        let mut s = [1.0, 2.0, 3.0, 1000.0];
        softmax(&mut s);
        assert!((s.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(s[3] > 0.99);
    }

    #[test]
    fn dot_matches_naive() {
        let a: Vec<f32> = (0..67).map(|i| i as f32 * 0.1).collect();
        let b: Vec<f32> = (0..67).map(|i| 1.0 - i as f32 * 0.01).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-3);
    }
}
