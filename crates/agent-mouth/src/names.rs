//! Program and path classes the rules reason about. Pure data.

/// Shells: they run whatever program text reaches them.
pub(crate) fn is_shell(p: &str) -> bool {
    matches!(
        p,
        "sh" | "bash"
            | "zsh"
            | "dash"
            | "ksh"
            | "mksh"
            | "ash"
            | "fish"
            | "csh"
            | "tcsh"
            | "rbash"
            | "yash"
            | "posh"
            | "pwsh"
            | "powershell"
            | "elvish"
            | "nu"
            | "xonsh"
            | "ksh93"
            | "oksh"
            | "loksh"
            | "busybox-sh"
            | "zsh5"
            | "bash5"
    )
}

/// Interpreters that execute program text from stdin, `-c`/`-e` or a file.
pub(crate) fn is_interpreter(p: &str) -> bool {
    is_python(p)
        || matches!(
            p,
            "perl"
                | "perl5"
                | "ruby"
                | "node"
                | "nodejs"
                | "php"
                | "lua"
                | "luajit"
                | "lua5.1"
                | "lua5.2"
                | "lua5.3"
                | "lua5.4"
                | "rscript"
                | "Rscript"
                | "R"
                | "tclsh"
                | "wish"
                | "expect"
                | "irb"
                | "jshell"
                | "osascript"
                | "deno"
                | "bun"
                | "julia"
                | "guile"
                | "sbcl"
                | "clisp"
                | "gawk"
                | "awk"
                | "mawk"
                | "nawk"
                | "busybox"
                | "jrunscript"
                | "groovy"
                | "scala"
                | "erl"
                | "elixir"
                | "php-cgi"
                | "pypy"
                | "pypy3"
                | "ghci"
                | "octave"
                | "octave-cli"
                | "gdb"
                | "tcl"
        )
}

pub(crate) fn is_python(p: &str) -> bool {
    p == "python"
        || p == "ipython"
        || p.strip_prefix("python")
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

pub(crate) fn is_awk(p: &str) -> bool {
    matches!(p, "awk" | "gawk" | "mawk" | "nawk")
}

/// Programs that fetch remote content.
pub(crate) fn is_downloader(p: &str) -> bool {
    matches!(
        p,
        "curl"
            | "wget"
            | "wget2"
            | "wcurl"
            | "fetch"
            | "aria2c"
            | "axel"
            | "lwp-download"
            | "lwp-request"
            | "GET"
            | "http"
            | "https"
            | "xh"
            | "xhs"
            | "curlie"
            | "httpie"
            | "tftp"
            | "ftp"
            | "lftp"
            | "nc"
            | "ncat"
            | "netcat"
            | "socat"
            | "telnet"
            | "openssl"
            | "invoke-webrequest"
            | "iwr"
            | "bitsadmin"
            | "certutil"
            | "powershell"
            | "gh"
            | "s3cmd"
            | "rsync"
            | "scp"
            | "sftp"
            | "smbclient"
            | "tor"
            | "torify"
    )
}

/// Programs whose output is network data even without a URL argument.
pub(crate) fn is_net_tool(p: &str) -> bool {
    matches!(
        p,
        "nc" | "ncat"
            | "netcat"
            | "socat"
            | "telnet"
            | "openssl"
            | "cryptcat"
            | "pwncat"
            | "sbd"
            | "curl"
            | "wget"
            | "wget2"
            | "ssh"
            | "scp"
            | "sftp"
            | "rsync"
            | "ftp"
            | "tftp"
            | "smbclient"
            | "aria2c"
            | "http"
            | "https"
            | "xh"
            | "lftp"
            | "nslookup"
            | "dig"
            | "host"
            | "mail"
            | "mailx"
            | "sendmail"
            | "mutt"
            | "whois"
            | "ncftp"
            | "gh"
    )
}

/// Sensitive credential locations, with a short label.
pub(crate) fn credential_path(path: &str) -> Option<&'static str> {
    let p = path.trim_matches(|c| c == '"' || c == '\'');
    // Every credential path is absolute, under a home or a dot-name: most
    // words (`-la`, `src`, `main.rs`) are ruled out here.
    if !p.starts_with(['/', '~', '$', '.']) && !p.contains("/.") {
        return None;
    }
    const HOME: &[&str] = &["~/", "$HOME/", "${HOME}/", "/root/", "/home/"];
    // `p` relative to the home it is under (or as written).
    let rest = HOME
        .iter()
        .find_map(|h| {
            p.strip_prefix(h).map(|rest| {
                if *h == "/home/" {
                    rest.split_once('/').map_or("", |x| x.1)
                } else {
                    rest
                }
            })
        })
        .unwrap_or(p);
    let under_home = |suffix: &str| rest.starts_with(suffix) || p.starts_with(suffix);
    if p.starts_with("/etc/shadow") || p.starts_with("/etc/gshadow") || p == "/etc/master.passwd" {
        return Some("the system password hashes");
    }
    if p.starts_with("/etc/sudoers") {
        return Some("the sudoers policy");
    }
    if p.starts_with("/etc/ssh/ssh_host_") && !p.ends_with(".pub") {
        return Some("the SSH host keys");
    }
    if under_home(".ssh/id_") || under_home(".ssh/identity") {
        if p.ends_with(".pub") {
            return None;
        }
        return Some("an SSH private key");
    }
    if under_home(".ssh") && (p.ends_with(".ssh") || p.ends_with(".ssh/")) {
        return Some("the SSH key directory");
    }
    for (suffix, label) in [
        (".aws/credentials", "AWS credentials"),
        (".aws/config", "AWS configuration"),
        (".aws", "AWS credentials"),
        (".config/gcloud", "Google Cloud credentials"),
        (".azure", "Azure credentials"),
        (".gnupg", "the GnuPG keyring"),
        (".netrc", "stored network passwords"),
        (".git-credentials", "stored git credentials"),
        (".docker/config.json", "Docker registry credentials"),
        (".kube/config", "Kubernetes credentials"),
        (".npmrc", "npm tokens"),
        (".pypirc", "PyPI tokens"),
        (".vault-token", "a Vault token"),
        (".config/gh/hosts.yml", "the GitHub CLI's token"),
        (".config/gh", "the GitHub CLI's token"),
        (".config/hub", "the hub CLI's token"),
        (".config/github-copilot", "GitHub Copilot's token"),
        (".claude/.credentials.json", "Claude Code's credentials"),
        (".claude.json", "Claude Code's account state"),
        (".codex/auth.json", "Codex's credentials"),
        (".gemini/oauth_creds.json", "Gemini CLI's credentials"),
        (".config/op", "1Password CLI's session"),
        (".cargo/credentials", "crates.io tokens"),
        (".config/glab-cli", "the GitLab CLI's token"),
        (
            ".terraform.d/credentials.tfrc.json",
            "Terraform Cloud tokens",
        ),
        (".config/doctl", "DigitalOcean credentials"),
        (".fly/config.yml", "Fly.io tokens"),
        (".config/heroku", "Heroku credentials"),
        (".oci/config", "Oracle Cloud credentials"),
        (".password-store", "the password store"),
        (".mozilla/firefox", "browser profiles"),
        (".config/google-chrome", "browser profiles"),
        (".local/share/keyrings", "the desktop keyring"),
        (".bash_history", "shell history"),
        (".zsh_history", "shell history"),
        (".autonomic", "Autonomic's own state"),
    ] {
        if under_home(suffix) {
            return Some(label);
        }
    }
    if p.starts_with("/proc/")
        && (p.ends_with("/environ") || p.ends_with("/mem") || p.ends_with("/maps"))
    {
        return Some("another process's memory or environment");
    }
    if p.starts_with("/var/run/secrets") || p.starts_with("/run/secrets") {
        return Some("mounted secrets");
    }
    None
}

/// Top-level system directories whose recursive removal or re-permissioning
/// breaks the machine.
pub(crate) fn is_system_path(p: &str) -> bool {
    let p = p.trim_end_matches('/');
    let p = p.strip_suffix("/*").unwrap_or(p);
    let p = p.trim_end_matches('/');
    // `/anything` at the top level, and a whole home directory.
    if let Some(rest) = p.strip_prefix('/') {
        let parts: Vec<&str> = rest.split('/').filter(|x| !x.is_empty()).collect();
        if parts.len() <= 1
            && !parts
                .first()
                .is_some_and(|x| x.starts_with('.') && x.len() > 2)
        {
            return true;
        }
        if parts.len() == 2
            && matches!(
                parts[0],
                "home" | "Users" | "usr" | "var" | "etc" | "opt" | "lib" | "srv"
            )
            && !parts[1].contains('.')
        {
            return true;
        }
    }
    if p.starts_with("~/") || p.starts_with("$HOME/") || p.starts_with("${HOME}/") {
        let rest = p.split_once('/').map_or("", |x| x.1);
        if rest.is_empty() || rest == "*" || rest == ".*" {
            return true;
        }
    }
    // Everything the machine itself lives in, plus the broader targets only
    // a deletion needs to worry about (the current tree, any glob, /tmp).
    is_core_system_path(p)
        || matches!(
            p,
            "/" | "/lib32"
                | "/snap"
                | "/Applications"
                | "C:"
                | "c:"
                | "C:\\"
                | "~/"
                | "/."
                | "$HOME/*"
                | "."
                | ".."
                | "./"
                | "../"
                | "./*"
                | "../*"
                | "*"
                | ".*"
        )
}

/// The machine's own directories (not placeholders like `/folder`).
pub(crate) fn is_core_system_path(p: &str) -> bool {
    let t = p.trim_end_matches('/');
    let t = t.strip_suffix("/*").unwrap_or(t);
    matches!(
        t,
        "" | "/*"
            | "~"
            | "$HOME"
            | "${HOME}"
            | "/home"
            | "/root"
            | "/etc"
            | "/usr"
            | "/bin"
            | "/sbin"
            | "/lib"
            | "/lib64"
            | "/boot"
            | "/var"
            | "/opt"
            | "/dev"
            | "/proc"
            | "/sys"
            | "/srv"
            | "/run"
            | "/usr/bin"
            | "/usr/lib"
            | "/usr/local"
            | "/usr/sbin"
            | "/usr/share"
            | "/var/lib"
            | "/var/log"
            | "/System"
            | "/Users"
            | "/Library"
            | "/tmp"
            | "/mnt"
            | "/media"
    )
}

/// Block devices and raw disks.
pub(crate) fn is_block_device(p: &str) -> bool {
    let Some(d) = p.strip_prefix("/dev/") else {
        return false;
    };
    [
        "sd", "hd", "vd", "xvd", "nvme", "mmcblk", "disk", "dm-", "md", "loop", "mapper/", "rdisk",
        "mtd", "sr",
    ]
    .iter()
    .any(|pre| d.starts_with(pre))
}

/// Files whose modification gives persistence (runs later, on login or boot).
pub(crate) fn persistence_path(p: &str) -> Option<&'static str> {
    let p = p.trim_matches(|c| c == '"' || c == '\'');
    let rc = [
        ".shrc",
        ".mkshrc",
        ".bashrc",
        ".bash_profile",
        ".bash_login",
        ".bash_logout",
        ".profile",
        ".zshrc",
        ".zprofile",
        ".zshenv",
        ".zlogin",
        ".cshrc",
        ".tcshrc",
        ".kshrc",
        ".config/fish/config.fish",
        ".xinitrc",
        ".xprofile",
        ".xsession",
        ".inputrc",
    ];
    let home_rel = ["~/", "$HOME/", "${HOME}/", "/root/"]
        .iter()
        .find_map(|h| p.strip_prefix(h))
        .or_else(|| {
            p.strip_prefix("/home/")
                .and_then(|r| r.split_once('/').map(|x| x.1))
        });
    if let Some(rel) = home_rel {
        if rc.contains(&rel) {
            return Some("a shell start-up file");
        }
        if rel.starts_with(".ssh/authorized_keys") {
            return Some("SSH authorized_keys");
        }
        if rel.starts_with(".config/autostart") {
            return Some("desktop autostart");
        }
        if rel.starts_with(".config/systemd") {
            return Some("a user systemd unit");
        }
        if rel.starts_with("Library/LaunchAgents") {
            return Some("a launch agent");
        }
    }
    if rc.contains(&p) {
        return Some("a shell start-up file");
    }
    for (pre, label) in [
        ("/etc/profile", "system shell start-up files"),
        ("/etc/bash.bashrc", "system shell start-up files"),
        ("/etc/bashrc", "system shell start-up files"),
        ("/etc/zsh", "system shell start-up files"),
        ("/etc/environment", "the system environment"),
        ("/etc/cron", "cron"),
        ("/var/spool/cron", "cron"),
        ("/etc/anacrontab", "cron"),
        ("/etc/systemd", "systemd units"),
        ("/lib/systemd", "systemd units"),
        ("/usr/lib/systemd", "systemd units"),
        ("/etc/init.d", "init scripts"),
        ("/etc/rc.local", "init scripts"),
        ("/etc/rc", "init scripts"),
        ("/etc/update-motd.d", "login scripts"),
        ("/etc/ld.so.preload", "the dynamic loader preload list"),
        ("/etc/ld.so.conf", "the dynamic loader path"),
        ("/etc/pam.d", "PAM authentication"),
        ("/etc/sudoers", "the sudoers policy"),
        ("/etc/passwd", "the user database"),
        ("/etc/shadow", "the password hashes"),
        ("/etc/group", "the group database"),
        ("/etc/ssh/sshd_config", "the SSH server configuration"),
        ("/etc/xdg/autostart", "desktop autostart"),
        ("/etc/modules", "kernel module autoload"),
        ("/etc/udev/rules.d", "udev rules"),
        ("/etc/apt/apt.conf.d", "package manager hooks"),
        ("/etc/yum", "package manager hooks"),
        ("/Library/LaunchDaemons", "a launch daemon"),
        ("/Library/LaunchAgents", "a launch agent"),
        ("/etc/hosts", "name resolution"),
        ("/etc/resolv.conf", "name resolution"),
        ("/etc/audit", "the audit configuration"),
        ("/etc/audisp", "the audit configuration"),
        ("/etc/selinux", "SELinux policy"),
        ("/etc/security", "the security limits"),
        ("/etc/login.defs", "login policy"),
        ("/etc/motd", "login scripts"),
        ("/etc/syslog", "system logging"),
        ("/etc/rsyslog", "system logging"),
        ("/etc/logrotate", "log rotation"),
        ("/usr/local/etc/rc.d", "init scripts"),
        ("/etc/ca-certificates", "the trusted CA store"),
        ("/usr/local/share/ca-certificates", "the trusted CA store"),
        ("/usr/share/ca-certificates", "the trusted CA store"),
        ("/etc/pki", "the trusted CA store"),
        ("/etc/ssl/certs", "the trusted CA store"),
        ("/bin/", "a system program directory"),
        ("/sbin/", "a system program directory"),
        ("/usr/bin/", "a system program directory"),
        ("/usr/sbin/", "a system program directory"),
        ("/usr/local/bin/", "a system program directory"),
        ("/usr/lib/", "system libraries"),
        ("/lib/", "system libraries"),
        ("/boot", "the boot loader"),
    ] {
        if p.starts_with(pre) {
            return Some(label);
        }
    }
    if p.contains(".git/hooks/") {
        return Some("a git hook");
    }
    if p.ends_with("authorized_keys") || p.ends_with("authorized_keys2") {
        return Some("SSH authorized_keys");
    }
    None
}

/// A pager or editor setting that runs nothing but a viewer or editor
/// (`cat`, `less -R`, `vim`): `git -c core.pager=cat`, `GIT_PAGER=cat` and
/// `EDITOR=vim` are everyday settings, not a hijack. Options that run
/// commands (`vim -c`, `less +…`, `--cmd`, `-e`) and anything with a path,
/// quote or shell character are not harmless.
pub(crate) fn harmless_viewer(value: &str) -> bool {
    let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
    let mut words = value.split_whitespace();
    let Some(program) = words.next() else {
        return true;
    };
    const VIEWERS: &[&str] = &[
        "cat", "less", "more", "most", "true", ":", "vim", "vi", "nvim", "nano", "emacs", "micro",
        "code", "subl", "hx", "kak",
    ];
    VIEWERS.contains(&program)
        && words.all(|w| {
            w.starts_with('-')
                && !w.starts_with("-c")
                && !w.starts_with("--cmd")
                && !w.starts_with("-e")
                && !w.starts_with("--eval")
                && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}
