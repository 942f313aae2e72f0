#!/usr/bin/env bash
# Install kdviz into .venv and start the app with the repository's .streamlit/config.toml (http://localhost:8501).
# Usage: bash scripts/start.sh [streamlit run args, e.g. --server.address 0.0.0.0 --server.port 8502]
# With --dry-run first, it prints each step's command instead of running it (nothing is installed or started).
set -euo pipefail
cd "$(dirname "$0")/.."

DRY=""
if [ "${1:-}" = "--dry-run" ]; then DRY=1; shift; fi
step() {  # run a step, or with --dry-run print it
  if [ -n "$DRY" ]; then echo "+ $*"; else "$@"; fi
}

[ -x .venv/bin/python ] || step python3 -m venv .venv
step .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
# The real-image pages train on Fashion-MNIST: Debian's dataset-fashion-mnist (four IDX files, no network at run time).
if [ ! -d /usr/share/datasets/fashion-mnist ] && [ -z "${KDVIZ_FASHION_MNIST:-}" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    step $SUDO apt-get update -qq
    step $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist
  else
    echo "Fashion-MNIST is missing and apt-get is not available: the real-image pages will say how to get it" \
         "(set KDVIZ_FASHION_MNIST to a folder holding its four IDX files)."
  fi
fi
# The workshop settings live in .streamlit/config.toml, read from this folder; one torch thread per process.
export OMP_NUM_THREADS=1
step exec .venv/bin/streamlit run app.py "$@"
