"""The pure core: pre/post-processing as functions of numpy arrays and thin onnxruntime sessions; no files, no formats."""
