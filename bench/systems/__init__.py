"""One runner script per system (each runs in its own venv) and the scripts that make those venvs."""
