"""`make bench-serve`: `onnxocr serve` under load, from a real HTTP client against a real server on 127.0.0.1.

1. --requests (1,000) requests at --concurrency (4) from keep-alive http.client connections: screenshot-sized
   crops, full pages and one-page PDFs rendered here (so no data set is needed), a share of them in a second language
   (--lang2, default en on PP-OCRv4: a second recogniser in the server's LRU), and a few broken bodies.
   Every answer is checked: 200 with the same lines as the in-process call on the same image and language
   (reference computed first, same engine settings), or 400 with a JSON error for the broken ones.
   Reports requests/s, p50/p95 latency per kind, and the server's RSS after every 100 requests.
2. Latency on one screenshot, one request at a time: HTTP round trip vs the in-process call with the same engine
   settings (threads per worker), alternating, --latency-rounds each.
3. RSS after the server's idle release (--idle-release seconds without requests).

Done-when targets (--check exits 1 on a miss): every request answered correctly; RSS after the last request
within 10% of RSS after request 200; screenshot p50 over HTTP at most 1.2x the in-process call.
Bounded: stops issuing requests after --max-seconds; every socket has a timeout; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
WORDS = ("invoice total amount due order number thank you page line value onnx paddle runtime 2024 42.50 #17 "
         "shipping address customer account balance payment date reference").split()


def render(rng: np.random.Generator, width: int, lines: int, scale: float) -> np.ndarray:
    """White image with `lines` lines of random words (OpenCV's Hershey font: no font files needed)."""
    texts = [" ".join(rng.choice(WORDS, size=int(rng.integers(2, 6)))) for _ in range(lines)]
    step = int(40 * scale) + 14
    image = np.full((step * lines + 30, width, 3), 255, np.uint8)
    for i, text in enumerate(texts):
        cv2.putText(image, text, (16, 20 + step * (i + 1) - 12), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 2, cv2.LINE_AA)
    return image


@dataclass
class Case:
    kind: str  # screenshot, page, lang2, broken
    body: bytes
    query: str
    expected: list[str] | None  # lines text (None: a 400 is expected)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (/proc/PID/stat), less noisy than wall time on a shared machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(connection: http.client.HTTPConnection, query: str, body: bytes) -> tuple[int, dict | None]:
    connection.request("POST", "/ocr" + query, body=body, headers={"Content-Type": "application/octet-stream"})
    response = connection.getresponse()
    data = response.read()
    try:
        return response.status, json.loads(data)
    except ValueError:
        return response.status, None


def correct(case: Case, status: int, answer: dict | None) -> bool:
    if case.expected is None:
        return status == 400 and isinstance(answer, dict) and set(answer) == {"error"}
    return status == 200 and isinstance(answer, dict) and [l["text"] for l in answer.get("lines", [])] == case.expected


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=None, help="server --workers [default: its own, one per CPU]")
    parser.add_argument("--lang2", default="en:PP-OCRv4", help="second language as LANG[:VERSION]; '' for none")
    parser.add_argument("--latency-rounds", type=int, default=30)
    parser.add_argument("--idle-release", type=float, default=5.0)
    parser.add_argument("--max-seconds", type=float, default=540.0, help="stop issuing requests after this long")
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--check", action="store_true", help="exit 1 when a done-when target is missed")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from onnxocr.integrations.service import build_ocr, thread_plan
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.store import ModelStore

    workers, threads = thread_plan(args.workers, None)
    lang2, _, version2 = args.lang2.partition(":")
    catalog = load_catalog()
    if lang2:
        rec2 = catalog.model_set(lang2, version2 or None)[1]["rec"]
        if not ModelStore().is_installed(rec2):
            print(f"bench-serve: {rec2} ({args.lang2}) not converted: run `make convert-reference`, or --lang2 ''", file=sys.stderr)
            return 2
    # in-process reference, same engine settings as one server worker
    ocr = build_ocr(lang=None, version=None, threads=threads, lang_cache_size=3, use_cls=None, device=None, models_dir=None)
    rng = np.random.default_rng(args.seed)
    cases: list[Case] = []
    png = lambda image: cv2.imencode(".png", image)[1].tobytes()  # noqa: E731
    for i in range(12):
        image = render(rng, int(rng.integers(400, 800)), int(rng.integers(1, 4)), float(rng.uniform(0.7, 1.1)))
        cases.append(Case("screenshot", png(image), "", [l.text for l in ocr(image).lines]))
    for i in range(6):
        image = render(rng, int(rng.integers(900, 1200)), int(rng.integers(8, 15)), float(rng.uniform(0.8, 1.0)))
        cases.append(Case("page", png(image), "", [l.text for l in ocr(image).lines]))
    if lang2:
        query = f"?lang={lang2}" + (f"&ocr_version={version2}" if version2 else "")
        for i in range(6):
            image = render(rng, int(rng.integers(400, 800)), int(rng.integers(1, 4)), float(rng.uniform(0.7, 1.1)))
            cases.append(Case("lang2", png(image), query, [l.text for l in ocr(image, lang=lang2, version=version2 or None).lines]))
    from PIL import Image

    from onnxocr.io.readers import InputFile

    for i in range(2):  # a one-page PDF (a raster page at 100 dpi), read back at 100 dpi
        image = render(rng, int(rng.integers(700, 900)), int(rng.integers(4, 8)), float(rng.uniform(0.8, 1.0)))
        buffer = io.BytesIO()
        Image.fromarray(image[:, :, ::-1]).save(buffer, format="PDF", resolution=100.0)
        [page] = ocr.pages([InputFile("page.pdf", data=buffer.getvalue())], dpi=100)
        cases.append(Case("pdf", buffer.getvalue(), "?dpi=100", [l.text for l in page.result.lines]))
    good_png = cases[0].body
    cases += [Case("broken", b"not an image at all", "", None), Case("broken", good_png[: len(good_png) // 3], "", None),
              Case("broken", b"%PDF-1.7\n% truncated", "", None)]
    kinds = [c.kind for c in cases]
    weights = np.array([{"screenshot": 0.68, "page": 0.11, "lang2": 0.15, "pdf": 0.03, "broken": 0.03}[k] / kinds.count(k) for k in kinds])
    schedule = rng.choice(len(cases), size=args.requests, p=weights / weights.sum())

    port = free_port()
    command = [sys.executable, "-m", "onnxocr", "serve", "--port", str(port), "--idle-release", str(args.idle_release),
               "--queue", str(args.concurrency * 2)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    server = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/health")
                health = json.loads(probe.getresponse().read())
                probe.close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    print(f"bench-serve: the server did not start: {server.stderr.read().decode()[-500:]}", file=sys.stderr)
                    return 2
                time.sleep(0.2)
        print(f"bench-serve: server pid {server.pid} on 127.0.0.1:{port}, {health['workers']} worker(s) x "
              f"{health['threads_per_worker']} thread(s); {args.requests} requests at concurrency {args.concurrency}; "
              f"mix of {len(cases)} distinct bodies ({', '.join(f'{kinds.count(k)} {k}' for k in dict.fromkeys(kinds))}); "
              f"{os.cpu_count()} CPUs, shared machine: wall times are noisy")
        results: list[tuple[int, str, float, bool, int]] = []  # (number, kind, seconds, correct, status)
        rss: dict[int, int] = {0: rss_kib(server.pid)}
        lock = threading.Lock()
        next_index = iter(range(args.requests))
        stop_at = time.monotonic() + args.max_seconds
        start = time.perf_counter()
        cpu_start = cpu_seconds(server.pid)

        def client() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            while time.monotonic() < stop_at:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    break
                case = cases[schedule[index]]
                tick = time.perf_counter()
                try:
                    status, answer = post(connection, case.query, case.body)
                except (OSError, http.client.HTTPException):
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    status, answer = -1, None
                seconds = time.perf_counter() - tick
                with lock:
                    results.append((len(results) + 1, case.kind, seconds, correct(case, status, answer), status))
                    done = len(results)
                    if done % 100 == 0:
                        rss[done] = rss_kib(server.pid)
            connection.close()

        clients = [threading.Thread(target=client) for _ in range(args.concurrency)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        elapsed = time.perf_counter() - start
        cpu_used = cpu_seconds(server.pid) - cpu_start
        served = len(results)
        wrong = [r for r in results if not r[3]]
        print(f"\n{served} requests in {elapsed:.1f} s: {served / elapsed:.2f} requests/s; {len(wrong)} answered wrongly"
              + (f" (statuses {sorted({r[4] for r in wrong})})" if wrong else "")
              + f"; server CPU {cpu_used:.1f} s ({cpu_used / max(served, 1) * 1000:.0f} ms per request)")
        print(f"{'kind':>10} {'count':>6} {'p50 ms':>8} {'p95 ms':>8}")
        for kind in ["all", *dict.fromkeys(kinds)]:
            times = [r[2] * 1000 for r in results if kind in ("all", r[1])]
            print(f"{kind:>10} {len(times):>6} {percentile(times, 50):>8.0f} {percentile(times, 95):>8.0f}")
        print(f"\n{'request':>8} {'server RSS MiB':>15}")
        for number, kib in sorted(rss.items()):
            print(f"{number:>8} {kib / 1024:>15.1f}")

        # 2. one screenshot, one at a time: HTTP vs in-process, alternating
        shot = cases[0]
        image = cv2.imdecode(np.frombuffer(shot.body, np.uint8), cv2.IMREAD_COLOR)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        over_http, in_process = [], []
        for _ in range(3):  # warm both
            post(connection, "", shot.body)
            ocr(shot.body)
        for round_ in range(args.latency_rounds):
            pair = []
            for mode in (("http", "local") if round_ % 2 == 0 else ("local", "http")):
                tick = time.perf_counter()
                if mode == "http":
                    status, answer = post(connection, "", shot.body)
                    ok = correct(shot, status, answer)
                else:
                    ok = [l.text for l in ocr(shot.body).lines] == shot.expected
                pair.append((mode, time.perf_counter() - tick, ok))
            for mode, seconds, ok in pair:
                (over_http if mode == "http" else in_process).append(seconds)
                if not ok:
                    wrong.append((0, f"latency-{mode}", seconds, False, 0))
        connection.close()
        p50_http, p50_local = statistics.median(over_http) * 1000, statistics.median(in_process) * 1000
        height, width = image.shape[:2]
        print(f"\nscreenshot {width}x{height}, one request at a time, {args.latency_rounds} alternating rounds: "
              f"HTTP p50 {p50_http:.1f} ms, in-process p50 {p50_local:.1f} ms ({threads} thread(s), same engine "
              f"settings): ratio {p50_http / p50_local:.2f}")

        # 3. idle release
        before_idle = rss_kib(server.pid)
        time.sleep(args.idle_release + 6)
        after_idle = rss_kib(server.pid)
        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        probe.request("GET", "/health")
        health = json.loads(probe.getresponse().read())
        probe.close()
        print(f"idle release after {args.idle_release:g} s: RSS {before_idle / 1024:.1f} -> {after_idle / 1024:.1f} MiB "
              f"(releases {health['memory_releases']}, languages loaded {health['languages_loaded']})")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()

    failures = []
    if served < args.requests:
        failures.append(f"only {served} of {args.requests} requests within --max-seconds {args.max_seconds:g}")
    if wrong:
        failures.append(f"{len(wrong)} request(s) answered wrongly")
    base = 200 if 200 in rss else min((n for n in rss if n), default=0)
    last = max(rss)
    if base and last > base:
        growth = rss[last] / rss[base] - 1
        print(f"RSS after request {last} vs after request {base}: {growth * 100:+.1f}% (target within 10%)")
        if abs(growth) > 0.10:
            failures.append(f"RSS changed {growth * 100:+.1f}% between request {base} and {last}")
    ratio = p50_http / p50_local
    if ratio > 1.2:
        failures.append(f"screenshot p50 over HTTP is {ratio:.2f}x the in-process call (target 1.2x)")
    for failure in failures:
        print(f"bench-serve: MISS: {failure}")
    print("bench-serve: all targets met" if not failures else "bench-serve: targets missed")
    return 1 if failures and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
