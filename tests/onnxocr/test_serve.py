"""`onnxocr serve`: a real server process on a free loopback port, driven by a real HTTP client (urllib), and the
stdio mode as a real child process. Pages are rendered here, so the expected text is known from outside."""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import cv2
import numpy as np
import pytest

from testlib import REPO, render_page

pytest.importorskip("starlette", reason="the serve extra is not installed: pip install -e '.[serve]' (make install)")
pytest.importorskip("uvicorn", reason="the serve extra is not installed: pip install -e '.[serve]' (make install)")

LINES = ["Order number 2024", "Total amount due", "Thank you"]
ALLOWED_ORIGIN = "http://app.localhost:3000"


def _needs_models(*names: str) -> None:
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.store import ModelStore

    wanted = list(load_catalog().default_convert) + list(names)
    missing = [n for n in wanted if not ModelStore().is_installed(n)]
    if missing:
        pytest.skip(f"models not converted ({', '.join(missing)}): run `make convert convert-reference`")


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`python -m onnxocr serve` in a subprocess on a free loopback port."""

    def __init__(self, *args: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "onnxocr", "serve", "--port", str(self.port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.process.stderr.read().decode()}")
            try:
                self.get("/health")
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("server did not answer /health within 120 s")

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """(status, parsed JSON or raw bytes, headers)."""
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=120) as response:
                status, data, head = response.status, response.read(), response.headers
        except urllib.error.HTTPError as exc:
            status, data, head = exc.code, exc.read(), exc.headers
        if head.get("content-type", "").startswith("application/json"):
            return status, json.loads(data), head
        return status, data, head

    def post(self, path: str, body: bytes, headers: dict | None = None):
        return self.request("POST", path, body, headers)

    def get(self, path: str):
        return self.request("GET", path)[1]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def server():
    _needs_models()
    srv = Server("--workers", "1", "--queue", "0", "--max-body", "1", "--idle-release", "0",
                 "--allow-origin", ALLOWED_ORIGIN)
    yield srv
    srv.stop()


def _texts(record: dict) -> list[str]:
    return [line["text"] for line in record["lines"]]


def test_raw_body_and_multipart_upload_read_the_rendered_text(server):
    png = _png(render_page(LINES))
    status, record, head = server.post("/ocr", png)
    assert status == 200 and head["content-type"] == "application/json"
    assert _texts(record) == LINES
    assert record["width"] == 900 and all(len(line["box"]) == 4 for line in record["lines"])
    boundary = uuid.uuid4().hex
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/page.png\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode() + png + f"\r\n--{boundary}--\r\n".encode()
    status, record, _ = server.post("/ocr", form, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 200 and _texts(record) == LINES
    assert record["source"] == "page.png"  # a label only: the upload's name, without its folders


def test_formats_and_pdf_pages(server):
    png = _png(render_page(LINES))
    status, text, head = server.post("/ocr?format=text", png)
    assert status == 200 and head["content-type"].startswith("text/plain")
    assert text.decode().splitlines() == LINES
    status, tsv, _ = server.post("/ocr?format=tsv", png)
    rows = tsv.decode().splitlines()
    assert status == 200 and rows[0].startswith("level\tpage_num") and "Order" in {r.split("\t")[-1] for r in rows}
    status, pdf, head = server.post("/ocr?format=pdf", png)
    assert status == 200 and head["content-type"] == "application/pdf" and pdf.startswith(b"%PDF-")
    # the searchable PDF goes back in (one page, rendered at 150 dpi); a page range beyond it is a 400
    status, record, _ = server.post("/ocr?pages=1&dpi=150", pdf)
    assert status == 200 and _texts(record) == LINES and record["page"] == 1
    status, answer, _ = server.post("/ocr?pages=2-3", pdf)
    assert status == 400 and "selects no page" in answer["error"]


def test_unreadable_bodies_are_400(server):
    for body in (b"this is not an image", _png(render_page(LINES))[:300], b"%PDF-1.7 truncated"):
        status, answer, _ = server.post("/ocr", body)
        assert status == 400, answer
        assert set(answer) == {"error"} and "\n" not in answer["error"] and answer["error"].startswith("upload")
    status, answer, _ = server.post("/ocr", b"")
    assert status == 400 and "empty body" in answer["error"]


def test_body_over_the_limit_is_413(server):
    status, answer, _ = server.post("/ocr", b"\0" * (1024 * 1024 + 1))
    assert status == 413 and "limit" in answer["error"]


@pytest.mark.parametrize("query", ["drop_score=2", "drop_score=abc", "threads=4", "format=docx", "lang=xx", "max_image_pixels=0",
                                   "pages=3-1", "dpi=5", "det_limit_type=sideways"])
def test_bad_options_are_422(server, query):
    status, answer, _ = server.post(f"/ocr?{query}", _png(render_page(LINES[:1])))
    assert status == 422, answer
    assert set(answer) == {"error"} and "\n" not in answer["error"]
    assert query.split("=")[0] in answer["error"]


def test_per_request_options_apply(server):
    page = _png(render_page(LINES))
    status, record, _ = server.post("/ocr?word_boxes=true", page)
    assert status == 200 and [w["text"] for w in record["lines"][0]["words"]] == LINES[0].split()
    status, record, _ = server.post("/ocr?drop_score=1.0", page)  # no line scores 1.0 or more
    assert status == 200 and record["lines"] == []


def test_full_queue_is_503_and_the_admitted_requests_are_right(server):
    big = _png(render_page([f"Line {i} of a long page" for i in range(24)], width=1600))
    answers: list[tuple[int, object]] = []

    def send() -> None:
        status, answer, _ = server.post("/ocr", big)
        answers.append((status, answer))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    statuses = sorted(status for status, _ in answers)
    assert len(answers) == 4 and 503 in statuses and 200 in statuses, statuses
    for status, answer in answers:
        if status == 503:
            assert "busy" in answer["error"]
        else:
            assert status == 200 and _texts(answer)[0] == "Line 0 of a long page"


def test_foreign_origin_and_host_are_refused(server):
    served = server.get("/health")["served"]
    page = _png(render_page(LINES[:1]))
    status, answer, _ = server.post("/ocr", page, {"Origin": "http://evil.example"})
    assert status == 403 and "origin http://evil.example refused" in answer["error"]
    assert server.get("/health")["served"] == served  # refused before any work was queued
    status, answer, head = server.post("/ocr", page, {"Origin": ALLOWED_ORIGIN})
    assert status == 200 and head["access-control-allow-origin"] == ALLOWED_ORIGIN
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", "/health", headers={"Host": "rebound.example:80"})  # DNS rebinding
    response = connection.getresponse()
    assert response.status == 403 and "host" in json.loads(response.read())["error"]
    connection.close()


def test_language_switch_per_request_keeps_the_one_detector(server):
    _needs_models("ch_PP-OCRv4_rec")
    before = server.get("/health")
    png = _png(render_page(LINES))
    status, record, _ = server.post("/ocr?lang=en&ocr_version=PP-OCRv4", png)
    assert status == 200 and _texts(record) == LINES
    after = server.get("/health")
    assert after["detector"] == before["detector"]  # same detector session: not reloaded
    assert after["recognizer"] == "PP-OCRv6_small_rec" and "ch_PP-OCRv4_rec" in after["languages_loaded"]
    status, record, _ = server.post("/ocr", png)  # and back
    assert status == 200 and _texts(record) == LINES
    assert server.get("/health")["detector"] == before["detector"]
    models = server.get("/models")
    assert models["detector"] == "PP-OCRv6_small_det"
    assert models["languages"]["ch"]["rec"] == "PP-OCRv6_small_rec" and models["languages"]["ch"]["loaded"]
    assert "ch_PP-OCRv4_rec" in models["installed"]


def test_in_process_language_switch_shares_the_detector_and_evicts():
    _needs_models("ch_PP-OCRv4_rec")
    from onnxocr import OCR

    ocr = OCR(lang_cache_size=1)
    page = render_page(LINES)
    v4 = ocr.variant("en", "PP-OCRv4")
    assert v4.detector is ocr.detector and v4.recognizer is not ocr.recognizer
    assert [line.text for line in ocr(page, lang="en", version="PP-OCRv4").lines] == LINES
    assert ocr.variant("en", "PP-OCRv4").recognizer is v4.recognizer  # cached, not loaded again
    assert ocr.loaded_languages() == ["ch_PP-OCRv4_rec"]
    ocr.release_memory()
    assert ocr.loaded_languages() == []
    assert [line.text for line in ocr(page).lines] == LINES
    from onnxocr.integrations.service import Engine

    engine = Engine(ocr, workers=1, queue=0, idle_release=0.2)  # the serving engine releases by itself when idle
    try:
        result = engine.submit(lambda: ocr(page, lang="en", version="PP-OCRv4")).result(timeout=120)
        assert [line.text for line in result.lines] == LINES and ocr.loaded_languages() == ["ch_PP-OCRv4_rec"]
        deadline = time.monotonic() + 30
        while engine.releases == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert engine.releases == 1 and ocr.loaded_languages() == []
    finally:
        engine.close()
    assert OCR(lang_cache_size=0).variant("en", "PP-OCRv4").loaded_languages() == []


def test_stdio_answers_every_line_in_order_and_survives_a_bad_one(tmp_path):
    _needs_models()
    pages = [render_page([f"Request number {i}"]) for i in range(10)]
    files = []
    for i, page in enumerate(pages[:5]):
        files.append(tmp_path / f"page{i}.png")
        cv2.imwrite(str(files[-1]), page)
    lines = [json.dumps({"id": i, "path": str(files[i])}) for i in range(5)]
    lines += [json.dumps({"id": i, "image_base64": base64.b64encode(_png(pages[i])).decode(), "format": "text"})
              for i in range(5, 10)]
    lines.insert(3, "{this is not json")
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen([sys.executable, "-m", "onnxocr", "serve", "--stdio"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        child.stdin.write(("\n".join(lines) + "\n").encode())
        child.stdin.flush()
        answers = [json.loads(child.stdout.readline()) for _ in lines]
        assert child.poll() is None  # still alive after the malformed line
        assert set(answers[3]) == {"error", "status"} and answers[3]["status"] == 400
        good = answers[:3] + answers[4:]
        assert [a["id"] for a in good] == list(range(10))
        for i, answer in enumerate(good):
            text = _texts(answer) if i < 5 else answer["content"].splitlines()
            assert text == [f"Request number {i}"], answer
        child.stdin.write(json.dumps({"id": "x", "path": str(tmp_path / "missing.png")}).encode() + b"\n")
        child.stdin.flush()
        missing = json.loads(child.stdout.readline())
        assert missing["id"] == "x" and missing["status"] == 400 and "no such file" in missing["error"]
        child.stdin.close()
        assert child.wait(timeout=60) == 0  # end of input ends it
        assert child.stdout.read() == b""
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_past_the_time_limit_is_504_and_the_work_still_ends():
    _needs_models()
    srv = Server("--timeout", "0.01", "--idle-release", "0")
    try:
        status, answer, _ = srv.post("/ocr", _png(render_page(LINES)))
        assert status == 504 and "--timeout" in answer["error"]
        deadline = time.monotonic() + 60
        while srv.get("/health")["in_flight"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert srv.get("/health")["in_flight"] == 0  # the page finished; its worker is free again
    finally:
        srv.stop()
