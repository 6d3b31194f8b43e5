//! The JSON of the OpenAI chat API as the client writes and reads it: a
//! [`Request`] to a `/chat/completions` body, and a body or stream chunk
//! back to text, finish reason and usage.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use autonomic_core::config::StructuredOutput;

use crate::chat::{FinishReason, Message, Part, Request, Role, Sampling, Usage};

/// A message as the API has it: a string when it is all text, else an
/// array of `text` and `image_url` parts (images as `data:` URLs).
pub(crate) fn message_json(message: &Message) -> Value {
    let content = if message.has_image() {
        let parts: Vec<Value> = message
            .parts
            .iter()
            .map(|part| match part {
                Part::Text(text) => json!({"type": "text", "text": text}),
                Part::Image { mime, data } => json!({
                    "type": "image_url",
                    "image_url": {"url": data_url(mime, data)},
                }),
            })
            .collect();
        Value::Array(parts)
    } else {
        Value::String(message.joined_text())
    };
    json!({"role": message.role.as_str(), "content": content})
}

/// `data:MIME;base64,…`.
pub(crate) fn data_url(mime: &str, data: &[u8]) -> String {
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(data)
    )
}

/// The system instruction that carries a schema when the endpoint is not
/// asked to enforce it (`structured_output = "none"`), or as a reminder.
pub(crate) fn schema_instruction(schema: &Value) -> String {
    format!(
        "Answer with a single JSON document, and nothing else, that satisfies this JSON schema:\n{schema}"
    )
}

/// The `/chat/completions` body for `request` (with `messages` in place of
/// the request's own, for re-asking).
pub(crate) fn request_body(
    model: &str,
    request: &Request,
    messages: &[Message],
    mode: StructuredOutput,
    stream: bool,
) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert(
        "messages".into(),
        Value::Array(messages.iter().map(message_json).collect()),
    );
    body.insert("max_tokens".into(), json!(request.max_tokens));
    match request.sampling {
        Sampling::Greedy => {
            body.insert("temperature".into(), json!(0.0));
        }
        Sampling::Random {
            temperature,
            top_p,
            seed,
        } => {
            body.insert("temperature".into(), json!(temperature));
            body.insert("top_p".into(), json!(top_p));
            body.insert("seed".into(), json!(seed));
        }
    }
    if !request.stop.is_empty() {
        body.insert("stop".into(), json!(request.stop));
    }
    if let Some(schema) = &request.schema {
        if mode != StructuredOutput::None {
            body.insert(
                "response_format".into(),
                json!({
                    "type": "json_schema",
                    "json_schema": {"name": "reply", "schema": schema, "strict": true},
                }),
            );
        }
        if mode == StructuredOutput::LlamaCpp {
            body.insert("json_schema".into(), schema.clone());
        }
    }
    body.insert("stream".into(), json!(stream));
    if stream {
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    Value::Object(body)
}

/// The messages sent for `request`: its own, with the schema instruction
/// first when the endpoint is not asked to enforce the schema.
pub(crate) fn initial_messages(request: &Request, mode: StructuredOutput) -> Vec<Message> {
    let mut messages = request.messages.clone();
    if let (Some(schema), StructuredOutput::None) = (&request.schema, mode) {
        messages.insert(0, Message::text(Role::System, schema_instruction(schema)));
    }
    messages
}

/// `finish_reason` as ours: `length` is [`FinishReason::Length`], anything
/// else (`stop`, `content_filter`, `tool_calls`…) is [`FinishReason::Stop`].
pub(crate) fn finish_reason(value: &Value) -> Option<FinishReason> {
    match value.as_str()? {
        "length" => Some(FinishReason::Length),
        _ => Some(FinishReason::Stop),
    }
}

/// `usage`, when present.
pub(crate) fn usage(value: &Value) -> Option<Usage> {
    let usage = value.get("usage")?;
    let count = |key: &str| {
        usage
            .get(key)
            .and_then(Value::as_u64)
            .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
    };
    usage.is_object().then(|| Usage {
        prompt_tokens: count("prompt_tokens"),
        completion_tokens: count("completion_tokens"),
    })
}

/// The message of an `{"error": {...}}` body or event, if it is one.
pub(crate) fn error_message(value: &Value) -> Option<String> {
    let error = value.get("error")?;
    Some(
        error
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| error.to_string(), str::to_owned),
    )
}

/// What one non-streamed body says.
pub(crate) struct Whole {
    pub text: String,
    pub finish: FinishReason,
    pub usage: Usage,
}

/// Reads a non-streamed `chat.completion` body.
pub(crate) fn parse_whole(body: &Value) -> Result<Whole, String> {
    let choice = body
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or("no `choices[0]`")?;
    let text = choice
        .get("message")
        .and_then(|m| m.get("content"))
        .ok_or("no `choices[0].message.content`")?;
    let text = match text {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        _ => return Err("`choices[0].message.content` is not a string".to_owned()),
    };
    Ok(Whole {
        text,
        finish: choice
            .get("finish_reason")
            .and_then(finish_reason)
            .unwrap_or(FinishReason::Stop),
        usage: usage(body).unwrap_or_default(),
    })
}

/// What one `chat.completion.chunk` says.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Chunk {
    pub text: Option<String>,
    pub finish: Option<FinishReason>,
    pub usage: Option<Usage>,
}

/// Reads one streamed chunk.
pub(crate) fn parse_chunk(chunk: &Value) -> Result<Chunk, String> {
    if !chunk.is_object() {
        return Err("a stream event is not a JSON object".to_owned());
    }
    let choice = chunk.get("choices").and_then(|c| c.get(0));
    let text = choice
        .and_then(|c| c.get("delta"))
        .and_then(|d| d.get("content"))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    Ok(Chunk {
        text,
        finish: choice
            .and_then(|c| c.get("finish_reason"))
            .and_then(finish_reason),
        usage: usage(chunk),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_become_data_url_parts() {
        let message = Message {
            role: Role::User,
            parts: vec![
                Part::Text("what is this?".into()),
                Part::Image {
                    mime: "image/png".into(),
                    data: vec![1, 2, 3],
                },
            ],
        };
        assert_eq!(
            message_json(&message),
            json!({"role": "user", "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AQID"}},
            ]})
        );
        assert_eq!(
            message_json(&Message::text(Role::System, "hi")),
            json!({"role": "system", "content": "hi"})
        );
    }

    #[test]
    fn schema_modes() {
        let mut request = Request::new(vec![Message::text(Role::User, "x")]);
        request.schema = Some(json!({"type": "object"}));
        let messages = initial_messages(&request, StructuredOutput::ResponseFormat);
        let body = request_body(
            "m",
            &request,
            &messages,
            StructuredOutput::ResponseFormat,
            false,
        );
        assert_eq!(body["response_format"]["type"], "json_schema");
        assert_eq!(body["response_format"]["json_schema"]["strict"], true);
        assert!(body.get("json_schema").is_none());
        let body = request_body("m", &request, &messages, StructuredOutput::LlamaCpp, true);
        assert_eq!(body["json_schema"], json!({"type": "object"}));
        assert_eq!(body["stream_options"]["include_usage"], true);
        let messages = initial_messages(&request, StructuredOutput::None);
        let body = request_body("m", &request, &messages, StructuredOutput::None, false);
        assert!(body.get("response_format").is_none());
        assert_eq!(body["messages"][0]["role"], "system");
        assert!(body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("\"object\""));
    }

    #[test]
    fn chunks_and_finish_reasons() {
        let chunk = parse_chunk(
            &json!({"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": null}]}),
        )
        .unwrap();
        assert_eq!(chunk.text.as_deref(), Some("hi"));
        assert_eq!(chunk.finish, None);
        let chunk =
            parse_chunk(&json!({"choices": [{"delta": {}, "finish_reason": "content_filter"}]}))
                .unwrap();
        assert_eq!(chunk.finish, Some(FinishReason::Stop));
        let chunk = parse_chunk(&json!({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}})).unwrap();
        assert_eq!(
            chunk.usage,
            Some(Usage {
                prompt_tokens: 3,
                completion_tokens: 4
            })
        );
    }
}
