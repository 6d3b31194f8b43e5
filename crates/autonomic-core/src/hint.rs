//! One way for every library error to suggest the next step.

/// A library error's suggestion for the user: the command that fixes it,
/// the key to change, where to look. Rendered as a `hint:` line after the
/// error and its causes (`autonomic-cli`'s renderer), returned as data by
/// the hooks and the MCP server.
pub trait Hint {
    /// The suggestion, when this error has one.
    fn hint(&self) -> Option<String>;
}
