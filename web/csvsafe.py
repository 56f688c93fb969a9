"""CSV files the app writes open safely in a spreadsheet.

Why: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel and LibreOffice (``=HYPERLINK(...)`` leaks data to a web site, ``+cmd|...``
runs a program after a warning people click away). Partners may type such text into names and
notes, and it is stored as typed; every CSV export goes through ``writer`` here, which prefixes
such a cell with an apostrophe so the spreadsheet shows it as text.
"""

from __future__ import annotations

import csv
from typing import Any, Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """``value`` as a cell no spreadsheet evaluates (numbers stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``cell``."""

    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream, **options) -> SafeWriter:
    return SafeWriter(stream, **options)
