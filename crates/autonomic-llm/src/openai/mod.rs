//! A client for any OpenAI-compatible endpoint (llama.cpp's server, vLLM,
//! Ollama, LM Studio, `autonomic llm serve`): [`OpenAiClient`] implements
//! [`ChatModel`] over `POST {base_url}/chat/completions`, streamed
//! (server-sent events) or not, and lists `GET {base_url}/models`.
//!
//! Local-first: a `base_url` whose host is not this machine (by its text,
//! no DNS lookup) is refused unless `allow_remote`, so neither prompts nor
//! images leave by accident; proxies from the environment and redirects are
//! not followed. A reply held to a schema is always checked here with
//! [`constrain::validate`](crate::constrain::validate), whatever the server
//! promised, and asked for again a bounded number of times.

mod error;
mod http;
mod options;
pub(crate) mod sse;
pub(crate) mod wire;

use std::fmt;
use std::io::BufReader;
use std::time::Instant;

use autonomic_core::config::StructuredOutput;
use serde_json::Value;

use crate::chat::{ChatModel, Completion, FinishReason, Message, Request, Role, Timings, Usage};
use crate::constrain::{self, SchemaViolation};
use crate::{Cancel, LlmError};

pub use error::{ClientError, Wait};
pub(crate) use options::url_host;
pub use options::{api_key_from_env, is_loopback_host, ClientOptions, Secret};

/// The most of a non-streamed reply read.
const MAX_BODY: u64 = 64 << 20;

/// An OpenAI-compatible endpoint as a [`ChatModel`].
///
/// # Examples
///
/// ```no_run
/// use autonomic_llm::openai::{ClientOptions, OpenAiClient};
/// use autonomic_llm::{Cancel, ChatModel, Message, Request, Role};
///
/// let client = OpenAiClient::new(ClientOptions::new("http://127.0.0.1:8080/v1", "SmolLM2-135M-Instruct"))?;
/// let request = Request::new(vec![Message::text(Role::User, "Say hi")]);
/// let reply = client.complete(&request, &mut |piece| print!("{piece}"), &Cancel::new())?;
/// println!("\n{:?}", reply.finish);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
pub struct OpenAiClient {
    options: ClientOptions,
    agent: ureq::Agent,
}

impl fmt::Debug for OpenAiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `ClientOptions` prints its key as `***`.
        f.debug_struct("OpenAiClient")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl OpenAiClient {
    /// A client for `options`; refuses a `base_url` that is not an http(s)
    /// URL, or not this machine while `allow_remote` is off (nothing is
    /// connected to).
    pub fn new(options: ClientOptions) -> Result<OpenAiClient, ClientError> {
        options::check_endpoint(&options.base_url, options.allow_remote)?;
        let agent = http::agent(&options);
        Ok(OpenAiClient { options, agent })
    }

    /// What the client was built from.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.options.base_url.trim_end_matches('/'))
    }

    /// The model names `GET {base_url}/models` lists.
    pub fn models(&self) -> Result<Vec<String>, ClientError> {
        let url = self.url("models");
        let deadline = Instant::now() + self.options.request_timeout;
        let call = http::Call {
            url: &url,
            body: None,
            stream: false,
        };
        let Some(response) =
            http::send(&self.agent, &self.options, &call, &Cancel::new(), deadline)?
        else {
            return Ok(Vec::new());
        };
        let body = self.read_json(response, &url)?;
        let data =
            body.get("data")
                .and_then(Value::as_array)
                .ok_or_else(|| ClientError::Protocol {
                    url: url.clone(),
                    detail: "no `data` array in the model list".to_owned(),
                })?;
        Ok(data
            .iter()
            .filter_map(|m| m.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect())
    }

    fn read_json(
        &self,
        response: ureq::http::Response<ureq::Body>,
        url: &str,
    ) -> Result<Value, ClientError> {
        let text = response
            .into_body()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|e| match e {
                ureq::Error::Timeout(t) => http::timeout_error(url, &self.options, t),
                other => ClientError::Stream {
                    url: url.to_owned(),
                    source: std::io::Error::other(other),
                },
            })?;
        serde_json::from_str(&text).map_err(|e| ClientError::Protocol {
            url: url.to_owned(),
            detail: format!("the body is not JSON ({e})"),
        })
    }

    /// One request and its reply, no schema check.
    fn once(
        &self,
        request: &Request,
        messages: &[Message],
        on_text: &mut dyn FnMut(&str),
        cancel: &Cancel,
    ) -> Result<Completion, ClientError> {
        let started = Instant::now();
        let url = self.url("chat/completions");
        let stream = self.options.stream;
        let body = wire::request_body(
            &self.options.model,
            request,
            messages,
            self.options.structured_output,
            stream,
        );
        let body = serde_json::to_vec(&body).map_err(|e| ClientError::Protocol {
            url: url.clone(),
            detail: format!("cannot encode the request ({e})"),
        })?;
        let call = http::Call {
            url: &url,
            body: Some(&body),
            stream,
        };
        tracing::debug!(url = %url, stream, messages = messages.len(), "chat completion request");
        let deadline = started + self.options.request_timeout;
        let Some(response) = http::send(&self.agent, &self.options, &call, cancel, deadline)?
        else {
            return Ok(cancelled(
                String::new(),
                Usage::default(),
                Timings::default(),
            ));
        };
        let is_stream = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !is_stream {
            let body = self.read_json(response, &url)?;
            if let Some(message) = wire::error_message(&body) {
                return Err(ClientError::Reported { url, message });
            }
            let whole = wire::parse_whole(&body).map_err(|detail| ClientError::Protocol {
                url: url.clone(),
                detail,
            })?;
            let first = started.elapsed().as_secs_f64();
            on_text(&whole.text);
            return Ok(Completion {
                text: whole.text,
                finish: whole.finish,
                usage: whole.usage,
                timings: Timings {
                    first_token_secs: first,
                    ..Timings::default()
                },
            });
        }
        self.read_stream(response, &url, started, on_text, cancel)
    }

    /// Reads an event stream to `[DONE]`; a failure now is an error, never a
    /// retry.
    fn read_stream(
        &self,
        response: ureq::http::Response<ureq::Body>,
        url: &str,
        started: Instant,
        on_text: &mut dyn FnMut(&str),
        cancel: &Cancel,
    ) -> Result<Completion, ClientError> {
        let mut events = sse::EventReader::new(BufReader::new(response.into_body().into_reader()));
        let mut text = String::new();
        let mut finish = None;
        let mut usage = Usage::default();
        let mut first_token: Option<Instant> = None;
        loop {
            if cancel.is_cancelled() {
                return Ok(cancelled(text, usage, timings(started, first_token)));
            }
            let event = match events.next_event() {
                Ok(event) => event,
                Err(error) => return Err(self.stream_error(url, error)),
            };
            if first_token.is_none() && started.elapsed() > self.options.first_token_timeout {
                return Err(ClientError::Timeout {
                    url: url.to_owned(),
                    wait: Wait::FirstToken,
                    secs: self.options.first_token_timeout.as_secs(),
                });
            }
            let data = match event {
                sse::Sse::Data(data) if data.trim() == "[DONE]" => break,
                sse::Sse::Data(data) => data,
                // A keep-alive: the timeouts above still apply.
                sse::Sse::Comment => continue,
                sse::Sse::End if finish.is_some() => break,
                sse::Sse::End => {
                    return Err(ClientError::Stream {
                        url: url.to_owned(),
                        source: std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "the stream ended before `data: [DONE]`",
                        ),
                    })
                }
            };
            let chunk: Value = serde_json::from_str(&data).map_err(|e| ClientError::Protocol {
                url: url.to_owned(),
                detail: format!("a stream event is not JSON ({e})"),
            })?;
            if let Some(message) = wire::error_message(&chunk) {
                return Err(ClientError::Reported {
                    url: url.to_owned(),
                    message,
                });
            }
            let chunk = wire::parse_chunk(&chunk).map_err(|detail| ClientError::Protocol {
                url: url.to_owned(),
                detail,
            })?;
            if let Some(piece) = chunk.text {
                first_token.get_or_insert_with(Instant::now);
                on_text(&piece);
                text.push_str(&piece);
            }
            if chunk.finish.is_some() {
                finish = chunk.finish;
            }
            if let Some(u) = chunk.usage {
                usage = u;
            }
        }
        Ok(Completion {
            text,
            finish: finish.unwrap_or(FinishReason::Stop),
            usage,
            timings: timings(started, first_token),
        })
    }

    fn stream_error(&self, url: &str, error: std::io::Error) -> ClientError {
        let timeout = error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<ureq::Error>())
            .and_then(|e| match e {
                ureq::Error::Timeout(t) => Some(*t),
                _ => None,
            });
        match timeout {
            Some(t) => http::timeout_error(url, &self.options, t),
            None if error.kind() == std::io::ErrorKind::TimedOut => ClientError::Timeout {
                url: url.to_owned(),
                wait: Wait::FirstToken,
                secs: self.options.first_token_timeout.as_secs(),
            },
            None => ClientError::Stream {
                url: url.to_owned(),
                source: error,
            },
        }
    }

    /// Asks until the reply satisfies `schema`, at most `1 + schema_retries`
    /// times; each retry appends the bad reply and what was wrong with it.
    fn complete_with_schema(
        &self,
        request: &Request,
        schema: &Value,
        on_text: &mut dyn FnMut(&str),
        cancel: &Cancel,
    ) -> Result<Completion, ClientError> {
        let mut messages = wire::initial_messages(request, self.options.structured_output);
        let mut usage = Usage::default();
        let attempts = self.options.schema_retries.saturating_add(1);
        let mut last: Option<SchemaViolation> = None;
        for attempt in 1..=attempts {
            // Pieces are held back until the reply is known to be valid, so
            // what `on_text` sees is the text returned.
            let mut reply = self.once(request, &messages, &mut |_| {}, cancel)?;
            usage.prompt_tokens = usage
                .prompt_tokens
                .saturating_add(reply.usage.prompt_tokens);
            usage.completion_tokens = usage
                .completion_tokens
                .saturating_add(reply.usage.completion_tokens);
            if reply.finish == FinishReason::Cancelled {
                reply.usage = usage;
                return Ok(reply);
            }
            match constrain::validate(schema, &reply.text) {
                Ok(_) => {
                    on_text(&reply.text);
                    reply.usage = usage;
                    return Ok(reply);
                }
                Err(violation) => {
                    tracing::debug!(attempt, %violation, "the reply breaks the schema; asking again");
                    if matches!(violation, SchemaViolation::BadSchema(_)) {
                        return Err(ClientError::Schema {
                            attempts: attempt,
                            violation,
                        });
                    }
                    messages.push(Message::text(Role::Assistant, reply.text));
                    messages.push(Message::text(
                        Role::User,
                        format!(
                            "That reply is not valid: {violation}. Answer again with only a JSON document that satisfies the schema:\n{schema}"
                        ),
                    ));
                    last = Some(violation);
                }
            }
        }
        Err(ClientError::Schema {
            attempts,
            violation: last.unwrap_or_else(|| SchemaViolation::NotJson("no reply".to_owned())),
        })
    }
}

fn cancelled(text: String, usage: Usage, timings: Timings) -> Completion {
    Completion {
        text,
        finish: FinishReason::Cancelled,
        usage,
        timings,
    }
}

fn timings(started: Instant, first_token: Option<Instant>) -> Timings {
    match first_token {
        Some(first) => Timings {
            first_token_secs: (first - started).as_secs_f64(),
            prompt_secs: 0.0,
            generation_secs: first.elapsed().as_secs_f64(),
        },
        None => Timings::default(),
    }
}

impl ChatModel for OpenAiClient {
    fn id(&self) -> &str {
        &self.options.model
    }

    /// Streams when [`ClientOptions::stream`] is set (the default); with a
    /// schema, the text is given to `on_text` once, after it validated.
    /// `cancel` is checked between events and during a backoff; a
    /// non-streamed reply cannot be interrupted once sent.
    fn complete(
        &self,
        request: &Request,
        on_text: &mut dyn FnMut(&str),
        cancel: &Cancel,
    ) -> Result<Completion, LlmError> {
        let result = match &request.schema {
            Some(schema) => self.complete_with_schema(request, schema, on_text, cancel),
            None => {
                let messages = wire::initial_messages(request, StructuredOutput::None);
                self.once(request, &messages, on_text, cancel)
            }
        };
        Ok(result?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_types_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<OpenAiClient>();
        send_sync::<ClientOptions>();
        send_sync::<ClientError>();
        send_sync::<crate::serve::Server>();
        send_sync::<crate::serve::ShutdownHandle>();
    }
}
