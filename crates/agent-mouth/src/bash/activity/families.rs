//! The per-program families of activity rules: each function knows a set
//! of programs and returns whether the invocation was one of them (the
//! first family that knows a program decides, as one `match` did before).

use super::super::Rules;
use super::{is_package_url, is_remote_spec, Act};
use crate::catalog as c;

/// Data leaving the machine or arriving from it: HTTP clients sending files, raw sockets, remote copies, DNS lookups built at run time, text sent in other protocols' fields.
pub(super) fn network(r: &mut Rules<'_, '_>, a: &Act<'_>) -> bool {
    let (prog, args) = (a.prog, a.args);
    let has = |s: &str| a.has(s);
    let starts = |s: &str| a.starts(s);
    let range = a.range.clone();
    let cmd = a.cmd;
    let inv = a.inv;
    match prog {
        "curl" | "curlie" => {
            let upload = args.iter().any(|w| {
                let t = w.text.as_str();
                matches!(
                    t,
                    "-d" | "-F" | "-T" | "--form" | "--upload-file" | "--json"
                ) || t.starts_with("--data")
                    || t.starts_with("--form")
                    || (t.starts_with("-d") && t.len() > 2 && !t.starts_with("--"))
                    || (t.starts_with("-F") && t.len() > 2)
            });
            if upload {
                r.hit(
                    c::BASH_UPLOAD,
                    range.clone(),
                    "sends local data to a remote server",
                );
            }
        }
        "wget" | "wget2"
            if starts("--post-file")
                || starts("--post-data")
                || starts("--body-file")
                || starts("--body-data")
                || starts("--method=PUT")
                || starts("--method=POST") =>
        {
            r.hit(
                c::BASH_UPLOAD,
                range.clone(),
                "sends local data to a remote server",
            );
        }
        "ab" if has("-p") || has("-u") => r.hit(
            c::BASH_UPLOAD,
            range.clone(),
            "sends a local file to a remote server",
        ),
        "http" | "https" | "xh" | "xhs"
            if args
                .iter()
                .any(|w| w.text.contains("@") || w.text.contains(":=@")) =>
        {
            r.hit(
                c::BASH_UPLOAD,
                range.clone(),
                "sends a local file to a remote server",
            );
        }
        "ssh"
            if inv.operands().count() >= 2
                && cmd
                    .redirects
                    .iter()
                    .any(|rd| rd.op.starts_with('>') && rd.fd.is_none()) =>
        {
            r.hit(
                c::BASH_REMOTE_COPY,
                range.clone(),
                "pulls the output of a remote command into a local file",
            );
        }
        "nc" | "ncat" | "netcat" | "socat" | "telnet"
            if !matches!(cmd.stdin, super::super::extract::Stdin::Inherited)
                || cmd.redirects.iter().any(|rd| rd.op == "<") =>
        {
            r.hit(
                c::BASH_UPLOAD,
                range.clone(),
                format!("`{prog}` sends local data to a network peer"),
            );
        }
        "openssl" if has("s_client") && cmd.redirects.iter().any(|rd| rd.op == "<") => {
            r.hit(
                c::BASH_UPLOAD,
                range.clone(),
                "sends a local file over a TLS connection",
            );
        }
        "socat"
            if args.iter().any(|w| {
                w.text.to_ascii_lowercase().starts_with("file:") || w.text.starts_with('/')
            }) && args
                .iter()
                .any(|w| w.text.to_ascii_lowercase().contains("tcp")) =>
        {
            r.hit(
                c::BASH_UPLOAD,
                range.clone(),
                "sends a local file to a network peer",
            );
        }
        "scp" | "rsync" | "sftp" | "tftp" | "ftp" | "lftp" | "smbclient" | "rcp" | "rclone"
        | "ncftpput" | "curlftpfs" | "sshfs" | "rsh" | "rlogin" => {
            if prog == "rsync" && args.iter().any(|w| w.text.starts_with("--delete")) {
                r.hit(
                    c::BASH_DESTRUCTIVE_UNBOUNDED,
                    range.clone(),
                    "rsync --delete removes destination files missing from the source",
                );
            }
            let remote = prog == "smbclient"
                || matches!(prog, "tftp" | "ftp" | "lftp" | "rlogin" | "rsh" | "sftp")
                || inv.operands().any(|w| is_remote_spec(&w.text));
            if remote {
                r.hit(
                    c::BASH_REMOTE_COPY,
                    range.clone(),
                    format!("`{prog}` copies files to or from another host"),
                );
            }
        }
        "tar" if inv.operands().any(|w| is_remote_spec(&w.text)) || starts("--rsh-command") => {
            r.hit(
                c::BASH_REMOTE_COPY,
                range.clone(),
                "tar writes an archive to another host",
            );
        }
        "dig" | "nslookup" | "host" | "drill" | "delv" if args.iter().any(|w| w.has_subst) => {
            r.hit(
                c::BASH_UPLOAD,
                range.clone(),
                "puts run-time data into a DNS query (a DNS exfiltration channel)",
            );
        }
        "whois" | "cancel" | "lp" | "lpr" if has("-h") || starts("-h") => {
            r.hit(
                c::BASH_UPLOAD,
                range.clone(),
                format!("`{prog}` sends data to a chosen host"),
            );
        }
        _ => return false,
    }
    true
}

/// Collection: screenshots, and archives of what an agent should not pack.
pub(super) fn collection(r: &mut Rules<'_, '_>, a: &Act<'_>) -> bool {
    let (prog, args) = (a.prog, a.args);
    let has = |s: &str| a.has(s);
    let starts = |s: &str| a.starts(s);
    let range = a.range.clone();
    let inv = a.inv;
    match prog {
        "import" | "xwd" | "scrot" | "gnome-screenshot" | "spectacle" | "grim" | "maim"
        | "screencapture" | "xdotool" | "xinput" | "logkeys" | "xclip" | "xsel" | "pbpaste"
        | "wl-paste" | "ffmpeg"
            if prog != "ffmpeg" && !(prog == "import" && !has("-window"))
                || (prog == "ffmpeg"
                    && args.iter().any(|w| {
                        matches!(
                            w.text.as_str(),
                            "x11grab" | "avfoundation" | "gdigrab" | "pulse" | "alsa" | "v4l2"
                        )
                    })) =>
        {
            if !(prog == "xclip" || prog == "xsel")
                || has("-o")
                || starts("--output")
                || has("-out")
            {
                r.hit(
                    c::BASH_COLLECTION,
                    range.clone(),
                    format!("`{prog}` captures the screen, input or clipboard"),
                );
            }
        }
        "tar" | "zip" | "7z" | "7za" | "rar" | "gzip" | "bzip2" => {
            if (starts("--password")
                || has("-P")
                || (prog.starts_with("7z")
                    && args
                        .iter()
                        .any(|w| w.text.starts_with("-p") && w.text.len() > 2)))
                && prog != "tar"
            {
                r.hit(
                    c::BASH_COLLECTION,
                    range.clone(),
                    "encrypts data with a passphrase given on the command line",
                );
            }
            let home_or_logs = inv.operands().any(|w| {
                let t = w.text.as_str();
                matches!(
                    t,
                    "~" | "~/"
                        | "$HOME"
                        | "${HOME}"
                        | "/home"
                        | "/Users"
                        | "/root"
                        | "/etc"
                        | "/var/log"
                        | "/"
                ) || t.starts_with("/var/log/")
                    || t.starts_with("$HOME/$")
                    || t == "/Users/*"
                    || t == "/home/*"
            });
            if home_or_logs {
                r.hit(
                    c::BASH_COLLECTION,
                    range.clone(),
                    "archives home directories, logs or system configuration",
                );
            }
        }
        "touch"
            if args.iter().any(|w| {
                matches!(
                    w.text.as_str(),
                    "-t" | "-d" | "-r" | "--date" | "--reference"
                ) || w.text.starts_with("--date=")
                    || w.text.starts_with("--reference=")
                    || (w.text.starts_with('-')
                        && !w.text.starts_with("--")
                        && (w.text.ends_with('t')
                            || w.text.ends_with('d')
                            || w.text.ends_with('r'))
                        && w.text.len() > 2)
            }) =>
        {
            r.hit(
                c::BASH_DEFENSE_EVASION,
                range.clone(),
                "sets file timestamps to chosen values (timestomping)",
            );
        }
        _ => return false,
    }
    true
}

/// Evasion: clock changes, trusted certificates, hidden files and directories.
pub(super) fn evasion(r: &mut Rules<'_, '_>, a: &Act<'_>) -> bool {
    let (prog, args) = (a.prog, a.args);
    let has = |s: &str| a.has(s);
    let starts = |s: &str| a.starts(s);
    let range = a.range.clone();
    let inv = a.inv;
    match prog {
        "date" | "timedatectl" | "hwclock"
            if inv.operands().any(|w| {
                w.text.chars().all(|c| c.is_ascii_digit() || c == '.') && w.text.len() >= 8
            }) || has("-s")
                || starts("--set")
                || has("set-time") =>
        {
            r.hit(
                c::BASH_DEFENSE_EVASION,
                range.clone(),
                "changes the system clock",
            );
        }
        "update-ca-certificates" | "update-ca-trust" | "trust" | "certutil"
            if prog != "trust" || has("anchor") =>
        {
            r.hit(
                c::BASH_SECURITY_CONTROL,
                range.clone(),
                "changes the set of trusted certificate authorities",
            );
        }
        "ln" if args.iter().any(|w| {
            w.text.contains(".bash_history")
                || w.text.contains(".zsh_history")
                || w.text.ends_with("_history")
        }) =>
        {
            r.hit(
                c::BASH_DEFENSE_EVASION,
                range.clone(),
                "redirects shell history (usually to /dev/null)",
            );
        }
        "mkdir" | "touch"
            if inv.operands().any(|w| {
                let t = w.text.as_str();
                (t.starts_with("/tmp/.")
                    || t.starts_with("/var/tmp/.")
                    || t.starts_with("/dev/shm/."))
                    && t.len() > 6
            }) =>
        {
            r.hit(
                c::BASH_DEFENSE_EVASION,
                range.clone(),
                "creates a hidden file or directory in a world-writable location",
            );
        }
        _ => return false,
    }
    true
}

/// Local system packages, whose install scripts run as root.
pub(super) fn system_packages(r: &mut Rules<'_, '_>, a: &Act<'_>) -> bool {
    let prog = a.prog;
    let has = |s: &str| a.has(s);
    let starts = |s: &str| a.starts(s);
    let range = a.range.clone();
    let inv = a.inv;
    match prog {
        "dpkg" | "rpm" | "dnf" | "yum" | "zypper" | "apt" | "apt-get" | "opkg" | "apk"
        | "pacman" | "installer" | "snap" | "flatpak" => {
            let local_pkg = inv.operands().any(|w| {
                let t = w.text.as_str();
                t.ends_with(".deb")
                    || t.ends_with(".rpm")
                    || t.ends_with(".apk")
                    || t.ends_with(".pkg")
                    || t.contains(".pkg.tar")
                    || t.ends_with(".snap")
                    || t.ends_with(".flatpak")
            });
            let dangerous_flag = has("--dangerous")
                || has("--devmode")
                || has("--nodeps")
                || has("--force-all")
                || starts("--force-");
            if local_pkg
                || dangerous_flag
                || (prog == "rpm" && (has("--eval") || has("--pipe") || has("-E")))
            {
                r.hit(
                    c::BASH_LOCAL_PACKAGE,
                    range.clone(),
                    "installs a local package file, whose install scripts run as root",
                );
            }
        }
        "msfconsole"
        | "psexec.py"
        | "wmiexec.py"
        | "smbexec.py"
        | "atexec.py"
        | "dcomexec.py"
        | "secretsdump.py"
        | "getuserspns.py"
        | "GetUserSPNs.py"
        | "GetNPUsers.py"
        | "mimikatz"
        | "crackmapexec"
        | "cme"
        | "nxc"
        | "netexec"
        | "evil-winrm"
        | "hydra"
        | "medusa"
        | "john"
        | "hashcat"
        | "responder"
        | "Responder.py"
        | "sqlmap"
        | "bloodhound-python"
        | "impacket-psexec"
        | "impacket-secretsdump"
        | "linpeas.sh"
        | "LinEnum.sh"
        | "pspy"
        | "pspy64"
        | "chisel"
        | "sliver-client"
        | "empire"
        | "beef-xss"
        | "stratus"
        | "sshpass"
        | "patator"
        | "ncrack"
        | "kerbrute"
        | "rubeus"
        | "lazagne"
        | "pypykatz" => {
            r.hit(
                c::BASH_OFFENSIVE_TOOL,
                range.clone(),
                format!("`{prog}` is an attack or credential-cracking tool"),
            );
        }
        _ => return false,
    }
    true
}

/// Programs that take over the terminal or the host: multiplexers, new namespaces and roots, file encryption, transient services, character-level rewriting.
pub(super) fn host(r: &mut Rules<'_, '_>, a: &Act<'_>) -> bool {
    let (prog, args) = (a.prog, a.args);
    let has = |s: &str| a.has(s);
    let starts = |s: &str| a.starts(s);
    let range = a.range.clone();
    let inv = a.inv;
    match prog {
        "screen" | "tmux" | "byobu" | "newgrp" | "sg" | "chroot" | "unshare" | "nsenter"
        | "machinectl" | "busybox" | "ansible-test" | "expect" | "ranger" | "mc" | "vifm"
        | "nnn" | "script" | "openvt" | "capsh" => {
            let operands = inv.operands().count();
            let interactive = match prog {
                "screen" => {
                    !args.iter().any(|w| {
                        matches!(
                            w.text.as_str(),
                            "-ls"
                                | "-list"
                                | "-r"
                                | "-x"
                                | "-S"
                                | "-X"
                                | "-d"
                                | "-wipe"
                                | "-v"
                                | "--version"
                        )
                    }) || operands == 0 && !has("-ls")
                }
                "tmux" => !args.iter().any(|w| {
                    w.text.starts_with("ls")
                        || w.text.starts_with("list-")
                        || w.text.starts_with("kill-")
                        || matches!(
                            w.text.as_str(),
                            "has-session"
                                | "send-keys"
                                | "-V"
                                | "display-message"
                                | "capture-pane"
                                | "show-options"
                                | "set-option"
                                | "source-file"
                        )
                }),
                "byobu" | "ranger" | "mc" | "vifm" | "nnn" => true,
                "newgrp" => true,
                "sg" | "chroot" => operands <= 1,
                "unshare" | "nsenter" => operands == 0,
                "machinectl" => inv
                    .operands()
                    .next()
                    .is_some_and(|w| w.text == "shell" || w.text == "login"),
                "busybox" => inv
                    .operands()
                    .next()
                    .is_some_and(|w| matches!(w.text.as_str(), "sh" | "ash" | "hush")),
                "ansible-test" => inv.operands().next().is_some_and(|w| w.text == "shell"),
                "expect" => operands == 0 && !has("-c") && !has("-f"),
                "openvt" => true,
                "capsh" => args.last().is_some_and(|w| w.text == "--"),
                "script" => {
                    !args.iter().any(|w| {
                        w.text.starts_with("-c")
                            || w.text == "--command"
                            || (w.text.len() > 2
                                && w.text.starts_with('-')
                                && !w.text.starts_with("--")
                                && w.text.ends_with('c'))
                    }) && !has("-h")
                        && !has("--help")
                        && !has("-V")
                }
                _ => false,
            };
            if interactive {
                r.hit(
                    c::BASH_INTERACTIVE_SHELL,
                    range.clone(),
                    format!("`{prog}` opens an interactive shell or terminal"),
                );
            }
        }
        "openssl"
            if has("enc")
                && !has("-d")
                && args
                    .iter()
                    .any(|w| w.text.starts_with("-pass") || w.text == "-k" || w.text == "-K") =>
        {
            r.hit(
                c::BASH_COLLECTION,
                range.clone(),
                "encrypts data with a passphrase (staging or ransomware pattern)",
            );
        }
        "gpg" | "ccencrypt" | "ccrypt"
            if starts("--passphrase")
                || has("--password")
                || has("-P")
                || (prog.starts_with("7z")
                    && args
                        .iter()
                        .any(|w| w.text.starts_with("-p") && w.text.len() > 2))
                || prog.starts_with("cc") =>
        {
            r.hit(
                c::BASH_COLLECTION,
                range.clone(),
                "encrypts data with a passphrase given on the command line",
            );
        }
        "auditctl" if has("-a") || has("-w") => r.hit(
            c::BASH_SECURITY_CONTROL,
            range.clone(),
            "changes the kernel audit rules",
        ),
        "cryptsetup" => r.hit(
            c::BASH_DISK_ADMIN,
            range.clone(),
            "manages disk encryption keys or headers",
        ),
        "systemd-run" => r.hit(
            c::BASH_PERSISTENCE,
            range.clone(),
            "starts a transient system service outside this process tree",
        ),
        "tr" => {
            let sets: Vec<&str> = inv.operands().map(|w| w.text.as_str()).collect();
            if let [a, b] = sets.as_slice() {
                let range_of = |s: &str| -> Option<(char, char)> {
                    let v: Vec<char> = s.chars().collect();
                    (v.len() == 3 && v[1] == '-').then(|| (v[0], v[2]))
                };
                if let (Some((a0, a1)), Some((b0, b1))) = (range_of(a), range_of(b)) {
                    let case_map = a0.is_ascii_alphabetic()
                        && b0.is_ascii_alphabetic()
                        && a0.eq_ignore_ascii_case(&b0);
                    if a0 != b0 && !case_map && (a1 as i64 - a0 as i64) == (b1 as i64 - b0 as i64) {
                        r.hit(
                            c::BASH_OBFUSCATED,
                            range.clone(),
                            "tr shifts characters (a substitution cipher that hides text)",
                        );
                    }
                }
            }
        }
        _ => return false,
    }
    true
}

/// Language package installs from local paths, URLs or other indexes.
pub(super) fn language_packages(r: &mut Rules<'_, '_>, a: &Act<'_>) -> bool {
    let (prog, args) = (a.prog, a.args);
    let range = a.range.clone();
    match prog {
        "pip" | "pip3" | "uv" | "pipx" | "npm" | "pnpm" | "yarn" | "gem" | "cargo" | "go"
            if args.iter().any(|w| {
                let t = w.text.as_str();
                t.starts_with("--index-url")
                    || t.starts_with("--extra-index-url")
                    || t.starts_with("--trusted-host")
                    || t == "-i"
                    || t.starts_with("--registry")
                    || t.starts_with("--source") && prog == "gem"
                    || t.starts_with("git+http://")
                    || t.starts_with("http://")
                    || (t.starts_with("git+") && prog.starts_with("pip"))
                    || is_package_url(t, prog)
                    || (prog == "cargo" && (t == "--git" || t.starts_with("--git=")))
            }) && args
                .iter()
                .any(|w| matches!(w.text.as_str(), "install" | "add" | "i" | "get")) =>
        {
            r.hit(c::BASH_UNTRUSTED_SOURCE, range.clone(), "installs packages from a non-default index, plain HTTP, a URL, an archive or a VCS repository (agent-immune cannot vouch for it)");
        }
        // `pip config set global.index-url …`, `uv`/`poetry` sources: later
        // installs come from elsewhere.
        "pip" | "pip3" | "poetry" | "pdm"
            if args.iter().any(|w| {
                let t = w.text.to_ascii_lowercase();
                t.ends_with("index-url") || t.ends_with(".index") || t == "source"
            }) && args
                .iter()
                .any(|w| matches!(w.text.as_str(), "config" | "set" | "source")) =>
        {
            r.hit(
                c::BASH_UNTRUSTED_SOURCE,
                range.clone(),
                "points later package installs at another index",
            );
        }
        _ => return false,
    }
    true
}

/// Anti-forensics: deleting logs and histories, removing services.
pub(super) fn antiforensics(r: &mut Rules<'_, '_>, a: &Act<'_>) -> bool {
    let (prog, args) = (a.prog, a.args);
    let range = a.range.clone();
    match prog {
        "rm" | "shred" | "unlink" | "truncate"
            if args.iter().any(|w| {
                w.text.starts_with("/var/log")
                    || w.text.contains("_history")
                    || w.text.starts_with("/var/run/utmp")
                    || w.text.ends_with("wtmp")
                    || w.text.ends_with("btmp")
                    || w.text.ends_with("lastlog")
            }) =>
        {
            r.hit(
                c::BASH_DEFENSE_EVASION,
                range.clone(),
                "deletes logs or shell history",
            );
        }
        "journalctl"
            if args.iter().any(|w| {
                w.text.starts_with("--vacuum") || w.text == "--rotate" || w.text == "--flush"
            }) =>
        {
            r.hit(
                c::BASH_DEFENSE_EVASION,
                range.clone(),
                "discards system journal entries",
            );
        }
        "update-rc.d" | "chkconfig" | "rc-update"
            if args.iter().any(|w| {
                matches!(
                    w.text.as_str(),
                    "disable" | "off" | "remove" | "del" | "delete"
                )
            }) =>
        {
            r.hit(
                c::BASH_SERVICE_STOP,
                range.clone(),
                "disables a service at boot",
            );
        }
        _ => return false,
    }
    true
}

/// Offensive tooling: miners, credential dumpers, sniffers, remote-desktop servers, packers.
pub(super) fn offensive(r: &mut Rules<'_, '_>, a: &Act<'_>) -> bool {
    let (prog, args) = (a.prog, a.args);
    let has = |s: &str| a.has(s);
    let range = a.range.clone();
    match prog {
        "xmrig" | "minerd" | "cpuminer" | "ethminer" | "nbminer" | "t-rex" | "lolminer"
        | "xmr-stak" | "ccminer" | "cgminer" | "bfgminer" => {
            r.hit(
                c::BASH_CRYPTOMINER,
                range.clone(),
                format!("`{prog}` mines cryptocurrency"),
            );
        }
        "unshadow" | "mimipenguin" | "gcore" | "procdump" | "linpeas" | "laZagne" => {
            r.hit(
                c::BASH_CREDENTIAL_CRITICAL,
                range.clone(),
                format!("`{prog}` dumps credentials or process memory"),
            );
        }
        "gdb"
            if has("-p")
                || has("--pid")
                || args.iter().any(|w| {
                    w.text.contains("dump memory") || w.text.contains("generate-core-file")
                }) =>
        {
            r.hit(
                c::BASH_CREDENTIAL_ACCESS,
                range.clone(),
                "attaches to a running process to read its memory",
            );
        }
        "tcpdump" | "tshark" | "dumpcap" | "ngrep" | "ettercap" | "arpspoof" | "bettercap"
        | "dsniff" | "mitmproxy" | "mitmdump" | "sslstrip" => {
            r.hit(
                c::BASH_COLLECTION,
                range.clone(),
                format!("`{prog}` captures or intercepts network traffic"),
            );
        }
        "anydesk" | "teamviewer" | "rustdesk" | "x11vnc" | "vncserver" | "tigervncserver"
        | "tightvncserver" | "remmina" | "gotty" | "ttyd" | "tmate" | "sshx" | "upterm" => {
            r.hit(
                c::BASH_TUNNEL,
                range.clone(),
                format!("`{prog}` gives remote access to this machine"),
            );
        }
        "upx" => r.hit(
            c::BASH_DEFENSE_EVASION,
            range.clone(),
            "packs an executable to hide its contents",
        ),
        "exec" if has("-a") => r.hit(
            c::BASH_DEFENSE_EVASION,
            range.clone(),
            "runs a program under a fake process name",
        ),
        "ping" if has("-p") => r.hit(
            c::BASH_UPLOAD,
            range.clone(),
            "carries data in ICMP packet padding",
        ),
        _ => return false,
    }
    true
}

/// Cloud storage copies and searches for secrets.
pub(super) fn cloud_and_search(r: &mut Rules<'_, '_>, a: &Act<'_>) -> bool {
    let (prog, args) = (a.prog, a.args);
    let has = |s: &str| a.has(s);
    let range = a.range.clone();
    match prog {
        "aws" | "gsutil" | "azcopy" | "s3cmd" | "gcloud"
            if args.iter().any(|w| {
                matches!(
                    w.text.as_str(),
                    "cp" | "sync" | "mv" | "copy" | "rsync" | "put" | "copyto" | "moveto"
                )
            }) && args.iter().any(|w| {
                w.text.starts_with("s3://")
                    || w.text.starts_with("gs://")
                    || w.text.contains(".blob.core.windows.net")
                    || (prog == "rclone"
                        && w.text.contains(':')
                        && !w.text.starts_with('-')
                        && !w.text.starts_with('/'))
            }) =>
        {
            r.hit(
                c::BASH_REMOTE_COPY,
                range.clone(),
                format!("`{prog}` copies files to or from cloud storage"),
            );
        }
        "grep" | "egrep" | "rg" | "ag" | "ack" | "git"
            if args.iter().any(|w| {
                let t = w.text.to_ascii_lowercase();
                t.contains("private key")
                    || t.contains("password")
                    || t.contains("passwd")
                    || t.contains("secret")
                    || t.contains("api_key")
                    || t.contains("apikey")
                    || t.contains("akia")
                    || t.contains("token")
            }) && args.iter().any(|w| {
                matches!(
                    w.text.as_str(),
                    "/" | "~" | "/home" | "/root" | "/etc" | "$HOME" | "~/" | "/var" | "/opt"
                ) || w.text.starts_with("/home/")
            }) =>
        {
            r.hit(
                c::BASH_CREDENTIAL_ACCESS,
                range.clone(),
                "searches the filesystem for passwords, tokens or private keys",
            );
        }
        "enable" if has("-f") => r.hit(
            c::BASH_LIBRARY_LOAD,
            range.clone(),
            "`enable -f` loads a shared library into the shell",
        ),
        _ => return false,
    }
    true
}
