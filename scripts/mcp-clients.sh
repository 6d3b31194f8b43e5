#!/usr/bin/env bash
# The real MCP clients the MCP server's tests drive: the official Python SDK
# from PyPI, one of each protocol era, each in its own virtualenv under
# target/mcp (idempotent; a pinned version already installed is kept).
#   target/mcp/v1: mcp 1.30.0 (initialize handshake, up to 2025-11-25)
#   target/mcp/v2: mcp 2.3.0  (server/discover, 2026-07-28; also the handshake)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "python3 is needed for the MCP client tests" >&2; exit 1; }
for pair in v1:1.30.0 v2:2.3.0; do
  name="${pair%%:*}"; version="${pair#*:}"
  venv="target/mcp/$name"
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('mcp') != '$version')" 2>/dev/null; then
    echo "mcp $version: $venv (already there)"
    continue
  fi
  rm -rf "$venv"
  python3 -m venv "$venv" || { echo "python3 -m venv failed: install python3-venv" >&2; exit 1; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check "mcp==$version"
  echo "mcp $version: $venv"
done
