"""What every bench suite reports the same way: the machine, latency summaries, `--option k=v` values."""

from __future__ import annotations

import os
import platform


def parse_value(text: str):
    """A command-line option value as Python: int, float, true/false, none, else the string."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(text.lower(), text)


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo), else what `platform` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    """Interpreter, platform, CPU, memory and the versions that change results (OpenCV's interpolation differs by
    version): the `machine` block of every bench report."""
    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "cpu": cpu_model()}
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            info["mem_gib"] = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    for module in ("cv2", "numpy", "onnxruntime"):
        try:
            info[module] = __import__(module).__version__
        except Exception:  # pragma: no cover - a module missing from a peer's venv
            info[module] = None
    return info


def percentile(values: list, q: float) -> float:
    """Linear-interpolated percentile (q in [0, 1]); NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def latency_summary(result: dict, batch: bool = False) -> dict:
    """The figures every speed run reports from a runner's result (latencies_s, peak_rss_kib, cold_start_s,
    lines): pages/s over busy time, p50/p95 (None for a batch run, whose per-page times are shares of one call),
    peak RSS, cold start, lines per page."""
    lat = result["latencies_s"]
    return {
        "pages_per_s": len(lat) / sum(lat),
        "p50_s": None if batch else percentile(lat, 0.5),
        "p95_s": None if batch else percentile(lat, 0.95),
        "peak_rss_mib": result["peak_rss_kib"] / 1024.0,
        "cold_start_s": result["cold_start_s"],
        "lines_per_page": sum(len(x) for x in result["lines"]) / max(len(result["lines"]), 1),
    }
