#!/usr/bin/env bash
# The third-party client autonomic-llm's server tests drive: the official
# Python `openai` package from PyPI, pinned, in a virtualenv under
# target/llm-clients (idempotent; the pinned version already installed is kept).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "python3 is needed for the LLM client tests" >&2; exit 1; }
version=3.63.0
venv=target/llm-clients
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('openai') != '$version')" 2>/dev/null; then
  echo "openai $version: $venv (already there)"
  exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv" || { echo "python3 -m venv failed: install python3-venv" >&2; exit 1; }
"$venv/bin/pip" install --quiet --disable-pip-version-check "openai==$version"
echo "openai $version: $venv"
