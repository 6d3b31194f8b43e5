//! The chat interface every back-end implements.

use serde::{Deserialize, Serialize};

use crate::{Cancel, LlmError};

/// Who says a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions to the model.
    System,
    /// The person or program asking.
    User,
    /// The model's own earlier turns.
    Assistant,
}

impl Role {
    /// The name chat templates and the OpenAI API use.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One part of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text.
    Text(String),
    /// An image, as the bytes of its file.
    Image {
        /// Its media type, such as `image/png`.
        mime: String,
        /// The file's bytes.
        data: Vec<u8>,
    },
}

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Who says it.
    pub role: Role,
    /// What is said, in order.
    pub parts: Vec<Part>,
}

impl Message {
    /// A text-only message.
    pub fn text(role: Role, text: impl Into<String>) -> Message {
        Message {
            role,
            parts: vec![Part::Text(text.into())],
        }
    }

    /// The text parts joined, images left out.
    pub fn joined_text(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            if let Part::Text(text) = part {
                out.push_str(text);
            }
        }
        out
    }

    /// Whether any part is an image.
    pub fn has_image(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Image { .. }))
    }
}

/// How the next token is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampling {
    /// Always the most likely token: the same prompt gives the same output.
    Greedy,
    /// Drawn from the distribution at `temperature`, cut to the smallest set
    /// of tokens whose probabilities reach `top_p`, by a generator seeded
    /// with `seed`: the same seed gives the same output.
    Random {
        /// Above 0; higher flattens the distribution.
        temperature: f64,
        /// In (0, 1]; 1 keeps every token.
        top_p: f64,
        /// The generator's seed.
        seed: u64,
    },
}

impl Sampling {
    /// From `[llm]`'s keys: temperature 0 is greedy.
    pub fn from_config(temperature: f64, top_p: f64, seed: u64) -> Sampling {
        if temperature <= 0.0 {
            Sampling::Greedy
        } else {
            Sampling::Random {
                temperature,
                top_p,
                seed,
            }
        }
    }
}

/// What to complete and how.
#[derive(Debug, Clone)]
pub struct Request {
    /// The conversation so far; the model answers as the assistant.
    pub messages: Vec<Message>,
    /// Most tokens to generate.
    pub max_tokens: u32,
    /// How tokens are chosen.
    pub sampling: Sampling,
    /// Generation stops before any of these strings would appear; the string
    /// is not part of the text.
    pub stop: Vec<String>,
    /// A JSON schema the whole reply must satisfy (the reply is then a JSON
    /// document).
    pub schema: Option<serde_json::Value>,
}

impl Request {
    /// A request for `messages` with greedy decoding, 512 tokens at most, no
    /// stop strings and no schema.
    pub fn new(messages: Vec<Message>) -> Request {
        Request {
            messages,
            max_tokens: 512,
            sampling: Sampling::Greedy,
            stop: Vec::new(),
            schema: None,
        }
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model ended its turn, a stop string came, or the schema's
    /// document was complete.
    Stop,
    /// `max_tokens` was reached.
    Length,
    /// [`Cancel::cancel`] was called.
    Cancelled,
}

impl FinishReason {
    /// The name the OpenAI API uses (`cancelled` has none there).
    pub fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::Cancelled => "cancelled",
        }
    }
}

/// Token counts of one completion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens of the rendered prompt.
    pub prompt_tokens: u32,
    /// Tokens generated.
    pub completion_tokens: u32,
}

/// Where the time of one completion went (for `autonomic llm bench` and
/// `--json`); zero where a back-end cannot tell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// From the call to the first generated token, in seconds.
    pub first_token_secs: f64,
    /// Evaluating the prompt, in seconds.
    pub prompt_secs: f64,
    /// Generating after the first token, in seconds.
    pub generation_secs: f64,
}

/// A finished completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// The generated text (without a stop string).
    pub text: String,
    /// Why it ended.
    pub finish: FinishReason,
    /// Token counts.
    pub usage: Usage,
    /// Where the time went.
    pub timings: Timings,
}

/// A chat model: the embedded back-end, an OpenAI-compatible endpoint.
pub trait ChatModel: Send + Sync {
    /// The model's name (what `/v1/models` lists and requests name).
    fn id(&self) -> &str;

    /// Completes `request`, calling `on_text` with each piece of text as it
    /// is generated (the pieces concatenate to [`Completion::text`]), and
    /// stops at the next token once `cancel` is tripped.
    fn complete(
        &self,
        request: &Request,
        on_text: &mut dyn FnMut(&str),
        cancel: &Cancel,
    ) -> Result<Completion, LlmError>;
}
