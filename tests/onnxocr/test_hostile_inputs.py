"""Hostile inputs (issue #6): every odd image gives the right text or a one-line error naming it and the reason.

Bad images are made here (cv2, numpy, hand-written PNG/JPEG bytes). Models: the default store set when it is
converted, else the ../shared fixture models.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from testlib import FIXTURE_DICTS, FIXTURE_MODELS, FIXTURES, REPO, render_page

from onnxocr.errors import ImageLoadError
from onnxocr.io.images import MultiPageWarning, apply_orientation, header_size, load_image

LINES = ["Invoice 2024 total 42.50", "Hostile input test"]
OTHER_LINES = ["Second page 77"]


# -- models ---------------------------------------------------------------------------------------------------
def _default_models_installed() -> bool:
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.store import ModelStore

    return all(ModelStore().is_installed(n) for n in load_catalog().default_convert)


def cli_model_args() -> list[str]:
    """CLI flags selecting the models `ocr` uses."""
    if _default_models_installed():
        return []
    return [
        "--det-model", str(FIXTURE_MODELS / "ch_PP-OCRv2_det_infer.onnx"),
        "--rec-model", str(FIXTURE_MODELS / "en_number_mobile_v2.0_rec_infer.onnx"),
        "--dict", str(FIXTURE_DICTS / "en_dict.txt"),
        "--no-space-recovery",
        "--orientation", "off",  # the fixtures hold no page-orientation model
    ]


@pytest.fixture(scope="module")
def ocr(request):
    """The default store models if converted, else the fixture models; skip (with the reason) when neither."""
    if _default_models_installed():
        return request.getfixturevalue("default_ocr")
    if FIXTURES.is_dir():
        return request.getfixturevalue("fixture_en_ocr")
    pytest.skip(f"no models: default set not converted (`make convert`) and no ../shared fixtures at {FIXTURES}")


def texts(result) -> list[str]:
    return [line.text for line in result.lines]


def squeeze(lines: list[str]) -> list[str]:
    return ["".join(line.split()) for line in lines]


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return render_page(LINES, width=700)


@pytest.fixture(scope="module")
def plain_texts(ocr, page) -> list[str]:
    """The text rendered on the page (LINES), which the plain BGR page must read exactly; every re-encoded variant
    must read it too. The oracle is what was drawn, never what a model read."""
    assert texts(ocr(page)) == LINES
    return list(LINES)


# -- hand-made image files -------------------------------------------------------------------------------------
def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(rows: np.ndarray, color_type: int, extra: bytes = b"", bit_depth: int = 8) -> bytes:
    """A PNG from raw rows (H, row_bytes) uint8 with filter 0; color_type 0 gray, 2 RGB, 3 palette, 4 LA, 6 RGBA."""
    height = rows.shape[0]
    width = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    width = rows.shape[1] * 8 // (bit_depth * width)
    raw = np.hstack([np.zeros((height, 1), np.uint8), rows]).tobytes()
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra + png_chunk(b"IDAT", zlib.compress(raw))
            + png_chunk(b"IEND", b""))


def bomb_png(side: int = 20000) -> bytes:
    """A valid 1-bit gray PNG of side x side pixels (all black) whose file is small: a decompression bomb."""
    row = b"\x00" * (1 + (side + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row * 1000) for _ in range(side // 1000)) + packer.compress(row * (side % 1000))
    body += packer.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", body) + png_chunk(b"IEND", b"")


def exif_block(orientation: int) -> bytes:
    """A little-endian EXIF TIFF block whose IFD0 holds only Orientation."""
    entry = struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)
    return b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + entry + struct.pack("<I", 0)


def jpeg_with_orientation(image: np.ndarray, orientation: int) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    payload = b"Exif\x00\x00" + exif_block(orientation)
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return data.tobytes()[:2] + app1 + data.tobytes()[2:]


def _jpeg_segments(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """(marker, payload) segments before the scan, and the entropy-coded scan data of a one-scan JPEG."""
    pos, segments = 2, []
    while True:
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if marker == 0xDA:
            return segments, data[pos + 2 + length : data.rindex(b"\xff\xd9")]
        segments.append((marker, data[pos + 4 : pos + 2 + length]))
        pos += 2 + length


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def cmyk_jpeg(bgr: np.ndarray) -> bytes:
    """An Adobe CMYK JPEG (inverted ink, as Photoshop writes): four non-interleaved scans of cv2-encoded gray data."""
    black = 255 - bgr.max(axis=2).astype(int)
    ink = [255 - bgr[:, :, c].astype(int) - black for c in (2, 1, 0)] + [black]  # C, M, Y, K
    stored = [np.ascontiguousarray((255 - i).astype(np.uint8)) for i in ink]
    scans, tables = [], None
    for channel in stored:
        ok, data = cv2.imencode(".jpg", channel, [cv2.IMWRITE_JPEG_QUALITY, 95])
        segments, scan = _jpeg_segments(data.tobytes())
        tables = tables or [s for s in segments if s[0] in (0xDB, 0xC4)]  # same quality: same tables
        scans.append(scan)
    height, width = bgr.shape[:2]
    frame = struct.pack(">BHHB", 8, height, width, 4) + b"".join(struct.pack(">BBB", i + 1, 0x11, 0) for i in range(4))
    out = b"\xff\xd8" + _segment(0xEE, b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 0))  # transform 0: CMYK
    out += b"".join(_segment(m, p) for m, p in tables) + _segment(0xC0, frame)
    for i, scan in enumerate(scans):
        out += _segment(0xDA, struct.pack(">BBB", 1, i + 1, 0x00) + b"\x00\x3f\x00") + scan
    return out + b"\xff\xd9"


def encode(ext: str, image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(ext, image)
    assert ok, ext
    return data.tobytes()


# -- variants that must read exactly like the plain page --------------------------------------------------------
def _gray(page):
    return encode(".png", cv2.cvtColor(page, cv2.COLOR_BGR2GRAY))


def _png16(page):
    return encode(".png", page.astype(np.uint16) * 257)


def _rgba(page):
    ink = 255 - cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    return encode(".png", np.dstack([np.zeros_like(page), ink]))  # black paint, transparent background


def _la(page):
    ink = 255 - cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    return png_bytes(np.dstack([np.zeros_like(ink), ink]).reshape(ink.shape[0], -1), color_type=4)


def _palette(page):
    index = np.where(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) < 128, 1, 2).astype(np.uint8)
    plte = png_chunk(b"PLTE", bytes([255, 255, 255, 0, 0, 0, 0, 0, 0]))
    trns = png_chunk(b"tRNS", bytes([255, 255, 0]))  # entry 2: black, fully transparent
    return png_bytes(index, color_type=3, extra=plte + trns)


def _cmyk(page):
    return cmyk_jpeg(page)


def _gif_animated(page):
    other = render_page(OTHER_LINES, width=page.shape[1])
    other = cv2.resize(other, (page.shape[1], page.shape[0]))
    ok, data = cv2.imencodemulti(".gif", [page, other])
    assert ok
    return data.tobytes()


def _exif6(page):
    return jpeg_with_orientation(cv2.rotate(page, cv2.ROTATE_90_COUNTERCLOCKWISE), 6)


def _exif8(page):
    return jpeg_with_orientation(cv2.rotate(page, cv2.ROTATE_90_CLOCKWISE), 8)


def _webp(page):
    return encode(".webp", page)


def _bmp(page):
    return encode(".bmp", page)


VARIANTS = {
    "gray.png": _gray,
    "16bit.png": _png16,
    "rgba-transparent.png": _rgba,
    "gray-alpha.png": _la,
    "palette-trns.png": _palette,
    "cmyk.jpg": _cmyk,
    "animated.gif": _gif_animated,
    "exif-orientation-6.jpg": _exif6,
    "exif-orientation-8.jpg": _exif8,
    "page.webp": _webp,
    "page.bmp": _bmp,
}


@pytest.mark.parametrize("filename", sorted(VARIANTS))
def test_variant_reads_like_the_plain_page(ocr, page, plain_texts, tmp_path, filename):
    path = tmp_path / filename
    path.write_bytes(VARIANTS[filename](page))
    assert load_image(path).shape == page.shape  # upright, 3 channels, same size (EXIF orientation applied)
    result = ocr(path)
    # lossy variants (JPEG, GIF palette, 1-bit palette) may move a word gap; the characters must be the same
    assert squeeze(texts(result)) == squeeze(plain_texts)
    assert (result.width, result.height) == (page.shape[1], page.shape[0])


def test_transparency_is_composited_on_white(page):
    loaded = load_image(_rgba(page))
    assert np.abs(loaded.astype(int) - page).max() <= 1
    assert (load_image(_palette(page))[0, 0] == 255).all() and (load_image(_la(page))[0, 0] == 255).all()


def test_cmyk_jpeg_colours_come_out_as_bgr():
    bgr = np.full((64, 96, 3), 255, np.uint8)
    bgr[8:32, 8:40] = (0, 0, 255)  # red
    bgr[36:60, 48:90] = 0
    loaded = load_image(cmyk_jpeg(bgr))
    assert np.abs(loaded.astype(int) - bgr)[4:-4, 4:-4].max() <= 16


@pytest.mark.parametrize("orientation", range(1, 9))
def test_png_exif_orientation_matches_opencv_jpeg_rule(orientation):
    image = np.arange(6 * 10 * 3, dtype=np.uint8).reshape(6, 10, 3)
    plain = encode(".png", image)
    with_exif = plain[:33] + png_chunk(b"eXIf", exif_block(orientation)) + plain[33:]
    expected = cv2.imdecode(np.frombuffer(with_exif, np.uint8), cv2.IMREAD_COLOR)  # OpenCV applies orientation
    assert np.array_equal(load_image(with_exif), expected)
    assert np.array_equal(apply_orientation(image, orientation), expected)


def test_multipage_tiff_reads_page_one_and_warns(ocr, page, plain_texts, tmp_path):
    other = cv2.resize(render_page(OTHER_LINES, width=page.shape[1]), (page.shape[1], page.shape[0]))
    ok, data = cv2.imencodemulti(".tiff", [page, other, other])
    path = tmp_path / "three-pages.tiff"
    path.write_bytes(data.tobytes())
    with pytest.warns(MultiPageWarning, match=r"three-pages\.tiff: TIFF has 3 pages; only page 1 was read"):
        result = ocr(path)
    assert texts(result) == plain_texts
    single = tmp_path / "one-page.tiff"
    single.write_bytes(encode(".tiff", page))
    with warnings.catch_warnings():
        warnings.simplefilter("error", MultiPageWarning)
        assert texts(ocr(single)) == plain_texts


def test_float_array_in_unit_range_reads_like_uint8(ocr, page, plain_texts):
    assert texts(ocr(page.astype(np.float32) / 255.0)) == plain_texts


# -- inputs with nothing to read: empty result, not an error -----------------------------------------------------
@pytest.mark.parametrize(
    "shape, fill",
    [((1, 1, 3), 0), ((1, 10000, 3), 255), ((10000, 1, 3), 0), ((1, 10000), 0), ((600, 800, 3), 255), ((600, 800, 3), 0)],
    ids=["1x1", "1x10000", "10000x1", "1x10000-gray", "all-white", "all-black"],
)
def test_blank_and_degenerate_images_give_an_empty_result(ocr, tmp_path, shape, fill):
    image = np.full(shape, fill, np.uint8)
    path = tmp_path / "blank.png"
    path.write_bytes(encode(".png", image))
    for source in (image, path):
        result = ocr(source)
        assert result.lines == [] and (result.height, result.width) == shape[:2]


# -- inputs that must fail with a one-line error naming the input -------------------------------------------------
def _truncated_jpeg(page):
    data = encode(".jpg", page)
    return data[: len(data) * 2 // 3]


def _truncated_png(page):
    data = encode(".png", page)
    return data[: len(data) * 2 // 3]


BAD_FILES = {
    "empty.png": (lambda page: b"", r"file is empty \(0 bytes\)"),
    "notes.jpg": (lambda page: b"this is a shopping list, not a photo\n" * 20, r"is a text file, not an image"),
    "random.png": (lambda page: bytes(range(256)) * 4, r"is not an image in a supported format"),
    "truncated.jpg": (_truncated_jpeg, r"JPEG data is truncated or corrupt"),
    "truncated.png": (_truncated_png, r"PNG data is truncated or corrupt"),
    "bomb.png": (lambda page: bomb_png(), r"20000x20000 = 400000000 pixels exceeds the limit of 178956970"),
}


def assert_one_line_naming(exc: Exception, name: str, reason: str) -> None:
    message = str(exc)
    assert "\n" not in message and message.startswith(name + ": "), message
    assert re.search(reason, message), message


@pytest.mark.parametrize("filename", sorted(BAD_FILES))
def test_bad_file_is_refused_with_its_name_and_reason(ocr, page, tmp_path, filename):
    build, reason = BAD_FILES[filename]
    path = tmp_path / filename
    path.write_bytes(build(page))
    with pytest.raises(ImageLoadError) as caught:
        ocr(path)
    assert_one_line_naming(caught.value, str(path), reason)
    with pytest.raises(ImageLoadError):  # the same bytes passed directly
        ocr(path.read_bytes())


def test_bomb_is_refused_from_the_header_before_decoding():
    data = bomb_png()
    assert len(data) < 200_000 and header_size(data) == (20000, 20000)
    with pytest.raises(ImageLoadError, match="exceeds the limit of 1000"):
        load_image(encode(".png", np.zeros((40, 40), np.uint8)), max_pixels=1000)


@pytest.mark.parametrize("ext", [".png", ".jpg", ".gif", ".bmp", ".tiff", ".webp", ".ppm", ".pgm"])
def test_header_size_of_every_supported_format(ext):
    image = np.zeros((37, 53, 3), np.uint8)
    assert header_size(encode(ext, image if ext != ".pgm" else image[:, :, 0])) == (53, 37)


def test_pixel_limit_is_configurable_on_the_ocr_object(tmp_path):
    from onnxocr import OCR

    if _default_models_installed():
        small = OCR(use_det=False, max_image_pixels=5000)
    elif FIXTURES.is_dir():
        small = OCR(use_det=False, rec_model=FIXTURE_MODELS / "en_number_mobile_v2.0_rec_infer.onnx",
                    dict_path=FIXTURE_DICTS / "en_dict.txt", max_image_pixels=5000)
    else:
        pytest.skip(f"no models: default set not converted and no ../shared fixtures at {FIXTURES}")
    path = tmp_path / "100x100.png"
    path.write_bytes(encode(".png", np.full((100, 100), 255, np.uint8)))
    with pytest.raises(ImageLoadError, match=r"100x100 = 10000 pixels exceeds the limit of 5000"):
        small(path)
    with pytest.raises(ImageLoadError, match="exceeds the limit of 5000"):
        small(np.zeros((100, 100, 3), np.uint8))
    assert small(np.full((50, 100, 3), 255, np.uint8)).width == 100  # 5000 pixels: at the limit is fine


def test_directory_and_missing_path(ocr, tmp_path):
    with pytest.raises(ImageLoadError) as caught:
        ocr(tmp_path)
    assert_one_line_naming(caught.value, str(tmp_path), "is a directory")
    missing = tmp_path / "nope.png"
    with pytest.raises(ImageLoadError) as caught:
        ocr(missing)
    assert_one_line_naming(caught.value, str(missing), "no such file")


def test_non_utf8_file_name(ocr, page, plain_texts, tmp_path):
    raw = os.fsencode(tmp_path) + b"/caf\xe9-\xff.png"
    Path(os.fsdecode(raw)).write_bytes(encode(".png", page))
    result = ocr(os.fsdecode(raw))
    assert texts(result) == plain_texts
    assert result.source.endswith("caf\\xe9-\\xff.png")
    json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")  # printable: no lone surrogates
    with pytest.raises(ImageLoadError) as caught:
        ocr(os.fsdecode(raw.replace(b".png", b"-missing.png")))
    str(caught.value).encode("utf-8")
    assert "caf\\xe9-\\xff-missing.png: no such file" in str(caught.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_a_float_array_is_refused(ocr, bad):
    image = np.full((32, 64, 3), 0.5, np.float32)
    image[3, 4, 1] = bad
    with pytest.raises(ImageLoadError) as caught:
        ocr(image)
    assert_one_line_naming(caught.value, "<array (32, 64, 3) float32>", "NaN or infinite")


@pytest.mark.parametrize(
    "array, reason",
    [
        (np.zeros((0, 10, 3), np.uint8), "image is empty"),
        (np.zeros((10,), np.uint8), "is not an image"),
        (np.zeros((4, 4, 5), np.uint8), "is not an image"),
        (np.zeros((4, 4, 3), np.complex64), "unsupported array dtype"),
    ],
)
def test_malformed_arrays_are_refused(ocr, array, reason):
    with pytest.raises(ImageLoadError, match=reason):
        ocr(array)


# -- permissions (root reads 0o000 files: drop the capabilities that let it) ---------------------------------------
def _drop_read_override() -> None:
    """preexec_fn: remove CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set, so exec'd root obeys modes."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_unprivileged(args: list, **kwargs) -> subprocess.CompletedProcess:
    """Run a command that cannot read 0o000 files: as is for a normal user, without DAC capabilities for root."""
    if os.geteuid() != 0:
        return subprocess.run(args, capture_output=True, **kwargs)
    try:
        return subprocess.run(args, capture_output=True, preexec_fn=_drop_read_override, **kwargs)
    except subprocess.SubprocessError as exc:
        pytest.skip(f"running as root and cannot drop CAP_DAC_OVERRIDE to test permissions ({exc})")


def test_unreadable_file_api(page, tmp_path):
    path = tmp_path / "secret.png"
    path.write_bytes(encode(".png", page))
    path.chmod(0)
    code = "from onnxocr.io.images import load_image; import sys; load_image(sys.argv[1])"
    done = run_unprivileged([sys.executable, "-c", code, str(path)], text=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == f"onnxocr.errors.ImageLoadError: {path}: permission denied"


# -- the CLI: goes on after a failure, exit 1 at the end, never clobbers an output ---------------------------------
def run_cli(args: list, unprivileged: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "onnxocr", *map(str, args), *cli_model_args()]
    if unprivileged:
        return run_unprivileged(command, text=True, cwd=REPO)
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("onnxocr: error: ")]


def test_cli_reports_each_bad_input_and_goes_on(ocr, page, plain_texts, tmp_path):
    good = tmp_path / "good.png"
    good.write_bytes(encode(".png", page))
    bad = []
    for filename, (build, _) in sorted(BAD_FILES.items()):
        (tmp_path / filename).write_bytes(build(page))
        bad.append(tmp_path / filename)
    (tmp_path / "no-documents").mkdir()
    (tmp_path / "no-documents" / "readme.txt").write_text("nothing to OCR here")
    bad += [tmp_path / "missing.png", tmp_path / "no-documents"]
    out = tmp_path / "out" / "result.json"
    done = run_cli([bad[0], good, *bad[1:], "--format", "json", "--output", out])
    assert done.returncode == 1, done.stderr
    errors = error_lines(done.stderr)
    assert len(errors) == len(bad), done.stderr
    for path, line in zip(bad, errors):
        assert line.startswith(f"onnxocr: error: {path}: "), line
    for filename, (_, reason) in BAD_FILES.items():
        assert any(re.search(reason, e) for e in errors if f"/{filename}: " in e), (filename, errors)
    assert done.stderr.splitlines()[-1] == f"onnxocr: {len(bad)} of {len(bad) + 1} input(s) failed"
    assert "Traceback" not in done.stderr
    docs = json.loads(out.read_text(encoding="utf-8"))
    assert [d["source"] for d in docs] == [str(good)]
    assert [line["text"] for line in docs[0]["lines"]] == plain_texts
    assert sorted(p.name for p in out.parent.iterdir()) == ["result.json"]  # no temporary files left behind


def test_cli_keeps_an_existing_output_when_every_input_fails(ocr, tmp_path):
    out = tmp_path / "result.txt"
    out.write_text("yesterday's results\n")
    (tmp_path / "empty.png").write_bytes(b"")
    for fmt in ("text", "json", "tsv"):
        done = run_cli([tmp_path / "empty.png", tmp_path / "missing.png", "--format", fmt, "--output", out])
        assert done.returncode == 1 and len(error_lines(done.stderr)) == 2, done.stderr
        assert out.read_text() == "yesterday's results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.png", "result.txt"]


def test_cli_draw_writes_nothing_for_a_failed_input(ocr, page, tmp_path):
    (tmp_path / "good.png").write_bytes(encode(".png", page))
    (tmp_path / "bad.png").write_bytes(b"not an image")
    drawings = tmp_path / "drawings"
    done = run_cli([tmp_path / "good.png", tmp_path / "bad.png", "--draw", drawings])
    assert done.returncode == 1, done.stderr
    assert sorted(p.name for p in drawings.iterdir()) == ["good.png"]


def test_cli_pixel_limit_option(ocr, tmp_path):
    path = tmp_path / "page.png"
    path.write_bytes(encode(".png", np.full((100, 200), 255, np.uint8)))
    done = run_cli([path, "--max-pixels", "10000"])
    assert done.returncode == 1
    assert error_lines(done.stderr) == [
        f"onnxocr: error: {path}: 200x100 = 20000 pixels exceeds the limit of 10000 "
        "(raise max_image_pixels / --max-pixels if this image is trusted)"
    ]


def test_cli_multipage_tiff_reads_every_page(page, plain_texts, tmp_path):
    ok, data = cv2.imencodemulti(".tiff", [page, page])
    path = tmp_path / "two.tiff"
    path.write_bytes(data.tobytes())
    drawings = tmp_path / "drawn"
    done = run_cli([path, "--draw", drawings])
    assert done.returncode == 0, done.stderr
    assert [p.splitlines() for p in done.stdout.split("\f")] == [plain_texts, plain_texts]  # a form feed between pages
    assert done.stderr == ""
    assert sorted(p.name for p in drawings.iterdir()) == ["two-1.png", "two-2.png"]


def test_cli_non_utf8_file_names(page, plain_texts, tmp_path):
    if sys.getfilesystemencoding().lower() not in ("utf-8", "utf8"):
        pytest.skip(f"file system encoding is {sys.getfilesystemencoding()}, not UTF-8")
    raw = os.fsencode(tmp_path) + b"/scan-\xe9.png"
    Path(os.fsdecode(raw)).write_bytes(encode(".png", page))
    missing = os.fsencode(tmp_path) + b"/gone-\xff.png"
    command = [os.fsencode(sys.executable), b"-m", b"onnxocr", raw, missing, *map(os.fsencode, cli_model_args())]
    done = subprocess.run(command, capture_output=True, cwd=REPO)
    stdout, stderr = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    assert done.returncode == 1, stderr
    assert stdout.splitlines() == [f"==> {tmp_path}/scan-\\xe9.png <==", *plain_texts]
    assert error_lines(stderr) == [f"onnxocr: error: {tmp_path}/gone-\\xff.png: no such file"]


def test_cli_unreadable_file(page, plain_texts, tmp_path):
    secret, good = tmp_path / "secret.png", tmp_path / "good.png"
    secret.write_bytes(encode(".png", page))
    good.write_bytes(encode(".png", page))
    secret.chmod(0)
    done = run_cli([secret, good], unprivileged=True)
    assert done.returncode == 1, done.stderr
    assert error_lines(done.stderr) == [f"onnxocr: error: {secret}: permission denied"]
    assert done.stdout.splitlines()[-len(plain_texts):] == plain_texts


# -- threads: one object, 8 threads, different self-rendered images ------------------------------------------------
def test_eight_threads_give_the_serial_results(ocr):
    from concurrent.futures import ThreadPoolExecutor

    images = [render_page([f"Thread {i} line {i * 7}", f"Value {i * 13}.5"], width=500 + 40 * i) for i in range(8)]
    serial = [[(l.text, l.box.tolist()) for l in ocr(img).lines] for img in images]
    assert len({str(s) for s in serial}) == 8  # different images, different results
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(2):
            parallel = list(pool.map(lambda img: [(l.text, l.box.tolist()) for l in ocr(img).lines], images))
            assert parallel == serial
