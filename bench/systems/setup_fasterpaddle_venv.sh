#!/usr/bin/env bash
# Create (idempotently) the virtual environment that runs faster-paddle 1.0.4 for `python -m bench.peers`.
#
#   bench/systems/setup_fasterpaddle_venv.sh      # venv at .venv-fasterpaddle; prints the venv's python
#
# faster-paddle is a Rust extension with its PP-OCRv6 tiny and small models and its own onnxruntime (1.28)
# linked in: no Python onnxruntime, numpy or OpenCV is needed (its runner passes encoded bytes).
# Env overrides: PYTHON (interpreter for the venv, default python3.11), VENV.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/peer_venv.sh"
VENV="${VENV:-$ROOT/.venv-fasterpaddle}"
make_peer_venv "$VENV" "from faster_paddle import OcrEngine" "faster-paddle==1.0.4"
echo "$VENV/bin/python"
