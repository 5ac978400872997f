"""`onnxocr serve`: the OCR engine as a local HTTP service (starlette on uvicorn, the `serve` extra) or, with
`--stdio`, as a JSON-lines child process (onnxocr/integrations/stdio.py, no extra needed).

HTTP API (every error is JSON `{"error": "one line"}`):
- `POST /ocr`: the body is the image or PDF bytes, or a multipart form with the field `file`. Query: `lang`,
  `ocr_version`, `format` (json, text, tsv, hocr, alto, pdf, jsonl), `pages`, `dpi`, per-call OCR options
  (onnxocr.ocr.PER_CALL_OPTIONS). 400 unreadable input, 413 body over --max-body, 422 bad option or language,
  503 every worker busy and the queue full, 504 past --timeout.
- `GET /health`: load, models held, thread plan. `GET /models`: installed models, what each language would load.

Local by default: binds 127.0.0.1, answers only Host names of the loopback interface (against DNS rebinding)
when bound there, and refuses any request carrying an `Origin` header (a web page calling localhost) unless
that origin is allowed with --allow-origin. Nothing from a request is ever used as a file-system path.
"""

from __future__ import annotations

import asyncio
import ipaddress
import sys
from typing import Any, List, Optional

import typer

from onnxocr.errors import OnnxOCRError
from onnxocr.integrations.service import (
    Engine, QueueFull, ServiceError, build_ocr, error_line, models_report, parse_request, run_request, thread_plan,
)

LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}
MB = 1024 * 1024
DRAIN_LIMIT = 1024 * MB  # an over-limit body is read and dropped up to this size, then the connection is closed


def _json_error(status: int, message: str):
    from starlette.responses import JSONResponse

    return JSONResponse({"error": message}, status_code=status)


def _host_name(host_header: str) -> str:
    """The name part of a Host header: `[::1]:8080` -> `::1`, `localhost:80` -> `localhost`."""
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LocalGuard:
    """ASGI middleware: refuses (403) a request whose `Origin` is not allowed, and, when the server listens on
    loopback only, one whose Host is not a loopback name. Runs before anything reads the body."""

    def __init__(self, app, allowed_origins: set[str], loopback_only: bool) -> None:
        self.app = app
        self.allowed_origins = allowed_origins
        self.loopback_only = loopback_only

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            origin = headers.get("origin")
            message = None
            if origin is not None and origin not in self.allowed_origins and "*" not in self.allowed_origins:
                message = (f"origin {origin} refused: this OCR service answers local programs only; start it with "
                           f"--allow-origin {origin} to let that web page call it")
            elif self.loopback_only and not _is_loopback(_host_name(headers.get("host", ""))):
                message = (f"host {headers.get('host', '')!r} refused: the service listens on loopback only; call it "
                           "as 127.0.0.1 or localhost")
            if message is not None:
                await _json_error(403, message)(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _read_limited(request, limit: int) -> bytes:
    """The request body, or ServiceError 413 as soon as it passes `limit` bytes (Content-Length checked first)."""
    declared = request.headers.get("content-length")
    too_big = ServiceError(413, f"body over the limit of {limit} bytes ({limit / MB:g} MB): send a smaller file, or "
                                "start the server with a larger --max-body")
    over = declared is not None and declared.isdigit() and int(declared) > limit
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            over = True
        if over:  # read on and discard (to DRAIN_LIMIT), so that a client still sending sees the 413
            chunks.clear()
            if size > DRAIN_LIMIT:
                break
            continue
        chunks.append(chunk)
    if over:
        raise too_big
    return b"".join(chunks)


async def _document(request, body: bytes) -> tuple[str, bytes]:
    """(label, bytes) of the posted document: the raw body, or the multipart field `file`."""
    from starlette.datastructures import UploadFile
    from starlette.requests import Request

    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return "upload", body

    async def replay():
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form()
    except Exception as exc:  # noqa: BLE001 - python-multipart's parse errors
        raise ServiceError(400, f"multipart body cannot be parsed ({exc}): send the file as the field `file`") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ServiceError(400, "multipart body has no file field `file`: send the image or PDF as `file`")
        name = (upload.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"
        return name, await upload.read()
    finally:
        await form.close()


def create_app(engine: Engine, *, max_body: int = 50 * MB, timeout: float = 60.0,
               allowed_origins: Optional[List[str]] = None, loopback_only: bool = True):
    """The starlette application serving `engine`."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    async def ocr_endpoint(request):
        try:
            parse_request(dict(request.query_params), name="upload")  # a bad option is 422 before the body is read
            body = await _read_limited(request, max_body)
            name, data = await _document(request, body)
            if not data:
                raise ServiceError(400, "empty body: POST the image or PDF bytes (or a multipart field `file`)")
            ocr_request = parse_request(dict(request.query_params), name=name, data=data)
            future = engine.submit(run_request, engine.ocr, ocr_request)
        except QueueFull as exc:
            return _json_error(503, str(exc))
        except Exception as exc:  # noqa: BLE001 - every failure is one JSON line
            return _json_error(*error_line(exc))
        try:
            answer = await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except asyncio.TimeoutError:
            return _json_error(504, f"no answer within {timeout:g} s: send a smaller document or fewer pages, or start "
                                    "the server with a larger --timeout")
        except Exception as exc:  # noqa: BLE001
            return _json_error(*error_line(exc))
        return Response(answer.body, media_type=answer.media_type)

    async def health(request):
        return JSONResponse(engine.status())

    async def models(request):
        return JSONResponse(models_report(engine.ocr))

    allowed = set(allowed_origins or ())
    middleware = [Middleware(LocalGuard, allowed_origins=allowed, loopback_only=loopback_only)]
    if allowed:
        middleware.append(Middleware(CORSMiddleware, allow_origins=sorted(allowed), allow_methods=["GET", "POST"],
                                     allow_headers=["*"]))

    async def not_found(request, exc):
        return _json_error(exc.status_code, f"{request.method} {request.url.path}: {exc.detail}; "
                                            "use POST /ocr, GET /health or GET /models")

    return Starlette(
        routes=[Route("/ocr", ocr_endpoint, methods=["POST"]), Route("/health", health, methods=["GET"]),
                Route("/models", models, methods=["GET"])],
        middleware=middleware,
        exception_handlers={404: not_found, 405: not_found},
        lifespan=_lifespan(engine),
    )


def _lifespan(engine: Engine):
    import contextlib

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        engine.close()

    return lifespan


def _fail(message: str) -> None:
    typer.echo(f"onnxocr serve: error: {message}", err=True)
    raise typer.Exit(2)


serve_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                        help="Serve OCR to other programs: a local HTTP API, or JSON lines over stdin/stdout.")


@serve_app.command(context_settings={"help_option_names": ["-h", "--help"]})
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on [default: loopback only]; 0.0.0.0 exposes the service to the network."),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="TCP port."),
    stdio: bool = typer.Option(False, "--stdio", help="Answer JSON lines on stdin/stdout instead of HTTP (child-process mode)."),
    lang: Optional[str] = typer.Option(None, "--lang", "-l", help="Language loaded at start (requests may ask for others) [default: ch]."),
    version: Optional[str] = typer.Option(None, "--ocr-version", help="Model generation loaded at start; its detector serves every language."),
    use_cls: Optional[bool] = typer.Option(None, "--cls/--no-cls", help="Load the 180-degree angle classifier (requests may then set use_cls)."),
    device: Optional[str] = typer.Option(None, "--device", help="cpu, cuda, ... [default: cpu]."),
    models_dir: Optional[str] = typer.Option(None, "--models-dir", help="A model folder (`onnxocr models export`) instead of the store."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Requests run at once [default: one per CPU; 1 with --stdio]."),
    threads: Optional[int] = typer.Option(None, "--threads", min=1, help="onnxruntime threads per request [default: CPUs // workers]."),
    queue: int = typer.Option(8, "--queue", min=0, help="Requests that may wait for a worker; more are answered 503."),
    timeout: float = typer.Option(60.0, "--timeout", min=0.001, help="Seconds a request may take before it is answered 504."),
    max_body: float = typer.Option(50.0, "--max-body", min=0.001, help="Largest request body in MB (413 beyond)."),
    allow_origin: Optional[List[str]] = typer.Option(None, "--allow-origin", help="A web origin (e.g. http://localhost:3000) allowed to call the service; repeat for several."),
    lang_cache: int = typer.Option(3, "--lang-cache", min=0, help="Recognisers of other languages kept loaded (least recently used dropped)."),
    idle_release: float = typer.Option(300.0, "--idle-release", min=0, help="Seconds without a request after which memory is handed back (0: never)."),
) -> None:
    """Load the models once and answer OCR requests until stopped (HTTP) or until end of input (--stdio)."""
    workers, threads = thread_plan(1 if stdio and workers is None else workers, threads)
    try:
        ocr = build_ocr(lang=lang, version=version, threads=threads, lang_cache_size=lang_cache, use_cls=use_cls,
                        device=device, models_dir=models_dir)
    except OnnxOCRError as exc:
        _fail(str(exc))
    if stdio:
        from onnxocr.integrations.stdio import serve_stdio

        engine = Engine(ocr, workers=1, queue=1, idle_release=idle_release)
        try:
            raise typer.Exit(serve_stdio(engine))
        finally:
            engine.close()
    try:
        import uvicorn
    except ImportError:
        _fail("the HTTP server needs the serve extra: pip install 'onnxocr-runtime[serve]' (--stdio needs nothing more)")
    loopback = _is_loopback(host)
    if not loopback:
        typer.echo(f"onnxocr serve: warning: listening on {host}, reachable from other machines: there is no authentication", err=True)
    engine = Engine(ocr, workers=workers, queue=queue, idle_release=idle_release)
    app = create_app(engine, max_body=int(max_body * MB), timeout=timeout, allowed_origins=allow_origin,
                     loopback_only=loopback)
    typer.echo(f"onnxocr serve: http://{host}:{port} ({workers} worker(s) x {threads} thread(s), lang {ocr.lang}, "
               f"{ocr.version or 'explicit models'})", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, timeout_keep_alive=30)


def main(argv: Optional[List[str]] = None) -> Any:
    """`onnxocr serve ...` (cli.main dispatches here)."""
    return serve_app(args=argv if argv is not None else sys.argv[1:], prog_name="onnxocr serve")
