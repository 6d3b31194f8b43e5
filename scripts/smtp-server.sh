#!/usr/bin/env bash
# The real SMTP relay agent-mouth-email's tests start: aiosmtpd from PyPI,
# pinned with its dependencies and their SHA-256 hashes
# (scripts/smtp-server-requirements.txt, pip --require-hashes), in a
# virtualenv under target/smtp. Idempotent: when the venv was built from
# the same requirements file, nothing is done.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "python3 is needed for the SMTP relay tests" >&2; exit 1; }
req=scripts/smtp-server-requirements.txt
venv=target/smtp
stamp="$venv/requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] \
  && "$venv/bin/python" -c "import aiosmtpd" 2>/dev/null; then
  echo "aiosmtpd: $venv (already there)"
  exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv" || { echo "python3 -m venv failed: install python3-venv" >&2; exit 1; }
"$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes --only-binary :all: -r "$req"
echo "$want" > "$stamp"
echo "aiosmtpd $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("aiosmtpd"))'): $venv"
