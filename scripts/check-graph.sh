#!/usr/bin/env bash
# Renders every `scaiflow graph` drawing the tests make (the examples, a hostile flow and a
# broken one, in the three formats) to PNG with the real tools, for a look:
#
#   scripts/check-graph.sh [OUTDIR]          # default: a new temporary directory
#   scripts/check-graph.sh --mermaid F.mmd   # render one Mermaid file; prints the SVG,
#                                            # exits non-zero when Mermaid rejects it
#
# `SCAIFLOW_MERMAID_CHECK=scripts/check-graph.sh cargo test --test graph` runs the second
# form on every Mermaid output. Tools: Graphviz `dot` (apt-get install graphviz),
# `rsvg-convert` (apt-get install librsvg2-bin), mermaid-cli's `mmdc` (npm install
# @mermaid-js/mermaid-cli, with PUPPETEER_SKIP_DOWNLOAD=1 and Debian's chromium:
# apt-get install chromium). `MMDC` names mmdc when it is not on PATH; `CHROMIUM` the
# browser (default /usr/bin/chromium). A missing tool is skipped with a note.
set -euo pipefail
cd "$(dirname "$0")/.."

mmdc_cmd() {
  if [[ -n "${MMDC:-}" ]]; then echo "$MMDC"
  elif command -v mmdc >/dev/null; then command -v mmdc
  elif [[ -x node_modules/.bin/mmdc ]]; then echo "$PWD/node_modules/.bin/mmdc"
  else return 1
  fi
}

# A puppeteer config for mmdc: the system chromium, no sandbox (root in a container).
puppeteer_config() {
  local f="$1/puppeteer.json"
  printf '{"executablePath": "%s", "args": ["--no-sandbox", "--disable-gpu"]}\n' \
    "${CHROMIUM:-${PUPPETEER_EXECUTABLE_PATH:-/usr/bin/chromium}}" > "$f"
  echo "$f"
}

if [[ "${1:-}" == "--mermaid" ]]; then
  file="$2"
  mmdc="$(mmdc_cmd)" || { echo "mmdc not found (set MMDC)" >&2; exit 2; }
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  "$mmdc" -q -p "$(puppeteer_config "$tmp")" -i "$file" -o "$tmp/out.svg" >&2
  cat "$tmp/out.svg"
  exit 0
fi

out="${1:-$(mktemp -d)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
SCAIFLOW_GRAPH_OUT="$out" cargo test --quiet --test graph write_outputs >/dev/null

status=0
if command -v dot >/dev/null; then
  for f in "$out"/*.dot; do
    dot -Tpng "$f" -o "${f%.dot}.dot.png" || { echo "dot failed: $f"; status=1; }
  done
else
  echo "note: Graphviz dot not installed; .dot files not rendered"
fi
if command -v rsvg-convert >/dev/null; then
  for f in "$out"/*.svg; do
    rsvg-convert "$f" -o "${f%.svg}.svg.png" || { echo "rsvg-convert failed: $f"; status=1; }
  done
else
  echo "note: rsvg-convert not installed; .svg files not converted"
fi
if mmdc="$(mmdc_cmd)"; then
  cfg="$(puppeteer_config "$out")"
  for f in "$out"/*.mmd; do
    "$mmdc" -q -p "$cfg" -i "$f" -o "${f%.mmd}.mmd.png" -s 2 -b white \
      || { echo "mmdc failed: $f"; status=1; }
  done
else
  echo "note: mmdc not found (set MMDC); .mmd files not rendered"
fi
echo "drawings and PNGs in $out"
exit $status
