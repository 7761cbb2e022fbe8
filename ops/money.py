"""Money helpers: integer fen (分) amounts, basis-point rates, formatting, parsing, 大写.

Project rules: money is an int of fen (1/100 yuan); arithmetic is done in
``decimal.Decimal``; rounding is half-up (half away from zero, ``ROUND_HALF_UP``)
to the fen, once per line; rates and multipliers are int basis points
(1/10000: 6% = 600, x1.30 = 13000). Floats are never accepted.

No Flask and no database here: plain functions on int / Decimal / str.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

__all__ = [
    "apply_bp",
    "format_bp",
    "format_fen",
    "format_multiplier",
    "parse_percent",
    "parse_yuan",
    "round_fen",
    "to_chinese_upper",
    "to_fen",
    "to_yuan",
]

# Enough significant digits that no operation here is ever inexact by lack of precision.
_PREC = 60

_FEN = Decimal("0.01")

MSG_YUAN_EMPTY = "金额不能为空"
MSG_YUAN_FORMAT = "金额格式不正确：请输入数字，最多两位小数，例如 12,345.67"
MSG_YUAN_DECIMALS = "金额最多两位小数（精确到分），例如 12,345.67"
MSG_YUAN_NEGATIVE = "金额不能为负数"
MSG_YUAN_TOO_LARGE = "金额过大，请检查位数"
MSG_PERCENT_EMPTY = "百分比不能为空"
MSG_PERCENT_FORMAT = "百分比格式不正确：请输入数字，最多两位小数，例如 6 或 1.5%"
MSG_PERCENT_DECIMALS = "百分比最多两位小数，例如 1.25%"
MSG_PERCENT_NEGATIVE = "百分比不能为负数"
MSG_PERCENT_TOO_LARGE = "百分比过大，请检查位数"
# Digits before the decimal point: far above any real amount, far below what int() and the
# database refuse (a 5,000-digit cell must be a clear error, not Python's int-from-string limit).
MAX_YUAN_DIGITS = 15  # < 10^15 yuan = 10^17 fen, inside a 64-bit column
MAX_PERCENT_DIGITS = 6  # < 1,000,000 % = 10^8 basis points, inside a 32-bit column


def _check_number(value: object, name: str) -> None:
    """Raise TypeError unless ``value`` is a Decimal or an int (bool and float are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise TypeError(f"{name} must be int or Decimal, not {type(value).__name__}")


def _check_int(value: object, name: str) -> None:
    """Raise TypeError unless ``value`` is an int (bool is refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be int, not {type(value).__name__}")


def _finite(d: Decimal, name: str) -> Decimal:
    if not d.is_finite():
        raise ValueError(f"{name} must be a finite number, got {d}")
    return d


def to_fen(yuan: Decimal | str | int) -> int:
    """Convert an amount in yuan (元) to int fen (分), rounded half-up to the fen.

    ``Decimal("1.005")`` -> 101, ``"12.34"`` -> 1234, ``12`` -> 1200; negatives round
    half away from zero (``Decimal("-1.005")`` -> -101). Floats raise TypeError; a
    string that is not a plain decimal number raises ValueError (use ``parse_yuan``
    for user input).
    """
    if isinstance(yuan, str):
        try:
            d = Decimal(yuan.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal amount: {yuan!r}") from None
    else:
        _check_number(yuan, "yuan")
        d = Decimal(yuan)
    _finite(d, "yuan")
    if d.adjusted() >= MAX_YUAN_DIGITS:  # 1e999999 or 5,000 digits: refused, not an InvalidOperation
        raise ValueError(MSG_YUAN_TOO_LARGE)
    with localcontext(prec=_PREC):
        return int(d.quantize(_FEN, rounding=ROUND_HALF_UP).scaleb(2))


def to_yuan(fen: int) -> Decimal:
    """Convert int fen to an exact Decimal of yuan with two decimal places (12345 -> Decimal("123.45"))."""
    _check_int(fen, "fen")
    with localcontext(prec=_PREC):
        return Decimal(fen).scaleb(-2)


def round_fen(amount_fen: Decimal | int) -> int:
    """Round a (fractional) amount of fen half-up to int fen.

    Half away from zero: ``Decimal("2.5")`` -> 3, ``Decimal("-2.5")`` -> -3.
    """
    _check_number(amount_fen, "amount_fen")
    d = _finite(Decimal(amount_fen), "amount_fen")
    with localcontext(prec=_PREC):
        return int(d.to_integral_value(rounding=ROUND_HALF_UP))


def apply_bp(amount: Decimal | int, bp: int) -> Decimal:
    """Return ``amount * bp / 10000`` exactly, as a Decimal in the unit of ``amount``, NOT rounded.

    ``apply_bp(12345, 600) == Decimal("740.7")`` (6% of 12345 fen, still fractional fen
    in general: pass the result to ``round_fen`` once per line).
    """
    _check_number(amount, "amount")
    _check_int(bp, "bp")
    d = _finite(Decimal(amount), "amount")
    with localcontext(prec=_PREC):
        return (d * bp).scaleb(-4)


def format_fen(fen: int, symbol: bool = True) -> str:
    """Format int fen as yuan with thousands separators and two decimals.

    1234567 fen -> "¥12,345.67"; -123400 -> "-¥1,234.00"; ``symbol=False`` -> "12,345.67".
    """
    _check_int(fen, "fen")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{'¥' if symbol else ''}{yuan:,}.{cents:02d}"


def _plain(d: Decimal) -> str:
    """Fixed-point text of ``d`` (never scientific notation)."""
    return format(d, "f")


def format_bp(bp: int) -> str:
    """Format basis points as a percent without trailing zeros: 600 -> "6%", 150 -> "1.5%", 5 -> "0.05%"."""
    _check_int(bp, "bp")
    with localcontext(prec=_PREC):
        d = Decimal(bp).scaleb(-2).normalize()
    return f"{_plain(d)}%"


def format_multiplier(bp: int) -> str:
    """Format basis points as a multiplier with at least two decimals: 11000 -> "1.10", 11250 -> "1.125"."""
    _check_int(bp, "bp")
    with localcontext(prec=_PREC):
        d = Decimal(bp).scaleb(-4).normalize()
        if int(d.as_tuple().exponent) > -2:
            d = d.quantize(_FEN)
    return _plain(d)


_YUAN_RE = re.compile(r"^([+-]?)[¥￥]?\s*((?:[0-9]{1,3}(?:,[0-9]{3})+)|[0-9]+)(?:\.([0-9]+))?$")


def parse_yuan(text: str | None, *, allow_negative: bool = False) -> int:
    """Parse a user-typed yuan amount into int fen.

    Accepts "12345", "12,345.67", "¥12,345.67" (or full-width "￥"), surrounding spaces,
    and a leading "-" when ``allow_negative=True``. At most two decimals; nothing is rounded.
    Raises ValueError with a Chinese message for empty, non-numeric, more than two
    decimals, or negative input when not allowed. ``None`` counts as empty.
    """
    if text is None:
        raise ValueError(MSG_YUAN_EMPTY)
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    s = text.strip()
    if not s:
        raise ValueError(MSG_YUAN_EMPTY)
    m = _YUAN_RE.match(s)
    if not m:
        raise ValueError(MSG_YUAN_FORMAT)
    sign, whole, frac = m.group(1), m.group(2).replace(",", ""), m.group(3) or ""
    if len(frac) > 2:
        raise ValueError(MSG_YUAN_DECIMALS)
    if len(whole.lstrip("0")) > MAX_YUAN_DIGITS:
        raise ValueError(MSG_YUAN_TOO_LARGE)
    fen = int(whole) * 100 + int(frac.ljust(2, "0"))
    if sign == "-":
        fen = -fen
    if fen < 0 and not allow_negative:
        raise ValueError(MSG_YUAN_NEGATIVE)
    return fen


_PERCENT_RE = re.compile(r"^([+-]?)([0-9]+)(?:\.([0-9]+))?\s*[%％]?$")


def parse_percent(text: str | None, *, allow_negative: bool = False) -> int:
    """Parse a user-typed percent into int basis points: "6" / "6%" -> 600, "1.5" -> 150.

    At most two decimals of percent (one basis point); ValueError with a Chinese message
    for empty, non-numeric, more decimals, or negative input when not allowed.
    ``None`` counts as empty.
    """
    if text is None:
        raise ValueError(MSG_PERCENT_EMPTY)
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    s = text.strip()
    if not s:
        raise ValueError(MSG_PERCENT_EMPTY)
    m = _PERCENT_RE.match(s)
    if not m:
        raise ValueError(MSG_PERCENT_FORMAT)
    sign, whole, frac = m.group(1), m.group(2), m.group(3) or ""
    if len(frac) > 2:
        raise ValueError(MSG_PERCENT_DECIMALS)
    if len(whole.lstrip("0")) > MAX_PERCENT_DIGITS:
        raise ValueError(MSG_PERCENT_TOO_LARGE)
    bp = int(whole) * 100 + int(frac.ljust(2, "0"))
    if sign == "-":
        bp = -bp
    if bp < 0 and not allow_negative:
        raise ValueError(MSG_PERCENT_NEGATIVE)
    return bp


# 大写金额 — written here rather than with cn2an: cn2an's "rmb" mode omits 整 after 角 and the 零 after
# 元 (1,680.32 -> 壹仟陆佰捌拾元叁角贰分), which the forms chosen for this project require.
_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SECTION_UNITS = ("仟", "佰", "拾", "")
# Largest yuan amount written: 9999万亿 + … (below 1亿亿, which banks do not use).
_MAX_YUAN = 10**16 - 1


MAX_MULTIPLIER_BP = 100_000  # ×10: the largest multiplier a rate card or quote accepts
MSG_MULTIPLIER_EMPTY = "系数不能为空"
MSG_MULTIPLIER_FORMAT = "系数格式不正确：请输入小数，例如 1.30（表示 ×1.30）"
MSG_MULTIPLIER_DECIMALS = "系数最多四位小数，例如 1.125"
MSG_MULTIPLIER_RANGE = "系数必须大于 0 且不超过 10，例如 0.95、1.00、1.30"
MSG_COUNT_EMPTY = "数量不能为空"
MSG_COUNT_FORMAT = "请输入整数，例如 3,000"


def parse_multiplier(text: str | None) -> int:
    """A user-typed multiplier in basis points: "1.30" / "×1.3" / "1" -> 13000 / 13000 / 10000.

    At most four decimals (one basis point); must be above 0 and at most ×10. Raises ValueError
    with a Chinese message otherwise (``None`` counts as empty).
    """
    s = (text or "").strip().lstrip("×xX*＊").strip()
    if not s:
        raise ValueError(MSG_MULTIPLIER_EMPTY)
    whole, _dot, frac = s.partition(".")
    if not whole.isascii() or not whole.isdigit() or (frac and not (frac.isascii() and frac.isdigit())):
        raise ValueError(MSG_MULTIPLIER_FORMAT)
    if len(frac) > 4:
        raise ValueError(MSG_MULTIPLIER_DECIMALS)
    bp = int(whole) * 10_000 + int(frac.ljust(4, "0") or "0")
    if not 0 < bp <= MAX_MULTIPLIER_BP:
        raise ValueError(MSG_MULTIPLIER_RANGE)
    return bp


def parse_count(text: str | None) -> int:
    """A user-typed whole number ("3,000" -> 3000); ValueError with a Chinese message otherwise."""
    s = (text or "").strip().replace(",", "").replace("，", "")
    if not s:
        raise ValueError(MSG_COUNT_EMPTY)
    if not (s.isascii() and s.isdigit()):
        raise ValueError(MSG_COUNT_FORMAT)
    return int(s)


def _section(n: int) -> str:
    """Words for 1 <= n <= 9999, with 零 for inner zero runs and no trailing zeros; 10 -> 壹拾."""
    out: list[str] = []
    pending_zero = False
    for i, unit in enumerate(_SECTION_UNITS):
        digit = n // 10 ** (3 - i) % 10
        if digit == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(_DIGITS[digit] + unit)
    return "".join(out)


def _integer_words(n: int) -> str:
    """Words for a whole number of yuan 1 <= n < 10**16 (no 元)."""
    if n < 10**4:
        return _section(n)
    if n < 10**8:
        base, unit = 10**4, "万"
    else:
        base, unit = 10**8, "亿"
    high, low = divmod(n, base)
    words = _integer_words(high) + unit
    if low:
        # One 零 when the lower part does not start at its top digit (壹亿零壹万, 壹拾万零壹).
        if low < base // 10:
            words += "零"
        words += _integer_words(low)
    return words


def to_chinese_upper(fen: int) -> str:
    """Write int fen as a bank-style 大写 amount prefixed "人民币" (中国人民银行 票据填写规定).

    123456 -> "人民币壹仟贰佰叁拾肆元伍角陆分"; 1000 -> "人民币壹拾元整"; 1250 -> "人民币壹拾贰元伍角整";
    168032 -> "人民币壹仟陆佰捌拾元零叁角贰分"; 0 -> "人民币零元整"; negatives -> "人民币负…".
    Raises ValueError at or above 1亿亿 yuan.
    """
    _check_int(fen, "fen")
    if fen < 0:
        return "人民币负" + to_chinese_upper(-fen).removeprefix("人民币")
    yuan, rest = divmod(fen, 100)
    jiao, fen_digit = divmod(rest, 10)
    if yuan > _MAX_YUAN:
        raise ValueError(f"amount too large for 大写: {fen} fen")
    if fen == 0:
        return "人民币零元整"
    out = []
    if yuan:
        out.append(_integer_words(yuan) + "元")
        # 零 after 元 when the yuan part ends in 0 (…拾元零叁角) or when 角 is zero and 分 is not (元零贰分).
        if (jiao and yuan % 10 == 0) or (not jiao and fen_digit):
            out.append("零")
    if jiao:
        out.append(_DIGITS[jiao] + "角")
    if fen_digit:
        out.append(_DIGITS[fen_digit] + "分")
    else:
        out.append("整")
    return "人民币" + "".join(out)
