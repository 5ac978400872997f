"""The benchmarks' library: datasets, metrics, rendered pages, the PaddleOCR reference plumbing."""
