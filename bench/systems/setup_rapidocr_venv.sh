#!/usr/bin/env bash
# Create (idempotently) the virtual environment that runs RapidOCR 1.4.4 (rapidocr-onnxruntime) for `make bench`.
#
#   bench/systems/setup_rapidocr_venv.sh      # venv at .venv-rapidocr; prints the folder of RapidOCR's bundled ONNX models
#
# The onnxruntime, numpy and opencv versions are pinned to those of onnxocr's runtime venv (.venv) so the two
# systems run the same inference engine build; RapidOCR's own wheel brings the models it ships
# (ch_PP-OCRv4_det/rec + ch_ppocr_mobile_v2.0_cls), which the benchmark can hand to both systems.
# Env overrides: PYTHON (interpreter for the venv, default python3.11), VENV, RUNTIME_VENV.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/peer_venv.sh"
VENV="${VENV:-$ROOT/.venv-rapidocr}"
ORT="$(version_of onnxruntime)"
NUMPY="$(version_of numpy)"
PINS=("rapidocr-onnxruntime==1.4.4")
[[ -n "$ORT" ]] && PINS+=("onnxruntime==$ORT")
[[ -n "$NUMPY" ]] && PINS+=("numpy==$NUMPY")
make_peer_venv "$VENV" "from rapidocr_onnxruntime import RapidOCR" "${PINS[@]}"
"$VENV/bin/python" -c "import os, rapidocr_onnxruntime as r; print(os.path.join(os.path.dirname(r.__file__), 'models'))"
