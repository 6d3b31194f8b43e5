//! An OpenAI `/v1/chat/completions` body as a [`Request`]: every field we
//! honour checked, each mistake a 400 naming its parameter.

use base64::Engine as _;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::ServeOptions;
use crate::chat::{Message, Part, Request, Role, Sampling};

/// The most stop strings a request may give.
const MAX_STOP: usize = 16;

/// A parsed request.
#[derive(Debug)]
pub(crate) struct ChatCall {
    pub request: Request,
    pub stream: bool,
    pub include_usage: bool,
}

/// Parses and checks `body` for the model `model_id`.
pub(crate) fn parse(
    body: &[u8],
    model_id: &str,
    options: &ServeOptions,
) -> Result<ChatCall, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("the body is not valid JSON: {e}"), None))?;
    let Value::Object(body) = value else {
        return Err(ApiError::invalid("the body must be a JSON object", None));
    };
    if let Some(model) = body.get("model") {
        let model = model
            .as_str()
            .ok_or_else(|| ApiError::invalid("`model` must be a string", Some("model")))?;
        if model != model_id {
            return Err(ApiError::invalid(
                format!("the model `{model}` does not exist: this server serves `{model_id}`"),
                Some("model"),
            )
            .with_code("model_not_found"));
        }
    }
    if let Some(n) = body.get("n") {
        if n.as_u64() != Some(1) {
            return Err(ApiError::invalid("only `n` = 1 is supported", Some("n")));
        }
    }
    let messages = messages(&body)?;
    let mut request = Request::new(messages);
    let max_tokens = match (body.get("max_completion_tokens"), body.get("max_tokens")) {
        (Some(v), _) => Some(("max_completion_tokens", v)),
        (None, Some(v)) => Some(("max_tokens", v)),
        (None, None) => None,
    };
    request.max_tokens = match max_tokens {
        Some((_, Value::Null)) | None => options.max_tokens,
        Some((key, value)) => {
            let n = value.as_u64().filter(|n| *n >= 1).ok_or_else(|| {
                ApiError::invalid(format!("`{key}` must be a positive integer"), Some(key))
            })?;
            u32::try_from(n).unwrap_or(u32::MAX).min(options.max_tokens)
        }
    };
    request.sampling = sampling(&body, options.sampling)?;
    request.stop = stop(&body)?;
    request.schema = schema(&body)?;
    let stream = match body.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(ApiError::invalid(
                "`stream` must be a boolean",
                Some("stream"),
            ))
        }
    };
    let include_usage = body
        .get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(ChatCall {
        request,
        stream,
        include_usage,
    })
}

fn messages(body: &Map<String, Value>) -> Result<Vec<Message>, ApiError> {
    let list = body
        .get("messages")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| {
            ApiError::invalid("`messages` must be a non-empty array", Some("messages"))
        })?;
    list.iter()
        .enumerate()
        .map(|(i, m)| message(i, m))
        .collect()
}

fn message(i: usize, message: &Value) -> Result<Message, ApiError> {
    let param = format!("messages[{i}]");
    let role = match message.get("role").and_then(Value::as_str) {
        Some("system" | "developer") => Role::System,
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        Some(other) => {
            return Err(ApiError::invalid(
                format!("the role `{other}` is not supported (system, developer, user, assistant)"),
                Some(&format!("{param}.role")),
            ))
        }
        None => {
            return Err(ApiError::invalid(
                "every message needs a `role`",
                Some(&format!("{param}.role")),
            ))
        }
    };
    let content_param = format!("{param}.content");
    let parts = match message.get("content") {
        Some(Value::String(text)) => vec![Part::Text(text.clone())],
        Some(Value::Null) | None if role == Role::Assistant => vec![Part::Text(String::new())],
        Some(Value::Array(parts)) => parts
            .iter()
            .enumerate()
            .map(|(j, p)| part(p, &format!("{content_param}[{j}]")))
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(ApiError::invalid(
                "`content` must be a string or an array of content parts",
                Some(&content_param),
            ))
        }
    };
    Ok(Message { role, parts })
}

fn part(part: &Value, param: &str) -> Result<Part, ApiError> {
    match part.get("type").and_then(Value::as_str) {
        Some("text") => part
            .get("text")
            .and_then(Value::as_str)
            .map(|t| Part::Text(t.to_owned()))
            .ok_or_else(|| ApiError::invalid("a text part needs `text`", Some(param))),
        Some("image_url") => {
            let url = part
                .get("image_url")
                .and_then(|i| i.get("url").or(Some(i)))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    ApiError::invalid("an image part needs `image_url.url`", Some(param))
                })?;
            image(url).ok_or_else(|| {
                ApiError::invalid(
                    "`image_url.url` must be a `data:<type>;base64,…` URL (this server fetches nothing)",
                    Some(param),
                )
            })
        }
        _ => Err(ApiError::invalid(
            "a content part must be of type `text` or `image_url`",
            Some(param),
        )),
    }
}

fn image(url: &str) -> Option<Part> {
    let rest = url.strip_prefix("data:")?;
    let (mime, data) = rest.split_once(";base64,")?;
    let data = base64::engine::general_purpose::STANDARD
        .decode(data)
        .ok()?;
    Some(Part::Image {
        mime: mime.to_owned(),
        data,
    })
}

fn number(
    body: &Map<String, Value>,
    key: &str,
    min: f64,
    max: f64,
) -> Result<Option<f64>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|x| (min..=max).contains(x))
            .map(Some)
            .ok_or_else(|| {
                ApiError::invalid(
                    format!("`{key}` must be a number from {min} to {max}"),
                    Some(key),
                )
            }),
    }
}

fn sampling(body: &Map<String, Value>, default: Sampling) -> Result<Sampling, ApiError> {
    let temperature = number(body, "temperature", 0.0, 2.0)?;
    let top_p = number(body, "top_p", 0.0, 1.0)?;
    let seed = match body.get("seed") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .or_else(|| v.as_i64().map(|s| s as u64))
                .ok_or_else(|| ApiError::invalid("`seed` must be an integer", Some("seed")))?,
        ),
    };
    let (d_temperature, d_top_p, d_seed) = match default {
        Sampling::Greedy => (0.0, 1.0, 0),
        Sampling::Random {
            temperature,
            top_p,
            seed,
        } => (temperature, top_p, seed),
    };
    Ok(Sampling::from_config(
        temperature.unwrap_or(d_temperature),
        top_p.filter(|p| *p > 0.0).unwrap_or(d_top_p),
        seed.unwrap_or(d_seed),
    ))
}

fn stop(body: &Map<String, Value>) -> Result<Vec<String>, ApiError> {
    let bad = || {
        ApiError::invalid(
            format!("`stop` must be a string or an array of at most {MAX_STOP} strings"),
            Some("stop"),
        )
    };
    match body.get("stop") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(list)) if list.len() <= MAX_STOP => list
            .iter()
            .map(|s| {
                s.as_str()
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .ok_or_else(bad)
            })
            .collect(),
        Some(_) => Err(bad()),
    }
}

fn schema(body: &Map<String, Value>) -> Result<Option<Value>, ApiError> {
    let Some(format) = body.get("response_format").filter(|f| !f.is_null()) else {
        return Ok(None);
    };
    let schema = match format.get("type").and_then(Value::as_str) {
        Some("text") => return Ok(None),
        Some("json_object") => serde_json::json!({"type": "object"}),
        Some("json_schema") => format
            .get("json_schema")
            .and_then(|j| j.get("schema"))
            .filter(|s| s.is_object() || s.is_boolean())
            .cloned()
            .ok_or_else(|| {
                ApiError::invalid(
                    "`response_format.json_schema.schema` must be a JSON schema object",
                    Some("response_format"),
                )
            })?,
        _ => {
            return Err(ApiError::invalid(
                "`response_format.type` must be `text`, `json_object` or `json_schema`",
                Some("response_format"),
            ))
        }
    };
    jsonschema::validator_for(&schema).map_err(|e| {
        ApiError::invalid(
            format!("the JSON schema is invalid: {e}"),
            Some("response_format"),
        )
    })?;
    Ok(Some(schema))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(body: Value) -> Result<ChatCall, ApiError> {
        parse(body.to_string().as_bytes(), "m", &ServeOptions::default())
    }

    #[test]
    fn reads_the_fields_we_honour() {
        let got = call(json!({
            "model": "m",
            "messages": [
                {"role": "developer", "content": "be brief"},
                {"role": "user", "content": [{"type": "text", "text": "what is "}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AQID"}}]},
            ],
            "max_completion_tokens": 7, "temperature": 0.5, "top_p": 0.9, "seed": 3,
            "stop": ["\n", "END"], "stream": true, "stream_options": {"include_usage": true},
            "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
            "user": "ignored",
        }))
        .unwrap();
        assert!(got.stream && got.include_usage);
        assert_eq!(got.request.max_tokens, 7);
        assert_eq!(got.request.stop, ["\n", "END"]);
        assert_eq!(got.request.schema, Some(json!({"type": "object"})));
        assert_eq!(
            got.request.sampling,
            Sampling::Random {
                temperature: 0.5,
                top_p: 0.9,
                seed: 3
            }
        );
        assert_eq!(got.request.messages[0].role, Role::System);
        assert_eq!(
            got.request.messages[1].parts[1],
            Part::Image {
                mime: "image/png".into(),
                data: vec![1, 2, 3]
            }
        );
    }

    #[test]
    fn names_the_bad_parameter() {
        for (body, param) in [
            (json!({"messages": []}), "messages"),
            (
                json!({"model": "other", "messages": [{"role": "user", "content": "x"}]}),
                "model",
            ),
            (
                json!({"messages": [{"role": "tool", "content": "x"}]}),
                "messages[0].role",
            ),
            (
                json!({"messages": [{"role": "user", "content": 3}]}),
                "messages[0].content",
            ),
            (
                json!({"messages": [{"role": "user", "content": "x"}], "temperature": 9}),
                "temperature",
            ),
            (
                json!({"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}),
                "max_tokens",
            ),
            (
                json!({"messages": [{"role": "user", "content": "x"}], "stop": [1]}),
                "stop",
            ),
            (
                json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]}),
                "messages[0].content[0]",
            ),
            (
                json!({"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": 5}}}}),
                "response_format",
            ),
        ] {
            let err = call(body.clone()).unwrap_err();
            assert_eq!(err.status, 400, "{body}");
            assert_eq!(err.param.as_deref(), Some(param), "{body}: {}", err.message);
        }
        assert_eq!(
            call(json!({"model": "x", "messages": [{"role": "user", "content": "x"}]}))
                .unwrap_err()
                .code
                .as_deref(),
            Some("model_not_found")
        );
    }
}
