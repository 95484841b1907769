#!/usr/bin/env bash
# Execute notebooks top to bottom, headless, with the project's tslab kernel (jupyter/kernels/tslab).
# By default executed copies go to a temporary directory and the committed notebooks are left untouched;
# --in-place saves the outputs into the notebooks instead (`npm run notebooks`).
#
# Usage: scripts/run-notebooks.sh [--in-place | --out DIR] [--timeout SECONDS] [--no-build] [NOTEBOOK.ipynb ...]
#   (no notebooks named: every notebooks/*.ipynb)
# Environment: SRUM_PRESET (default tiny), SRUM_NOTEBOOK_TIMEOUT (default 600 s per notebook),
#   SRUM_PYTHON (a python3 with nbclient; default: python3, then /usr/bin/python3).
# Exit status: 0 when every notebook ran without a cell error; 1 otherwise (the failing cell's error is printed).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
in_place=0
out_dir=""
timeout_seconds="${SRUM_NOTEBOOK_TIMEOUT:-600}"
build=1
notebooks=()
while (($# > 0)); do
  case "$1" in
    --in-place) in_place=1 ;;
    --out) out_dir="$2"; shift ;;
    --timeout) timeout_seconds="$2"; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "run-notebooks: unknown option $1" >&2; exit 2 ;;
    *) notebooks+=("$(realpath "$1")") ;;
  esac
  shift
done
if ((${#notebooks[@]} == 0)); then
  shopt -s nullglob
  notebooks=("$repo"/notebooks/*.ipynb)
  if ((${#notebooks[@]} == 0)); then echo "run-notebooks: no notebooks in $repo/notebooks" >&2; exit 1; fi
fi
# A Python with nbclient: the first python3 on PATH may be another install (pyenv, venv) without it.
python=""
for candidate in "${SRUM_PYTHON:-python3}" /usr/bin/python3; do
  if "$candidate" -c 'import nbclient' 2>/dev/null; then python="$candidate"; break; fi
done
[[ -n "$python" ]] || { echo "run-notebooks: no python3 with nbclient (apt-get install python3-nbclient, or pip install nbclient)" >&2; exit 1; }

# Notebooks import the built library by package name ('srum-ts' -> dist/): build it first.
if ((build)); then (cd "$repo" && npm run --silent build); fi

export JUPYTER_PATH="$repo/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
export SRUM_PRESET="${SRUM_PRESET:-tiny}"
export PYDEVD_DISABLE_FILE_VALIDATION=1 # silences a debugger warning from Debian's Python 3.11
if ((!in_place)); then
  out_dir="${out_dir:-$(mktemp -d "${TMPDIR:-/tmp}/srum-notebooks.XXXXXX")}"
  mkdir -p "$out_dir"
fi

failed=()
for notebook in "${notebooks[@]}"; do
  if ((in_place)); then output="$notebook"; else output="$out_dir/$(basename "$notebook")"; fi
  log="$(mktemp)"
  start=$SECONDS
  # execute-notebook.py stops the notebook at its time budget in a named cell; the outer timeout is a
  # safety net for a kernel that never starts or never shuts down.
  if timeout --kill-after=10 "$((timeout_seconds + 60))" "$python" "$repo/scripts/execute-notebook.py" \
    --kernel tslab --timeout "$timeout_seconds" --output "$output" "$notebook" >"$log" 2>&1; then
    echo "ok    $(basename "$notebook") ($((SECONDS - start)) s, SRUM_PRESET=$SRUM_PRESET)"
  else
    status=$?
    echo "FAIL  $(basename "$notebook") ($((SECONDS - start)) s, exit $status$( ((status == 124)) && echo ", killed after $((timeout_seconds + 60)) s"))"
    sed 's/^/    /' "$log"
    failed+=("$(basename "$notebook")")
  fi
  rm -f "$log"
done
((in_place)) || echo "executed copies: $out_dir"
if ((${#failed[@]} > 0)); then
  echo "run-notebooks: ${#failed[@]} of ${#notebooks[@]} failed: ${failed[*]}" >&2
  exit 1
fi
