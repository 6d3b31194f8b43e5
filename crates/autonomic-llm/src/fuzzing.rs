//! Entry points for the fuzz targets in `fuzz/` (`llm_gguf`, `llm_wire`),
//! and nothing else: thin wrappers over the crate-private parsers of
//! untrusted input, so that those modules stay private. Hidden from the
//! documentation; not an API, it may change with the targets.

use std::io::Cursor;
use std::path::Path;

use candle_core::quantized::gguf_file::Content;

use crate::chat::{FinishReason, Request, Usage};
use crate::openai::{sse, wire};
use crate::serve::{request, ServeOptions};

/// The model id [`serve_request`] serves.
pub const MODEL_ID: &str = "fuzz-model";

/// A request body the server accepted.
#[derive(Debug)]
pub struct ServeRequest {
    /// The request.
    pub request: Request,
    /// Whether it asked for a stream.
    pub stream: bool,
    /// Whether it asked for usage in the stream.
    pub include_usage: bool,
}

/// The server's parser of a `/v1/chat/completions` body (default
/// [`ServeOptions`], model [`MODEL_ID`]); the error is the 400's message.
pub fn serve_request(body: &[u8]) -> Result<ServeRequest, String> {
    let options = ServeOptions::default();
    request::parse(body, MODEL_ID, &options)
        .map(|call| ServeRequest {
            request: call.request,
            stream: call.stream,
            include_usage: call.include_usage,
        })
        .map_err(|e| {
            assert_eq!(e.status, 400, "a request error is a 400: {e:?}");
            e.message
        })
}

/// One block of an event stream.
#[derive(Debug, PartialEq, Eq)]
pub enum StreamEvent {
    /// An event's data.
    Data(String),
    /// A comment (keep-alive).
    Comment,
}

/// The client's event-stream reader over a whole response body: every
/// block up to the end, or the reader's error.
pub fn stream_events(body: &[u8]) -> Result<Vec<StreamEvent>, String> {
    let mut reader = sse::EventReader::new(body);
    let mut events = Vec::new();
    loop {
        match reader.next_event().map_err(|e| e.to_string())? {
            sse::Sse::Data(data) => events.push(StreamEvent::Data(data)),
            sse::Sse::Comment => events.push(StreamEvent::Comment),
            sse::Sse::End => return Ok(events),
        }
    }
}

/// What the client reads from one JSON body or stream event.
#[derive(Debug, PartialEq)]
pub enum ClientReply {
    /// An `{"error": …}` body: its message.
    Reported(String),
    /// Text, a finish reason and usage.
    Reply {
        /// The text (a chunk's, if any).
        text: Option<String>,
        /// The finish reason.
        finish: Option<FinishReason>,
        /// Usage, when given.
        usage: Option<Usage>,
    },
}

/// The client's reading of a non-streamed `chat.completion` body.
pub fn client_completion(body: &[u8]) -> Result<ClientReply, String> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if let Some(message) = wire::error_message(&value) {
        return Ok(ClientReply::Reported(message));
    }
    let whole = wire::parse_whole(&value)?;
    Ok(ClientReply::Reply {
        text: Some(whole.text),
        finish: Some(whole.finish),
        usage: Some(whole.usage),
    })
}

/// The client's reading of one streamed `chat.completion.chunk` event's
/// data.
pub fn client_chunk(data: &str) -> Result<ClientReply, String> {
    let value: serde_json::Value = serde_json::from_str(data).map_err(|e| e.to_string())?;
    if let Some(message) = wire::error_message(&value) {
        return Ok(ClientReply::Reported(message));
    }
    let chunk = wire::parse_chunk(&value)?;
    Ok(ClientReply::Reply {
        text: chunk.text,
        finish: chunk.finish,
        usage: chunk.usage,
    })
}

/// The embedded back-end's GGUF header reader over bytes in memory (what
/// [`gguf_header`] runs before its own checks).
pub fn read_gguf(bytes: &[u8]) -> Result<Content, String> {
    crate::embedded::load::read_content(&mut Cursor::new(bytes)).map_err(|e| e.to_string())
}

/// The embedded back-end's checks of a model file's header: GGUF, whole,
/// an architecture it runs.
pub fn gguf_header(path: &Path) -> Result<Content, String> {
    crate::embedded::load::read_header(path)
        .map(|(content, _file)| content)
        .map_err(|e| e.to_string())
}
