#!/usr/bin/env bash
# Install everything the test suite needs into .venv, then run it (browser tests included).
# Usage: bash scripts/test.sh [pytest args]. With KDVIZ_REQUIRE_BROWSER=1 a missing Chromium fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-test.txt
# Debian packages the tests use: chromium (browser tests) and postgresql (the class board against a real
# PostgreSQL, started by the tests themselves on a local socket; the package's own service is not needed), haproxy
# (the class recipe's balancer, started by tests/test_replicas.py in front of replicas on loopback) and
# dataset-fashion-mnist (the real 28x28 images the image experiments train on).
APT=""
if ! command -v chromium >/dev/null 2>&1 && [ -z "${KDVIZ_CHROMIUM:-}" ]; then APT="chromium"; fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then APT="$APT postgresql"; fi
if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then APT="$APT haproxy"; fi
if [ ! -d /usr/share/datasets/fashion-mnist ] && [ -z "${KDVIZ_FASHION_MNIST:-}" ]; then APT="$APT dataset-fashion-mnist"; fi
if [ -n "$APT" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $APT >/dev/null
  else
    echo "Missing:$APT and apt-get is not available: the browser, PostgreSQL, replica and real-image tests will be skipped."
    echo "Install Chromium and set KDVIZ_CHROMIUM=/path/to/chromium, and install PostgreSQL, to run them."
  fi
fi
export OMP_NUM_THREADS=1 PYTHONDONTWRITEBYTECODE=1
# Two test processes (KDVIZ_TEST_WORKERS to change; 0 runs them in this one), a test file each at a time: most
# browser and server tests wait on another process, so two halve the wall time on a 2-core machine.
exec .venv/bin/python -m pytest -n "${KDVIZ_TEST_WORKERS:-2}" --dist loadfile "$@"
