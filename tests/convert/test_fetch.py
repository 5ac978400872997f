"""Downloads and archives: wrong sha256, truncated body, unsafe tar members, unreachable host."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest

from convert.sources.fetch import (
    ChecksumError,
    FetchError,
    OfflineError,
    UnsafeArchiveError,
    cache_path_for,
    download,
    safe_extract_tar,
)

PAYLOAD = bytes(range(256)) * 1000


def make_tar(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buffer.getvalue()


def test_download_verifies_and_caches(loopback, tmp_path):
    loopback.routes["/m.tar"] = PAYLOAD
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    first = download(loopback.url("/m.tar"), tmp_path, expected_sha256=digest, progress=False)
    assert first.path.read_bytes() == PAYLOAD and first.sha256 == digest and not first.from_cache
    second = download(loopback.url("/m.tar"), tmp_path, expected_sha256=digest, progress=False)
    assert second.from_cache and loopback.hits.count("/m.tar") == 1


def test_wrong_sha256_is_refused_and_not_cached(loopback, tmp_path):
    loopback.routes["/m.tar"] = PAYLOAD
    url = loopback.url("/m.tar")
    with pytest.raises(ChecksumError, match="does not match the catalog"):
        download(url, tmp_path, expected_sha256="0" * 64, progress=False)
    assert not cache_path_for(url, tmp_path).exists()
    assert list((tmp_path / "downloads").iterdir()) == []


def test_truncated_download_is_an_error_and_leaves_nothing(loopback, tmp_path):
    loopback.routes["/m.tar"] = PAYLOAD
    loopback.truncated.add("/m.tar")
    url = loopback.url("/m.tar")
    with pytest.raises(FetchError, match="truncated"):
        download(url, tmp_path, retries=1, progress=False)
    assert loopback.hits.count("/m.tar") == 2  # retried once
    assert list((tmp_path / "downloads").iterdir()) == []


def test_offline_url_names_the_url_and_says_offline(closed_port_url, tmp_path):
    with pytest.raises(OfflineError) as excinfo:
        download(closed_port_url, tmp_path, timeout_s=2, progress=False)
    message = str(excinfo.value)
    assert closed_port_url in message and "offline" in message and "\n" not in message
    assert not cache_path_for(closed_port_url, tmp_path).exists()


def test_http_404_is_a_fetch_error(loopback, tmp_path):
    with pytest.raises(FetchError, match="HTTP 404"):
        download(loopback.url("/missing.tar"), tmp_path, retries=0, progress=False)


@pytest.mark.parametrize(
    ("member", "data", "match"),
    [
        (tarfile.TarInfo("model/../../evil.txt"), b"x", r"climbs out"),
        (tarfile.TarInfo("/etc/evil.txt"), b"x", r"absolute path"),
    ],
)
def test_tar_with_escaping_members_is_refused_before_writing(tmp_path, member, data, match):
    good = tarfile.TarInfo("model/inference.pdmodel")
    archive = tmp_path / "bad.tar"
    archive.write_bytes(make_tar([(good, b"program"), (member, data)]))
    dest = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match=match):
        safe_extract_tar(archive, dest)
    assert not dest.exists()  # checked before anything is written
    assert not (tmp_path / "evil.txt").exists()


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE])
def test_tar_with_links_or_devices_is_refused(tmp_path, kind):
    special = tarfile.TarInfo("model/inference.pdiparams")
    special.type = kind
    special.linkname = "/etc/passwd"
    archive = tmp_path / "bad.tar"
    archive.write_bytes(make_tar([(special, None)]))
    with pytest.raises(UnsafeArchiveError, match="refusing to extract"):
        safe_extract_tar(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_tar_over_the_size_bound_is_refused(tmp_path):
    archive = tmp_path / "big.tar"
    archive.write_bytes(make_tar([(tarfile.TarInfo("a/b.bin"), b"\0" * 4096)]))
    with pytest.raises(UnsafeArchiveError, match="more than 1000 bytes"):
        safe_extract_tar(archive, tmp_path / "out", max_bytes=1000)


def test_safe_tar_extracts_plain_files(tmp_path):
    archive = tmp_path / "ok.tar"
    folder = tarfile.TarInfo("m_infer")
    folder.type = tarfile.DIRTYPE
    archive.write_bytes(make_tar([(folder, None), (tarfile.TarInfo("m_infer/inference.pdmodel"), b"abc")]))
    out = safe_extract_tar(archive, tmp_path / "out")
    assert (out / "m_infer" / "inference.pdmodel").read_bytes() == b"abc"


def test_truncated_tar_file_is_a_clear_error(tmp_path):
    data = make_tar([(tarfile.TarInfo("m/inference.pdmodel"), PAYLOAD)])
    archive = tmp_path / "cut.tar"
    archive.write_bytes(data[: len(data) // 3])
    with pytest.raises(FetchError, match="truncated or corrupt"):
        safe_extract_tar(archive, tmp_path / "out")
