#!/usr/bin/env bash
# Install the project's tslab kernel for the current user as "srum-ts", with absolute paths to this
# checkout. For front ends that do not honour JUPYTER_PATH (VS Code's Jupyter extension) or to skip setting
# it. Re-run after moving the checkout. Remove with: jupyter kernelspec remove srum-ts
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="srum-ts"

if command -v jupyter >/dev/null && data_dir="$(jupyter --data-dir 2>/dev/null)"; then :
elif [[ "$(uname)" == Darwin ]]; then data_dir="$HOME/Library/Jupyter"
else data_dir="${XDG_DATA_HOME:-$HOME/.local/share}/jupyter"
fi
kernel_dir="$data_dir/kernels/$name"
[[ -f "$repo/node_modules/tslab/bin/tslab" ]] || { echo "install-kernel: run npm install in $repo first" >&2; exit 1; }

mkdir -p "$kernel_dir"
node="$(command -v node)" # absolute: an editor started from a desktop menu may not have nvm's node on PATH
# Same spec as jupyter/kernels/tslab, with absolute paths to node and to this checkout.
sed -e "s|{resource_dir}/../../..|$repo|" -e "s|\"node\",|\"$node\",|" -e 's|"display_name": "[^"]*"|"display_name": "TypeScript (srum-ts)"|' \
  "$repo/jupyter/kernels/tslab/kernel.json" >"$kernel_dir/kernel.json"
echo "installed kernel '$name' in $kernel_dir (runs $repo/node_modules/tslab)"
