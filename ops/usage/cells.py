"""Validating one record's cells: each bad cell is an error of its own, in Chinese.

Pure: no Flask, no database. One validation serves the CSV upload, the CLI and the JSON API.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ops.money import parse_percent, parse_yuan
from ops.usage.fields import (
    EARLIEST_DAY,
    FEN_FIELDS,
    FIELDS,
    MAX_COUNT,
    MAX_DIGITS,
    MAX_FEN,
    MAX_HEADCOUNT,
    MAX_SECONDS,
    MAX_SHIFTS,
    MSG_CLIENT,
    MSG_CLIENT_ID,
    MSG_DATE,
    MSG_FEN,
    MSG_FUTURE,
    MSG_HEADCOUNT,
    MSG_INTEGER,
    MSG_PLATFORM,
    MSG_RATE_RANGE,
    MSG_REQUIRED,
    MSG_SECONDS,
    MSG_SHIFTS,
    MSG_SHIFTS_ALONE,
    MSG_TOO_EARLY,
    MSG_TOO_LARGE,
    MSG_VALID_GT,
    PLATFORM_ALIASES,
    RATE_FIELDS,
    SECONDS_FIELDS,
    DuplicateCheck,
    HugeNumber,
    UsageError,
    UsageRow,
)


class _Bad(ValueError):
    pass


def int_text(text: str) -> int:
    """int() of a string of digits already matched by a pattern, refusing absurd lengths."""
    if len(text.lstrip("+-0")) > MAX_DIGITS:
        raise _Bad(MSG_TOO_LARGE)
    return int(text)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        raise _Bad("格式不正确")
    if isinstance(value, HugeNumber):
        raise _Bad(MSG_TOO_LARGE)
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    raise _Bad("格式不正确")


def _count(value) -> int:
    if isinstance(value, bool):
        raise _Bad(MSG_INTEGER)
    if isinstance(value, int):
        number = value
    else:
        text = _text(value).replace(",", "")
        if not re.fullmatch(r"\+?[0-9]+", text):
            raise _Bad(MSG_INTEGER)
        number = int_text(text)
    if number < 0:
        raise _Bad(MSG_INTEGER)
    if number > MAX_COUNT:
        raise _Bad(MSG_TOO_LARGE)
    return number


def _day(value, today: date) -> date:
    match = re.fullmatch(r"([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?", _text(value))
    if not match:
        raise _Bad(MSG_DATE)
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise _Bad(MSG_DATE) from None
    if day > today:
        raise _Bad(MSG_FUTURE)
    if day < EARLIEST_DAY:
        raise _Bad(MSG_TOO_EARLY)
    return day


def _platform(value) -> str:
    code = PLATFORM_ALIASES.get(_text(value).lower())
    if code is None:
        raise _Bad(MSG_PLATFORM)
    return code


def _yuan(value) -> int:
    text = _text(value)
    if isinstance(value, float):
        raise _Bad("金额请写成文本或整数分，不接受浮点数")
    try:
        fen = parse_yuan(text)
    except ValueError as exc:
        raise _Bad(str(exc)) from None
    if fen > MAX_FEN:
        raise _Bad(MSG_TOO_LARGE)
    return fen


def _fen(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, HugeNumber):
            raise _Bad(MSG_TOO_LARGE)
        if isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()):
            value = int_text(value.strip())
        else:
            raise _Bad(MSG_FEN)
    if value < 0:
        raise _Bad(MSG_FEN)
    if value > MAX_FEN:
        raise _Bad(MSG_TOO_LARGE)
    return value


def _ms(value) -> int:
    text = _text(value).lower().removesuffix("s").removesuffix("秒").strip()
    if len(text) > MAX_DIGITS:
        raise _Bad(MSG_SECONDS)
    try:
        seconds = Decimal(text)
    except InvalidOperation:
        raise _Bad(MSG_SECONDS) from None
    if not seconds.is_finite() or seconds < 0 or seconds > MAX_SECONDS:
        raise _Bad(MSG_SECONDS)
    # Measured times, not money: finer than a millisecond is rounded half-up.
    return int((seconds * 1000).to_integral_value(rounding=ROUND_HALF_UP))


def _rate(value) -> int:
    try:
        bp = parse_percent(_text(value))
    except ValueError as exc:
        raise _Bad(str(exc)) from None
    if bp > 10_000:
        raise _Bad(MSG_RATE_RANGE)
    return bp


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class RowReader:
    """Reads one record's fields, collecting an error per bad cell instead of stopping at the first."""

    def __init__(self, row_number: int, record: dict, labels: dict[str, str], cache: dict | None = None):
        self.row_number = row_number
        self.record = record
        self.labels = labels
        self.errors: list[UsageError] = []
        # (field, source, text) -> (value, error message): an export repeats its dates, platforms,
        # clients and rates on every row, so each distinct cell text of a column is parsed once.
        self.cache = {} if cache is None else cache

    def label(self, field: str) -> str:
        return self.labels.get(field) or FIELDS[field][0]

    def error(self, field: str, message: str, source: str | None = None) -> None:
        self.errors.append(UsageError(self.row_number, source or self.label(field), message))

    def take(self, field: str, parse, *, required: bool = False, default=None, source: str | None = None):
        raw = self.record.get(source or field)
        key = (field, source, raw) if type(raw) is str else None
        hit = self.cache.get(key) if key is not None else None
        if hit is None:
            if _blank(raw):
                hit = _BLANK
            else:
                try:
                    hit = (parse(raw), None)
                except _Bad as exc:
                    hit = (None, str(exc))
            if key is not None:
                self.cache[key] = hit
        if hit is _BLANK:
            if required:
                self.error(field, MSG_REQUIRED, source)
            return default
        value, message = hit
        if message is not None:
            self.error(field, message, source)
        return value


_BLANK = (None, None)  # the cached outcome of an empty cell (compared by identity)


def validate_row(reader: RowReader, today: date) -> UsageRow | None:
    record = reader.record
    client_id = reader.take("client_id", _client_id)
    client_name = reader.take("client", lambda v: _text(v)[:100])
    if client_id is None and client_name is None and not reader.errors:
        reader.error("client_id" if "client_id" in reader.labels else "client", MSG_CLIENT)
    day = reader.take("date", lambda v: _day(v, today), required=True)
    platform = reader.take("platform", _platform, required=True)
    consults = reader.take("consults", _count, required=True)
    valid = reader.take("valid_consults", _count, required=True)
    if consults is not None and valid is not None and valid > consults:
        reader.error("valid_consults", MSG_VALID_GT)
    values = {}
    for fen_field, yuan_field in FEN_FIELDS.items():
        if fen_field in record:
            values[fen_field] = reader.take(yuan_field, _fen, default=0, source=fen_field)
        else:
            values[fen_field] = reader.take(yuan_field, _yuan, default=0)
    for field, column in SECONDS_FIELDS.items():
        values[column] = reader.take(field, _ms)
    for field, column in RATE_FIELDS.items():
        values[column] = reader.take(field, _rate)
    for field in ("holiday_headcount", "promo_headcount"):
        values[field] = reader.take(field, _headcount)
    values["promo_shifts"] = reader.take("promo_shifts", _shifts)
    if values["promo_shifts"] is not None and not values["promo_headcount"]:
        reader.error("promo_shifts", MSG_SHIFTS_ALONE)
    if reader.errors:
        return None
    return UsageRow(
        row=reader.row_number,
        client_id=client_id,
        client_name=client_name,
        day=day,
        platform=platform,
        consults=consults,
        valid_consults=valid,
        **values,
    )


def validate_numbered(
    numbered: list[tuple[int, dict]], labels: dict[str, str], today: date
) -> tuple[list[UsageRow], list[UsageError]]:
    rows: list[UsageRow] = []
    errors: list[UsageError] = []
    duplicates = DuplicateCheck()
    cache: dict = {}  # shared by the rows: every parse here depends only on the cell text and ``today``
    for row_number, record in numbered:
        reader = RowReader(row_number, record, labels, cache)
        row = validate_row(reader, today)
        if row is None:
            errors.extend(reader.errors)
            continue
        client_key = ("id", row.client_id) if row.client_id is not None else ("name", row.client_name)
        duplicate = duplicates.check((client_key, row.day, row.platform), row_number, reader.label("date"))
        if duplicate is not None:
            errors.append(duplicate)
            continue
        rows.append(row)
    return rows, errors


def _headcount(value) -> int:
    try:
        number = _count(value)
    except _Bad:
        raise _Bad(MSG_HEADCOUNT) from None
    if number > MAX_HEADCOUNT:
        raise _Bad(MSG_HEADCOUNT)
    return number


def _shifts(value) -> int:
    try:
        number = _count(value)
    except _Bad:
        raise _Bad(MSG_SHIFTS) from None
    if not 0 < number <= MAX_SHIFTS:
        raise _Bad(MSG_SHIFTS)
    return number


def _client_id(value) -> int:
    if isinstance(value, bool):
        raise _Bad(MSG_CLIENT_ID)
    if isinstance(value, int):
        number = value
    else:
        text = _text(value)
        if not re.fullmatch(r"[0-9]+", text):
            raise _Bad(MSG_CLIENT_ID)
        if len(text.lstrip("0")) > MAX_DIGITS:
            raise _Bad(MSG_CLIENT_ID)
        number = int(text)
    if not 0 < number <= MAX_COUNT:
        raise _Bad(MSG_CLIENT_ID)
    return number


# --- template and display -----------------------------------------------------------------
