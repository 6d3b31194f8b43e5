#!/usr/bin/env bash
# Builds the microVM guest agent (`muscle-guest`) as a statically linked
# binary (glibc, crt-static) into target/guest/, and prints its path.
# `autonomic muscle image build` puts it into the image's initramfs.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-gnu
RUSTFLAGS="-C target-feature=+crt-static -C debuginfo=0 -C strip=symbols" cargo build --release --locked -q \
  -p agent-muscle --bin muscle-guest --target "$target" --target-dir target/guest >&2
bin="$PWD/target/guest/$target/release/muscle-guest"
# A dynamically linked ELF names its interpreter (binutils' readelf, which the
# Rust toolchain's linker needs anyway).
if readelf -l "$bin" | grep -q "program interpreter"; then
  echo "muscle-guest is dynamically linked: $bin" >&2; exit 1
fi
echo "$bin"
