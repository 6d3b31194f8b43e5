//! Python rules: exec/eval of non-literal data, os.system and friends,
//! subprocess with a shell, pty.spawn, sockets, `__import__` tricks,
//! decoded payloads executed, unsafe deserialisation, native code loading;
//! and data flow from sources to sinks (`flow`).

mod flow;

use crate::syntax::kind;
use std::collections::HashMap;

use tree_sitter::{Node, Tree};

use crate::catalog as c;
use crate::context::{Ctx, SpanMap};
use crate::names::{credential_path, is_shell};
use crate::syntax::named_nodes as all_nodes;
use crate::Lang;

struct Py<'a, 'c, 'p> {
    src: &'a str,
    map: &'a SpanMap,
    ctx: &'c mut Ctx<'p>,
    /// local name → qualified name (`sp` → `subprocess`, `pos` → `os.system`).
    aliases: HashMap<String, String>,
}

pub(crate) fn analyze(ctx: &mut Ctx<'_>, src: &str, tree: &Tree, map: &SpanMap) {
    let root = tree.root_node();
    let nodes = all_nodes(root);
    let mut py = Py {
        src,
        map,
        ctx,
        aliases: HashMap::new(),
    };
    for n in &nodes {
        match kind(n) {
            "import_statement" | "import_from_statement" => py.import(*n),
            "assignment" => py.assignment(*n),
            _ => {}
        }
    }
    let mut socket = None;
    let mut plumbing = false;
    for n in &nodes {
        if kind(n) != "call" {
            continue;
        }
        let Some(f) = n.child_by_field_name("function") else {
            continue;
        };
        let name = py.qualify(f);
        // A local database file is not a network connection.
        let local_db = matches!(
            name.as_str(),
            "sqlite3.connect" | "sqlite3.dbapi2.connect" | "duckdb.connect" | "apsw.Connection"
        );
        if (name.ends_with(".connect")
            || name.ends_with(".connect_ex")
            || name == "socket.create_connection")
            && !local_db
        {
            socket.get_or_insert(n.byte_range());
        }
        if matches!(name.as_str(), "os.dup2" | "pty.spawn") || name.ends_with(".fileno") {
            plumbing = true;
        }
        py.call(*n, &name);
    }
    flow::check(&mut py, &nodes);
    if let Some(range) = socket {
        if plumbing {
            py.hit(
                c::PY_REVERSE_SHELL,
                range,
                "a socket is connected and wired to a shell's stdio (reverse shell)",
            );
        } else {
            py.hit(c::PY_SOCKET, range, "opens an outbound network connection");
        }
    }
    // exec/eval reached through a dictionary: `globals()['__builtins__']['eval']`
    for n in &nodes {
        if kind(n) != "subscript" {
            continue;
        }
        let t = &src[n.byte_range()];
        let via_namespace = [
            "__builtins__",
            "globals()",
            "locals()",
            "__dict__",
            "builtins",
            "vars(",
        ]
        .iter()
        .any(|k| t.contains(k));
        let mut c = n.walk();
        let key = n
            .named_children(&mut c)
            .filter_map(|ch| py_str(ch, src))
            .find(|k| {
                matches!(
                    k.as_str(),
                    "exec"
                        | "eval"
                        | "compile"
                        | "__import__"
                        | "system"
                        | "popen"
                        | "getattr"
                        | "open"
                )
            });
        if via_namespace && key.is_some() {
            py.hit(
                c::PY_EXEC_DYNAMIC,
                n.byte_range(),
                format!(
                    "reaches `{}` through a namespace dictionary to hide the call",
                    key.unwrap_or_default()
                ),
            );
        }
    }
    // Code smuggled in string literals: `'__import__("os").system(…)'`.
    for n in &nodes {
        if kind(n) != "string" {
            continue;
        }
        if let Some(text) = py_str(*n, src) {
            let t = text.as_str();
            if (t.contains("__import__(")
                || t.contains("os.system(")
                || t.contains("subprocess.")
                || t.contains("exec(")
                || t.contains("pty.spawn("))
                && t.len() < 100_000
            {
                py.ctx.nested(
                    Lang::Python,
                    t,
                    map.map(&n.byte_range()),
                    "code in a string literal",
                );
            }
        }
    }
    if nodes.iter().any(|n| {
        matches!(kind(n), "string" | "concatenated_string")
            && src[n.byte_range()].matches("\\x").count() >= 20
    }) {
        py.hit(
            c::PY_OBFUSCATED,
            0..src.len().min(1),
            "a long string of escaped bytes (embedded payload)",
        );
    }
    let lower = src.to_ascii_lowercase();
    if (lower.contains("os.environ") || lower.contains(".ssh/") || lower.contains("/etc/shadow"))
        && [
            "urlopen",
            "requests.post",
            "requests.put",
            "httpx.post",
            ".sendall(",
            ".send(",
            "smtplib",
        ]
        .iter()
        .any(|k| lower.contains(k))
    {
        py.hit(
            c::PY_EXFILTRATION,
            0..src.len().min(1),
            "sends the environment or credential files over the network",
        );
    }
    // os.fork() inside an endless loop
    for n in &nodes {
        if kind(n) == "while_statement" {
            let text = &src[n.byte_range()];
            if text.contains("fork()") {
                py.hit(
                    c::PY_FORK_BOMB,
                    n.byte_range(),
                    "forks inside an endless loop (fork bomb)",
                );
            }
        }
    }
}

/// The value of a string literal without interpolation.
pub(crate) fn py_str(n: Node<'_>, src: &str) -> Option<String> {
    match kind(n) {
        "string" => {
            let mut out = String::new();
            let mut raw = false;
            let mut c = n.walk();
            for ch in n.named_children(&mut c) {
                match kind(ch) {
                    // Escape sequences sit inside the content node in this
                    // grammar: copy the text between them, decode each (not
                    // in a raw string, where they stay as written).
                    "string_content" => {
                        let mut at = ch.start_byte();
                        let mut cc = ch.walk();
                        for e in ch.named_children(&mut cc) {
                            if kind(e) == "escape_sequence" && !raw {
                                out.push_str(&src[at..e.start_byte()]);
                                out.push_str(&unescape(&src[e.byte_range()]));
                                at = e.end_byte();
                            }
                        }
                        out.push_str(&src[at..ch.end_byte()]);
                    }
                    "string_start" => {
                        raw = src[ch.byte_range()].chars().any(|p| p == 'r' || p == 'R');
                    }
                    "string_end" => {}
                    "escape_sequence" => out.push_str(&unescape(&src[ch.byte_range()])),
                    _ => return None,
                }
            }
            Some(out)
        }
        "concatenated_string" => {
            let mut out = String::new();
            let mut c = n.walk();
            for ch in n.named_children(&mut c) {
                out.push_str(&py_str(ch, src)?);
            }
            Some(out)
        }
        _ => None,
    }
}

fn unescape(e: &str) -> String {
    crate::bash::decode_ansi_c(e)
}

impl Py<'_, '_, '_> {
    fn hit(
        &mut self,
        rule: &'static crate::catalog::RuleMeta,
        range: std::ops::Range<usize>,
        msg: impl Into<String>,
    ) {
        self.ctx.report(self.map, rule, range, msg);
    }

    fn text(&self, n: Node<'_>) -> &str {
        &self.src[n.byte_range()]
    }

    fn import(&mut self, n: Node<'_>) {
        let module = n
            .child_by_field_name("module_name")
            .map(|m| self.text(m).to_string());
        let mut c = n.walk();
        let names: Vec<Node<'_>> = n.children_by_field_name("name", &mut c).collect();
        for name in names {
            let (full, local) = if kind(name) == "aliased_import" {
                let full = name
                    .child_by_field_name("name")
                    .map(|x| self.text(x).to_string())
                    .unwrap_or_default();
                let local = name
                    .child_by_field_name("alias")
                    .map(|x| self.text(x).to_string())
                    .unwrap_or_default();
                (full, local)
            } else {
                let full = self.text(name).to_string();
                let local = if module.is_some() {
                    full.clone()
                } else {
                    full.split('.').next().unwrap_or("").to_string()
                };
                let full = if module.is_some() {
                    full
                } else {
                    local.clone()
                };
                (full, local)
            };
            let qualified = match &module {
                Some(m) => format!("{m}.{full}"),
                None => full,
            };
            self.aliases.insert(local, qualified);
        }
    }

    fn assignment(&mut self, n: Node<'_>) {
        let (Some(l), Some(r)) = (
            n.child_by_field_name("left"),
            n.child_by_field_name("right"),
        ) else {
            return;
        };
        if kind(l) != "identifier" {
            return;
        }
        let q = self.qualify(r);
        let local = self.text(l).to_string();
        if !q.is_empty() && (kind(r) == "call" && q.starts_with("__module__:") || kind(r) != "call")
        {
            let q = q.trim_start_matches("__module__:").to_string();
            if q != local {
                self.aliases.insert(local, q);
            }
        }
    }

    /// A dotted, alias-resolved name for an expression (`sp.run` →
    /// `subprocess.run`, `__import__("os").system` → `os.system`).
    fn qualify(&self, n: Node<'_>) -> String {
        match kind(n) {
            "identifier" => {
                let t = self.text(n);
                self.aliases
                    .get(t)
                    .cloned()
                    .unwrap_or_else(|| t.to_string())
            }
            "attribute" => {
                let obj = n
                    .child_by_field_name("object")
                    .map(|o| self.qualify(o))
                    .unwrap_or_default();
                let attr = n
                    .child_by_field_name("attribute")
                    .map(|a| self.text(a))
                    .unwrap_or("");
                let obj = obj.trim_start_matches("__module__:");
                format!("{obj}.{attr}")
            }
            "call" => {
                let f = n
                    .child_by_field_name("function")
                    .map(|f| self.qualify(f))
                    .unwrap_or_default();
                let arg0 = n
                    .child_by_field_name("arguments")
                    .and_then(|a| a.named_child(0));
                let lit = arg0.and_then(|a| py_str(a, self.src));
                match (f.as_str(), lit) {
                    ("__import__" | "importlib.import_module", Some(m)) => {
                        format!("__module__:{m}")
                    }
                    ("getattr", _) => {
                        let args = n.child_by_field_name("arguments");
                        let obj = args
                            .and_then(|a| a.named_child(0))
                            .map(|o| self.qualify(o))
                            .unwrap_or_default();
                        let attr = args
                            .and_then(|a| a.named_child(1))
                            .and_then(|s| py_str(s, self.src));
                        match attr {
                            Some(a) => format!("{}.{a}", obj.trim_start_matches("__module__:")),
                            None => "getattr(?)".into(),
                        }
                    }
                    _ => format!("{f}()"),
                }
            }
            "parenthesized_expression" => n
                .named_child(0)
                .map(|x| self.qualify(x))
                .unwrap_or_default(),
            _ => String::new(),
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

    fn kwarg<'t>(args: &[Node<'t>], src: &str, key: &str) -> Option<Node<'t>> {
        args.iter()
            .find(|a| {
                kind(a) == "keyword_argument"
                    && a.child_by_field_name("name")
                        .is_some_and(|k| &src[k.byte_range()] == key)
            })
            .and_then(|a| a.child_by_field_name("value"))
    }

    fn is_decoding(&self, n: Node<'_>) -> bool {
        let t = self.text(n).to_ascii_lowercase();
        [
            "b64decode",
            "b32decode",
            "a85decode",
            "b85decode",
            "decodebytes",
            "decodestring",
            "unhexlify",
            "fromhex",
            "zlib.decompress",
            "codecs.decode",
            "rot13",
            "marshal.loads",
            "bz2.decompress",
            "lzma.decompress",
            "gzip.decompress",
            "[::-1]",
        ]
        .iter()
        .any(|k| t.contains(k))
    }

    fn is_fetching(&self, n: Node<'_>) -> bool {
        let t = self.text(n).to_ascii_lowercase();
        [
            "urlopen",
            "requests.get",
            "requests.post",
            "urllib",
            "httpx",
            "http.client",
            ".recv(",
            "socket",
        ]
        .iter()
        .any(|k| t.contains(k))
    }

    fn call(&mut self, n: Node<'_>, name: &str) {
        let args = Self::args(n);
        let first = args
            .first()
            .copied()
            .filter(|a| kind(a) != "keyword_argument");
        let range = n.byte_range();
        let base = name.rsplit('.').next().unwrap_or(name);
        let c = CallAt {
            n,
            name,
            base,
            args,
            first,
            range,
        };
        self.any_call(&c);
        // One family per callee: the first that knows it decides.
        let _ = self.code(&c)
            || self.processes(&c)
            || self.loading(&c)
            || self.destruction(&c)
            || self.network(&c)
            || self.files(&c);
    }

    /// Checks for any callee: a truthy `shell=`, unresolved names that only
    /// mean one thing, shell command lines passed as strings, setup hooks,
    /// attribute lookups by computed name.
    fn any_call(&mut self, c: &CallAt<'_, '_>) {
        let CallAt {
            name,
            base,
            ref args,
            first,
            ref range,
            ..
        } = *c;
        let range = range.clone();
        // Any call with a truthy `shell=` runs through a shell, whatever
        // the callee is called locally.
        let shell_kw = Self::kwarg(args, self.src, "shell").map(|v| self.text(v).to_string());
        if !name.starts_with("subprocess.")
            && shell_kw
                .as_deref()
                .is_some_and(|v| !matches!(v, "False" | "None" | "0"))
        {
            self.hit(
                c::PY_SHELL_EXEC,
                range.clone(),
                format!("`{name}(…, shell=…)` runs its command through a shell"),
            );
        }
        // Unresolved names that only mean one thing (snippets without imports).
        if !name.contains('.') || !name.starts_with("os.") && !name.starts_with("subprocess.") {
            if matches!(
                base,
                "system"
                    | "popen"
                    | "popen2"
                    | "popen3"
                    | "popen4"
                    | "Popen3"
                    | "Popen4"
                    | "getoutput"
                    | "getstatusoutput"
                    | "execl"
                    | "execlp"
                    | "execv"
                    | "execvp"
                    | "execve"
                    | "spawnl"
                    | "spawnlp"
                    | "spawnv"
                    | "spawnvp"
            ) && first.is_some()
                && !name.ends_with("platform.system")
            {
                self.hit(
                    c::PY_SHELL_EXEC,
                    range.clone(),
                    format!("`{name}` runs a shell command"),
                );
            }
        }
        if let Some(s) = first.and_then(|a| py_str(a, self.src)) {
            let prog = s.split_whitespace().next().unwrap_or("");
            if (prog.starts_with("/bin/")
                || prog.starts_with("/usr/bin/")
                || prog.starts_with("/sbin/"))
                && s.contains(' ')
                && !matches!(
                    base,
                    "print"
                        | "open"
                        | "exists"
                        | "isfile"
                        | "Path"
                        | "join"
                        | "write"
                        | "log"
                        | "info"
                        | "debug"
                        | "warning"
                        | "error"
                )
            {
                self.hit(
                    c::PY_SUBPROCESS_DYNAMIC,
                    range.clone(),
                    format!("`{name}` is given a shell command line (`{s}`)"),
                );
                self.ctx.nested(
                    Lang::Bash,
                    &s,
                    self.map.map(&range),
                    "command line passed from Python",
                );
            }
        }
        if matches!(base, "setup") && Self::kwarg(args, self.src, "cmdclass").is_some() {
            self.hit(
                c::PY_INSTALL_HOOK,
                range.clone(),
                "setup() overrides install commands, so installing the package runs custom code",
            );
        }
        if matches!(
            name,
            "getattr" | "builtins.getattr" | "__builtins__.getattr" | "setattr"
        ) && args.get(1).is_some_and(|a| py_str(*a, self.src).is_none())
        {
            self.hit(
                c::PY_DYNAMIC_IMPORT,
                range.clone(),
                "looks an attribute up by a computed name, hiding what is called",
            );
        }
    }

    /// exec, eval and compile of what is not a literal.
    fn code(&mut self, c: &CallAt<'_, '_>) -> bool {
        let CallAt {
            name,
            first,
            ref range,
            ..
        } = *c;
        let range = range.clone();
        match name {
            "exec" | "eval" | "compile" | "execfile" | "builtins.exec" | "builtins.eval"
            | "__builtins__.exec" | "__builtins__.eval" => {
                let Some(a) = first else { return true };
                if let Some(code) = py_str(a, self.src) {
                    // `eval("\145\166\141\154")`: a literal that is only the
                    // name of something that runs code hands that function
                    // out under another name.
                    let word = code.trim();
                    let runs_code = matches!(
                        word.rsplit('.').next().unwrap_or(word),
                        "eval"
                            | "exec"
                            | "compile"
                            | "__import__"
                            | "system"
                            | "popen"
                            | "getattr"
                            | "spawn"
                            | "execfile"
                            | "open"
                    );
                    if runs_code
                        && word
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                    {
                        self.hit(
                            c::PY_OBFUSCATED,
                            range.clone(),
                            format!("{name}() of the literal `{word}` reaches a function that runs code under another name"),
                        );
                    }
                    self.ctx.nested(
                        Lang::Python,
                        &code,
                        self.map.map(&a.byte_range()),
                        &format!("{name}() string"),
                    );
                } else if self.is_decoding(a) {
                    self.hit(
                        c::PY_DECODE_EXEC,
                        range,
                        format!("{name}() runs decoded data"),
                    );
                } else if self.is_fetching(a) {
                    self.hit(
                        c::PY_DOWNLOAD_EXEC,
                        range,
                        format!("{name}() runs code fetched from the network"),
                    );
                } else {
                    self.hit(
                        c::PY_EXEC_DYNAMIC,
                        range,
                        format!("{name}() runs code that is not a literal"),
                    );
                }
            }
            _ => return false,
        }
        true
    }

    /// os.system and friends, asyncio and subprocess spawns.
    fn processes(&mut self, c: &CallAt<'_, '_>) -> bool {
        let CallAt {
            name,
            base,
            ref args,
            first,
            ref range,
            ..
        } = *c;
        let range = range.clone();
        match name {
            _ if name.starts_with("os.system")
                || name.starts_with("os.popen")
                || (name.starts_with("os.exec") && name.len() > 7)
                || name.starts_with("os.spawn")
                || name.starts_with("os.posix_spawn")
                || matches!(
                    name,
                    "commands.getoutput"
                        | "commands.getstatusoutput"
                        | "platform.popen"
                        | "subprocess.getoutput"
                        | "subprocess.getstatusoutput"
                        | "pty.spawn"
                        | "popen2.popen2"
                        | "popen2.popen3"
                        | "popen2.popen4"
                ) =>
            {
                self.hit(
                    c::PY_SHELL_EXEC,
                    range.clone(),
                    format!("`{name}` runs a shell or program from Python"),
                );
                if let Some(cmd) = first.and_then(|a| py_str(a, self.src)) {
                    if name.starts_with("os.system")
                        || name.starts_with("os.popen")
                        || name.contains("getoutput")
                    {
                        self.ctx.nested(
                            Lang::Bash,
                            &cmd,
                            self.map.map(&range),
                            &format!("{name} command"),
                        );
                    }
                }
            }
            // asyncio's spawns (asyncio docs, "Subprocesses"): the shell form
            // takes a command line, the exec form an argv as arguments.
            _ if matches!(base, "create_subprocess_shell" | "subprocess_shell") => {
                self.hit(
                    c::PY_SHELL_EXEC,
                    range.clone(),
                    format!("`{name}` runs a shell command"),
                );
                if let Some(cmd) = first.and_then(|a| py_str(a, self.src)) {
                    self.ctx.nested(
                        Lang::Bash,
                        &cmd,
                        self.map.map(&range),
                        &format!("{name} command"),
                    );
                }
            }
            _ if matches!(base, "create_subprocess_exec" | "subprocess_exec") => {
                let positional: Vec<Node<'_>> = args
                    .iter()
                    .copied()
                    .filter(|a| kind(a) != "keyword_argument")
                    .collect();
                // `loop.subprocess_exec(protocol_factory, prog, *args)`.
                let skip = usize::from(base == "subprocess_exec");
                let argv: Option<Vec<String>> = positional
                    .iter()
                    .skip(skip)
                    .map(|a| py_str(*a, self.src))
                    .collect();
                match argv {
                    Some(v) if !v.is_empty() => {
                        if v.first()
                            .is_some_and(|p| is_shell(crate::bash::basename(p)))
                        {
                            self.hit(
                                c::PY_SHELL_EXEC,
                                range.clone(),
                                format!("`{name}` runs a shell"),
                            );
                        }
                        crate::spawn::validate_spawned(self.ctx, self.map, &v, &range, name);
                    }
                    _ => self.hit(
                        c::PY_SHELL_EXEC,
                        range,
                        format!("`{name}` runs a program chosen at run time"),
                    ),
                }
            }
            _ if name.starts_with("subprocess.")
                && matches!(
                    base,
                    "run" | "call" | "check_call" | "check_output" | "Popen"
                ) =>
            {
                let shell = Self::kwarg(args, self.src, "shell").map(|v| self.text(v).to_string());
                let shell_on = shell
                    .as_deref()
                    .is_some_and(|v| !matches!(v, "False" | "None" | "0" | "''" | "\"\""));
                let argv: Option<Vec<String>> = first.and_then(|a| match kind(a) {
                    "list" | "tuple" => {
                        let mut c = a.walk();
                        a.named_children(&mut c)
                            .map(|e| py_str(e, self.src))
                            .collect()
                    }
                    _ => py_str(a, self.src).map(|s| vec![s]),
                });
                let shell_bin = argv
                    .as_ref()
                    .and_then(|v| v.first())
                    .is_some_and(|p| is_shell(crate::bash::basename(p)));
                if shell_on || shell_bin {
                    self.hit(
                        c::PY_SHELL_EXEC,
                        range.clone(),
                        format!("`{name}` runs its command through a shell"),
                    );
                }
                match argv {
                    Some(v) if shell_on && v.len() == 1 => self.ctx.nested(
                        Lang::Bash,
                        &v[0],
                        self.map.map(&range),
                        &format!("{name} shell command"),
                    ),
                    Some(v) => {
                        crate::spawn::validate_spawned(self.ctx, self.map, &v, &range, name);
                    }
                    None => {
                        if first.is_some() {
                            self.hit(
                                c::PY_SUBPROCESS_DYNAMIC,
                                range,
                                format!(
                                    "`{name}` runs a program whose command line is not a literal"
                                ),
                            );
                        }
                    }
                }
            }
            _ => return false,
        }
        true
    }

    /// Imports by computed name, unsafe deserialisation, native code.
    fn loading(&mut self, c: &CallAt<'_, '_>) -> bool {
        let CallAt {
            name,
            ref args,
            first,
            ref range,
            ..
        } = *c;
        let range = range.clone();
        match name {
            "__import__" | "importlib.import_module" | "importlib.__import__" => {
                if first.and_then(|a| py_str(a, self.src)).is_none() {
                    self.hit(
                        c::PY_DYNAMIC_IMPORT,
                        range,
                        "imports a module whose name is computed at run time",
                    );
                }
            }
            "getattr(?)" => {}
            _ if matches!(
                name,
                "pickle.loads"
                    | "pickle.load"
                    | "cPickle.loads"
                    | "cPickle.load"
                    | "_pickle.loads"
                    | "marshal.loads"
                    | "marshal.load"
                    | "shelve.open"
                    | "dill.loads"
                    | "dill.load"
                    | "jsonpickle.decode"
                    | "yaml.unsafe_load"
                    | "yaml.full_load"
                    | "pandas.read_pickle"
                    | "torch.load"
                    | "joblib.load"
            ) =>
            {
                self.hit(
                    c::PY_DESERIALIZE,
                    range,
                    format!("`{name}` can execute code embedded in the data"),
                );
            }
            "yaml.load" => {
                let safe = Self::kwarg(args, self.src, "Loader")
                    .is_some_and(|l| self.text(l).contains("Safe"))
                    || args.get(1).is_some_and(|l| self.text(*l).contains("Safe"));
                if !safe {
                    self.hit(
                        c::PY_DESERIALIZE,
                        range,
                        "`yaml.load` without SafeLoader can construct arbitrary objects",
                    );
                }
            }
            _ if name.starts_with("ctypes.")
                || name.contains("cdll.")
                || name.contains("windll.")
                || name.contains("kernel32.")
                || name.contains("CDLL") =>
            {
                let inj = [
                    "WriteProcessMemory",
                    "CreateRemoteThread",
                    "VirtualAllocEx",
                    "VirtualAlloc",
                    "OpenProcess",
                    "RtlMoveMemory",
                    "NtCreateThreadEx",
                    "QueueUserAPC",
                    "LoadLibrary",
                    "CDLL",
                    "dlopen",
                ];
                if inj.iter().any(|k| name.contains(k)) {
                    self.hit(
                        c::PY_NATIVE_CODE,
                        range,
                        format!("`{name}` loads or injects native code"),
                    );
                }
            }
            _ => return false,
        }
        true
    }

    /// Deleting trees, system paths, persistence and credential files.
    fn destruction(&mut self, c: &CallAt<'_, '_>) -> bool {
        let CallAt {
            name,
            first,
            ref range,
            ..
        } = *c;
        let range = range.clone();
        match name {
            _ if matches!(name, "shutil.rmtree" | "os.removedirs") => {
                if let Some(p) = first.and_then(|a| py_str(a, self.src)) {
                    if crate::names::is_system_path(&p) {
                        self.hit(
                            c::PY_DESTRUCTIVE,
                            range,
                            format!("recursively deletes `{p}`"),
                        );
                    }
                }
            }
            _ if matches!(
                name,
                "os.remove" | "os.unlink" | "os.rmdir" | "pathlib.Path.unlink"
            ) =>
            {
                if let Some(p) = first.and_then(|a| py_str(a, self.src)) {
                    if crate::names::persistence_path(&p).is_some()
                        || crate::names::is_system_path(&p)
                        || crate::names::credential_path(&p).is_some()
                    {
                        self.hit(
                            c::PY_DESTRUCTIVE,
                            range,
                            format!("deletes the system file `{p}`"),
                        );
                    }
                }
            }
            _ => return false,
        }
        true
    }

    /// DNS names built at run time, servers, uploads through urlopen.
    fn network(&mut self, c: &CallAt<'_, '_>) -> bool {
        let CallAt {
            name,
            base,
            ref args,
            first,
            ref range,
            ..
        } = *c;
        let range = range.clone();
        match name {
            _ if matches!(
                name,
                "socket.gethostbyname"
                    | "socket.gethostbyname_ex"
                    | "socket.getaddrinfo"
                    | "dns.resolver.resolve"
                    | "dns.resolver.query"
                    | "dns.resolver.Resolver.resolve"
            ) || (base == "resolve" && name.contains("dns")) =>
            {
                if first.is_some_and(|a| built_name(a, self.src)) {
                    self.hit(
                        c::PY_DNS_DYNAMIC,
                        range,
                        format!(
                            "`{name}` looks up a name built at run time (DNS carries data out)"
                        ),
                    );
                }
            }
            _ if matches!(
                name,
                "socketserver.TCPServer"
                    | "socketserver.ThreadingTCPServer"
                    | "http.server.HTTPServer"
                    | "http.server.ThreadingHTTPServer"
                    | "SocketServer.TCPServer"
            ) || name.ends_with(".TCPServer")
                || name.ends_with("HTTPServer") =>
            {
                self.hit(c::PY_SOCKET, range, "starts a network server");
            }
            _ if base == "urlopen" && args.len() >= 2
                || matches!(
                    name,
                    "requests.post" | "requests.put" | "httpx.post" | "urllib.request.Request"
                ) =>
            {
                self.hit(c::PY_SOCKET, range, "sends data to a remote server");
            }
            _ => return false,
        }
        true
    }

    /// Opens and writes of credential, persistence and trusted files.
    fn files(&mut self, c: &CallAt<'_, '_>) -> bool {
        let CallAt {
            n,
            name,
            ref args,
            first,
            ref range,
            ..
        } = *c;
        let range = range.clone();
        match name {
            _ if matches!(
                name,
                "open"
                    | "io.open"
                    | "os.open"
                    | "pathlib.Path"
                    | "Path"
                    | "os.path.expanduser"
                    | "shutil.copy"
                    | "shutil.copyfile"
                    | "shutil.copytree"
            ) =>
            {
                let native = first.is_some_and(|a| {
                    let t = self.text(a).to_ascii_lowercase();
                    t.contains(".dll")
                        || t.contains(".so\"")
                        || t.contains(".so'")
                        || t.contains(".exe")
                        || t.contains(".dylib")
                });
                let mode = args
                    .get(1)
                    .and_then(|m| py_str(*m, self.src))
                    .unwrap_or_default();
                if native && (mode.contains('w') || mode.contains('a')) {
                    self.hit(
                        c::PY_NATIVE_CODE,
                        range.clone(),
                        "writes a native executable or library to disk",
                    );
                }
                // A file something runs or trusts later: opened for writing,
                // `Path(…).write_text(…)`, or the destination of a copy. The
                // text written, when it is a literal, is judged as what the
                // file runs.
                let chained = chained_write(n, self.src);
                let written = if name.starts_with("shutil.") {
                    args.get(1).copied()
                } else if ['w', 'a', 'x'].iter().any(|m| mode.contains(*m)) || chained.is_some() {
                    first
                } else {
                    None
                };
                if let Some(dest) = written {
                    if let Some(p) = py_str(dest, self.src) {
                        let body = chained
                            .flatten()
                            .or_else(|| with_write(n, self.src))
                            .and_then(|b| py_str(b, self.src).map(|t| (t, b.byte_range())));
                        let content = body.as_ref().map(|(t, r)| (t.as_str(), r.clone()));
                        crate::trusted_write::judge(self.ctx, self.map, &p, range.clone(), content);
                    }
                }
                if let Some(p) = first.and_then(|a| py_str(a, self.src)) {
                    if let Some(label) = credential_path(&p) {
                        self.hit(
                            c::PY_CREDENTIAL_ACCESS,
                            range,
                            format!("accesses {label} (`{p}`)"),
                        );
                    } else if let Some(label) = crate::names::persistence_path(&p) {
                        let mode = args
                            .get(1)
                            .and_then(|m| py_str(*m, self.src))
                            .unwrap_or_default();
                        if mode.contains('w') || mode.contains('a') {
                            self.hit(c::PY_PERSISTENCE, range, format!("writes {label} (`{p}`)"));
                        }
                    }
                }
            }
            _ => return false,
        }
        true
    }
}

/// What every family of call rules is given.
struct CallAt<'t, 'n> {
    n: Node<'t>,
    name: &'n str,
    base: &'n str,
    args: Vec<Node<'t>>,
    first: Option<Node<'t>>,
    range: std::ops::Range<usize>,
}

/// A host name built at run time out of something else: a concatenation,
/// an f-string with fields, `.format()`, `.join()` or `%` formatting.
fn built_name(n: Node<'_>, src: &str) -> bool {
    match kind(n) {
        "binary_operator" => true,
        "string" => {
            let mut c = n.walk();
            let interpolated = n.named_children(&mut c).any(|x| kind(x) == "interpolation");
            interpolated
        }
        "call" => n.child_by_field_name("function").is_some_and(|f| {
            let t = &src[f.byte_range()];
            t.ends_with(".format") || t.ends_with(".join")
        }),
        _ => false,
    }
}

/// `open(…).write(X)`, `Path(…).write_text(X)`: `Some(Some(X))` when the
/// call `n` is the receiver of a write, `Some(None)` when the argument is
/// not a single node, `None` when it is no write.
fn chained_write<'t>(n: Node<'t>, src: &str) -> Option<Option<Node<'t>>> {
    let attr = n.parent().filter(|p| kind(p) == "attribute")?;
    let method = attr.child_by_field_name("attribute")?;
    if !matches!(
        &src[method.byte_range()],
        "write" | "write_text" | "write_bytes" | "writelines"
    ) {
        return None;
    }
    let call = attr.parent().filter(|p| kind(p) == "call")?;
    let args = call.child_by_field_name("arguments")?;
    Some(args.named_child(0))
}

/// `with open(…, 'w') as f: f.write(X)`: the first X written through the
/// name the `with` binds.
fn with_write<'t>(n: Node<'t>, src: &str) -> Option<Node<'t>> {
    // with_item > as_pattern(open(...), as_pattern_target(identifier))
    let pattern = n.parent().filter(|p| kind(p) == "as_pattern")?;
    let alias = pattern
        .child_by_field_name("alias")
        .map(|a| src[a.byte_range()].to_owned())?;
    let mut with = pattern;
    while kind(with) != "with_statement" {
        with = with.parent()?;
    }
    let body = with.child_by_field_name("body")?;
    let mut stack = vec![body];
    while let Some(x) = stack.pop() {
        if kind(x) == "call" {
            let f = x.child_by_field_name("function");
            let target = format!("{alias}.write");
            if f.is_some_and(|f| src[f.byte_range()] == target) {
                return x.child_by_field_name("arguments")?.named_child(0);
            }
        }
        let mut c = x.walk();
        stack.extend(x.named_children(&mut c));
    }
    None
}
