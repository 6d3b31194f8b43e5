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
//! Q4_1, Q5_0 and Q5_1 tensors become Q8_0; everything else is used as
//! stored. The measurements are in the crate's report and README.
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
    let mut file = fs_err::File::open(path).map_err(&io)?;
    let actual = file.metadata().map_err(io)?.len();
    let content = {
        let mut reader = std::io::BufReader::new(&mut file);
        Content::read(&mut reader).map_err(|e| not_gguf_or_truncated(path, actual, &e))?
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
    let needed = content
        .tensor_infos
        .values()
        .map(|info| content.tensor_data_offset + info.offset + byte_len(info) as u64)
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
        let (dtype, bytes) = if SLOW_TYPES.contains(&info.ggml_dtype)
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
