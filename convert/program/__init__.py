"""Paddle program surgery and export: reading/rewriting inference programs, slim, PIR, paddle2onnx."""
