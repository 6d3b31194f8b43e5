//! Reading a GGUF file into candle's quantized llama, re-quantising the
//! weights candle has no fast kernel for.
//!
//! # Why re-quantise to Q8_0 at load
//!
//! candle 0.11 has AVX2 dot-product kernels for Q4_0, Q8_0 and the k-quants,
//! but Q4_1 (what the default SmolLM2-135M file ships) falls back to scalar
//! code: about 15 tokens/s on one core here. Q8_0 from Q4_1 is lossless in
//! practice (every Q4_1 block holds 16 evenly spaced values; Q8_0 spends 255
//! steps on the same range) and runs on the AVX2 path. Q4_0 would halve the
//! bytes read per token but re-rounds every value (it has no offset), which
//! changes greedy output; the k-quants and the AVX512-VNNI repacked path
//! need rows that are multiples of 256 values, and this model's are 576. So
//! Q4_1, Q5_0 and Q5_1 tensors become Q8_0 (Q4_1 block by block, bit for
//! bit what candle's dequantise-then-quantise gives); everything else is
//! used as stored.
//!
//! Measured on SmolLM2-135M-Instruct Q4_1, one thread, this 2-core machine
//! while other builds ran (`examples/embedded_bench.rs`, release): as stored,
//! 17 prompt tok/s and 14 generated tok/s, load 0.36 s, peak RSS 239 MB;
//! re-quantised, 98 prompt tok/s and 26 generated tok/s wall-clock (at 81%
//! of a core), load 0.79 s, peak RSS 312 MB.
//!
//! The converted bytes are handed to candle's own `ModelWeights::from_gguf`
//! through [`Converted`], a reader over per-tensor buffers that frees each
//! buffer once candle has copied it, so peak memory stays near one copy of
//! the weights.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use candle_core::quantized::gguf_file::{Content, TensorInfo};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_llama::ModelWeights;

use super::forward::{Config, Layer, Llama};
use super::q8::{QMatrix, QRows};
use super::EmbeddedError;

/// Architectures candle's quantized llama runs.
const ARCHITECTURES: &[&str] = &["llama"];

/// Weight types re-quantised to Q8_0 (no SIMD kernel in candle 0.11).
const SLOW_TYPES: &[GgmlDType] = &[GgmlDType::Q4_1, GgmlDType::Q5_0, GgmlDType::Q5_1];

/// Reads the GGUF header and metadata of `path`, checking the file is whole
/// and its architecture is one we run.
pub(crate) fn read_header(path: &Path) -> Result<(Content, fs_err::File), EmbeddedError> {
    if !path.exists() {
        return Err(EmbeddedError::Missing {
            path: path.to_owned(),
        });
    }
    let io = |source| EmbeddedError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = fs_err::File::open(path).map_err(io)?;
    let actual = file.metadata().map_err(io)?.len();
    let content = {
        let mut reader = std::io::BufReader::new(&mut file);
        read_content(&mut reader).map_err(|e| not_gguf_or_truncated(path, actual, &e))?
    };
    let architecture = content
        .metadata
        .get("general.architecture")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_else(|| "(none)".to_owned());
    if !ARCHITECTURES.contains(&architecture.as_str()) {
        return Err(EmbeddedError::Architecture {
            path: path.to_owned(),
            architecture,
        });
    }
    // A hostile header's offsets and shapes can overflow: such a tensor
    // cannot fit in any file.
    let needed = content
        .tensor_infos
        .values()
        .map(|info| {
            checked_byte_len(info)
                .and_then(|len| {
                    content
                        .tensor_data_offset
                        .checked_add(info.offset)?
                        .checked_add(len)
                })
                .unwrap_or(u64::MAX)
        })
        .max()
        .unwrap_or(content.tensor_data_offset);
    if needed > actual {
        return Err(EmbeddedError::Truncated {
            path: path.to_owned(),
            needed,
            actual,
        });
    }
    Ok((content, file))
}

/// candle's GGUF header reader, with a panic inside it (a hostile header
/// reaches a few: `general.alignment = 0` divides by zero) turned into an
/// error.
pub(crate) fn read_content<R: Read + Seek>(reader: &mut R) -> candle_core::Result<Content> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Content::read(reader))).unwrap_or_else(
        |panic| {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "the header reader panicked".to_owned());
            Err(candle_core::Error::Msg(format!(
                "the GGUF header is malformed ({reason})"
            )))
        },
    )
}

/// Bytes of a tensor's data, `None` when its shape overflows.
fn checked_byte_len(info: &TensorInfo) -> Option<u64> {
    let elements = info
        .shape
        .dims()
        .iter()
        .try_fold(1u64, |n, &d| n.checked_mul(d as u64))?;
    let blocks = elements / (info.ggml_dtype.block_size() as u64).max(1);
    blocks.checked_mul(info.ggml_dtype.type_size() as u64)
}

/// A header that does not parse: truncated when it reads past the end,
/// otherwise not GGUF.
fn not_gguf_or_truncated(path: &Path, actual: u64, error: &candle_core::Error) -> EmbeddedError {
    let reason = error.to_string();
    let eof = matches!(error, candle_core::Error::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof)
        || reason.contains("remaining")
        || reason.contains("exceeds");
    if eof && actual >= 8 && !reason.contains("magic") {
        EmbeddedError::NotGguf {
            path: path.to_owned(),
            reason: format!("the file ends inside its header, it is probably truncated ({reason})"),
        }
    } else {
        EmbeddedError::NotGguf {
            path: path.to_owned(),
            reason,
        }
    }
}

fn byte_len(info: &TensorInfo) -> usize {
    info.shape.elem_count() / info.ggml_dtype.block_size() * info.ggml_dtype.type_size()
}

/// Builds the model from an opened file; with `requantise`, Q4_1/Q5_x
/// weights become Q8_0 first.
pub(crate) fn build_model(
    path: &Path,
    content: Content,
    file: &mut fs_err::File,
    requantise: bool,
) -> Result<ModelWeights, EmbeddedError> {
    let load = |source| EmbeddedError::Load {
        path: path.to_owned(),
        source,
    };
    let device = Device::Cpu;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    if !requantise {
        return ModelWeights::from_gguf(content, &mut reader, &device).map_err(load);
    }
    let (content, mut converted) = convert(content, &mut reader, &device).map_err(load)?;
    ModelWeights::from_gguf(content, &mut converted, &device).map_err(load)
}

/// Builds the native forward pass ([`super::forward`]) from an opened file:
/// Q4_1/Q5_x weights become Q8_0 as for candle, Q8_0 is used as stored,
/// other matrix types are dequantised and quantised to Q8_0; norms are f32.
/// The KV cache holds `window` positions.
pub(crate) fn build_native(
    path: &Path,
    content: Content,
    file: &mut fs_err::File,
    window: usize,
) -> Result<Llama, EmbeddedError> {
    let load = |source| EmbeddedError::Load {
        path: path.to_owned(),
        source,
    };
    let device = Device::Cpu;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let (content, mut converted) = convert(content, &mut reader, &device).map_err(load)?;
    native_from(&content, &mut converted, window).map_err(load)
}

fn native_from(
    content: &Content,
    reader: &mut Converted,
    window: usize,
) -> candle_core::Result<Llama> {
    let device = Device::Cpu;
    let md = |key: &str| {
        content
            .metadata
            .get(key)
            .ok_or_else(|| candle_core::Error::Msg(format!("no `{key}` in the model file")))
    };
    let count = |key: &str| -> candle_core::Result<usize> { Ok(md(key)?.to_u32()? as usize) };
    let mut matrix = |name: &str| -> candle_core::Result<QRows> {
        let tensor = content.tensor(reader, name, &device)?;
        let (rows, cols) = tensor.shape().dims2()?;
        let bad = || candle_core::Error::Msg(format!("tensor `{name}` has an unusable shape"));
        if tensor.dtype() == GgmlDType::Q8_0 {
            let data = tensor.data()?;
            QRows::from_q8_0(&data, rows, cols).ok_or_else(bad)
        } else {
            let dense = tensor
                .dequantize(&device)?
                .flatten_all()?
                .to_vec1::<f32>()?;
            QRows::quantize(&dense, rows, cols).ok_or_else(bad)
        }
    };
    let embd = QMatrix::new(&matrix("token_embd.weight")?);
    let output = if content.tensor_infos.contains_key("output.weight") {
        Some(QMatrix::new(&matrix("output.weight")?))
    } else {
        None
    };
    let layers = count("llama.block_count")?;
    let mut blocks = Vec::with_capacity(layers);
    for i in 0..layers {
        let mut m = |what: &str| matrix(&format!("blk.{i}.{what}.weight"));
        let (q, k, v, wo) = (m("attn_q")?, m("attn_k")?, m("attn_v")?, m("attn_output")?);
        let (gate, up, down) = (m("ffn_gate")?, m("ffn_up")?, m("ffn_down")?);
        let stacked = |parts| {
            QRows::stack(parts)
                .map(|m| QMatrix::new(&m))
                .ok_or_else(|| {
                    candle_core::Error::Msg(format!(
                        "layer {i}: stacked weights of different widths"
                    ))
                })
        };
        blocks.push(Layer {
            attn_norm: Vec::new(),
            qkv: stacked(vec![q, k, v])?,
            wo: QMatrix::new(&wo),
            ffn_norm: Vec::new(),
            gate_up: stacked(vec![gate, up])?,
            down: QMatrix::new(&down),
        });
    }
    let mut vector = |name: &str| -> candle_core::Result<Vec<f32>> {
        content
            .tensor(reader, name, &device)?
            .dequantize(&device)?
            .flatten_all()?
            .to_vec1::<f32>()
    };
    for (i, block) in blocks.iter_mut().enumerate() {
        block.attn_norm = vector(&format!("blk.{i}.attn_norm.weight"))?;
        block.ffn_norm = vector(&format!("blk.{i}.ffn_norm.weight"))?;
    }
    let norm = vector("output_norm.weight")?;
    let dim = count("llama.embedding_length")?;
    let heads = count("llama.attention.head_count")?;
    let cfg = Config {
        layers,
        dim,
        heads,
        kv_heads: count("llama.attention.head_count_kv").unwrap_or(heads),
        ffn: blocks.first().map_or(0, |b| b.down.cols),
        vocab: embd.rows,
        eps: md("llama.attention.layer_norm_rms_epsilon")?.to_f32()?,
        rope_base: md("llama.rope.freq_base")
            .and_then(|v| v.to_f32())
            .unwrap_or(10_000.0),
        rope_dim: count("llama.rope.dimension_count").unwrap_or(dim / heads.max(1)),
        window,
    };
    Llama::new(cfg, embd, blocks, norm, output).map_err(candle_core::Error::Msg)
}

/// Reads every tensor, re-quantising the slow types to Q8_0, into a
/// [`Converted`] source and a header describing it.
fn convert<R: Read + Seek>(
    mut content: Content,
    reader: &mut R,
    device: &Device,
) -> candle_core::Result<(Content, Converted)> {
    // In file order, so the reader streams forwards.
    let mut names: Vec<String> = content.tensor_infos.keys().cloned().collect();
    names.sort_by_key(|name| content.tensor_infos.get(name).map_or(0, |i| i.offset));
    let mut chunks = Vec::with_capacity(names.len());
    let mut infos = HashMap::with_capacity(names.len());
    let mut offset = 0u64;
    let mut converted_count = 0usize;
    for name in names {
        let Some(info) = content.tensor_infos.get(&name) else {
            continue;
        };
        let (dtype, bytes) = if info.ggml_dtype == GgmlDType::Q4_1 {
            // Block by block, without a dense f32 copy (the common case).
            let mut raw = vec![0u8; byte_len(info)];
            reader.seek(SeekFrom::Start(content.tensor_data_offset + info.offset))?;
            reader.read_exact(&mut raw)?;
            converted_count += 1;
            (GgmlDType::Q8_0, q4_1_to_q8_0(&raw))
        } else if SLOW_TYPES.contains(&info.ggml_dtype)
            && info.shape.dims().last().is_some_and(|d| d % 32 == 0)
        {
            let tensor: QTensor = info.read(reader, content.tensor_data_offset, device)?;
            let dense: Tensor = tensor.dequantize(device)?;
            drop(tensor);
            let q8 = QTensor::quantize(&dense, GgmlDType::Q8_0)?;
            converted_count += 1;
            (GgmlDType::Q8_0, q8.data()?.into_owned())
        } else {
            let mut bytes = vec![0u8; byte_len(info)];
            reader.seek(SeekFrom::Start(content.tensor_data_offset + info.offset))?;
            reader.read_exact(&mut bytes)?;
            (info.ggml_dtype, bytes)
        };
        let len = bytes.len() as u64;
        infos.insert(
            name,
            TensorInfo {
                ggml_dtype: dtype,
                shape: info.shape.clone(),
                offset,
            },
        );
        chunks.push(Chunk {
            start: offset,
            len,
            bytes,
        });
        offset += len;
    }
    tracing::debug!(
        tensors = infos.len(),
        converted = converted_count,
        bytes = offset,
        "re-quantised the slow weight types to Q8_0"
    );
    content.tensor_infos = infos;
    content.tensor_data_offset = 0;
    Ok((
        content,
        Converted {
            chunks,
            len: offset,
            pos: 0,
        },
    ))
}

/// Bytes of a Q4_1 block: f16 scale, f16 minimum, 16 bytes of nibbles.
const Q4_1_BLOCK: usize = 20;
/// Bytes of a Q8_0 block: f16 scale, 32 signed bytes.
const Q8_0_BLOCK: usize = 34;

/// Re-quantises Q4_1 blocks (32 values `d * q + m`, `q` in 0..16, low
/// nibbles first) to Q8_0 exactly as candle's `BlockQ8_0::from_float` would
/// quantise the dequantised values. A trailing partial block (never in a
/// valid tensor) is dropped.
pub(crate) fn q4_1_to_q8_0(src: &[u8]) -> Vec<u8> {
    use half::f16;
    let mut out = Vec::with_capacity(src.len() / Q4_1_BLOCK * Q8_0_BLOCK);
    for block in src.chunks_exact(Q4_1_BLOCK) {
        let d = f16::from_le_bytes([block[0], block[1]]).to_f32();
        let m = f16::from_le_bytes([block[2], block[3]]).to_f32();
        let mut values = [0f32; 32];
        for (j, &byte) in block[4..].iter().enumerate() {
            values[j] = f32::from(byte & 0x0F) * d + m;
            values[j + 16] = f32::from(byte >> 4) * d + m;
        }
        let amax = values.iter().fold(0f32, |a, v| a.max(v.abs()));
        let scale = amax / 127.0;
        let inverse = if scale != 0.0 { 1.0 / scale } else { 0.0 };
        out.extend_from_slice(&f16::from_f32(scale).to_le_bytes());
        // |v * inverse| <= 127, so the cast never saturates.
        out.extend(values.iter().map(|v| (v * inverse).round() as i8 as u8));
    }
    out
}

struct Chunk {
    start: u64,
    len: u64,
    /// Emptied once read to its end.
    bytes: Vec<u8>,
}

/// The converted tensors laid end to end, read like a file; a tensor's
/// buffer is freed once it has been read to its end (candle reads each
/// tensor once, whole).
pub(crate) struct Converted {
    chunks: Vec<Chunk>,
    len: u64,
    pos: u64,
}

impl Read for Converted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let pos = self.pos;
        if pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let index = self.chunks.partition_point(|c| c.start + c.len <= pos);
        let Some(chunk) = self.chunks.get_mut(index) else {
            return Ok(0);
        };
        let from = (pos - chunk.start) as usize;
        if chunk.bytes.len() as u64 != chunk.len || from >= chunk.bytes.len() {
            return Err(std::io::Error::other(
                "a converted tensor was read twice or out of place",
            ));
        }
        let n = buf.len().min(chunk.bytes.len() - from);
        buf[..n].copy_from_slice(&chunk.bytes[from..from + n]);
        self.pos += n as u64;
        if from + n == chunk.bytes.len() {
            chunk.bytes = Vec::new();
        }
        Ok(n)
    }
}

impl Seek for Converted {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| std::io::Error::other("seek before the start"))?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GGUF v3 header: `(key, type, value bytes)` entries, then
    /// `(name, dims, dtype, offset)` tensor infos.
    fn gguf(metadata: &[(&str, u32, Vec<u8>)], tensors: &[(&str, &[u64], u32, u64)]) -> Vec<u8> {
        let string = |s: &str| [&(s.len() as u64).to_le_bytes()[..], s.as_bytes()].concat();
        let mut out = b"GGUF".to_vec();
        out.extend(3u32.to_le_bytes());
        out.extend((tensors.len() as u64).to_le_bytes());
        out.extend((metadata.len() as u64).to_le_bytes());
        for (key, kind, value) in metadata {
            out.extend(string(key));
            out.extend(kind.to_le_bytes());
            out.extend(value);
        }
        for (name, dims, dtype, offset) in tensors {
            out.extend(string(name));
            out.extend((dims.len() as u32).to_le_bytes());
            for d in *dims {
                out.extend(d.to_le_bytes());
            }
            out.extend(dtype.to_le_bytes());
            out.extend(offset.to_le_bytes());
        }
        out.extend([0u8; 64]);
        out
    }

    fn header_of(bytes: &[u8]) -> Result<(Content, fs_err::File), EmbeddedError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        fs_err::write(&path, bytes).unwrap();
        read_header(&path)
    }

    const LLAMA: u32 = 8;

    #[test]
    fn alignment_zero_is_an_error_not_a_panic() {
        // candle divides the data offset by `general.alignment`.
        let bytes = gguf(
            &[("general.alignment", 4, 0u32.to_le_bytes().to_vec())],
            &[],
        );
        let err = read_content(&mut std::io::Cursor::new(&bytes)).unwrap_err();
        assert!(err.to_string().contains("malformed"), "{err}");
        let err = header_of(&bytes).unwrap_err();
        assert!(matches!(err, EmbeddedError::NotGguf { .. }), "{err}");
    }

    #[test]
    fn overflowing_tensor_shape_or_offset_is_truncated_not_a_panic() {
        let arch = ("general.architecture", LLAMA, {
            let mut v = 5u64.to_le_bytes().to_vec();
            v.extend(b"llama");
            v
        });
        for tensor in [
            ("w", &[u64::MAX / 2, 4][..], 0u32, 0u64),
            ("w", &[1 << 40, 1 << 40, 2][..], 0, 0),
            ("w", &[32][..], 0, u64::MAX - 8),
        ] {
            let err = header_of(&gguf(std::slice::from_ref(&arch), &[tensor])).unwrap_err();
            assert!(
                matches!(err, EmbeddedError::Truncated { .. }),
                "{tensor:?}: {err}"
            );
        }
    }

    #[test]
    fn q4_1_to_q8_0_matches_candles_round_trip() {
        let values: Vec<f32> = (0..32 * 64)
            .map(|i| ((i * 7919 % 1000) as f32 / 250.0 - 2.0) * if i % 5 == 0 { 3.0 } else { 1.0 })
            .collect();
        let device = Device::Cpu;
        let dense = Tensor::from_vec(values, (64, 32), &device).unwrap();
        let q4 = QTensor::quantize(&dense, GgmlDType::Q4_1).unwrap();
        let expected = QTensor::quantize(&q4.dequantize(&device).unwrap(), GgmlDType::Q8_0)
            .unwrap()
            .data()
            .unwrap()
            .into_owned();
        let ours = q4_1_to_q8_0(&q4.data().unwrap());
        assert_eq!(ours.len(), expected.len());
        assert_eq!(ours, expected);
    }
}
