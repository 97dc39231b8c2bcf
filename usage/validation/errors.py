"""File errors: why a cell of the imported file could not be read into its field.

Stored on the row with the other errors; validation keeps one for as long as its field is
still empty (a fixed field drops it), so the reason stays shown until staff fill it in.
"""


def file_error(column: str, raw, why: str) -> str:
    """The words for a cell that could not be read."""
    shown = str(raw)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{column} in the file ({shown!r}) {why}"


def is_file_error(error: str, column: str) -> bool:
    """Whether `error` is a file error about `column`."""
    return error.startswith(f"{column} in the file (")
