#!/usr/bin/env bash
# The short load, backup and fault checks for CI (about 30 s): each script exits non-zero on a failed check.
# The full versions: `make load` (60 s, 8 clients) and `.venv/bin/python bench/fault.py`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
echo "== load (short), with a backup taken under load and restored =="
"$PY" bench/load.py --short
echo "== fault: SIGKILL in the middle of a billing run (short) =="
"$PY" bench/fault.py --short
