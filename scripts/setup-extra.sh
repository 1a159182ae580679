#!/usr/bin/env bash
# Test tooling beyond Python: the real Mermaid renderer (mermaid-cli from npm, pinned in
# tools/mermaid/package-lock.json) driving Debian's chromium. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x tools/mermaid/node_modules/.bin/mmdc ] || [ tools/mermaid/package-lock.json -nt tools/mermaid/node_modules ]; then
  (cd tools/mermaid && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null 2>&1) \
    || { echo "setup: npm ci in tools/mermaid failed" >&2; exit 1; }
  touch tools/mermaid/node_modules
fi
