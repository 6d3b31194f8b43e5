#!/usr/bin/env python3
"""Reference embeddings for all-MiniLM-L6-v2, computed independently in numpy.

Usage:  python3 scripts/minilm-reference.py /path/to/all-MiniLM-L6-v2 > minilm_reference.json

Needs only: numpy, safetensors, tokenizers (no torch, no sentence-transformers).
The BERT forward pass is written out by hand below and evaluated in float64, so
the result is a high-precision target for the Rust (float32) implementation.

Pipeline reproduced (sentence-transformers, modules.json):
  0. Transformer: tokenizer.json WordPiece, [CLS] ... [SEP], truncation at
     max_seq_length from sentence_bert_config.json (256, *not* the 128 that
     tokenizer.json itself carries), no padding; then BertModel forward.
  1. Pooling: mean over token vectors weighted by the attention mask.
  2. Normalize: L2 normalisation.
"""
import json
import math
import os
import sys

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

SENTENCES = [
    "Melanie: Luna and Oliver!",
    "What are Melanie's pets' names?",
    "The web project's tests run with `npm test -- --runInBand`.",
    "cargo build --release failed: linker `cc` not found",
    "Café au lait, naïve résumé — ÉCOLE 東京 日本語 🙂",
    "",
    "   leading and trailing spaces   ",
    "The quick brown fox jumps over the lazy dog.",
    " ".join(["token"] * 300),  # longer than 256 tokens: exercises truncation
]
COSINE_PAIRS = [(0, 1), (0, 7), (2, 3), (1, 7)]

# Vectorised exact (erf-based) GELU; math.erf is exact to double precision.
_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x):
    """GELU(x) = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2))) — not the tanh approximation."""
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def layer_norm(x, gamma, beta, eps):
    """LayerNorm over the last axis, biased variance (as in torch.nn.LayerNorm)."""
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


class Bert:
    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            self.cfg = json.load(f)
        raw = load_file(os.path.join(model_dir, "model.safetensors"))
        # Promote every float tensor to float64 once; drop the "bert." prefix if present.
        self.w = {k.removeprefix("bert."): v.astype(np.float64)
                  for k, v in raw.items() if v.dtype.kind == "f"}
        self.eps = self.cfg["layer_norm_eps"]
        self.heads = self.cfg["num_attention_heads"]

    def linear(self, x, name):
        """torch.nn.Linear: weight is stored [out, in], so y = x @ W.T + b."""
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def ln(self, x, name):
        return layer_norm(x, self.w[name + ".weight"], self.w[name + ".bias"], self.eps)

    def forward(self, ids, mask):
        """ids, mask: int arrays of shape [T] (one sequence). Returns hidden states [T, H]."""
        w, T = self.w, len(ids)
        # Embeddings: word + absolute position (0..T-1) + token type 0, then LayerNorm.
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:T]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self.ln(x, "embeddings.LayerNorm")
        H = x.shape[1]
        nh, hd = self.heads, H // self.heads
        # Additive attention mask over keys: 0 for real tokens, large negative for padding.
        add_mask = (1.0 - mask.astype(np.float64))[None, None, :] * -1e9
        for i in range(self.cfg["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            # Project and split into heads: [T, H] -> [nh, T, hd].
            def split(t):
                return t.reshape(T, nh, hd).transpose(1, 0, 2)
            q = split(self.linear(x, p + "attention.self.query"))
            k = split(self.linear(x, p + "attention.self.key"))
            v = split(self.linear(x, p + "attention.self.value"))
            # Scaled dot-product attention with a numerically stable softmax.
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(hd) + add_mask  # [nh, T, T]
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            ctx = (probs @ v).transpose(1, 0, 2).reshape(T, H)  # merge heads
            # Attention output projection + residual + LayerNorm (post-LN BERT).
            x = self.ln(self.linear(ctx, p + "attention.output.dense") + x,
                        p + "attention.output.LayerNorm")
            # Feed-forward: dense -> GELU -> dense, + residual + LayerNorm.
            h = gelu(self.linear(x, p + "intermediate.dense"))
            x = self.ln(self.linear(h, p + "output.dense") + x, p + "output.LayerNorm")
        return x  # the pooler (CLS dense+tanh) is not used by sentence-transformers


def embed(model, ids):
    ids = np.asarray(ids, dtype=np.int64)
    mask = np.ones_like(ids)  # no padding, so every token is attended and pooled
    hidden = model.forward(ids, mask)
    m = mask.astype(np.float64)[:, None]
    pooled = (hidden * m).sum(axis=0) / max(m.sum(), 1e-9)  # masked mean pooling
    return pooled / max(np.linalg.norm(pooled), 1e-12)  # L2 normalise


def sig7(x):
    """Round to 7 significant digits (float32 has ~7.2)."""
    return float(f"{x:.7g}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: minilm-reference.py MODEL_DIR")
    model_dir = sys.argv[1]
    with open(os.path.join(model_dir, "sentence_bert_config.json")) as f:
        max_len = json.load(f)["max_seq_length"]
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.enable_truncation(max_length=max_len)  # overrides the 128 in tokenizer.json
    tok.no_padding()  # tokenizer.json ships with fixed padding to 128; turn it off
    model = Bert(model_dir)

    cases, embs = [], []
    for text in SENTENCES:
        ids = tok.encode(text).ids  # add_special_tokens=True -> [CLS] ... [SEP]
        e = embed(model, ids)
        embs.append(e)
        cases.append({"text": text, "ids": ids, "embedding": [sig7(v) for v in e]})
    cosine = [[i, j, sig7(float(embs[i] @ embs[j]))] for i, j in COSINE_PAIRS]
    # Valid JSON, laid out with one case per line so diffs stay readable.
    dump = lambda o: json.dumps(o, ensure_ascii=False)
    w = sys.stdout.write
    w('{"model": "all-MiniLM-L6-v2", "max_seq_length": %d,\n "cases": [\n' % max_len)
    w(",\n".join("  " + dump(c) for c in cases))
    w('\n ],\n "cosine": %s\n}\n' % dump(cosine))


if __name__ == "__main__":
    main()
