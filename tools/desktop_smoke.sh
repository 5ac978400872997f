#!/usr/bin/env bash
# make desktop-smoke: freeze tools/desktop/app.py with PyInstaller in a venv holding only dist's wheels (as a user's
# build machine would), then run the frozen binary in a clean environment: no venv on PATH, no PYTHONPATH, an empty
# ONNXOCR_HOME, so its models can only come from the bundle. Prints the sample's text and the timings, then drives
# the binary's child-process mode (`serve --stdio`) with one request and one malformed line.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
WORK=${DESKTOP_WORK:-build/desktop}
VENV=.venv-desktop
SAMPLE=$PWD/docs/sample.png

t0=$(date +%s.%N)
rm -rf "$VENV" "$WORK"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q dist/onnxocr_runtime-*.whl dist/onnxocr_runtime_models_*.whl "pyinstaller>=6"
t1=$(date +%s.%N)
mkdir -p "$WORK"
(cd "$WORK" && "../../$VENV/bin/pyinstaller" --noconfirm --log-level WARN --onedir --name onnxocr-desktop-smoke \
    --distpath dist --workpath work --specpath . "../../tools/desktop/app.py")
t2=$(date +%s.%N)
BINARY=$PWD/$WORK/dist/onnxocr-desktop-smoke/onnxocr-desktop-smoke
CLEAN=$(mktemp -d)
mkdir -p "$CLEAN/empty-store"
echo "frozen app: $BINARY ($(du -sh "$(dirname "$BINARY")" | cut -f1))"
clean_run() { (cd "$CLEAN" && env -i PATH=/usr/bin:/bin HOME="$CLEAN" ONNXOCR_HOME="$CLEAN/empty-store" LANG=C.UTF-8 "$@"); }
clean_run "$BINARY" "$SAMPLE" > "$WORK/out.txt"
t3=$(date +%s.%N)
cat "$WORK/out.txt"
# The page-orientation model must be in the bundle too: the sample turned 90 degrees reads upright.
"$VENV/bin/python" -c "import sys; from PIL import Image; Image.open(sys.argv[1]).rotate(-90, expand=True).save(sys.argv[2])" \
    "$SAMPLE" "$CLEAN/turned.png"
clean_run "$BINARY" "$CLEAN/turned.png" > "$WORK/out-turned.txt"
# Cold start, three runs each: the frozen app, and the same app on the installed wheels (models from the models wheel).
for run in 1 2 3; do
    echo -n "frozen app     run $run: " >&2; clean_run "$BINARY" "$SAMPLE" > /dev/null
    echo -n "models wheel   run $run: " >&2; clean_run "$PWD/$VENV/bin/python" "$PWD/tools/desktop/app.py" "$SAMPLE" > /dev/null
done
# Child-process mode: two JSON lines in (a file, then a malformed line), two answers out, exit 0 at end of input.
printf '{"id": 1, "path": "%s", "format": "text"}\nnot json\n' "$SAMPLE" | clean_run "$BINARY" serve --stdio > "$WORK/stdio.jsonl"
echo "frozen app serve --stdio:"; cat "$WORK/stdio.jsonl"
rm -rf "$CLEAN"
if ! grep -q "onnxocr sample page" "$WORK/out.txt"; then
    echo "desktop-smoke: the frozen app did not print the sample's text" >&2
    exit 1
fi
if ! head -1 "$WORK/out-turned.txt" | grep -q "onnxocr sample page"; then
    echo "desktop-smoke: the frozen app did not read the sample turned 90 degrees upright" >&2
    exit 1
fi
if [ "$(wc -l < "$WORK/stdio.jsonl")" != 2 ] || ! head -1 "$WORK/stdio.jsonl" | grep -q '"id": 1, "format": "text", "content": "onnxocr sample page' \
        || ! tail -1 "$WORK/stdio.jsonl" | grep -q '"error"'; then
    echo "desktop-smoke: the frozen app's serve --stdio did not answer both lines" >&2
    exit 1
fi
printf 'desktop-smoke: venv+install %.0f s, freeze %.0f s, frozen run %.1f s\n' \
    "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$(echo "$t3 - $t2" | bc)"
