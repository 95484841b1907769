#!/usr/bin/env bash
# Set up a fresh machine: the Debian packages the notebooks and figure export need (Jupyter's nbclient
# drives the tslab kernel; plotly draws in headless Chromium with the DejaVu font), then the npm packages
# (`npm ci` also builds dist/ through the prepare script). Safe to run again: installed packages are skipped.
# Needs root (or sudo) for apt-get; without it, the apt step is skipped with a warning and the notebook
# and figure tests will say what is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DEBIAN_FRONTEND=noninteractive

step() { echo "==> $* ($(date +%T))"; }

apt_packages=(jupyter-nbconvert python3-nbclient jupyter-client chromium fonts-dejavu-core)
missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
  step "system packages already installed"
elif [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; then
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  step "apt-get install ${missing[*]}"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "warning: cannot apt-get install ${missing[*]} (not root, no sudo): notebooks and figure export will not run" >&2
fi

step "npm ci"
npm ci --no-audit --no-fund --loglevel=error </dev/null
