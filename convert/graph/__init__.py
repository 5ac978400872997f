"""ONNX graph passes: optimisation, int8 quantisation, embedded metadata."""
