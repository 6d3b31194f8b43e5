//! A model's vocabulary as bytes: what each token id stands for, read from a
//! GGUF file's `tokenizer.ggml.*` metadata.
//!
//! GGUF stores a byte-level BPE vocabulary (`tokenizer.ggml.model = "gpt2"`)
//! as strings in GPT-2's printable alias of the 256 byte values (a space is
//! `Ġ`, a newline `Ċ`); [`Vocab`] holds the real bytes, which is what the
//! tokenizer, the detokenizer and constrained decoding all need.

use candle_core::quantized::gguf_file::{Content, Value};

/// GGUF's `tokenizer.ggml.token_type` values (llama.cpp's `llama_token_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An ordinary piece of text.
    Normal,
    /// The unknown-token placeholder.
    Unknown,
    /// A control token such as `<|im_start|>` or `<|endoftext|>`: never
    /// produced by encoding ordinary text.
    Control,
    /// A token a user added, matched as a whole in text.
    UserDefined,
    /// A slot that is never used.
    Unused,
    /// A single raw byte (`<0x0A>`).
    Byte,
}

impl TokenKind {
    fn from_gguf(value: i32) -> TokenKind {
        match value {
            2 => TokenKind::Unknown,
            3 => TokenKind::Control,
            4 => TokenKind::UserDefined,
            5 => TokenKind::Unused,
            6 => TokenKind::Byte,
            _ => TokenKind::Normal,
        }
    }

    /// Whether a token of this kind stands for text rather than a marker.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            TokenKind::Normal | TokenKind::UserDefined | TokenKind::Byte
        )
    }
}

/// What went wrong reading a vocabulary.
#[derive(Debug, thiserror::Error)]
pub enum VocabError {
    /// A required key is absent.
    #[error("metadata key `{0}` is missing")]
    Missing(&'static str),
    /// A key has the wrong type or an impossible value.
    #[error("metadata key `{key}` is invalid: {reason}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The tokenizer is not one this crate implements.
    #[error("tokenizer model `{0}` is not supported (only byte-level BPE, \"gpt2\")")]
    UnsupportedModel(String),
}

/// The bytes each token id stands for, and which ids are special.
#[derive(Debug, Clone)]
pub struct Vocab {
    /// The token strings as stored in the file (GPT-2 aliases for bytes).
    pub pieces: Vec<String>,
    /// The bytes each token stands for; for control tokens, their text.
    pub bytes: Vec<Vec<u8>>,
    /// Each token's kind.
    pub kinds: Vec<TokenKind>,
    /// The beginning-of-sequence token, when the file names one.
    pub bos: Option<u32>,
    /// The end-of-sequence token.
    pub eos: u32,
    /// Tokens that end the model's turn: `eos`, plus `<|im_end|>`,
    /// `<|eot_id|>` or `<|end|>` when the vocabulary has them.
    pub end_of_turn: Vec<u32>,
    /// Whether the file asks for `bos` before the prompt.
    pub add_bos: bool,
}

/// Control-token texts that end an assistant turn in common chat formats.
const END_OF_TURN: &[&str] = &["<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>"];

impl Vocab {
    /// Reads the vocabulary from a GGUF file's metadata.
    pub fn from_gguf(content: &Content) -> Result<Vocab, VocabError> {
        let meta = &content.metadata;
        let model = string(meta.get("tokenizer.ggml.model"), "tokenizer.ggml.model")?;
        if model != "gpt2" {
            return Err(VocabError::UnsupportedModel(model.to_owned()));
        }
        let key = "tokenizer.ggml.tokens";
        let pieces = array(meta.get(key), key)?
            .iter()
            .map(|v| v.to_string().cloned())
            .collect::<Result<Vec<String>, _>>()
            .map_err(|e| invalid(key, e))?;
        if pieces.is_empty() {
            return Err(invalid(key, "the vocabulary is empty"));
        }
        let kinds = match meta.get("tokenizer.ggml.token_type") {
            None => vec![TokenKind::Normal; pieces.len()],
            Some(value) => {
                let key = "tokenizer.ggml.token_type";
                let kinds = array(Some(value), key)?
                    .iter()
                    .map(|v| v.to_i32().map(TokenKind::from_gguf))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| invalid(key, e))?;
                if kinds.len() != pieces.len() {
                    return Err(invalid(
                        key,
                        format!("{} types for {} tokens", kinds.len(), pieces.len()),
                    ));
                }
                kinds
            }
        };
        let bytes = pieces
            .iter()
            .zip(&kinds)
            .map(|(piece, kind)| match kind {
                TokenKind::Normal | TokenKind::UserDefined => {
                    decode_piece(piece).unwrap_or_else(|| piece.as_bytes().to_vec())
                }
                TokenKind::Byte => byte_token(piece)
                    .map(|b| vec![b])
                    .unwrap_or_else(|| piece.as_bytes().to_vec()),
                _ => piece.as_bytes().to_vec(),
            })
            .collect();
        let count = pieces.len();
        let id = |key: &'static str| -> Result<Option<u32>, VocabError> {
            match meta.get(key) {
                None => Ok(None),
                Some(value) => {
                    let id = value.to_u32().map_err(|e| invalid(key, e))?;
                    if id as usize >= count {
                        return Err(invalid(
                            key,
                            format!("token {id} is outside the {count}-token vocabulary"),
                        ));
                    }
                    Ok(Some(id))
                }
            }
        };
        let bos = id("tokenizer.ggml.bos_token_id")?;
        let eos = id("tokenizer.ggml.eos_token_id")?
            .ok_or(VocabError::Missing("tokenizer.ggml.eos_token_id"))?;
        let add_bos = match meta.get("tokenizer.ggml.add_bos_token") {
            Some(v) => v
                .to_bool()
                .map_err(|e| invalid("tokenizer.ggml.add_bos_token", e))?,
            None => false,
        };
        let mut end_of_turn = vec![eos];
        for (id, piece) in pieces.iter().enumerate() {
            if kinds[id] == TokenKind::Control && END_OF_TURN.contains(&piece.as_str()) {
                let id = id as u32;
                if !end_of_turn.contains(&id) {
                    end_of_turn.push(id);
                }
            }
        }
        Ok(Vocab {
            pieces,
            bytes,
            kinds,
            bos,
            eos,
            end_of_turn,
            add_bos,
        })
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    /// Whether the vocabulary is empty (never, once read).
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// The id of the token whose stored string is `piece`.
    pub fn id_of(&self, piece: &str) -> Option<u32> {
        self.pieces
            .iter()
            .position(|p| p == piece)
            .map(|i| i as u32)
    }
}

fn invalid(key: &'static str, reason: impl ToString) -> VocabError {
    VocabError::Invalid {
        key,
        reason: reason.to_string(),
    }
}

fn string<'a>(value: Option<&'a Value>, key: &'static str) -> Result<&'a str, VocabError> {
    value
        .ok_or(VocabError::Missing(key))?
        .to_string()
        .map(String::as_str)
        .map_err(|e| invalid(key, e))
}

fn array<'a>(value: Option<&'a Value>, key: &'static str) -> Result<&'a Vec<Value>, VocabError> {
    value
        .ok_or(VocabError::Missing(key))?
        .to_vec()
        .map_err(|e| invalid(key, e))
}

/// `<0x0A>` → 10.
fn byte_token(piece: &str) -> Option<u8> {
    let hex = piece.strip_prefix("<0x")?.strip_suffix('>')?;
    u8::from_str_radix(hex, 16).ok()
}

/// GPT-2's printable alias of each byte: bytes that are printable and not
/// space map to themselves, the other 68 to U+0100 onwards in byte order.
pub fn byte_alias(byte: u8) -> char {
    table().0[byte as usize]
}

/// The byte a GPT-2 alias stands for.
pub fn alias_byte(c: char) -> Option<u8> {
    let code = c as u32;
    if code < 512 {
        let b = table().1[code as usize];
        (b != u16::MAX).then_some(b as u8)
    } else {
        None
    }
}

/// Decodes a stored piece to bytes; `None` if a character is not an alias.
pub fn decode_piece(piece: &str) -> Option<Vec<u8>> {
    piece.chars().map(alias_byte).collect()
}

/// Encodes bytes as GPT-2 aliases (how merges and pieces are written).
pub fn encode_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| byte_alias(b)).collect()
}

fn table() -> &'static ([char; 256], [u16; 512]) {
    static TABLE: std::sync::OnceLock<([char; 256], [u16; 512])> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut to_char = ['\0'; 256];
        let mut to_byte = [u16::MAX; 512];
        let mut next = 256u32;
        for b in 0..=255u8 {
            let printable = matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
            let code = if printable {
                u32::from(b)
            } else {
                let code = next;
                next += 1;
                code
            };
            // Every code is below 324, so it is a valid char and fits the table.
            let c = char::from_u32(code).unwrap_or('\0');
            to_char[b as usize] = c;
            to_byte[code as usize] = u16::from(b);
        }
        (to_char, to_byte)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_round_trip_every_byte() {
        for b in 0..=255u8 {
            assert_eq!(alias_byte(byte_alias(b)), Some(b));
        }
        assert_eq!(byte_alias(b' '), 'Ġ');
        assert_eq!(byte_alias(b'\n'), 'Ċ');
        assert_eq!(byte_alias(b'a'), 'a');
        assert_eq!(decode_piece("Ġhello"), Some(b" hello".to_vec()));
        assert_eq!(encode_bytes("é".as_bytes()), "Ã©");
        assert_eq!(decode_piece("€"), None);
        assert_eq!(byte_token("<0x0A>"), Some(10));
    }
}
