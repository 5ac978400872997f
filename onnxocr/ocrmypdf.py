"""`ocrmypdf --plugin onnxocr.ocrmypdf`: the name users pass to ocrmypdf; the plugin lives in integrations/ocrmypdf.py.

ocrmypdf registers every hook implementation found on this module, so the hooks are re-exported by name.
"""

from onnxocr.integrations.ocrmypdf import add_options, check_options, get_ocr_engine, initialize, register_options

__all__ = ["initialize", "register_options", "add_options", "check_options", "get_ocr_engine"]
