//! Obfuscator fingerprints in JavaScript/TypeScript.

use crate::syntax::kind;
use tree_sitter::Node;

use super::{js_str, Ts};
use crate::catalog as c;

/// Obfuscator fingerprints: `_0x` identifiers, string arrays, XOR loops,
/// hex/base64 string literals that decode to sensitive names, indirect eval.
pub(super) fn obfuscation(ts: &mut Ts<'_, '_, '_>, nodes: &[Node<'_>]) {
    let src = ts.src;
    let hex_ids = nodes
        .iter()
        .filter(|n| kind(n) == "identifier" && src[n.byte_range()].starts_with("_0x"))
        .count();
    if hex_ids >= 3 {
        ts.hit(
            c::TS_OBFUSCATED,
            0..src.len().min(1),
            "machine-obfuscated code (`_0x…` identifiers)",
        );
    }
    let seeds = nodes
        .iter()
        .filter(|n| kind(n) == "string")
        .filter_map(|n| js_str(*n, src))
        .filter(|s| {
            let digits = s.chars().take_while(|c| c.is_ascii_digit()).count();
            digits >= 3
                && s.len() - digits >= 4
                && s[digits..].chars().all(|c| c.is_ascii_alphabetic())
        })
        .count();
    if seeds >= 5 {
        ts.hit(
            c::TS_OBFUSCATED,
            0..src.len().min(1),
            "an obfuscator's shuffled string array",
        );
    }
    if src.contains("charCodeAt") && src.contains(" ^ ") {
        ts.hit(
            c::TS_OBFUSCATED,
            0..src.len().min(1),
            "decodes strings with XOR",
        );
    }
    let escaped_blob = nodes
        .iter()
        .any(|n| kind(n) == "string" && src[n.byte_range()].matches("\\x").count() >= 20);
    if escaped_blob {
        ts.hit(
            c::TS_OBFUSCATED,
            0..src.len().min(1),
            "a long string of escaped bytes (embedded payload)",
        );
    }
    if src.contains("while (!![])") || src.contains("while(!![])") {
        ts.hit(
            c::TS_OBFUSCATED,
            0..src.len().min(1),
            "obfuscator control-flow loop",
        );
    }
    for n in nodes {
        match kind(n) {
            "string" => {
                if let Some(s) = js_str(*n, src) {
                    if let Some(decoded) = decode_literal(&s) {
                        let d = decoded.to_ascii_lowercase();
                        if [
                            "require",
                            "child_process",
                            "exec",
                            "eval",
                            "spawn",
                            "http",
                            "process",
                            "function",
                            "constructor",
                            "axios",
                            "get",
                            "then",
                            "fetch",
                            "buffer",
                        ]
                        .iter()
                        .any(|k| d.contains(k))
                        {
                            ts.hit(
                                c::TS_OBFUSCATED,
                                n.byte_range(),
                                format!(
                                    "a hex/base64 string hides `{}`",
                                    decoded.chars().take(60).collect::<String>()
                                ),
                            );
                        }
                    }
                }
            }
            "subscript_expression" => {
                let obj = n
                    .child_by_field_name("object")
                    .map(|o| &src[o.byte_range()])
                    .unwrap_or("");
                let idx = n.child_by_field_name("index");
                let computed =
                    idx.is_some_and(|i| js_str(i, src).is_none() && !matches!(kind(i), "number"));
                let escaped = idx.is_some_and(|i| {
                    src[i.byte_range()].contains("\\x") || kind(i) == "binary_expression"
                });
                if matches!(
                    obj,
                    "process" | "global" | "globalThis" | "window" | "self" | "require" | "module"
                ) && (computed || escaped || obj == "process")
                {
                    ts.hit(
                        c::TS_SANDBOX_ESCAPE,
                        n.byte_range(),
                        format!("indexes `{obj}` with a hidden or computed name"),
                    );
                } else if ts.bindings.contains_key(obj)
                    && (computed || escaped || idx.is_some_and(|i| kind(i) == "string"))
                {
                    ts.hit(
                        c::TS_REFLECTION,
                        n.byte_range(),
                        format!("calls a member of `{obj}` by a computed name"),
                    );
                }
            }
            "call_expression" => {
                // (0, eval)(…)
                if let Some(f) = n.child_by_field_name("function") {
                    if kind(f) == "parenthesized_expression" && src[f.byte_range()].contains("eval")
                    {
                        ts.hit(c::TS_EVAL, n.byte_range(), "indirect eval `(0, eval)(…)`");
                    }
                }
            }
            _ => {}
        }
    }
}

/// Decodes a string literal that is entirely hex or base64 (≥ 6 chars).
fn decode_literal(s: &str) -> Option<String> {
    if s.len() >= 6 && s.len() % 2 == 0 && s.chars().all(|c| c.is_ascii_hexdigit()) {
        let bytes: Option<Vec<u8>> = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
            .collect();
        let text = String::from_utf8(bytes?).ok()?;
        return text.chars().all(|c| !c.is_control()).then_some(text);
    }
    None
}
