//! TypeScript/JavaScript rules: eval and `new Function`, child_process
//! (exec, execSync, spawn with a shell, computed `require` names), vm.run*,
//! fetched or decoded code evaluated, sandbox escapes through `process`.

use crate::syntax::kind;
use std::collections::HashMap;

use tree_sitter::{Node, Tree};

use crate::catalog as c;
use crate::context::{Ctx, SpanMap};
use crate::names::is_shell;
use crate::syntax::named_nodes as all_nodes;
use crate::Lang;

mod flow;
mod obfuscation;
use obfuscation::obfuscation;

const CHILD_PROCESS: &[&str] = &["child_process", "node:child_process"];

pub(super) struct Ts<'a, 'c, 'p> {
    src: &'a str,
    map: &'a SpanMap,
    ctx: &'c mut Ctx<'p>,
    /// local name → module (`cp` → `child_process`) or `module.export`.
    bindings: HashMap<String, String>,
    /// Callees of child_process calls judged by their literal argv (no
    /// shell): an import used only through these needs no review of its own.
    literal_calls: Vec<String>,
}

/// The value of a string or no-substitution template literal.
pub(super) fn js_str(n: Node<'_>, src: &str) -> Option<String> {
    match kind(n) {
        "string" => {
            let mut out = String::new();
            let mut c = n.walk();
            for ch in n.named_children(&mut c) {
                match kind(ch) {
                    "string_fragment" => out.push_str(&src[ch.byte_range()]),
                    "escape_sequence" => {
                        out.push_str(&crate::bash::decode_ansi_c(&src[ch.byte_range()]))
                    }
                    _ => return None,
                }
            }
            Some(out)
        }
        "template_string" => {
            let mut c = n.walk();
            if n.named_children(&mut c)
                .any(|x| kind(x) == "template_substitution")
            {
                return None;
            }
            let t = &src[n.byte_range()];
            Some(t.trim_matches('`').to_string())
        }
        "parenthesized_expression" => n.named_child(0).and_then(|x| js_str(x, src)),
        "binary_expression" => {
            // 'child' + '_process'
            let l = n.child_by_field_name("left")?;
            let r = n.child_by_field_name("right")?;
            let op = n
                .child_by_field_name("operator")
                .map(|o| &src[o.byte_range()]);
            if op != Some("+") {
                return None;
            }
            Some(format!("{}{}", js_str(l, src)?, js_str(r, src)?))
        }
        _ => None,
    }
}

pub(crate) fn analyze(ctx: &mut Ctx<'_>, src: &str, tree: &Tree, map: &SpanMap) {
    let nodes = all_nodes(tree.root_node());
    let mut ts = Ts {
        src,
        map,
        ctx,
        bindings: HashMap::new(),
        literal_calls: Vec::new(),
    };
    // Snippets often use Node's modules under their usual names unimported.
    for m in ["os", "fs", "net", "http", "https", "vm", "child_process"] {
        ts.bindings.insert(m.to_string(), m.to_string());
    }
    let mut cp_import = None;
    for n in &nodes {
        match kind(n) {
            "import_statement" => {
                let source = n.child_by_field_name("source").and_then(|s| js_str(s, src));
                if let Some(m) = source {
                    if CHILD_PROCESS.contains(&m.as_str()) {
                        cp_import.get_or_insert(n.byte_range());
                    }
                    ts.import_bindings(*n, &m);
                }
            }
            "variable_declarator" => ts.declarator(*n),
            "string" | "template_string" => {
                let t = &src[n.byte_range()];
                if t.contains("_$$ND_FUNC$$_") || t.contains("__js_function") {
                    ts.hit(
                        c::TS_DESERIALIZE,
                        n.byte_range(),
                        "serialised function payload (node-serialize RCE)",
                    );
                }
            }
            _ => {}
        }
    }
    let mut socket = None;
    let mut spawn_seen = false;
    for n in &nodes {
        match kind(n) {
            "call_expression" => {
                let Some(f) = n.child_by_field_name("function") else {
                    continue;
                };
                let name = ts.qualify(f);
                if name == "require" || kind(f) == "import" {
                    ts.require(*n, &mut cp_import);
                    continue;
                }
                if matches!(name.as_str(), "Reflect.apply" | "Reflect.construct") {
                    let first = n
                        .child_by_field_name("arguments")
                        .and_then(|a| a.named_child(0));
                    if first.is_some_and(|a| {
                        matches!(
                            &src[a.byte_range()],
                            "eval" | "Function" | "setTimeout" | "setInterval"
                        )
                    }) {
                        ts.hit(
                            c::TS_EVAL,
                            n.byte_range(),
                            "calls eval or the Function constructor through Reflect",
                        );
                    }
                }
                if name.starts_with("net.")
                    || name.starts_with("node:net.")
                    || name.starts_with("tls.")
                    || name.ends_with(".connect") && name.contains("Socket")
                {
                    if name.ends_with("connect") || name.ends_with("createConnection") {
                        socket.get_or_insert(n.byte_range());
                    }
                }
                // `.then(eval)`, `arr.map(eval)`: eval handed over as a value
                // runs whatever it is later called with.
                if let Some(a) = n.child_by_field_name("arguments") {
                    let mut c = a.walk();
                    for arg in a.named_children(&mut c) {
                        if matches!(
                            &src[arg.byte_range()],
                            "eval" | "window.eval" | "globalThis.eval" | "global.eval"
                        ) {
                            ts.hit(
                                c::TS_EVAL,
                                arg.byte_range(),
                                "eval is passed as a value: whatever it is called with runs as code",
                            );
                        }
                    }
                }
                if kind(f) == "new_expression" {
                    // new Function(...)(): the constructor is reported below
                    continue;
                }
                if ts.call(*n, &name) {
                    spawn_seen = true;
                }
            }
            "new_expression" => {
                let ctor = n
                    .child_by_field_name("constructor")
                    .map(|c| ts.qualify(c))
                    .unwrap_or_default();
                match ctor.as_str() {
                    "Function" | "AsyncFunction" | "GeneratorFunction" => ts.hit(
                        c::TS_EVAL,
                        n.byte_range(),
                        "`new Function` compiles a string into code",
                    ),
                    "vm.Script" | "node:vm.Script"
                        if n.child_by_field_name("arguments")
                            .and_then(|a| a.named_child(0))
                            .is_some_and(|a| js_str(a, src).is_none()) =>
                    {
                        ts.hit(
                            c::TS_EVAL,
                            n.byte_range(),
                            "`vm.Script` compiles code that is not a literal",
                        )
                    }
                    "vm.Script" | "node:vm.Script" => ts.hit(
                        c::TS_VM,
                        n.byte_range(),
                        "`vm.Script` compiles a string into code",
                    ),
                    "net.Socket" | "node:net.Socket" => {
                        socket.get_or_insert(n.byte_range());
                    }
                    "Deno.Command" => {
                        ts.deno_command(*n);
                        spawn_seen = true;
                    }
                    _ => {}
                }
            }
            "member_expression" | "subscript_expression" => {
                let t = &src[n.byte_range()];
                if t.starts_with("process.binding")
                    || t.starts_with("process.mainModule")
                    || t.starts_with("process._linkedBinding")
                    || t.contains(".constructor.constructor")
                    || t.starts_with("module.constructor._load")
                {
                    ts.hit(c::TS_SANDBOX_ESCAPE, n.byte_range(), "reaches Node internals through `process`/`constructor` to escape the module system");
                }
                if kind(n) == "subscript_expression" {
                    let obj = n
                        .child_by_field_name("object")
                        .map(|o| &src[o.byte_range()]);
                    let idx = n.child_by_field_name("index");
                    if obj == Some("process")
                        || obj.is_some_and(|o| {
                            ts.bindings
                                .get(o)
                                .is_some_and(|m| CHILD_PROCESS.contains(&m.as_str()))
                        })
                    {
                        if idx.is_some_and(|i| js_str(i, src).is_none()) {
                            ts.hit(c::TS_SANDBOX_ESCAPE, n.byte_range(), "computed property access on `process`/child_process hides what is called");
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let text = src;
    for obj in ["process", "global", "globalThis", "require", "module"] {
        for pat in [
            format!("Object.getOwnPropertyDescriptor({obj}"),
            format!("Reflect.get({obj}"),
            format!("Object.entries({obj})"),
            format!("Object.keys({obj})"),
            format!("Object.getOwnPropertyNames({obj})"),
            format!("Object.values({obj})"),
        ] {
            if let Some(at) = text.find(&pat) {
                ts.hit(
                    c::TS_SANDBOX_ESCAPE,
                    at..at + pat.len(),
                    format!("reaches into `{obj}` reflectively to call what it hides"),
                );
            }
        }
    }
    for (local, module) in ts.bindings.clone() {
        for pat in [
            format!("Object.getOwnPropertyDescriptor({local}"),
            format!("Reflect.get({local}"),
            format!("Object.entries({local})"),
            format!("Object.keys({local})"),
            format!("Object.getOwnPropertyNames({local})"),
        ] {
            if let Some(at) = text.find(&pat) {
                ts.hit(
                    c::TS_REFLECTION,
                    at..at + pat.len(),
                    format!("calls into `{module}` reflectively, hiding which function runs"),
                );
            }
        }
    }
    obfuscation(&mut ts, &nodes);
    flow::check(&mut ts, &nodes);
    let lower = text.to_ascii_lowercase();
    let sink = [
        "fetch(",
        ".request(",
        "http.request",
        "https.request",
        "axios.post",
        "axios.put",
        ".sendbeacon(",
        "xmlhttprequest",
        "request.post",
        "got.post",
        "net.connect",
        "dgram",
    ]
    .iter()
    .any(|k| lower.contains(k));
    // The environment is followed by `flow` (a token in `headers` is how
    // it is used, not a leak); files, cookies and storage by their names.
    let secret = [
        "readfilesync",
        "createreadstream",
        ".ssh",
        "homedir()",
        "/etc/passwd",
        "/etc/shadow",
        "document.cookie",
        "localstorage",
    ]
    .iter()
    .any(|k| lower.contains(k));
    if sink && secret {
        ts.hit(
            c::TS_EXFILTRATION,
            0..src.len().min(1),
            "sends the environment, local files or cookies over the network",
        );
    }
    if let Some(r) = socket {
        if spawn_seen || text.contains("child_process") || text.contains("/bin/sh") {
            ts.hit(
                c::TS_REVERSE_SHELL,
                r,
                "a network socket is wired to a spawned shell",
            );
        }
    }
    if let Some(r) = cp_import {
        if !ts.only_literal_spawns(&nodes) {
            ts.hit(
                c::TS_CHILD_PROCESS,
                r,
                "imports child_process, which runs programs on the host",
            );
        }
    }
}

impl Ts<'_, '_, '_> {
    fn hit(
        &mut self,
        rule: &'static crate::catalog::RuleMeta,
        range: std::ops::Range<usize>,
        msg: impl Into<String>,
    ) {
        self.ctx.report(self.map, rule, range, msg);
    }

    fn import_bindings(&mut self, n: Node<'_>, module: &str) {
        for x in all_nodes(n) {
            match kind(x) {
                "namespace_import" => {
                    if let Some(id) = x.named_child(0) {
                        self.bindings
                            .insert(self.src[id.byte_range()].to_string(), module.to_string());
                    }
                }
                "import_clause" => {
                    if let Some(id) = x.named_child(0).filter(|i| kind(i) == "identifier") {
                        self.bindings
                            .insert(self.src[id.byte_range()].to_string(), module.to_string());
                    }
                }
                "import_specifier" => {
                    let name = x
                        .child_by_field_name("name")
                        .map(|v| self.src[v.byte_range()].to_string());
                    let alias = x
                        .child_by_field_name("alias")
                        .map(|v| self.src[v.byte_range()].to_string());
                    if let Some(name) = name {
                        let local = alias.unwrap_or_else(|| name.clone());
                        self.bindings.insert(local, format!("{module}.{name}"));
                    }
                }
                _ => {}
            }
        }
    }

    fn declarator(&mut self, n: Node<'_>) {
        let (Some(name), Some(value)) = (
            n.child_by_field_name("name"),
            n.child_by_field_name("value"),
        ) else {
            return;
        };
        let q = self.qualify(value);
        let module = q.strip_prefix("require:").map(str::to_string);
        let target = module
            .clone()
            .or_else(|| (!q.is_empty() && kind(value) != "call_expression").then(|| q.clone()));
        let Some(target) = target else { return };
        match kind(name) {
            "identifier" => {
                self.bindings
                    .insert(self.src[name.byte_range()].to_string(), target);
            }
            "object_pattern" => {
                let mut c = name.walk();
                for p in name.named_children(&mut c) {
                    match kind(p) {
                        "shorthand_property_identifier_pattern" => {
                            let local = self.src[p.byte_range()].to_string();
                            self.bindings
                                .insert(local.clone(), format!("{target}.{local}"));
                        }
                        "pair_pattern" => {
                            let key = p
                                .child_by_field_name("key")
                                .map(|k| self.src[k.byte_range()].to_string());
                            let val = p
                                .child_by_field_name("value")
                                .map(|k| self.src[k.byte_range()].to_string());
                            if let (Some(k), Some(v)) = (key, val) {
                                self.bindings.insert(v, format!("{target}.{k}"));
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// Dotted, binding-resolved name: `cp.exec` → `child_process.exec`,
    /// `require('child_process').exec` → `child_process.exec`.
    fn qualify(&self, n: Node<'_>) -> String {
        match kind(n) {
            "identifier" | "property_identifier" => {
                let t = &self.src[n.byte_range()];
                self.bindings
                    .get(t)
                    .cloned()
                    .unwrap_or_else(|| t.to_string())
            }
            "member_expression" => {
                let obj = n
                    .child_by_field_name("object")
                    .map(|o| self.qualify(o))
                    .unwrap_or_default();
                let prop = n
                    .child_by_field_name("property")
                    .map(|p| &self.src[p.byte_range()])
                    .unwrap_or("");
                format!("{}.{prop}", obj.trim_start_matches("require:"))
            }
            "subscript_expression" => {
                let obj = n
                    .child_by_field_name("object")
                    .map(|o| self.qualify(o))
                    .unwrap_or_default();
                match n
                    .child_by_field_name("index")
                    .and_then(|i| js_str(i, self.src))
                {
                    Some(p) => format!("{}.{p}", obj.trim_start_matches("require:")),
                    None => format!("{}.[?]", obj.trim_start_matches("require:")),
                }
            }
            "call_expression" => {
                let f = n
                    .child_by_field_name("function")
                    .map(|f| self.qualify(f))
                    .unwrap_or_default();
                if f == "require"
                    || n.child_by_field_name("function")
                        .is_some_and(|x| kind(x) == "import")
                {
                    let arg = n
                        .child_by_field_name("arguments")
                        .and_then(|a| a.named_child(0))
                        .and_then(|a| js_str(a, self.src));
                    if let Some(m) = arg {
                        return format!("require:{m}");
                    }
                }
                format!("{f}()")
            }
            "await_expression"
            | "parenthesized_expression"
            | "non_null_expression"
            | "as_expression" => n
                .named_child(0)
                .map(|x| self.qualify(x))
                .unwrap_or_default(),
            _ => String::new(),
        }
    }

    fn require(&mut self, n: Node<'_>, cp_import: &mut Option<std::ops::Range<usize>>) {
        let arg = n
            .child_by_field_name("arguments")
            .and_then(|a| a.named_child(0));
        let Some(arg) = arg else { return };
        let literal = kind(arg) == "string"
            || (kind(arg) == "template_string" && js_str(arg, self.src).is_some());
        match js_str(arg, self.src) {
            Some(m) if CHILD_PROCESS.contains(&m.as_str()) => {
                if !literal {
                    self.hit(
                        c::TS_DYNAMIC_REQUIRE,
                        n.byte_range(),
                        "builds the name `child_process` at run time to hide the import",
                    );
                }
                cp_import.get_or_insert(n.byte_range());
            }
            Some(_) if !literal => self.hit(
                c::TS_DYNAMIC_REQUIRE,
                n.byte_range(),
                "require() of a name built at run time",
            ),
            Some(_) => {}
            None => self.hit(
                c::TS_DYNAMIC_REQUIRE,
                n.byte_range(),
                "require() of a module whose name is computed at run time",
            ),
        }
    }

    fn args(n: Node<'_>) -> Vec<Node<'_>> {
        let Some(a) = n.child_by_field_name("arguments") else {
            return Vec::new();
        };
        let mut c = a.walk();
        a.named_children(&mut c)
            .filter(|x| kind(x) != "comment")
            .collect()
    }

    /// Whether child_process is imported only as named functions, each used
    /// only as the callee of a call judged by its literal argv (so every use
    /// was validated as the command it runs). A namespace import, a name
    /// passed around, aliased or called with a run-time argv keeps the
    /// import's review.
    fn only_literal_spawns(&self, nodes: &[Node<'_>]) -> bool {
        let mut names: Vec<&str> = Vec::new();
        for (local, target) in &self.bindings {
            if CHILD_PROCESS.contains(&target.as_str()) && local != target {
                return false; // `const cp = require('child_process')`
            }
            if CHILD_PROCESS
                .iter()
                .any(|m| target.strip_prefix(m).is_some_and(|r| r.starts_with('.')))
            {
                names.push(local);
            }
        }
        if names.is_empty() {
            return false;
        }
        names.iter().all(|name| {
            let uses = nodes
                .iter()
                .filter(|n| kind(n) == "identifier" && &self.src[n.byte_range()] == *name)
                .filter(|n| !in_declaration(**n))
                .count();
            let judged = self.literal_calls.iter().filter(|c| c == name).count();
            uses == judged
        })
    }

    /// `new Deno.Command(program, { args: [...] })` (Deno's subprocess
    /// API): judged like a spawn — a shell with `-c` is a shell command,
    /// any other literal argv is validated as the command it is.
    fn deno_command(&mut self, n: Node<'_>) {
        let range = n.byte_range();
        let Some(args) = n.child_by_field_name("arguments") else {
            return;
        };
        let mut c = args.walk();
        let list: Vec<Node<'_>> = args.named_children(&mut c).collect();
        let Some(prog) = list.first().and_then(|p| js_str(*p, self.src)) else {
            self.hit(
                c::TS_SHELL_EXEC,
                range,
                "`Deno.Command` runs a program chosen at run time",
            );
            return;
        };
        let mut argv = vec![prog.clone()];
        if let Some(opts) = list.get(1).filter(|o| kind(o) == "object") {
            for p in all_nodes(*opts) {
                let is_args = kind(p) == "pair"
                    && p.child_by_field_name("key")
                        .is_some_and(|k| &self.src[k.byte_range()] == "args");
                let Some(v) = p.child_by_field_name("value").filter(|_| is_args) else {
                    continue;
                };
                let mut c = v.walk();
                let items: Option<Vec<String>> = v
                    .named_children(&mut c)
                    .map(|e| js_str(e, self.src))
                    .collect();
                match items {
                    Some(items) => argv.extend(items),
                    None => {
                        self.hit(
                            c::TS_CHILD_PROCESS,
                            range.clone(),
                            "`Deno.Command` runs a program with arguments built at run time",
                        );
                        return;
                    }
                }
            }
        }
        if is_shell(crate::bash::basename(&prog)) {
            self.hit(
                c::TS_SHELL_EXEC,
                range.clone(),
                "`Deno.Command` runs a shell",
            );
        }
        crate::spawn::validate_spawned(self.ctx, self.map, &argv, &range, "Deno.Command");
    }

    /// A write through `fs` (or Deno/Bun) to a file something runs or
    /// trusts later; a literal content is judged as what the file runs.
    fn fs_write(&mut self, f: &str, args: &[Node<'_>], range: std::ops::Range<usize>) {
        let copy = f.starts_with("copy") || f.starts_with("cp") || f.starts_with("rename");
        let (dest, body) = if copy {
            (args.get(1), None)
        } else {
            (args.first(), args.get(1))
        };
        let Some(path) = dest.and_then(|d| js_str(*d, self.src)) else {
            return;
        };
        let content = body.and_then(|b| js_str(*b, self.src).map(|t| (t, b.byte_range())));
        let content = content.as_ref().map(|(t, r)| (t.as_str(), r.clone()));
        crate::trusted_write::judge(self.ctx, self.map, &path, range, content);
    }

    /// Returns true when the call spawns a process.
    fn call(&mut self, n: Node<'_>, name: &str) -> bool {
        let args = Self::args(n);
        let first = args.first().copied();
        let range = n.byte_range();
        let bare = matches!(
            name,
            "spawn"
                | "spawnSync"
                | "execSync"
                | "execFileSync"
                | "process.spawn"
                | "process.spawnSync"
                | "Bun.spawn"
                | "Bun.spawnSync"
                | "Deno.run"
        );
        if name.starts_with("process.") && bare {
            self.hit(
                c::TS_SANDBOX_ESCAPE,
                range.clone(),
                "`process.spawn` is Node's internal process spawner, reached directly",
            );
        }
        if name.starts_with("Bun.") || name == "Deno.run" {
            self.bun_spawn(n, &args);
            return true;
        }
        let module_fn = name
            .rsplit_once('.')
            .filter(|(m, _)| CHILD_PROCESS.contains(m))
            .map(|(_, f)| f)
            .or_else(|| bare.then(|| name.rsplit('.').next().unwrap_or(name)));
        if let Some(f) = module_fn {
            self.child_process(n, f, &args);
            return true;
        }
        if let Some(f) = fs_write(name) {
            self.fs_write(f, &args, range.clone());
        }
        if is_dns_lookup(name) && first.is_some_and(|a| built_name(a)) {
            self.hit(
                c::TS_DNS_DYNAMIC,
                range.clone(),
                format!("`{name}` looks up a name built at run time (DNS carries data out)"),
            );
        }
        match name {
            "eval" | "window.eval" | "globalThis.eval" | "global.eval" => {
                let Some(a) = first else { return false };
                if let Some(code) = js_str(a, self.src) {
                    self.ctx.nested(
                        Lang::Typescript,
                        &code,
                        self.map.map(&a.byte_range()),
                        "eval() string",
                    );
                } else {
                    self.dynamic_code(a, range, "eval()");
                }
            }
            "Function" => self.hit(
                c::TS_EVAL,
                range,
                "`Function()` compiles a string into code",
            ),
            "setTimeout" | "setInterval" | "setImmediate" => {
                if first.is_some_and(|a| {
                    matches!(kind(a), "string" | "template_string" | "binary_expression")
                }) {
                    self.hit(
                        c::TS_EVAL,
                        range,
                        format!("`{name}` with a string argument evaluates it as code"),
                    );
                }
            }
            _ if name.starts_with("vm.") || name.starts_with("node:vm.") => {
                let f = name.rsplit('.').next().unwrap_or("");
                if matches!(
                    f,
                    "runInNewContext"
                        | "runInThisContext"
                        | "runInContext"
                        | "compileFunction"
                        | "Script"
                ) {
                    if first.is_some_and(|a| js_str(a, self.src).is_some()) {
                        self.hit(
                            c::TS_VM,
                            range,
                            format!("`vm.{f}` evaluates code (vm is not a security boundary)"),
                        );
                    } else if let Some(a) = first {
                        self.dynamic_code(a, range, &format!("vm.{f}"));
                    }
                }
            }
            _ if name.ends_with("unserialize") && self.src.contains("node-serialize") => {
                self.hit(
                    c::TS_DESERIALIZE,
                    range,
                    "node-serialize's unserialize() executes functions embedded in the data",
                );
            }
            _ => {}
        }
        false
    }

    fn dynamic_code(&mut self, a: Node<'_>, range: std::ops::Range<usize>, what: &str) {
        let t = self.src[a.byte_range()].to_ascii_lowercase();
        if [
            "atob(",
            "base64",
            "fromcharcode",
            "decodeuri",
            "unescape(",
            ".reverse()",
            "hex",
        ]
        .iter()
        .any(|k| t.contains(k))
        {
            self.hit(
                c::TS_DECODE_EXEC,
                range,
                format!("{what} runs decoded data"),
            );
        } else if [
            "fetch(",
            ".text()",
            "axios",
            "http.get",
            "https.get",
            "request(",
            "got(",
        ]
        .iter()
        .any(|k| t.contains(k))
        {
            self.hit(
                c::TS_FETCH_EVAL,
                range,
                format!("{what} runs code fetched from the network"),
            );
        } else {
            self.hit(
                c::TS_EVAL,
                range,
                format!("{what} runs code that is not a literal"),
            );
        }
    }

    /// `Bun.spawn(['sh', '-c', …])`, `Deno.run({ cmd: [...] })`.
    fn bun_spawn(&mut self, n: Node<'_>, args: &[Node<'_>]) {
        let range = n.byte_range();
        let arr = args.first().copied().filter(|a| kind(a) == "array");
        let argv: Option<Vec<String>> = arr.and_then(|a| {
            let mut c = a.walk();
            a.named_children(&mut c)
                .map(|e| js_str(e, self.src))
                .collect()
        });
        match argv {
            Some(v) if !v.is_empty() => {
                let shell_bin = is_shell(crate::bash::basename(&v[0]));
                if shell_bin {
                    self.hit(c::TS_SHELL_EXEC, range.clone(), "spawns a shell");
                } else {
                    self.hit(
                        c::TS_CHILD_PROCESS,
                        range.clone(),
                        "spawns a program on the host",
                    );
                }
                crate::spawn::validate_spawned(self.ctx, self.map, &v, &range, "spawned");
            }
            _ => self.hit(
                c::TS_SHELL_EXEC,
                range,
                "spawns a program chosen at run time",
            ),
        }
    }

    fn child_process(&mut self, n: Node<'_>, f: &str, args: &[Node<'_>]) {
        let range = n.byte_range();
        let first = args.first().copied();
        let lit = first.and_then(|a| js_str(a, self.src));
        let shell_opt = args.iter().any(|a| {
            kind(a) == "object"
                && all_nodes(*a).iter().any(|p| {
                    kind(p) == "pair"
                        && p.child_by_field_name("key")
                            .is_some_and(|k| &self.src[k.byte_range()] == "shell")
                        && p.child_by_field_name("value").is_some_and(|v| {
                            !matches!(&self.src[v.byte_range()], "false" | "undefined" | "null")
                        })
                })
        });
        let detached = args
            .iter()
            .any(|a| kind(a) == "object" && self.src[a.byte_range()].contains("detached: true"));
        if detached {
            self.hit(
                c::TS_CHILD_PROCESS,
                range.clone(),
                "starts a detached background process that outlives this one",
            );
        }
        let argv: Option<Vec<String>> = args.get(1).filter(|a| kind(a) == "array").and_then(|a| {
            let mut c = a.walk();
            a.named_children(&mut c)
                .map(|e| js_str(e, self.src))
                .collect()
        });
        match f {
            "exec" | "execSync" => match lit {
                Some(cmd) => {
                    self.hit(
                        c::TS_CHILD_PROCESS,
                        range.clone(),
                        format!("`child_process.{f}` runs a shell command"),
                    );
                    self.ctx.nested(
                        Lang::Bash,
                        &cmd,
                        self.map.map(&range),
                        &format!("child_process.{f} command"),
                    );
                }
                None => self.hit(
                    c::TS_SHELL_EXEC,
                    range,
                    format!("`child_process.{f}` runs a shell command built at run time"),
                ),
            },
            "spawn" | "spawnSync" | "execFile" | "execFileSync" | "fork" => {
                let shell_bin = lit
                    .as_deref()
                    .is_some_and(|p| is_shell(crate::bash::basename(p)));
                // A literal program with a literal argv and no shell is
                // judged by what it runs (the argv, validated as a command
                // below), not reviewed for spawning at all.
                let literal = lit.is_some() && (argv.is_some() || args.len() == 1);
                if literal && !shell_opt && !shell_bin && f != "fork" {
                    if let Some(callee) = n.child_by_field_name("function") {
                        self.literal_calls
                            .push(self.src[callee.byte_range()].to_owned());
                    }
                }
                if shell_opt || shell_bin {
                    self.hit(
                        c::TS_SHELL_EXEC,
                        range.clone(),
                        format!("`child_process.{f}` runs through a shell"),
                    );
                } else if !literal || f == "fork" {
                    self.hit(
                        c::TS_CHILD_PROCESS,
                        range.clone(),
                        format!("`child_process.{f}` runs a program on the host"),
                    );
                }
                match (lit, argv) {
                    (Some(p), Some(v)) => {
                        let mut all = vec![p];
                        all.extend(v);
                        let what = format!("child_process.{f}");
                        crate::spawn::validate_spawned(self.ctx, self.map, &all, &range, &what);
                    }
                    (Some(p), None) if args.len() == 1 || shell_opt => {
                        self.ctx.nested(
                            Lang::Bash,
                            &p,
                            self.map.map(&range),
                            &format!("child_process.{f} command"),
                        );
                    }
                    (None, _) => self.hit(
                        c::TS_SHELL_EXEC,
                        range,
                        format!("`child_process.{f}` runs a program chosen at run time"),
                    ),
                    _ => {}
                }
            }
            _ => self.hit(
                c::TS_CHILD_PROCESS,
                range,
                format!("`child_process.{f}` is used"),
            ),
        }
    }
}

/// The file-writing function `name` calls, if it is one (`fs.writeFileSync`,
/// `fs.promises.appendFile`, `Deno.writeTextFile`, `Bun.write`, …).
fn fs_write(name: &str) -> Option<&str> {
    let f = name.rsplit('.').next().unwrap_or(name);
    let module = name.strip_suffix(f).unwrap_or("").trim_end_matches('.');
    let fs_like = module.is_empty()
        || module == "fs"
        || module == "node:fs"
        || module.ends_with("promises")
        || module == "fse"
        || module == "Deno"
        || module == "Bun";
    let writes = matches!(
        f,
        "writeFileSync"
            | "writeFile"
            | "appendFileSync"
            | "appendFile"
            | "copyFileSync"
            | "copyFile"
            | "cpSync"
            | "cp"
            | "renameSync"
            | "rename"
            | "outputFileSync"
            | "outputFile"
            | "writeTextFile"
            | "writeTextFileSync"
            | "write"
    );
    (fs_like && writes && !(f == "write" && module != "Bun")).then_some(f)
}

/// `dns.lookup`, `dns.resolve*`, `dns.promises.*`, `Deno.resolveDns`.
fn is_dns_lookup(name: &str) -> bool {
    let f = name.rsplit('.').next().unwrap_or(name);
    name == "Deno.resolveDns"
        || ((name.starts_with("dns.")
            || name.starts_with("node:dns.")
            || name.contains("resolver."))
            && (f == "lookup" || f.starts_with("resolve") || f == "reverse"))
}

/// A name built at run time: a template with substitutions, a
/// concatenation, a `.join()`.
fn built_name(n: Node<'_>) -> bool {
    match kind(n) {
        "binary_expression" => true,
        "template_string" => {
            let mut c = n.walk();
            let substituted = n
                .named_children(&mut c)
                .any(|x| kind(x) == "template_substitution");
            substituted
        }
        _ => false,
    }
}

/// Whether `n` sits in an import statement or in the name (left side) of a
/// variable declarator: where a binding is declared, not used.
fn in_declaration(n: Node<'_>) -> bool {
    let mut child = n;
    while let Some(p) = child.parent() {
        match kind(p) {
            "import_statement" => return true,
            "variable_declarator" => {
                return p
                    .child_by_field_name("name")
                    .is_some_and(|name| name.byte_range().contains(&n.start_byte()));
            }
            _ => child = p,
        }
    }
    false
}
