//! Vision QA: an image file and a question to a model that can see, the
//! image as a `data:` URL content part (what llama.cpp's server with a LLaVA
//! GGUF, and the OpenAI API, take). Through [`OpenAiClient`] the image goes
//! only where prompts may go: this machine, unless `allow_remote`.
//!
//! [`OpenAiClient`]: crate::openai::OpenAiClient

use std::path::{Path, PathBuf};

use autonomic_core::Hint;

use crate::chat::{ChatModel, Completion, Message, Part, Request, Role};
use crate::{Cancel, LlmError};

/// The largest image sent (OpenAI's own limit is 20 MB).
pub const MAX_IMAGE_BYTES: u64 = 20 << 20;

/// An image that cannot be asked about.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The file could not be read (the error names it).
    #[error("cannot read the image")]
    Read(#[source] std::io::Error),
    /// The file is larger than [`MAX_IMAGE_BYTES`].
    #[error("{} is {size} bytes, more than the {MAX_IMAGE_BYTES} an image may be", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
    },
    /// The file is not a PNG, JPEG, GIF or WebP image.
    #[error("{} is not a PNG, JPEG, GIF or WebP image (by its first bytes)", path.display())]
    NotImage {
        /// The file.
        path: PathBuf,
    },
}

impl Hint for ImageError {
    fn hint(&self) -> Option<String> {
        match self {
            ImageError::Read(_) => None,
            ImageError::TooLarge { .. } | ImageError::NotImage { .. } => Some(
                "convert it to a PNG or JPEG of a few megabytes (e.g. `convert in.tiff -resize 1024x1024 out.png`)".to_owned(),
            ),
        }
    }
}

/// The media type of an image, from its magic bytes: PNG, JPEG, GIF or WebP.
pub fn sniff_image(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if data.len() >= 12 && data.starts_with(b"RIFF") && &data[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// A user message with `question` and the image at `path`.
pub fn image_message(path: &Path, question: &str) -> Result<Message, ImageError> {
    let size = fs_err::metadata(path).map_err(ImageError::Read)?.len();
    if size > MAX_IMAGE_BYTES {
        return Err(ImageError::TooLarge {
            path: path.to_owned(),
            size,
        });
    }
    let data = fs_err::read(path).map_err(ImageError::Read)?;
    let mime = sniff_image(&data).ok_or_else(|| ImageError::NotImage {
        path: path.to_owned(),
    })?;
    Ok(Message {
        role: Role::User,
        parts: vec![
            Part::Text(question.to_owned()),
            Part::Image {
                mime: mime.to_owned(),
                data,
            },
        ],
    })
}

/// Asks `model` `question` about the image at `path` (greedy, up to
/// `max_tokens`); a model without vision answers [`LlmError::NoVision`].
pub fn vision(
    model: &dyn ChatModel,
    path: &Path,
    question: &str,
    max_tokens: u32,
    cancel: &Cancel,
) -> Result<Completion, LlmError> {
    let mut request = Request::new(vec![image_message(path, question)?]);
    request.max_tokens = max_tokens;
    model.complete(&request, &mut |_| {}, cancel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_by_magic_bytes() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"GIF89a.."), Some("image/gif"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(sniff_image(b"%PDF-1.7"), None);
        assert_eq!(sniff_image(b""), None);
    }

    #[test]
    fn a_non_image_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        fs_err::write(&path, "hello").unwrap();
        let err = image_message(&path, "what?").unwrap_err();
        assert!(err.to_string().contains("notes.txt"), "{err}");
        let err = image_message(&dir.path().join("missing.png"), "what?").unwrap_err();
        assert!(format!("{:?}", err).contains("missing.png"), "{err:?}");
    }
}
