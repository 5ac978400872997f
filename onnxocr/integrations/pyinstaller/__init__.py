"""PyInstaller support: `pyinstaller app.py` finds onnxocr's hook through the `pyinstaller40` entry point."""

from __future__ import annotations

import os


def get_hook_dirs() -> list[str]:
    """The folder holding hook-onnxocr.py (PyInstaller calls this)."""
    return [os.path.dirname(__file__)]
