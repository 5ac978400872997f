"""`python -m onnxocr`: the same command as `onnxocr`."""

from onnxocr.integrations.cli import main

if __name__ == "__main__":
    main()
