#!/usr/bin/env bash
# dualrev on a GPU machine, in one go (about 5-8 minutes, most of it pip):
#
#   bash benchmarks/gpu.sh                 # figures in ./gpu.json and ./gpu.txt
#   OUT=/some/dir bash benchmarks/gpu.sh   # figures in /some/dir
#
# Needs an NVIDIA GPU with its driver (CUDA 12), Python >= 3.10 and pip reaching PyPI.
# It makes a virtual environment ($VENV, else one under $TMPDIR or /tmp), installs dualrev with its
# `test` and `cuda` extras (CuPy) and the CUDA toolkit's wheels, plus PyTorch (its
# CUDA build, for the comparison), prints the GPU and the versions, runs the device
# tests (tests/test_cupy.py, tests/test_devices.py) and then benchmarks/gpu.py.
# A failing test is reported and the benchmark still runs; the exit status is the
# tests' (or the benchmark's, if it failed).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-.}"
VENV="${VENV:-${TMPDIR:-/tmp}/dualrev-gpu-venv}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
cd "$ROOT"
started=$(date +%s)
step() { echo; echo "=== $* ($(( $(date +%s) - started )) s)"; }

step "virtual environment $VENV"
"$PYTHON" -m venv "$VENV" || exit 1
PY="$VENV/bin/python"
"$PY" -m pip install -q --upgrade pip setuptools || exit 1

step "pip install -e .[test,cuda], cupy-cuda12x[ctk], torch"
# [ctk]: the CUDA toolkit's libraries (NVRTC, cuBLAS...) as wheels, for a machine
# with the driver alone.  One resolve for all, so CuPy and torch share those wheels.
if ! "$PY" -m pip install -q -e ".[test,cuda]" "cupy-cuda12x[ctk]>=13" torch; then
    echo "one resolve failed; installing dualrev with CuPy, then torch apart"
    "$PY" -m pip install -q -e ".[test,cuda]" "cupy-cuda12x[ctk]>=13" || exit 1
    "$PY" -m pip install -q torch || echo "torch did not install: the MLP case runs without it"
fi

step "the machine"
nvidia-smi || echo "nvidia-smi failed"
"$PY" - <<'EOF'
import platform, numpy
print("python", platform.python_version(), "| numpy", numpy.__version__)
try:
    import cupy
    print("cupy", cupy.__version__, "| CUDA runtime", cupy.cuda.runtime.runtimeGetVersion(),
          "| driver", cupy.cuda.runtime.driverGetVersion())
except Exception as e:
    print("cupy: not usable:", type(e).__name__, e)
try:
    import torch
    print("torch", torch.__version__, "| CUDA", torch.version.cuda, "| available",
          torch.cuda.is_available())
except Exception as e:
    print("torch: not usable:", type(e).__name__, e)
import dualrev
print("dualrev", dualrev.__version__, "| cuda available", dualrev.cuda.is_available(),
      "| devices", dualrev.cuda.device_count(), "|", dualrev.cuda.backend.reason or "")
EOF

step "tests: tests/test_cupy.py tests/test_devices.py"
timeout 300 "$PY" -m pytest -q -p no:cacheprovider -rfEs tests/test_cupy.py tests/test_devices.py \
    2>&1 | tee "$OUT/gpu-tests.txt"
tests=${PIPESTATUS[0]}
echo "tests: exit status $tests"

step "benchmarks/gpu.py"
timeout 300 "$PY" benchmarks/gpu.py --out "$OUT/gpu.json"
bench=$?
echo "benchmark: exit status $bench"

step "done: $OUT/gpu.json, $OUT/gpu.txt, $OUT/gpu-tests.txt"
if [ "$tests" -ne 0 ]; then exit "$tests"; fi
exit "$bench"
