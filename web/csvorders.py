"""A day's orders from a CSV file: every valid row is stored, no broken row is, and each
problem is reported as (row, field, reason).

Comma, semicolon (Dutch spreadsheets) and tab separators are recognised; columns may be named
in English (the API's field names) or Dutch. Row numbers are the spreadsheet's line numbers, the
header being row 1. A reference already used (in the database or higher up in the same file) is
an error, so uploading the same file twice does not double the orders.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from . import csvsafe, orders, tenancy
from .i18n import N_
from .orders import Gettext
from .store import Order, Partner

DUTCH_COLUMNS = {
    "ontvanger": "recipient", "naam": "recipient", "adres": "address", "telefoon": "phone",
    "soort": "kind", "datum": "service_date", "tijdvakken": "windows", "tijdvak": "windows",
    "ophaalplek": "pickup", "klaar_om": "ready_time", "praatje_minuten": "praatje_minutes",
    "omvang": "size", "aantal": "size", "prioriteit": "priority",
    "warme_maaltijd": "hot_meal", "persoonlijk": "in_person", "notitie": "note",
    "kenmerk": "reference", "referentie": "reference",
}
EXAMPLE_COLUMNS = ("reference", "recipient", "address", "kind", "service_date", "windows",
                   "pickup", "ready_time", "praatje_minutes", "size", "note")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    reason: str


@dataclass
class UploadResult:
    saved: list[Order]
    errors: list[RowError]

    @property
    def failed_rows(self) -> int:
        return len({e.row for e in self.errors if e.row > 1})


def read(data: bytes, _: Gettext, max_rows: int, fields: tuple[str, ...] = orders.FIELDS,
         aliases: dict[str, str] = DUTCH_COLUMNS
         ) -> tuple[list[str], list[tuple[int, dict]], list[RowError]]:
    """Decode and split the file: (columns, [(row number, {column: text})], file errors).
    ``fields`` are the columns it may have, ``aliases`` other (Dutch) names for them."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [], [RowError(0, "", _("the file is not UTF-8 text"))]
    if not text.strip():
        return [], [], [RowError(0, "", _("the file is empty"))]
    first = text.splitlines()[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower().replace(" ", "_") for h in next(reader)]
    except csv.Error as exc:
        return [], [], [RowError(1, "", _("the row could not be read: {reason}",
                                          reason=str(exc)))]
    columns = [aliases.get(h, h) for h in header]
    errors = []
    for index, (raw, name) in enumerate(zip(header, columns, strict=True)):
        if name not in fields:
            errors.append(RowError(1, raw, _("unknown column; known columns: {known}",
                                             known=", ".join(fields))))
        elif name in columns[:index]:
            errors.append(RowError(1, raw, _("duplicate column")))
    rows: list[tuple[int, dict]] = []
    try:
        _rows(reader, columns, rows, errors, _, max_rows)
    except csv.Error as exc:  # broken quoting, NUL bytes, a monster cell: stop reading here
        errors.append(RowError(max(reader.line_num, 2), "", _(
            "the row could not be read: {reason}", reason=str(exc))))
    return columns, rows, errors


def _rows(reader, columns, rows, errors, _, max_rows) -> None:
    extra = 0
    for values in reader:
        number = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= max_rows:
            extra += 1  # counted, not kept: the whole file is refused below
            continue
        if len(values) > len(columns):
            message = N_("the row has more values than there are columns")
            errors.append(RowError(number, "", _(message)))
            continue
        rows.append((number, dict(zip(columns, values, strict=False))))  # short rows: blanks
    if extra:
        message = N_("the file has {count} rows, more than the {n} of one upload: "
                     "nothing stored")
        errors.append(RowError(0, "", _(message, count=len(rows) + extra, n=max_rows)))


def upload(session: Session, partner: Partner, data: bytes, area, today: date, _: Gettext,
           user_id: int | None = None, max_rows: int = 2000,
           daily_cap: int | None = None) -> UploadResult:
    """Store every valid row of ``data`` for ``partner``; commit once; report the rest.

    A file with more than ``max_rows`` rows is refused whole (storing its first rows would
    leave the partner guessing which ones came in); a row that would take the partner past
    ``daily_cap`` orders on its day is refused with the limit named."""
    columns, rows, errors = read(data, _, max_rows)
    if any(e.row <= 1 for e in errors):  # an unreadable file or header: store nothing
        return UploadResult([], errors)
    saved: list[Order] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        payload, row_errors = orders.from_text(row, _)
        draft, problems = orders.validate(payload, partner, area, today, _)
        problems = {**problems, **row_errors}
        if draft is not None and not problems:
            problems = orders.inactive_resident(session, draft, tenancy.org_id(session), _)
        if draft is not None and not problems and draft.reference:
            other = orders.reference_taken(session, partner.id, draft.reference)
            if other is not None:
                problems["reference"] = _("is already used by order {id}", id=other)
            elif draft.reference in seen:
                problems["reference"] = _("is already used in row {row}",
                                          row=seen[draft.reference])
        if draft is not None and not problems and daily_cap is not None:
            reason = orders.over_daily_cap(session, partner, draft.service_date, daily_cap, _)
            if reason is not None:
                problems["service_date"] = reason
        if problems:
            errors += [RowError(number, field, reason) for field, reason in problems.items()]
            continue
        if draft.reference:
            seen[draft.reference] = number
        saved.append(orders.create(session, partner, draft, user_id))
    session.commit()
    return UploadResult(saved, errors)


def example(partner: Partner, area, day: date) -> str:
    """A small CSV a partner can fill in: real addresses of the area, the partner's kind."""
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(EXAMPLE_COLUMNS)
    kind = partner.order_kinds[0] if partner.order_kinds else "parcel"
    labels = area.geocoder.labels()
    addresses = [labels[len(labels) // 3], labels[2 * len(labels) // 3]]
    windows = {"meal": "11:30-12:30", "medicine": "10:00-12:00 14:00-16:00"}.get(kind, "")
    for index, address in enumerate(addresses, start=1):
        writer.writerow([f"{day:%Y%m%d}-{index}", f"R. {chr(64 + index)}.", address, kind,
                         day.isoformat(), windows, "", "", "", 1, ""])
    return out.getvalue()
