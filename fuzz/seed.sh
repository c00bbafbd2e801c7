#!/bin/sh
# Seeds the fuzz corpora from the repository's own inputs (docs/fuzzing.md). Run from
# anywhere; idempotent. The corpora are not committed (fuzz/.gitignore): libFuzzer adds the
# inputs it finds interesting to these directories as it runs.
#
#   flow_validate, compile_all_formats: examples/*.flow.json and fixtures/*.json
#   import_yaml:    the manifests the examples compile to (when a built `scaiflow` binary
#                   is found) and fixtures/import/*.yaml
#   scir_verify:    the examples' SCIR bundles (same) and fixtures/ir/*.scir
#   json_ir_verify: fixtures/ir/*.json
#   flow_structured, render: structure-aware (`arbitrary`) inputs: random byte strings of
#                   128 B to 4 KiB, so the first inputs already describe whole flows
#                   (from an empty corpus libFuzzer starts with inputs of a few bytes).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
corpus="$here/corpus"

copy() { # copy DIR FILE...
    dir="$corpus/$1"
    shift
    mkdir -p "$dir"
    for f in "$@"; do
        [ -f "$f" ] && cp "$f" "$dir/"
    done
    return 0
}

copy flow_validate "$root"/examples/*.flow.json "$root"/fixtures/*.json
copy compile_all_formats "$root"/examples/*.flow.json "$root"/fixtures/*.json
copy import_yaml "$root"/fixtures/import/*.yaml
copy scir_verify "$root"/fixtures/ir/*.scir
copy json_ir_verify "$root"/fixtures/ir/*.json
for t in flow_structured render; do
    mkdir -p "$corpus/$t"
    i=0
    for n in 128 256 384 512 768 1024 1536 2048 3072 4096; do
        for k in 1 2 3; do
            i=$((i + 1))
            head -c "$n" /dev/urandom > "$corpus/$t/random-$i"
        done
    done
done

# Compiled manifests and bundles of the examples, when a scaiflow binary has been built
# (`cargo build` in the repository root); skipped otherwise.
bin=""
for b in "$root/target/release/scaiflow" "$root/target/debug/scaiflow"; do
    if [ -x "$b" ]; then bin=$b; break; fi
done
if [ -n "$bin" ]; then
    for f in "$root"/examples/*.flow.json; do
        stem=$(basename "$f" .flow.json)
        "$bin" compile "$f" --out "$corpus/import_yaml/$stem.yaml" >/dev/null 2>&1 || true
        "$bin" compile --format ir "$f" --out "$corpus/scir_verify/$stem.scir" >/dev/null 2>&1 || true
        "$bin" compile --format ir "$f" --out - 2>/dev/null \
            | "$bin" inspect - > "$corpus/json_ir_verify/$stem.ir.json" 2>/dev/null || true
    done
else
    echo "seed.sh: no built scaiflow binary; skipping compiled manifests and bundles" >&2
fi

for d in "$corpus"/*; do
    echo "$(basename "$d"): $(ls "$d" | wc -l) files"
done
