"""`onnxocr serve --stdio`: OCR as a child process speaking JSON lines, for desktop apps in any language.

Each input line is one JSON object: `{"path": "..."}` or `{"image_base64": "..."}`, optional `id` (echoed back),
`lang`, `ocr_version`, `format`, `pages`, `dpi` and per-call OCR options (onnxocr.ocr.PER_CALL_OPTIONS). Each
answer is one JSON line, in input order:

- format json (default): the page's record, as `onnxocr -f json` writes it (`{"pages": [...]}` for several pages);
- other formats: `{"format": "text", "content": "..."}` (`content_base64` for pdf);
- a failure: `{"error": "one line", "status": 400 | 422 | 500}`; the process goes on with the next line.

End of input ends the process (exit 0). Paths are read: the parent process is local and trusted. Anything a
library prints goes to stderr, so stdout carries answers only.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import sys
from typing import Any, BinaryIO, Iterable

from onnxocr.integrations.service import Engine, error_line, parse_request, run_request

_LINE_KEYS = ("id", "path", "image_base64")


def answer_line(ocr, line: bytes) -> dict[str, Any]:
    """The answer object for one input line (never raises)."""
    request_id = None
    try:
        try:
            message = json.loads(line)
        except (UnicodeDecodeError, ValueError) as exc:
            return {"error": f"line is not JSON ({exc}): send one JSON object per line", "status": 400}
        if not isinstance(message, dict):
            return {"error": f"line is a JSON {type(message).__name__}, not an object: send {{\"path\": ...}} or {{\"image_base64\": ...}}", "status": 400}
        request_id = message.get("id")
        path, encoded = message.get("path"), message.get("image_base64")
        if (path is None) == (encoded is None):
            raise _LineError("give exactly one of `path` (a file) and `image_base64` (its bytes, base64)")
        if path is not None:
            if not isinstance(path, str) or not path:
                raise _LineError("`path` must be a non-empty string")
            request = parse_request(message, name=path, path=path, ignore=_LINE_KEYS)
        else:
            try:
                data = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else None
            except (binascii.Error, ValueError):
                data = None
            if not data:
                raise _LineError("`image_base64` is not valid non-empty base64")
            request = parse_request(message, name="<image_base64>", data=data, ignore=_LINE_KEYS)
        answer = run_request(ocr, request)
        if answer.fmt == "json":
            out: dict[str, Any] = answer.records[0] if len(answer.records) == 1 else {"pages": answer.records}
        elif answer.fmt == "pdf":
            out = {"format": "pdf", "content_base64": base64.b64encode(answer.body).decode("ascii")}
        else:
            out = {"format": answer.fmt, "content": answer.body.decode("utf-8")}
    except Exception as exc:  # noqa: BLE001 - one bad request must not end the process
        status, message_text = (400, str(exc)) if isinstance(exc, _LineError) else error_line(exc)
        out = {"error": message_text, "status": status}
    if request_id is not None:
        out = {"id": request_id, **out}
    return out


class _LineError(ValueError):
    """An input line without a usable document."""


def serve_lines(engine: Engine, lines: Iterable[bytes], out: BinaryIO) -> int:
    """Answer every non-blank line of `lines` on `out`, one JSON line each, flushed, in order (one at a time on
    the engine's pool, so its idle release applies); returns the count."""
    count = 0
    for line in lines:
        if not line.strip():
            continue
        answer = engine.submit(answer_line, engine.ocr, line).result()
        out.write(json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n")
        out.flush()
        count += 1
    return count


def serve_stdio(engine: Engine) -> int:
    """Run the JSON-lines loop on this process's stdin/stdout until end of input; returns the exit code."""
    sys.stdout.flush()
    answers = os.fdopen(os.dup(1), "wb")  # the real stdout, for answers only
    os.dup2(2, 1)  # whatever else writes to fd 1 (a library, a C extension) lands on stderr
    sys.stdout = sys.stderr
    try:
        serve_lines(engine, sys.stdin.buffer, answers)
    except BrokenPipeError:  # the parent went away: nothing left to answer
        return 0
    finally:
        try:
            answers.close()
        except BrokenPipeError:
            pass
    return 0
