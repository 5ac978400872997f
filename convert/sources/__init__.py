"""Where models and dictionaries come from: downloads, wheels, Paddle files, ONNX rows."""
