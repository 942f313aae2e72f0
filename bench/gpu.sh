#!/usr/bin/env bash
# On a machine with a CUDA device: run the CUDA tests, then the benchmarks at K = 128, 1024 and 8192; print JSON.
#
# Usage (from anywhere): bash bench/gpu.sh [python]   (default: the python on PATH)
# Prints one JSON object: {"tests": {"rc", "summary"}, "engine": bench_engine's JSON on cuda (populations of
# 128, 1024 and 8192 KD students against sequential runs and tutorial loops), "paradigms": bench_paradigms'
# (a) and (b) on cuda}. Each part's stderr goes to bench/gpu-*.log.
set -u
cd "$(dirname "$0")/.."
PY="${1:-python}"
export OMP_NUM_THREADS=1
out="$(mktemp -d)"

"$PY" -m pytest -q -p no:cacheprovider -m "not browser" -k "cuda" tests/test_paradigm_grads.py tests/test_train.py \
    >"$out/tests.txt" 2>&1
echo $? >"$out/tests.rc"
"$PY" bench/bench_engine.py --device cuda --sizes 128,1024,8192 --repeats 2 >"$out/engine.json" 2>bench/gpu-engine.log \
    || echo '{"error": "bench_engine failed; see bench/gpu-engine.log"}' >"$out/engine.json"
"$PY" bench/bench_paradigms.py --device cuda --sizes 128 --skip-sweep >"$out/paradigms.json" 2>bench/gpu-paradigms.log \
    || echo '{"error": "bench_paradigms failed; see bench/gpu-paradigms.log"}' >"$out/paradigms.json"

"$PY" - "$out" <<'EOF'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
lines = [l for l in (out / "tests.txt").read_text().splitlines() if l.strip()]
print(json.dumps({"tests": {"rc": int((out / "tests.rc").read_text()), "summary": lines[-1] if lines else ""},
                  "engine": json.loads((out / "engine.json").read_text()),
                  "paradigms": json.loads((out / "paradigms.json").read_text())}, indent=1))
EOF
rm -rf "$out"
