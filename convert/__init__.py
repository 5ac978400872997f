"""Build-time conversion of PaddleOCR inference models (models.toml) into self-describing ONNX files.

Uses paddlepaddle and paddle2onnx (see convert/requirements.txt); the onnxocr runtime never imports this package.
Run as `python -m convert --help`.
"""
