#!/usr/bin/env bash
# On a machine with a CUDA device: run the CUDA tests, the real-image experiments at full size, then the engine
# benchmarks at K = 128, 1024 and 8192; print one JSON object.
#
# Usage (from anywhere): bash bench/gpu.sh [--tiny] [python]   (default: the python on PATH)
# Prints {"tests": {"rc", "summary"}, "images": bench_images.py --runs on cuda (Fashion-MNIST, and MNIST where it
# is present: a 784-1200-1200-10 teacher and 784-800-800-10 students alone and at T = 20, 3 epochs each, seconds
# per epoch and test errors), "engine": bench_engine's JSON on cuda (populations of 128, 1024 and 8192 KD students
# against sequential runs and tutorial loops), "paradigms": bench_paradigms' (a) and (b) on cuda}. Each part has
# a time limit and its stderr goes to bench/gpu-*.log.
# --tiny: on the CPU, the image runs alone and tiny (synthetic data), to check this script's Python part anywhere
# (its stderr then goes to this script's stderr, and nothing is written into the repository).
set -u
cd "$(dirname "$0")/.."
TINY=0
if [ "${1:-}" = "--tiny" ]; then TINY=1; shift; fi
PY="${1:-python}"
export OMP_NUM_THREADS=1
out="$(mktemp -d)"
missing='{"skipped": "not run with --tiny"}'

if [ "$TINY" = 1 ]; then
    echo 0 >"$out/tests.rc"
    echo "not run with --tiny" >"$out/tests.txt"
    "$PY" bench/bench_images.py --runs --tiny --device cpu --epochs 1 >"$out/images.json" 2>"$out/images.log" \
        || { echo "bench_images --runs failed:" >&2; cat "$out/images.log" >&2; echo '{"error": "bench_images --runs failed"}' >"$out/images.json"; }
    echo "$missing" >"$out/engine.json"
    echo "$missing" >"$out/paradigms.json"
else
    timeout 240 "$PY" -m pytest -q -p no:cacheprovider -m "not browser" -k "cuda" tests/test_paradigm_grads.py \
        tests/test_train.py tests/test_large_members.py >"$out/tests.txt" 2>&1
    echo $? >"$out/tests.rc"
    timeout 420 "$PY" bench/bench_images.py --runs --device cuda --epochs 3 >"$out/images.json" 2>bench/gpu-images.log \
        || echo '{"error": "bench_images --runs failed or ran out of time; see bench/gpu-images.log"}' >"$out/images.json"
    timeout 300 "$PY" bench/bench_engine.py --device cuda --sizes 128,1024,8192 --repeats 2 >"$out/engine.json" \
        2>bench/gpu-engine.log \
        || echo '{"error": "bench_engine failed or ran out of time; see bench/gpu-engine.log"}' >"$out/engine.json"
    timeout 300 "$PY" bench/bench_paradigms.py --device cuda --sizes 128 --skip-sweep >"$out/paradigms.json" \
        2>bench/gpu-paradigms.log \
        || echo '{"error": "bench_paradigms failed or ran out of time; see bench/gpu-paradigms.log"}' >"$out/paradigms.json"
fi

"$PY" - "$out" <<'EOF'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
lines = [l for l in (out / "tests.txt").read_text().splitlines() if l.strip()]
print(json.dumps({"tests": {"rc": int((out / "tests.rc").read_text()), "summary": lines[-1] if lines else ""},
                  **{part: json.loads((out / f"{part}.json").read_text()) for part in ("images", "engine", "paradigms")}},
                 indent=1))
EOF
rm -rf "$out"
