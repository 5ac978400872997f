"""The exception every deliberate convert/ failure derives from (one-line message: what failed, what to do)."""

from __future__ import annotations


class ConvertError(Exception):
    """A model could not be fetched, converted, checked or installed."""
