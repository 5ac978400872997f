"""The ten-line desktop app `make desktop-smoke` freezes: OCR one image, print its text, timings on stderr.
`app serve --stdio` is its child-process mode: JSON lines on stdin/stdout (onnxocr/integrations/stdio.py)."""
import sys
import time

if sys.argv[1:2] == ["serve"]:  # a parent process in any language drives the frozen engine over stdin/stdout
    from onnxocr.integrations.server import main

    sys.exit(main(sys.argv[2:]))

start = time.perf_counter()
from onnxocr import OCR  # noqa: E402

imported = time.perf_counter()
ocr = OCR()
loaded = time.perf_counter()
print(ocr.read_page(sys.argv[1]).text)  # a scan: turned 90/180/270 degrees, it is read upright
done = time.perf_counter()
print(f"cold start: import {imported - start:.2f} s, model load {loaded - imported:.2f} s, first result {done - loaded:.2f} s, "
      f"total {done - start:.2f} s", file=sys.stderr)
