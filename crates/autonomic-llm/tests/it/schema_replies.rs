//! The proof of constrained output: the real 135M model, greedy, on
//! 50 varied requests under a `{lang, command}` and a `{patch}` schema, and
//! every reply parses and satisfies its schema by the independent check.

use std::sync::OnceLock;
use std::time::Instant;

use autonomic_llm::constrain::validate;
use autonomic_llm::embedded::{Embedded, EmbeddedOptions};
use autonomic_llm::{Cancel, ChatModel, Completion, FinishReason, Message, Request, Role};
use serde_json::{json, Value};

use crate::common::model_path;

fn model() -> &'static Embedded {
    static MODEL: OnceLock<Embedded> = OnceLock::new();
    MODEL.get_or_init(|| Embedded::load(&model_path(), EmbeddedOptions::default()).unwrap())
}

/// Requests for a command.
pub const COMMAND_PROMPTS: [&str; 25] = [
    "list the files changed in the last commit",
    "show the disk usage of the current directory",
    "count the lines of every Rust file under src",
    "print the Python version",
    "find all TODO comments in the repository",
    "show the last 20 lines of the log file app.log",
    "create a directory named build",
    "run the unit tests of this Rust project",
    "install the npm dependencies",
    "print the current git branch",
    "list running processes sorted by memory use",
    "compress the folder logs into logs.tar.gz",
    "read config.json in Python and print its keys",
    "show the PATH environment variable",
    "format all TypeScript files with prettier",
    "search for the word error in all .txt files",
    "print the numbers from 1 to 10 in Python",
    "check which process listens on port 8080",
    "show the size of the file data.csv",
    "list the ten largest files in this directory",
    "compile main.ts with tsc",
    "print today's date",
    "show the last five commits, one line each",
    "count the words in README.md",
    "print hello world in TypeScript",
];

/// Requests for a patch.
pub const PATCH_PROMPTS: [&str; 25] = [
    "write a patch that renames foo to bar in src/lib.rs",
    "write a patch that adds a README.md with the title Hello",
    "write a patch that fixes the typo recieve to receive in docs/guide.md",
    "write a patch that changes the port from 8080 to 9090 in config.toml",
    "write a patch that adds a .gitignore ignoring target/",
    "write a patch that removes the unused import of os in main.py",
    "write a patch that bumps the version to 1.2.0 in Cargo.toml",
    "write a patch that adds a newline at the end of src/main.rs",
    "write a patch that replaces print with logging.info in app.py",
    "write a patch that adds a test function test_add to tests/test_math.py",
    "write a patch that changes the greeting from Hi to Hello in index.ts",
    "write a patch that deletes the line DEBUG = True from settings.py",
    "write a patch that renames the function getUser to fetchUser in api.ts",
    "write a patch that sets timeout = 30 in config.yaml",
    "write a patch that adds an MIT licence header to src/lib.rs",
    "write a patch that fixes the off-by-one error in the loop of sum.py",
    "write a patch that adds serde as a dependency in Cargo.toml",
    "write a patch that turns the verbose flag on in settings.json",
    "write a patch that adds a docstring to the function parse in parser.py",
    "write a patch that renames the variable x to count in counter.js",
    "write a patch that updates the copyright year to 2026 in LICENSE",
    "write a patch that adds an .editorconfig with indent_size = 4",
    "write a patch that makes main return 0 in main.c",
    "write a patch that adds a CHANGELOG entry for version 0.2.0",
    "write a patch that removes trailing whitespace in notes.txt",
];

/// The `{lang, command}` schema as a Prompt node would send it.
pub fn command_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "lang": {"enum": ["bash", "python", "typescript"]},
            "command": {"type": "string", "maxLength": COMMAND_MAX_CHARS}
        },
        "required": ["lang", "command"],
        "additionalProperties": false
    })
}

/// The `{patch}` schema.
pub fn patch_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"patch": {"type": "string", "maxLength": PATCH_MAX_CHARS}},
        "required": ["patch"],
        "additionalProperties": false
    })
}

/// Longest command, in characters.
pub const COMMAND_MAX_CHARS: u32 = 120;
/// Longest patch, in characters.
pub const PATCH_MAX_CHARS: u32 = 300;

/// A token budget that always fits the schema's longest document, so a
/// reply can never be cut by `max_tokens`: a token is at least one byte, a
/// character at most four (no `\u` escapes), and the keys and punctuation
/// around the one bounded string take fewer than 40 bytes.
pub fn budget(max_chars: u32) -> u32 {
    4 * max_chars + 40
}

const COMMAND_SYSTEM: &str = "You turn a request into one command. Answer with a JSON object: \"lang\" is \"bash\", \"python\" or \"typescript\", \"command\" is the command. Example: {\"lang\": \"bash\", \"command\": \"ls -la\"}";
const PATCH_SYSTEM: &str = "You turn a request into a unified diff. Answer with a JSON object whose \"patch\" is the diff. Example: {\"patch\": \"--- a/notes.txt\\n+++ b/notes.txt\\n@@ -1 +1 @@\\n-old\\n+new\\n\"}";

/// The request for `prompt` under `schema`.
pub fn request(system: &str, prompt: &str, schema: Option<Value>, max_tokens: u32) -> Request {
    let mut request = Request::new(vec![
        Message::text(Role::System, system),
        Message::text(Role::User, prompt),
    ]);
    request.max_tokens = max_tokens;
    request.schema = schema;
    request
}

/// Every case: (system prompt, user prompt, schema, token budget).
pub fn cases() -> Vec<(&'static str, &'static str, Value, u32)> {
    let mut cases = Vec::new();
    for prompt in COMMAND_PROMPTS {
        cases.push((
            COMMAND_SYSTEM,
            prompt,
            command_schema(),
            budget(COMMAND_MAX_CHARS),
        ));
    }
    for prompt in PATCH_PROMPTS {
        cases.push((
            PATCH_SYSTEM,
            prompt,
            patch_schema(),
            budget(PATCH_MAX_CHARS),
        ));
    }
    cases
}

fn complete(request: &Request) -> Completion {
    model()
        .complete(request, &mut |_| {}, &Cancel::new())
        .unwrap()
}

#[test]
fn fifty_prompts_yield_schema_valid_json() {
    let mut failures = Vec::new();
    let mut tokens = 0;
    let started = Instant::now();
    for (system, prompt, schema, max_tokens) in cases() {
        let request = request(system, prompt, Some(schema.clone()), max_tokens);
        let reply = complete(&request);
        tokens += reply.usage.completion_tokens;
        println!(
            "{prompt:?} -> {:?} ({} tokens, {:?})",
            reply.text, reply.usage.completion_tokens, reply.finish
        );
        if reply.finish != FinishReason::Stop {
            failures.push(format!(
                "{prompt:?}: finished {:?}: {}",
                reply.finish, reply.text
            ));
        } else if let Err(e) = validate(&schema, &reply.text) {
            failures.push(format!("{prompt:?}: {e}: {}", reply.text));
        }
    }
    println!(
        "50 replies, {tokens} tokens in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Generation speed with and without the schema on the same prompts (run in
/// release: `cargo test --release -p autonomic-llm --test it
/// schema_replies::constrained_speed -- --ignored --nocapture`).
#[test]
#[ignore = "a measurement, not a check; run in release"]
fn constrained_speed() {
    let cases = cases();
    // Warm up: load, and build the constrainer once.
    let (system, prompt, schema, _) = &cases[0];
    complete(&request(system, prompt, Some(schema.clone()), 4));
    let mut totals = [(0u32, 0f64); 2];
    for (system, prompt, schema, max_tokens) in cases.iter().step_by(2) {
        // The same prompt, constrained, then free for as many tokens (the
        // cost of a token grows with its position).
        let constrained = complete(&request(system, prompt, Some(schema.clone()), *max_tokens));
        let n = constrained.usage.completion_tokens;
        let free = complete(&request(system, prompt, None, n));
        for (i, reply) in [free, constrained].iter().enumerate() {
            // The first token is timed with the prompt; count the rest.
            totals[i].0 += reply.usage.completion_tokens.saturating_sub(1);
            totals[i].1 += reply.timings.generation_secs;
        }
    }
    let rate = |(tokens, secs): (u32, f64)| f64::from(tokens) / secs;
    let (free, constrained) = (rate(totals[0]), rate(totals[1]));
    println!(
        "unconstrained: {} tokens, {:.1} tok/s; constrained: {} tokens, {:.1} tok/s; constrained/unconstrained = {:.3}",
        totals[0].0,
        free,
        totals[1].0,
        constrained,
        constrained / free
    );
}
