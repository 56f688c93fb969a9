"""Text as people meant it: one normal form, no invisible characters, digits that are digits.

Why: "Jan\u200b Jansen" and "Jan Jansen" look the same but are two residents to the database;
a right-to-left override makes an address read differently on a route sheet than it is stored;
a lone surrogate (possible in JSON, "\\ud800") cannot be encoded and used to crash the
request; "٩" and "²" count as digits to ``str.isdigit`` and ``\\d`` but are not what a form
means by a number. So free text is NFC-normalised with format characters (bidi controls,
zero-width spaces and joiners, soft hyphens, BOMs) removed, lone surrogates are refused, and
numbers, times and dates accept the ASCII digits 0-9 only.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Callable

SURROGATE = re.compile("[\ud800-\udfff]")
ASCII_DIGITS = re.compile(r"[0-9]+")


def has_surrogate(value: str) -> bool:
    return bool(SURROGATE.search(value))


def clean(value: str) -> str:
    """NFC, without format characters (Unicode category Cf). Refuse surrogates first."""
    value = unicodedata.normalize("NFC", value)
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cf")


def is_number(text: str) -> bool:
    """Only the digits 0-9 (``"²".isdigit()`` and ``"٩".isdigit()`` are True)."""
    return bool(ASCII_DIGITS.fullmatch(text))


def foreign_digits(text: str) -> bool:
    """Digits other than 0-9 (Arabic-Indic, superscripts, full-width ...)."""
    return any(not ch.isascii() and (ch.isdigit() or ch.isnumeric()) for ch in text)


def number_error(text: str, _: Callable[..., str]) -> str:
    """The reason a number field gives for ``text`` that is not made of 0-9."""
    if foreign_digits(text):
        return _("use the digits 0 to 9")
    return _("must be a whole number")


def surrogate_fields(body: Any, path: str = "") -> list[str]:
    """The fields of a JSON body (dotted paths) holding a lone surrogate, keys included."""
    found: list[str] = []
    if isinstance(body, str):
        if has_surrogate(body):
            found.append(path or "body")
    elif isinstance(body, dict):
        for key, value in body.items():
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and has_surrogate(key):
                found.append((path + "." if path else "") + key.encode(
                    "utf-8", "backslashreplace").decode("ascii", "replace"))
            else:
                found += surrogate_fields(value, name)
    elif isinstance(body, list):
        for index, value in enumerate(body):
            found += surrogate_fields(value, f"{path}[{index}]" if path else f"[{index}]")
    return found
