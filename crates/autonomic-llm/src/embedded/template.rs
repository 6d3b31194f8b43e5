//! The chat template a GGUF file carries (`tokenizer.chat_template`, Jinja),
//! rendered with minijinja; ChatML when the file has none.
//!
//! [`ChatTemplate::render_parts`] keeps the template's own text apart from the
//! messages' contents, so that only the template's markers can become
//! control tokens (a user who types `<|im_end|>` gets the characters, not
//! the end of their turn).

use minijinja::{context, Environment, Error, ErrorKind};

/// ChatML, used when a file carries no template.
pub const CHATML: &str = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// One piece of a rendered prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text the template wrote: its markers are control tokens.
    Template(String),
    /// A message's content: plain text, whatever it contains.
    Content(String),
}

/// A compiled chat template.
#[derive(Debug)]
pub struct ChatTemplate {
    env: Environment<'static>,
    bos: String,
    eos: String,
}

/// The template's name inside the environment.
const NAME: &str = "chat";

impl ChatTemplate {
    /// Compiles `source` (ChatML when `None`); `bos` and `eos` are the texts
    /// of the file's special tokens.
    /// The template a GGUF file carries (`tokenizer.chat_template`, else
    /// ChatML), with its vocabulary's BOS and EOS texts.
    pub fn from_gguf(
        content: &candle_core::quantized::gguf_file::Content,
        vocab: &crate::vocab::Vocab,
    ) -> Result<ChatTemplate, String> {
        let text_of = |id: Option<u32>| {
            id.and_then(|i| vocab.pieces.get(i as usize))
                .cloned()
                .unwrap_or_default()
        };
        let source = content
            .metadata
            .get("tokenizer.chat_template")
            .and_then(|v| v.to_string().ok());
        ChatTemplate::new(
            source.map(String::as_str),
            &text_of(vocab.bos),
            &text_of(Some(vocab.eos)),
        )
    }

    pub fn new(source: Option<&str>, bos: &str, eos: &str) -> Result<ChatTemplate, String> {
        let source = match source {
            Some(s) => s.to_owned(),
            None => {
                tracing::debug!("the model file has no chat template: using ChatML");
                CHATML.to_owned()
            }
        };
        let mut env = Environment::new();
        env.add_function(
            "raise_exception",
            |message: String| -> Result<String, Error> {
                Err(Error::new(ErrorKind::InvalidOperation, message))
            },
        );
        env.add_template_owned(NAME, source)
            .map_err(|e| format!("it does not compile: {e}"))?;
        Ok(ChatTemplate {
            env,
            bos: bos.to_owned(),
            eos: eos.to_owned(),
        })
    }

    /// Renders `(role, content)` turns with the generation prompt, as one
    /// string.
    pub fn render(&self, messages: &[(&str, &str)]) -> Result<String, String> {
        let messages: Vec<_> = messages
            .iter()
            .map(|(role, content)| context! { role => role, content => content })
            .collect();
        self.render_values(messages)
    }

    fn render_values(&self, messages: Vec<minijinja::Value>) -> Result<String, String> {
        let template = self
            .env
            .get_template(NAME)
            .map_err(|e| format!("it is missing: {e}"))?;
        template
            .render(context! {
                messages => messages,
                add_generation_prompt => true,
                bos_token => &self.bos,
                eos_token => &self.eos,
            })
            .map_err(|e| format!("it does not render: {e}"))
    }

    /// Renders the turns with each content replaced by a sentinel, then
    /// splits at the sentinels: the template's text and the contents come
    /// back as separate pieces, in order.
    pub fn render_parts(&self, messages: &[(&str, &str)]) -> Result<Vec<Piece>, String> {
        // A private-use character no content holds, so a sentinel cannot be
        // forged by a message.
        let mark = ('\u{E000}'..='\u{F8FF}')
            .find(|c| messages.iter().all(|(_, content)| !content.contains(*c)))
            .ok_or("every private-use character appears in the messages")?;
        let sentinel = |i: usize| format!("{mark}{i}{mark}");
        let values: Vec<_> = messages
            .iter()
            .enumerate()
            .map(|(i, (role, _))| context! { role => role, content => sentinel(i) })
            .collect();
        let rendered = self.render_values(values)?;
        let mut pieces = Vec::new();
        let mut rest = rendered.as_str();
        while let Some(start) = rest.find(mark) {
            let after = &rest[start + mark.len_utf8()..];
            let Some(end) = after.find(mark) else {
                break;
            };
            let index: Option<usize> = after[..end].parse().ok();
            let Some((_, content)) = index.and_then(|i| messages.get(i)) else {
                return Err("the template changed a message's content".to_owned());
            };
            if start > 0 {
                pieces.push(Piece::Template(rest[..start].to_owned()));
            }
            pieces.push(Piece::Content((*content).to_owned()));
            rest = &after[end + mark.len_utf8()..];
        }
        if rest.contains(mark) {
            return Err("the template changed a message's content".to_owned());
        }
        if !rest.is_empty() {
            pieces.push(Piece::Template(rest.to_owned()));
        }
        Ok(pieces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chatml_fallback_and_parts() {
        let t = ChatTemplate::new(None, "<s>", "</s>").unwrap();
        let msgs = [("user", "hi <|im_end|> there")];
        assert_eq!(
            t.render(&msgs).unwrap(),
            "<|im_start|>user\nhi <|im_end|> there<|im_end|>\n<|im_start|>assistant\n"
        );
        let parts = t.render_parts(&msgs).unwrap();
        assert_eq!(
            parts,
            vec![
                Piece::Template("<|im_start|>user\n".to_owned()),
                Piece::Content("hi <|im_end|> there".to_owned()),
                Piece::Template("<|im_end|>\n<|im_start|>assistant\n".to_owned()),
            ]
        );
    }

    #[test]
    fn raise_exception_is_an_error() {
        let t = ChatTemplate::new(Some("{{ raise_exception('no system role') }}"), "", "").unwrap();
        let err = t.render(&[("system", "x")]).unwrap_err();
        assert!(err.contains("no system role"), "{err}");
    }
}
