"""English: the back office's formats (see formats.py)."""
