//! `${{ … }}` references in workflow templates: finding them and
//! substituting values.
//!
//! The syntax: `${{ vars.NAME }}`, `${{ nodes.ID.OUTPUT }}`,
//! `${{ workflow.id }}`, `${{ workflow.name }}`, `${{ workflow.repo }}`
//! (spaces inside the braces optional); `$${{` is a literal `${{`. Anything
//! else that starts with `${{` is an error. What it must not do: decide
//! whether a reference is allowed where it appears (that is `load`'s check)
//! or quote values for a shell (a substituted command is validated whole,
//! after substitution).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The `workflow.*` names a template may use.
pub const WORKFLOW_FIELDS: [&str; 3] = ["id", "name", "repo"];

/// One reference inside `${{ … }}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ref {
    /// `vars.NAME`.
    Var(String),
    /// `nodes.ID.OUTPUT`.
    Node {
        /// The node's id.
        node: String,
        /// The output's name.
        output: String,
    },
    /// `workflow.id`, `workflow.name` or `workflow.repo`.
    Workflow(String),
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ref::Var(name) => write!(f, "vars.{name}"),
            Ref::Node { node, output } => write!(f, "nodes.{node}.{output}"),
            Ref::Workflow(field) => write!(f, "workflow.{field}"),
        }
    }
}

/// A template that cannot be parsed or rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset} of the template: {message}")]
pub struct TemplateError {
    /// Byte offset of the offending `${{` in the template.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// A piece of a parsed template.
enum Piece<'t> {
    Text(&'t str),
    /// A reference and the byte offset of its `${{`.
    Ref(Ref, usize),
}

/// Splits `template` into literal text and references.
fn pieces(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = template;
    let mut offset = 0;
    while let Some(at) = rest.find("${{") {
        if at > 0 && rest.as_bytes()[at - 1] == b'$' {
            // `$${{` is a literal `${{`: keep text up to the first `$`.
            out.push(Piece::Text(&rest[..at - 1]));
            out.push(Piece::Text("${{"));
        } else {
            out.push(Piece::Text(&rest[..at]));
            let body_start = at + 3;
            let Some(len) = rest[body_start..].find("}}") else {
                return Err(TemplateError {
                    offset: offset + at,
                    message: "`${{` without a closing `}}` (write `$${{` for a literal `${{`)"
                        .to_owned(),
                });
            };
            let body = &rest[body_start..body_start + len];
            let reference = parse_ref(body).map_err(|message| TemplateError {
                offset: offset + at,
                message,
            })?;
            out.push(Piece::Ref(reference, offset + at));
            let end = body_start + len + 2;
            offset += end;
            rest = &rest[end..];
            continue;
        }
        offset += at + 3;
        rest = &rest[at + 3..];
    }
    out.push(Piece::Text(rest));
    Ok(out)
}

/// Whether `name` is a var name or output name: `[A-Za-z0-9_-]+`.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Parses the text between `${{` and `}}`.
fn parse_ref(body: &str) -> Result<Ref, String> {
    let expr = body.trim_matches([' ', '\t']);
    let parts: Vec<&str> = expr.split('.').collect();
    let bad = || {
        format!(
            "`${{{{{body}}}}}` is not a reference (expected vars.NAME, nodes.ID.OUTPUT, \
             workflow.id, workflow.name or workflow.repo)"
        )
    };
    if !parts.iter().all(|part| is_name(part)) {
        return Err(bad());
    }
    match parts.as_slice() {
        ["vars", name] => Ok(Ref::Var((*name).to_owned())),
        ["nodes", node, output] => Ok(Ref::Node {
            node: (*node).to_owned(),
            output: (*output).to_owned(),
        }),
        ["workflow", field] if WORKFLOW_FIELDS.contains(field) => {
            Ok(Ref::Workflow((*field).to_owned()))
        }
        _ => Err(bad()),
    }
}

/// Every reference in `template`, in order (repeats included).
///
/// # Errors
///
/// An unclosed `${{` or anything inside the braces that is not a reference.
pub fn references(template: &str) -> Result<Vec<Ref>, TemplateError> {
    Ok(pieces(template)?
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Ref(reference, _) => Some(reference),
            Piece::Text(_) => None,
        })
        .collect())
}

/// `template` with every reference replaced by `lookup`'s value and every
/// `$${{` by `${{`.
///
/// # Errors
///
/// A malformed template, or a reference `lookup` has no value for (the
/// error names it).
pub fn render(
    template: &str,
    lookup: &dyn Fn(&Ref) -> Option<String>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len());
    for piece in pieces(template)? {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Ref(reference, offset) => match lookup(&reference) {
                Some(value) => out.push_str(&value),
                None => {
                    return Err(TemplateError {
                        offset,
                        message: format!("no value for `{reference}`"),
                    })
                }
            },
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(node: &str, output: &str) -> Ref {
        Ref::Node {
            node: node.to_owned(),
            output: output.to_owned(),
        }
    }

    #[test]
    fn finds_every_form_with_or_without_spaces() {
        let refs =
            references("a ${{vars.x}} b ${{ nodes.gen.command }} ${{  workflow.repo }}").unwrap();
        assert_eq!(
            refs,
            vec![
                Ref::Var("x".into()),
                node("gen", "command"),
                Ref::Workflow("repo".into())
            ]
        );
    }

    #[test]
    fn double_dollar_is_literal() {
        assert_eq!(references("echo $${{ vars.x }}").unwrap(), vec![]);
        let out = render("echo $${{ vars.x }} ${{ vars.x }}", &|_| Some("1".into())).unwrap();
        assert_eq!(out, "echo ${{ vars.x }} 1");
    }

    #[test]
    fn malformed_references_are_errors() {
        for bad in [
            "${{ vars }}",
            "${{ vars.a.b }}",
            "${{ nodes.a }}",
            "${{ workflow.secret }}",
            "${{ env.HOME }}",
            "${{ vars.a b }}",
            "${{}}",
            "x ${{ vars.a",
        ] {
            let err = references(bad).unwrap_err();
            assert!(err.message.contains("${{"), "{bad}: {err}");
        }
        assert_eq!(references("ab ${{ nope }}").unwrap_err().offset, 3);
    }

    #[test]
    fn render_substitutes_and_names_a_missing_value() {
        let lookup = |r: &Ref| match r {
            Ref::Var(name) if name == "branch" => Some("main".to_owned()),
            _ => None,
        };
        assert_eq!(
            render("git push origin ${{ vars.branch }}", &lookup).unwrap(),
            "git push origin main"
        );
        let err = render("${{ nodes.a.stdout }}", &lookup).unwrap_err();
        assert!(err.message.contains("nodes.a.stdout"), "{err}");
    }

    #[test]
    fn plain_text_and_lone_braces_pass_through() {
        let out = render("a }} $ {{ $x ${ {", &|_| None).unwrap();
        assert_eq!(out, "a }} $ {{ $x ${ {");
    }
}
