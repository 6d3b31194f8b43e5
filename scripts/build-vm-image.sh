#!/usr/bin/env bash
# Builds the microVM guest image the tests and benchmarks use, under
# target/vm-home (an AUTONOMIC_HOME of its own): the static guest agent
# (scripts/build-guest.sh), then `autonomic muscle image build`, which
# downloads Debian's kernel and busybox-static with apt-get (nothing is
# installed) and is a no-op when the image is already up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
agent="$(scripts/build-guest.sh)"
cargo build --locked -q --bin autonomic
export AUTONOMIC_HOME="$PWD/target/vm-home"
mkdir -p "$AUTONOMIC_HOME"
target/debug/autonomic muscle image build --guest-agent "$agent" --cache "$PWD/target/vm-cache"
