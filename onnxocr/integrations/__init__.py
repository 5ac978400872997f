"""Everything around the pipeline: the command line, the ocrmypdf plugin, Ray, the PyInstaller hook."""
