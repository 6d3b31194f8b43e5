#!/bin/sh
# Regenerates src/bpf/syscalls.rs, the x86_64 syscall name <-> number table,
# from the kernel's UAPI header (Debian package linux-libc-dev).
# Usage: scripts/gen-syscalls.sh [/usr/include/x86_64-linux-gnu/asm/unistd_64.h] > src/bpf/syscalls.rs
set -eu
hdr="${1:-/usr/include/x86_64-linux-gnu/asm/unistd_64.h}"
ver="$(dpkg-query -W -f='${Version}' linux-libc-dev 2>/dev/null || echo unknown)"
cat <<HEAD
//! x86_64 syscall table: name <-> number. GENERATED, do not edit.
//!
//! Made by \`crates/agent-muscle/scripts/gen-syscalls.sh\` from
//! \`$hdr\` (linux-libc-dev $ver): every \`#define __NR_<name> <nr>\` line,
//! sorted by number. Syscalls newer than that header are absent; the filter
//! answers numbers above [\`MAX_NR\`] with ENOSYS (see \`program.rs\`).

/// \`(name, number)\` pairs, sorted by number, no gaps filled.
pub(crate) const SYSCALLS: &[(&str, i64)] = &[
HEAD
grep -E '^#define __NR_[a-z0-9_]+ [0-9]+$' "$hdr" \
  | awk '{ sub(/^__NR_/, "", $2); print $3, $2 }' | sort -n \
  | awk '{ printf "    (\"%s\", %s),\n", $2, $1 } END { }'
echo "];"
echo
max="$(grep -E '^#define __NR_[a-z0-9_]+ [0-9]+$' "$hdr" | awk '{print $3}' | sort -n | tail -1)"
echo "/// The highest syscall number in [\`SYSCALLS\`]."
echo "pub(crate) const MAX_NR: i64 = $max;"
