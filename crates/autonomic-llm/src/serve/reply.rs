//! Writing answers: JSON bodies, and a server-sent-event stream written
//! straight to the socket (chunked on HTTP/1.1), flushed per event so each
//! piece of text leaves as it is generated.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::chat::{Completion, FinishReason, Usage};

/// `finish_reason` for the API (a cancelled generation has no name there:
/// it is a `stop`).
pub(crate) fn finish_name(finish: FinishReason) -> &'static str {
    match finish {
        FinishReason::Length => "length",
        FinishReason::Stop | FinishReason::Cancelled => "stop",
    }
}

pub(crate) fn usage_json(usage: Usage) -> Value {
    json!({
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.prompt_tokens.saturating_add(usage.completion_tokens),
    })
}

/// Names one completion: its id, time and model.
pub(crate) struct Stamp {
    pub id: String,
    pub created: u64,
    pub model: String,
}

/// A `chat.completion` body.
pub(crate) fn completion_json(stamp: &Stamp, completion: &Completion) -> Value {
    json!({
        "id": stamp.id,
        "object": "chat.completion",
        "created": stamp.created,
        "model": stamp.model,
        "system_fingerprint": null,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": completion.text},
            "logprobs": null,
            "finish_reason": finish_name(completion.finish),
        }],
        "usage": usage_json(completion.usage),
    })
}

/// A `chat.completion.chunk` with one choice.
pub(crate) fn chunk_json(stamp: &Stamp, delta: Value, finish: Option<&str>) -> Value {
    json!({
        "id": stamp.id,
        "object": "chat.completion.chunk",
        "created": stamp.created,
        "model": stamp.model,
        "system_fingerprint": null,
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
    })
}

/// The usage chunk `stream_options.include_usage` asks for (no choices).
pub(crate) fn usage_chunk_json(stamp: &Stamp, usage: Usage) -> Value {
    json!({
        "id": stamp.id,
        "object": "chat.completion.chunk",
        "created": stamp.created,
        "model": stamp.model,
        "choices": [],
        "usage": usage_json(usage),
    })
}

/// An event stream on the raw socket.
pub(crate) struct EventWriter {
    out: Box<dyn Write + Send>,
    chunked: bool,
}

impl EventWriter {
    /// Writes the status line and headers.
    pub fn start(mut out: Box<dyn Write + Send>, chunked: bool) -> io::Result<EventWriter> {
        let framing = if chunked {
            "Transfer-Encoding: chunked\r\n"
        } else {
            "Connection: close\r\n"
        };
        write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\n{framing}\r\n"
        )?;
        out.flush()?;
        Ok(EventWriter { out, chunked })
    }

    fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.chunked {
            write!(self.out, "{:x}\r\n", bytes.len())?;
            self.out.write_all(bytes)?;
            self.out.write_all(b"\r\n")?;
        } else {
            self.out.write_all(bytes)?;
        }
        self.out.flush()
    }

    /// One `data:` event.
    pub fn event(&mut self, data: &Value) -> io::Result<()> {
        self.write_raw(format!("data: {data}\n\n").as_bytes())
    }

    /// `data: [DONE]` and the end of the body.
    pub fn finish(mut self) -> io::Result<()> {
        self.write_raw(b"data: [DONE]\n\n")?;
        if self.chunked {
            self.out.write_all(b"0\r\n\r\n")?;
        }
        self.out.flush()
    }
}
