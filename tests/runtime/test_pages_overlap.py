"""OCR.pages() on CPU detects page n+1 while the recogniser reads page n: same results as one page at a time,
in order, errors in their place, and a consumer that stops early leaves nothing running."""

from __future__ import annotations

import threading

import cv2

from testlib import render_page

PAGES = [["Invoice 2024", "Total due"], ["Ship to", "Account number 88"], ["Thank you"], ["Page four", "Net 30 days"]]


def write_pages(folder):
    paths = []
    for n, lines in enumerate(PAGES):
        path = folder / f"p{n}.png"
        cv2.imwrite(str(path), render_page(lines))
        paths.append(path)
    bad = folder / "p1b.png"  # sorts between p1 and p2: a file that is not an image
    bad.write_bytes(b"not an image")
    return paths, bad


def test_overlapped_pages_match_single_calls_in_order_with_errors_in_place(default_ocr, tmp_path):
    from onnxocr import OCR

    paths, bad = write_pages(tmp_path)
    ocr = OCR(threads=2, rec_workers=2)
    got = list(ocr.pages([str(tmp_path)]))
    assert [p.source for p in got] == [str(paths[0]), str(paths[1]), str(bad), str(paths[2]), str(paths[3])]
    assert got[2].error and got[2].result is None
    assert ocr._ahead is not None and ocr._ahead.model.session.get_session_options().intra_op_num_threads == 1
    for page, path, lines in zip([g for g in got if g.error is None], paths, PAGES):
        assert [l.text for l in page.result.lines] == lines
        single = ocr(str(path))
        assert [(l.text, round(l.score, 4)) for l in page.result.lines] == [(l.text, round(l.score, 4)) for l in single.lines]


def test_one_page_makes_no_second_detector_and_serial_mode_makes_none(default_ocr, tmp_path):
    from onnxocr import OCR

    path = tmp_path / "one.png"
    cv2.imwrite(str(path), render_page(PAGES[0]))
    ocr = OCR(threads=2, rec_workers=2)
    [page] = list(ocr.pages([str(path)]))
    assert [l.text for l in page.result.lines] == PAGES[0] and ocr._ahead is None
    paths, _ = write_pages(tmp_path)
    serial = OCR(threads=2, rec_workers=1)
    assert sum(p.error is None for p in serial.pages([str(tmp_path)])) == 5 and serial._ahead is None


def test_stopping_after_the_first_page_leaves_no_thread_behind(default_ocr, tmp_path):
    from onnxocr import OCR

    write_pages(tmp_path)
    ocr = OCR(threads=2, rec_workers=2)
    stream = ocr.pages([str(tmp_path)])
    first = next(stream)
    assert first.error is None
    stream.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("onnxocr-next-page")]
