#!/usr/bin/env bash
# Whole-process benchmarks for agent-immune (CLI start to exit, index
# already built), as the README's performance table quotes them.
# Needs hyperfine (Debian package `hyperfine`) and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
testdata="$PWD/testdata"
for d in lockfiles osv; do
  [ -d "$testdata/$d" ] || { echo "test data missing: $testdata/$d (see testdata/README.md)" >&2; exit 1; }
done
command -v hyperfine >/dev/null || { echo "install hyperfine (apt-get install hyperfine)" >&2; exit 1; }

cargo build --release --locked -q --bin agent-immune
bin="$PWD/target/release/agent-immune"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export AUTONOMIC_HOME="$work/home"

echo "== index build for all of testdata/osv (4 ecosystems)"
hyperfine -N --warmup 1 --runs 5 "$bin db update --source $testdata/osv"
/usr/bin/time -f "db update peak RSS: %M KB" "$bin" db update --source "$testdata/osv" >/dev/null

# A 1,600-package package-lock.json: nodejs-goof's real lock (1,275 entries)
# plus nested copies of its first 325 packages, the shape npm writes for
# duplicated dependencies.
python3 - "$testdata/lockfiles/nodejs-goof.package-lock.json" "$work/package-lock.json" <<'PY'
import json, sys
lock = json.load(open(sys.argv[1]))
pk = lock["packages"]
names = [k for k in pk if k.startswith("node_modules/")]
extra = {}
for k in names[:1600 - len(pk) + 1]:
    extra["node_modules/nested-host/" + k] = pk[k]
pk.update(extra)
json.dump(lock, open(sys.argv[2], "w"), indent=2)
print(f"synthetic lock: {len(pk) - 1} packages", file=sys.stderr)
PY

echo "== scans (whole process, index built)"
hyperfine -N -i --warmup 30 --runs 300 \
  "$bin scan --no-audit --manifest $testdata/lockfiles/uv.Cargo.lock" \
  "$bin scan --no-audit --manifest $testdata/lockfiles/ripgrep.Cargo.lock" \
  "$bin scan --no-audit --manifest $testdata/lockfiles/nodejs-goof.package-lock.json" \
  "$bin scan --no-audit --manifest $work/package-lock.json" \
  "$bin scan --no-audit --manifest $testdata/lockfiles/pygoat.requirements.txt"
echo "== scans of the other formats (whole process, index built)"
# go.mod and go.sum must carry their canonical names to be recognised.
mkdir -p "$work/fzf-mod" "$work/fzf-sum"
cp "$testdata/lockfiles/fzf-0.22.0.go.mod" "$work/fzf-mod/go.mod"
cp "$testdata/lockfiles/fzf-0.22.0.go.sum" "$work/fzf-sum/go.sum"
hyperfine -N -i --warmup 30 --runs 300 \
  "$bin scan --no-audit --manifest $work/fzf-mod/go.mod" \
  "$bin scan --no-audit --manifest $work/fzf-sum/go.sum" \
  "$bin scan --no-audit --manifest $testdata/lockfiles/railsgoat.Gemfile.lock" \
  "$bin scan --no-audit --manifest $testdata/lockfiles/php-goof.composer.lock" \
  "$bin scan --no-audit --manifest $testdata/lockfiles/laravel-7.12.0.cdx.json" \
  "$bin scan --no-audit --manifest $testdata/lockfiles/terraform-provider-aci.spdx.json"

# Side by side with cargo-audit, when it is installed (`cargo install
# cargo-audit --locked`) and RUSTSEC_DB names a checkout of
# rustsec/advisory-db (the same advisories as testdata/osv/crates.io:
# the commit of 2026-08-21). Its binary is run directly, offline.
if command -v cargo-audit >/dev/null && [ -n "${RUSTSEC_DB:-}" ]; then
  echo "== cargo-audit side by side (same files, offline)"
  for f in uv ripgrep firecracker-v0.24.0; do
    hyperfine -N -i --warmup 5 --runs 50 \
      "cargo-audit audit --no-fetch --no-yanked --db $RUSTSEC_DB --file $testdata/lockfiles/$f.Cargo.lock" \
      "$bin scan --no-audit --manifest $testdata/lockfiles/$f.Cargo.lock"
  done
else
  echo "(cargo-audit side by side skipped: install cargo-audit and set RUSTSEC_DB to an advisory-db checkout)"
fi

for f in "$testdata/lockfiles/uv.Cargo.lock" "$work/package-lock.json"; do
  /usr/bin/time -f "scan $(basename "$f") peak RSS: %M KB" "$bin" scan --no-audit --manifest "$f" >/dev/null || true
done
