"""Text files read as UTF-8, or one line naming the file, the line and the byte.

Python's own error ("'utf-8' codec can't decode byte 0xe9 in position 16") names neither the
file nor the line; a data set or config saved as Latin-1 is a common, fixable mistake.
"""

from __future__ import annotations

from pathlib import Path


def decode(raw: bytes, path: str | Path) -> str:
    """`raw` as UTF-8; ValueError naming path, line and column of the first bad byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise ValueError(f"{path}: line {line}, column {column}: not UTF-8 text (byte 0x{raw[err.start]:02x}); "
                         "save the file as UTF-8") from None


def read_text(path: str | Path) -> str:
    """The file's text (UTF-8); OSError naming a missing file, ValueError naming a bad byte."""
    return decode(Path(path).read_bytes(), path)
