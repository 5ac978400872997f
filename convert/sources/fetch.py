"""Downloading and unpacking: HTTP(S) fetch with progress, timeouts, retries and a cache; sha256 checks;
safe extraction of tar and wheel (zip) archives.

Every failure raises a `FetchError` subclass whose message is one line naming the URL or file at fault.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import socket
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from onnxocr.models.store import sha256_file

from convert.errors import ConvertError

DEFAULT_TIMEOUT_S = 8.0
DEFAULT_RETRIES = 2
MAX_ARCHIVE_BYTES = 2 << 30  # bound on the unpacked size of one archive
MAX_ARCHIVE_MEMBERS = 10_000


class FetchError(ConvertError):
    """A download or an archive could not be used."""


class OfflineError(FetchError):
    """The host could not be reached at all (no route, DNS failure, refused, timed out)."""


class ChecksumError(FetchError):
    """Bytes were obtained but their sha256 is not the recorded one."""


class UnsafeArchiveError(FetchError):
    """An archive holds a member that could escape the target folder or is not a plain file."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


sha256_of = sha256_file  # a file's hex sha256: the store's helper, one implementation for both packages


@dataclass(frozen=True)
class Download:
    """A verified file in the cache."""

    url: str
    path: Path
    sha256: str
    from_cache: bool


class _Progress:
    """A one-line progress bar on stderr (a single summary line when stderr is not a terminal)."""

    def __init__(self, label: str, total: int | None, enabled: bool) -> None:
        self.label, self.total, self.enabled = label, total, enabled
        self.done = 0
        self.tty = enabled and sys.stderr.isatty()
        self.last = 0.0

    def update(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.tty and now - self.last > 0.1:
            self.last = now
            if self.total:
                frac = self.done / self.total
                bar = "#" * int(30 * frac)
                sys.stderr.write(f"\r  {self.label} [{bar:<30}] {frac:6.1%} {self.done / 1e6:7.1f} MB")
            else:
                sys.stderr.write(f"\r  {self.label} {self.done / 1e6:7.1f} MB")
            sys.stderr.flush()

    def close(self) -> None:
        if not self.enabled:
            return
        prefix = "\r" if self.tty else ""
        sys.stderr.write(f"{prefix}  {self.label}: {self.done / 1e6:.1f} MB downloaded{' ' * 30}\n")
        sys.stderr.flush()


def cache_path_for(url: str, cache_dir: Path) -> Path:
    """Where `url` is cached: <cache>/downloads/<16 hex of sha256(url)>-<basename>."""
    base = PurePosixPath(urllib.request.urlparse(url).path).name or "download"
    return cache_dir / "downloads" / f"{sha256_bytes(url.encode())[:16]}-{base}"


def _is_offline(exc: BaseException) -> bool:
    reason = getattr(exc, "reason", exc)
    return isinstance(reason, (socket.gaierror, socket.timeout, TimeoutError, ConnectionRefusedError,
                               ConnectionResetError, OSError)) and not isinstance(exc, urllib.error.HTTPError)


def download(
    url: str,
    cache_dir: Path,
    *,
    expected_sha256: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    retries: int = DEFAULT_RETRIES,
    progress: bool = True,
) -> Download:
    """Fetch `url` into the cache and return it, verified against `expected_sha256` when given.

    A cached copy with the right sha256 is reused. A download is written to a `.part` file and renamed
    only after its length and sha256 are checked, so the cache never holds a partial file at its final name.
    Raises OfflineError (host unreachable), ChecksumError, or FetchError (HTTP error, truncated body).
    """
    target = cache_path_for(url, cache_dir)
    if target.is_file():
        digest = sha256_of(target)
        if expected_sha256 is None or digest == expected_sha256:
            return Download(url, target, digest, from_cache=True)
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + f".{os.getpid()}.part")
    last_error: FetchError | None = None
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(min(0.5 * 2 ** (attempt - 1), 4.0))
        try:
            digest = _fetch_once(url, part, timeout_s, progress)
        except OfflineError as exc:
            part.unlink(missing_ok=True)
            raise exc from None  # unreachable host: retrying costs time and cannot help here
        except FetchError as exc:
            part.unlink(missing_ok=True)
            last_error = exc
            continue
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        if expected_sha256 is not None and digest != expected_sha256:
            part.unlink(missing_ok=True)
            raise ChecksumError(
                f"{url}: sha256 {digest} does not match the catalog's {expected_sha256}; "
                "the file changed upstream or was tampered with"
            )
        os.replace(part, target)
        return Download(url, target, digest, from_cache=False)
    assert last_error is not None
    raise last_error


def _fetch_once(url: str, part: Path, timeout_s: float, progress: bool) -> str:
    request = urllib.request.Request(url, headers={"User-Agent": "onnxocr-convert"})
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OfflineError(
            f"{url} is unreachable ({reason}): this machine looks offline or the host is blocked"
        ) from None
    digest = hashlib.sha256()
    with response:
        length_header = response.headers.get("Content-Length")
        expected_len = int(length_header) if length_header and length_header.isdigit() else None
        bar = _Progress(PurePosixPath(urllib.request.urlparse(url).path).name, expected_len, progress)
        try:
            with open(part, "wb") as out:
                while True:
                    block = response.read(1 << 16)
                    if not block:
                        break
                    out.write(block)
                    digest.update(block)
                    bar.update(len(block))
        except http.client.IncompleteRead as exc:
            raise FetchError(f"{url}: download truncated after {bar.done + len(exc.partial)} bytes") from None
        except (socket.timeout, TimeoutError):
            raise FetchError(f"{url}: read timed out after {timeout_s:g} s") from None
        except OSError as exc:
            raise FetchError(f"{url}: connection failed during download ({exc})") from None
        finally:
            bar.close()
    if expected_len is not None and bar.done != expected_len:
        raise FetchError(f"{url}: download truncated ({bar.done} of {expected_len} bytes)")
    return digest.hexdigest()


def _safe_relative(name: str, archive: Path) -> PurePosixPath:
    """Return `name` as a relative path, or raise if it is absolute or climbs out with `..`."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or name.startswith(("/", "\\")) or (path.parts and ":" in path.parts[0]):
        raise UnsafeArchiveError(f"{archive}: member {name!r} has an absolute path; refusing to extract")
    if ".." in path.parts:
        raise UnsafeArchiveError(f"{archive}: member {name!r} climbs out of the target folder (..); refusing to extract")
    return path


def safe_extract_tar(archive: Path, dest: Path, *, max_bytes: int = MAX_ARCHIVE_BYTES) -> Path:
    """Extract a tar into `dest` (created) accepting only plain files and folders with safe relative names.

    Every member is checked before anything is written: absolute paths, `..`, links, devices and fifos, more
    than MAX_ARCHIVE_MEMBERS members or more than `max_bytes` in total raise UnsafeArchiveError.
    """
    try:
        tar = tarfile.open(archive, "r:*")
    except (tarfile.TarError, OSError) as exc:
        raise FetchError(f"{archive}: not a readable tar archive ({exc})") from None
    with tar:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise FetchError(f"{archive}: tar archive is truncated or corrupt ({exc})") from None
        if len(members) > MAX_ARCHIVE_MEMBERS:
            raise UnsafeArchiveError(f"{archive}: more than {MAX_ARCHIVE_MEMBERS} members; refusing to extract")
        total = 0
        for member in members:
            _safe_relative(member.name, archive)
            if not (member.isfile() or member.isdir()):
                kind = "link" if (member.issym() or member.islnk()) else "device or special file"
                raise UnsafeArchiveError(f"{archive}: member {member.name!r} is a {kind}; refusing to extract")
            total += member.size
            if total > max_bytes:
                raise UnsafeArchiveError(f"{archive}: unpacks to more than {max_bytes} bytes; refusing to extract")
        dest.mkdir(parents=True, exist_ok=True)
        for member in members:
            out = dest / _safe_relative(member.name, archive)
            if member.isdir():
                out.mkdir(parents=True, exist_ok=True)
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            try:
                with source, open(out, "wb") as fh:
                    shutil.copyfileobj(source, fh, 1 << 20)
            except (tarfile.TarError, EOFError, OSError) as exc:
                raise FetchError(f"{archive}: tar archive is truncated or corrupt ({exc})") from None
    return dest


def extract_zip_folder(archive: Path, folder: str, dest: Path, *, max_bytes: int = MAX_ARCHIVE_BYTES) -> Path:
    """Extract the files directly under `folder` (a path inside a wheel/zip) into `dest`; same safety rules."""
    prefix = folder.strip("/") + "/"
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FetchError(f"{archive}: not a readable wheel/zip ({exc})") from None
    with zf:
        members = [m for m in zf.infolist() if m.filename.startswith(prefix) and not m.is_dir()]
        if not members:
            raise FetchError(f"{archive}: has no folder {folder!r}; the catalog's `member` is wrong for this wheel")
        total = 0
        for member in members:
            rel = _safe_relative(member.filename[len(prefix):], archive)
            if (member.external_attr >> 16) & 0o170000 not in (0, 0o100000):
                raise UnsafeArchiveError(f"{archive}: member {member.filename!r} is not a plain file; refusing to extract")
            total += member.file_size
            if total > max_bytes:
                raise UnsafeArchiveError(f"{archive}: unpacks to more than {max_bytes} bytes; refusing to extract")
            del rel
        dest.mkdir(parents=True, exist_ok=True)
        for member in members:
            out = dest / _safe_relative(member.filename[len(prefix):], archive)
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, open(out, "wb") as fh:
                shutil.copyfileobj(src, fh, 1 << 20)
    return dest


def read_zip_member(archive: Path, member: str, *, max_bytes: int = 64 << 20) -> bytes:
    """The bytes of one file inside a wheel/zip."""
    try:
        with zipfile.ZipFile(archive) as zf:
            info = zf.getinfo(member)
            if info.file_size > max_bytes:
                raise UnsafeArchiveError(f"{archive}: member {member!r} is larger than {max_bytes} bytes")
            return zf.read(info)
    except KeyError:
        raise FetchError(f"{archive}: has no member {member!r}; the catalog's `member` is wrong for this wheel") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise FetchError(f"{archive}: not a readable wheel/zip ({exc})") from None
