"""Quote pricing for chat-agent outsourcing (pure: no Flask, no database).

Units used throughout this module:

* money stored or returned as ``int`` is **fen** (1/100 yuan), names end in ``_fen``;
* :class:`Tier` prices and :func:`tiered_amount` results are **yuan** as ``Decimal``;
* rates and multipliers are integer **basis points** (``10000`` = ×1.00, ``13000`` = ×1.30,
  ``200`` = 2%), names end in ``_bp``.

All arithmetic is done in ``Decimal``; every quote line is rounded half-up to the fen exactly
once, at the end of its own calculation.  Floats are rejected everywhere.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeGuard

from ops.i18n import N_
from ops.money import MAX_MULTIPLIER_BP, apply_bp, format_bp, format_fen, format_multiplier, round_fen
from ops.vocab import SCOPES, SHIFTS, register

__all__ = [
    "MODELS",
    "SCOPES",
    "SHIFTS",
    "TIER_MODES",
    "Extra",
    "QuoteLine",
    "QuoteResult",
    "QuoteTerms",
    "SeatRequest",
    "Tier",
    "calculate_quote",
    "daily_allowance_terms",
    "tiered_amount",
    "tiers_from_data",
    "tiers_to_data",
    "validate_tiers",
]

# Seat scopes and shifts are the shared vocabulary's (Chinese labels, as documents print them).
# Pricing models; templates read them as ``label("quote_model", code)``.
MODELS = register(
    "quote_model",
    {"fixed_seat": N_("专人专席"), "base_commission": N_("底薪+提成"), "per_consult": N_("按咨询量")},
)
TIER_MODES = {
    "graduated": N_("累进阶梯"),
    "volume": N_("总量阶梯"),
    "band": N_("按档包月"),
    "daily_allowance": N_("每日包量"),
}
#: Days a month counts when a quote estimates a daily allowance's overage (a contract bills real days).
ESTIMATE_DAYS = 30

#: Largest accepted multiplier, in basis points (×10.00).  Guards against typing 130000 for ×1.30.
#: Largest accepted percentage (commission, discount), in basis points (100%).
MAX_PERCENT_BP = 10_000

_BP_ONE = 10_000
# Generous working precision so that chains of multipliers never lose digits before the
# single final rounding (the default context has only 28 significant digits).
_PRECISION = 60


# ---------------------------------------------------------------------------
# Tiers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    """One pricing tier.

    ``up_to``: inclusive upper bound in units (consults per month, or average consults per day
    for ``band``); ``None`` means unbounded and is only allowed on the last tier.  A tier starts
    one unit above the previous tier's ``up_to`` (the first tier starts at 0).
    ``unit_price``: yuan per unit (``Decimal``).
    ``flat_fee``: yuan (``Decimal``), charged once when the tier is reached.
    """

    up_to: int | None
    unit_price: Decimal
    flat_fee: Decimal = Decimal(0)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_yuan(value: object, what: str, position: int) -> None:
    if not isinstance(value, Decimal):
        raise ValueError(f"第 {position} 档的{what}必须是 Decimal 金额（元），不能是 {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"第 {position} 档的{what}必须是有限数值")
    if value < 0:
        raise ValueError(f"第 {position} 档的{what}不能为负数")


def validate_tiers(tiers: Sequence[Tier]) -> None:
    """Raise ``ValueError`` (Chinese message) unless ``tiers`` is a valid tier table.

    Valid means: at least one tier; every ``up_to`` a non-negative int and strictly increasing;
    only the last tier open (``up_to is None``) and the last tier must be open; unit prices and
    flat fees non-negative finite ``Decimal`` yuan.
    """
    if isinstance(tiers, str | bytes) or not isinstance(tiers, Sequence):
        raise ValueError("阶梯必须是 Tier 列表")
    if len(tiers) == 0:
        raise ValueError("阶梯不能为空，至少需要一档")
    previous: int | None = None
    last_index = len(tiers) - 1
    for index, tier in enumerate(tiers):
        position = index + 1
        if not isinstance(tier, Tier):
            raise ValueError(f"第 {position} 档不是有效的阶梯（Tier）")
        _check_yuan(tier.unit_price, "单价", position)
        _check_yuan(tier.flat_fee, "固定费用", position)
        if tier.up_to is None:
            if index != last_index:
                raise ValueError(f"第 {position} 档没有上限，只有最后一档可以不设上限")
            continue
        if not _is_int(tier.up_to):
            raise ValueError(f"第 {position} 档的上限必须是整数或留空（不设上限）")
        if tier.up_to < 0:
            raise ValueError(f"第 {position} 档的上限不能为负数")
        if previous is not None and tier.up_to <= previous:
            raise ValueError(
                f"阶梯上限必须严格递增：第 {position} 档上限 {tier.up_to} 不大于上一档上限 {previous}"
            )
        previous = tier.up_to
    if tiers[last_index].up_to is not None:
        raise ValueError("最后一档必须不设上限（up_to 为空），否则超出部分无法计价")


def daily_allowance_terms(tiers: Sequence[Tier]) -> tuple[Decimal, int, Decimal]:
    """(monthly fixed fee in yuan, valid consults included per day, yuan per consult above them).

    A daily allowance (每日包量, e.g. ¥3,000.00 a month with 100 consults a day included, ¥2.00 each
    above) is written as two tiers: ``Tier(100, 0, 3000)`` and ``Tier(None, 2, 0)``. Anything else
    raises ``ValueError``; the overage price must be whole fen (a line's quantity × unit price is
    its amount).
    """
    validate_tiers(tiers)
    if len(tiers) != 2:
        raise ValueError("每日包量需要两档：第 1 档为每日包含的咨询量和月固定费，第 2 档为超出部分的单价")
    included, above = tiers
    if included.unit_price != 0 or above.flat_fee != 0:
        raise ValueError(
            "每日包量：第 1 档单价须为 0（只收月固定费），第 2 档固定费须为 0（只按单价收超出部分）"
        )
    assert included.up_to is not None  # validate_tiers: only the last tier is open
    if (above.unit_price * 100) % 1 or (included.flat_fee * 100) % 1:
        raise ValueError("每日包量的月固定费和超出单价须精确到分")
    return included.flat_fee, included.up_to, above.unit_price


def _tier_index(quantity: int, tiers: Sequence[Tier]) -> int:
    """Index of the tier that ``quantity`` falls in (tiers already validated)."""
    for index, tier in enumerate(tiers):
        if tier.up_to is None or quantity <= tier.up_to:
            return index
    raise AssertionError("unreachable: last tier is open")  # pragma: no cover


def tiered_amount(quantity: int, tiers: Sequence[Tier], mode: str) -> Decimal:
    """Amount in **yuan** (``Decimal``, not rounded) for ``quantity`` units priced by ``tiers``.

    ``mode``:

    * ``"graduated"`` (累进阶梯): each tier's share of the units at that tier's unit price, plus
      the flat fee of every tier reached.  The first tier is always reached (even at 0 units);
      a later tier is reached once ``quantity`` exceeds the previous tier's ``up_to``.
    * ``"volume"`` (总量阶梯): all units at the unit price of the tier ``quantity`` falls in, plus
      that tier's flat fee.
    * ``"band"`` (按档包月): only the flat fee of the tier ``quantity`` falls in.
    * ``"daily_allowance"`` (每日包量): ``quantity`` is ONE day's valid consults; like graduated on
      the two tiers of :func:`daily_allowance_terms`: the monthly fixed fee plus the consults above
      the daily allowance at the unit price. A contract charges the fee once a month and the
      overage day by day (the billing engine), never this sum per day.

    Raises ``ValueError`` for a negative or non-integer quantity, an unknown mode or invalid tiers.
    """
    validate_tiers(tiers)
    if not _is_int(quantity):
        raise ValueError("数量必须是整数")
    if quantity < 0:
        raise ValueError("数量不能为负数")
    if mode not in TIER_MODES:
        raise ValueError(f"未知的阶梯计价方式：{mode!r}")
    with decimal.localcontext() as ctx:
        ctx.prec = _PRECISION
        ctx.rounding = decimal.ROUND_HALF_UP
        if mode == "daily_allowance":
            fee, allowance, price = daily_allowance_terms(tiers)
            return fee + max(0, quantity - allowance) * price
        if mode == "graduated":
            total = Decimal(0)
            lower = 0  # units already priced by earlier tiers
            for index, tier in enumerate(tiers):
                if index > 0 and quantity <= lower:
                    break
                top = quantity if tier.up_to is None else min(quantity, tier.up_to)
                units = max(0, top - lower)
                total += units * tier.unit_price + tier.flat_fee
                if tier.up_to is None:
                    break
                lower = tier.up_to
            return total
        tier = tiers[_tier_index(quantity, tiers)]
        if mode == "volume":
            return quantity * tier.unit_price + tier.flat_fee
        return +tier.flat_fee


def _decimal_from_data(value: object, what: str, position: int) -> Decimal:
    if isinstance(value, (bool, float)):
        raise ValueError(f'第 {position} 档的{what}必须用字符串或整数表示（如 "0.50"），不能用浮点数')
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | str):
        try:
            result = Decimal(value.strip() if isinstance(value, str) else value)
        except decimal.InvalidOperation:
            raise ValueError(f"第 {position} 档的{what}不是有效金额：{value!r}") from None
        if not result.is_finite():
            raise ValueError(f"第 {position} 档的{what}不是有效金额：{value!r}")
        return result
    raise ValueError(f"第 {position} 档的{what}不是有效金额：{value!r}")


def tiers_from_data(data: Sequence[Mapping[str, Any]]) -> tuple[Tier, ...]:
    """Build and validate tiers from JSON-able dicts.

    Each dict: ``{"up_to": int | None, "unit_price": "0.50", "flat_fee": "0"}``; prices are yuan
    as strings (or ints); ``flat_fee`` may be omitted (0).  Floats are rejected.
    Raises ``ValueError`` (Chinese message) on malformed data or invalid tiers.
    """
    if not isinstance(data, list | tuple):
        raise ValueError("阶梯数据必须是列表")
    tiers: list[Tier] = []
    for index, item in enumerate(data):
        position = index + 1
        if not isinstance(item, dict):
            raise ValueError(f"第 {position} 档数据格式不正确")
        if "unit_price" not in item:
            raise ValueError(f"第 {position} 档缺少单价")
        up_to = item.get("up_to")
        if up_to is not None and not _is_int(up_to):
            raise ValueError(f"第 {position} 档的上限必须是整数或留空（不设上限）")
        unit_price = _decimal_from_data(item["unit_price"], "单价", position)
        flat_fee = _decimal_from_data(item.get("flat_fee", "0"), "固定费用", position)
        tiers.append(Tier(up_to=up_to, unit_price=unit_price, flat_fee=flat_fee))
    result = tuple(tiers)
    validate_tiers(result)
    return result


def tiers_to_data(tiers: Sequence[Tier]) -> list[dict[str, Any]]:
    """JSON-able form of ``tiers`` (prices as plain decimal strings in yuan); inverse of
    :func:`tiers_from_data`."""
    return [
        {
            "up_to": tier.up_to,
            "unit_price": format(tier.unit_price, "f"),
            "flat_fee": format(tier.flat_fee, "f"),
        }
        for tier in tiers
    ]


# ---------------------------------------------------------------------------
# Quotes
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatRequest:
    """A group of identical seats.

    ``monthly_rate_fen``: fen per seat per month before multipliers (for ``base_commission``:
    the base pay).  ``shift_bp``: shift surcharge multiplier in basis points (evening 13000 …).
    """

    scope: str
    shift: str
    seats: int
    monthly_rate_fen: int
    shift_bp: int = 10000


@dataclass(frozen=True)
class Extra:
    """An additional charge: ``quantity`` × ``unit_price_fen`` (fen)."""

    label: str
    quantity: int
    unit: str
    unit_price_fen: int


@dataclass(frozen=True)
class QuoteTerms:
    """Everything needed to price one monthly quote.

    Money fields are fen, ``*_bp`` fields basis points.  Fields that do not belong to ``model``
    are range-checked but otherwise ignored (e.g. ``seats`` for ``per_consult``;
    ``monthly_minimum_fen`` only applies to ``per_consult``).
    """

    model: str
    seats: tuple[SeatRequest, ...] = ()
    complexity: int = 3
    complexity_bp: int = 10000
    category: str = ""
    category_bp: int = 10000
    platform: str = ""
    platform_bp: int = 10000
    commission_rate_bp: int = 0
    expected_monthly_gmv_fen: int = 0
    monthly_consults: int = 0
    average_daily_consults: int = 0
    tiers: tuple[Tier, ...] = ()
    tier_mode: str = "graduated"
    monthly_minimum_fen: int = 0
    extras: tuple[Extra, ...] = ()
    discount_bp: int = 0


@dataclass(frozen=True)
class QuoteLine:
    """One line of a quote.

    ``kind``: "seat", "base", "commission", "consult", "minimum", "extra" or "discount".
    ``quantity``/``unit``: what the line counts (席·月, 次, 月, or 元 for lines computed from a
    money base: commission = GMV in yuan, minimum = shortfall in yuan, discount = subtotal in yuan).
    ``amount_fen``: fen, rounded once (negative for the discount line).
    ``explanation``: the calculation in words and figures.
    """

    kind: str
    description: str
    quantity: Decimal
    unit: str
    amount_fen: int
    explanation: str


@dataclass(frozen=True)
class QuoteResult:
    """``subtotal_fen`` = sum of non-discount lines; ``discount_fen`` positive;
    ``total_fen`` = subtotal − discount (monthly estimate).  All fen."""

    lines: tuple[QuoteLine, ...]
    subtotal_fen: int
    discount_fen: int
    total_fen: int


def _require_int(value: object, label: str, *, minimum: int = 0, maximum: int | None = None) -> None:
    if not _is_int(value):
        raise ValueError(f"{label}必须是整数")
    if value < minimum:
        raise ValueError(f"{label}不能小于 {minimum}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{label}不能大于 {maximum}")


def _require_multiplier(value: object, label: str) -> None:
    if not _is_int(value):
        raise ValueError(f"{label}系数必须是整数基点（10000 = 1.00）")
    if not 0 < value <= MAX_MULTIPLIER_BP:
        raise ValueError(f"{label}系数超出范围：应在 1 到 {MAX_MULTIPLIER_BP} 基点之间（10000 = 1.00）")


def _validate_terms(terms: QuoteTerms) -> None:
    """Raise ``ValueError`` (Chinese) at the first thing wrong with ``terms``."""
    if not isinstance(terms, QuoteTerms):
        raise ValueError("报价条件格式不正确")
    _check_terms_figures(terms)
    for seat in terms.seats:
        _check_seat(seat)
    for extra in terms.extras:
        _check_extra(extra)
    _check_model_needs(terms)


def _check_terms_figures(terms: QuoteTerms) -> None:
    """The model, tier mode and every number of the terms themselves."""
    if terms.model not in MODELS:
        raise ValueError(f"未知的计价模式：{terms.model!r}")
    if terms.tier_mode not in TIER_MODES:
        raise ValueError(f"未知的阶梯计价方式：{terms.tier_mode!r}")
    if terms.model == "per_consult" and terms.tier_mode == "daily_allowance":
        daily_allowance_terms(terms.tiers)
    _require_int(terms.complexity, "复杂度", minimum=1, maximum=5)
    _require_multiplier(terms.complexity_bp, "复杂度")
    _require_multiplier(terms.category_bp, "类目")
    _require_multiplier(terms.platform_bp, "平台")
    _require_int(terms.commission_rate_bp, "提成比例（基点）", maximum=MAX_PERCENT_BP)
    _require_int(terms.discount_bp, "折扣（基点）", maximum=MAX_PERCENT_BP)
    _require_int(terms.expected_monthly_gmv_fen, "预计月服务销售额")
    _require_int(terms.monthly_consults, "每月有效咨询量")
    _require_int(terms.average_daily_consults, "日均咨询量")
    _require_int(terms.monthly_minimum_fen, "月度最低消费")
    if not isinstance(terms.category, str) or not isinstance(terms.platform, str):
        raise ValueError("类目和平台名称必须是文字")


def _check_seat(seat: object) -> None:
    if not isinstance(seat, SeatRequest):
        raise ValueError("席位需求格式不正确")
    if seat.scope not in SCOPES:
        raise ValueError(f"未知的服务范围：{seat.scope!r}")
    if seat.shift not in SHIFTS:
        raise ValueError(f"未知的班次：{seat.shift!r}")
    _require_int(seat.seats, "席位数")
    _require_int(seat.monthly_rate_fen, "席位月单价")
    _require_multiplier(seat.shift_bp, "班次")


def _check_extra(extra: object) -> None:
    if not isinstance(extra, Extra):
        raise ValueError("附加项格式不正确")
    if not isinstance(extra.label, str) or not extra.label.strip():
        raise ValueError("附加项名称不能为空")
    if not isinstance(extra.unit, str):
        raise ValueError("附加项单位必须是文字")
    _require_int(extra.quantity, f"附加项“{extra.label}”的数量")
    _require_int(extra.unit_price_fen, f"附加项“{extra.label}”的单价")


def _check_model_needs(terms: QuoteTerms) -> None:
    """What each pricing model needs: seats, a commission rate, price tiers."""
    if terms.model in ("fixed_seat", "base_commission") and (
        not terms.seats or sum(seat.seats for seat in terms.seats) == 0
    ):
        raise ValueError(f"{MODELS[terms.model]}模式至少需要一个席位")
    if terms.model == "base_commission" and terms.commission_rate_bp <= 0:
        raise ValueError("底薪+提成模式的提成比例必须大于 0")
    if terms.model == "per_consult":
        if not terms.tiers:
            raise ValueError("按咨询量模式必须设置价格阶梯")
        validate_tiers(terms.tiers)


def _terms_multipliers(terms: QuoteTerms) -> list[tuple[str, int]]:
    return [
        ("复杂度", terms.complexity_bp),
        ("类目", terms.category_bp),
        (terms.platform or "平台", terms.platform_bp),
    ]


def _apply_multipliers(amount: Decimal, multipliers: list[tuple[str, int]]) -> tuple[Decimal, str]:
    """Apply basis-point multipliers exactly; return the product and the " × 复杂度 1.10 …" text
    listing only those that are not ×1.00."""
    text = ""
    for label, bp in multipliers:
        amount = apply_bp(amount, bp)
        if bp != _BP_ONE:
            text += f" × {label} {format_multiplier(bp)}"
    return amount, text


def _seat_line(seat: SeatRequest, terms: QuoteTerms, kind: str) -> QuoteLine:
    scope_shift = f"{SCOPES[seat.scope]}{SHIFTS[seat.shift]}"
    raw = Decimal(seat.seats) * seat.monthly_rate_fen
    raw, factors = _apply_multipliers(raw, [*_terms_multipliers(terms), (SHIFTS[seat.shift], seat.shift_bp)])
    amount = round_fen(raw)
    if kind == "seat":
        description = f"{scope_shift}席位"
        rate_text = format_fen(seat.monthly_rate_fen)
    else:
        description = f"{scope_shift}底薪"
        rate_text = f"底薪 {format_fen(seat.monthly_rate_fen)}"
    explanation = f"{seat.seats:,} 个{scope_shift}席位 × {rate_text}{factors} = {format_fen(amount)}"
    return QuoteLine(kind, description, Decimal(seat.seats), "席·月", amount, explanation)


def _commission_line(terms: QuoteTerms) -> QuoteLine:
    gmv = terms.expected_monthly_gmv_fen
    amount = round_fen(apply_bp(Decimal(gmv), terms.commission_rate_bp))
    explanation = f"预计月服务销售额 {format_fen(gmv)} × 提成 {format_bp(terms.commission_rate_bp)} = {format_fen(amount)}"
    return QuoteLine("commission", "销售提成", Decimal(gmv) / 100, "元", amount, explanation)


def _consult_line(terms: QuoteTerms) -> QuoteLine:
    mode_label = TIER_MODES[terms.tier_mode]
    if terms.tier_mode == "band":
        base_yuan = tiered_amount(terms.average_daily_consults, terms.tiers, "band")
        intro = f"日均咨询 {terms.average_daily_consults:,} 次，{mode_label}"
        description, quantity, unit = "咨询服务包月费", Decimal(1), "月"
    elif terms.tier_mode == "daily_allowance":
        fee, allowance, price = daily_allowance_terms(terms.tiers)
        over = max(0, terms.average_daily_consults - allowance)
        base_yuan = fee + over * price * ESTIMATE_DAYS
        intro = (
            f"日均咨询 {terms.average_daily_consults:,} 次，{mode_label}：月固定费 {format_fen(round_fen(fee * 100))}"
            f"（每日含 {allowance:,} 次）+ 超出 {over:,} 次/天 × {format_fen(round_fen(price * 100))}"
            f" × {ESTIMATE_DAYS} 天（估算）"
        )
        description, quantity, unit = "咨询服务费", Decimal(1), "月"
    else:
        base_yuan = tiered_amount(terms.monthly_consults, terms.tiers, terms.tier_mode)
        intro = f"每月有效咨询 {terms.monthly_consults:,} 次，{mode_label}计价"
        description, quantity, unit = "咨询服务费", Decimal(terms.monthly_consults), "次"
    base_fen = base_yuan * 100  # exact: yuan -> fen, still unrounded
    raw, factors = _apply_multipliers(base_fen, _terms_multipliers(terms))
    amount = round_fen(raw)
    if factors:
        # The base is shown to the fen for reading; the amount is computed from the exact base.
        explanation = f"{intro} {format_fen(round_fen(base_fen))}{factors} = {format_fen(amount)}"
    else:
        explanation = f"{intro} {format_fen(amount)}"
    return QuoteLine("consult", description, quantity, unit, amount, explanation)


def calculate_quote(terms: QuoteTerms) -> QuoteResult:
    """Price ``terms`` into a monthly estimate (all amounts fen, each line rounded once).

    * ``fixed_seat``: one "seat" line per :class:`SeatRequest`:
      seats × monthly_rate_fen × complexity × category × platform × shift multipliers.
    * ``base_commission``: one "base" line per SeatRequest (same formula) plus one "commission"
      line: expected_monthly_gmv_fen × commission_rate_bp / 10000.
    * ``per_consult``: one "consult" line: :func:`tiered_amount` (``monthly_consults`` for
      graduated/volume, ``average_daily_consults`` for band) × complexity × category × platform;
      plus a "minimum" line topping it up to ``monthly_minimum_fen`` when below it.
    * then one "extra" line per :class:`Extra` (quantity × unit_price_fen);
    * then, if ``discount_bp`` > 0, a "discount" line of −round(subtotal × discount_bp / 10000).

    Raises ``ValueError`` (Chinese message) on invalid terms.
    """
    _validate_terms(terms)
    with decimal.localcontext() as ctx:
        ctx.prec = _PRECISION
        ctx.rounding = decimal.ROUND_HALF_UP
        lines: list[QuoteLine] = []
        if terms.model == "fixed_seat":
            lines.extend(_seat_line(seat, terms, "seat") for seat in terms.seats)
        elif terms.model == "base_commission":
            lines.extend(_seat_line(seat, terms, "base") for seat in terms.seats)
            lines.append(_commission_line(terms))
        else:
            consult = _consult_line(terms)
            lines.append(consult)
            shortfall = terms.monthly_minimum_fen - consult.amount_fen
            if shortfall > 0:
                lines.append(
                    QuoteLine(
                        "minimum",
                        "最低消费补足",
                        Decimal(shortfall) / 100,
                        "元",
                        shortfall,
                        f"月度最低消费 {format_fen(terms.monthly_minimum_fen)}，补足 {format_fen(shortfall)}",
                    )
                )
        for extra in terms.extras:
            amount = extra.quantity * extra.unit_price_fen
            lines.append(
                QuoteLine(
                    "extra",
                    extra.label,
                    Decimal(extra.quantity),
                    extra.unit,
                    amount,
                    f"{extra.label} {extra.quantity:,} {extra.unit} × {format_fen(extra.unit_price_fen)}"
                    f" = {format_fen(amount)}",
                )
            )
        subtotal = sum(line.amount_fen for line in lines)
        discount = 0
        if terms.discount_bp > 0:
            discount = round_fen(apply_bp(Decimal(subtotal), terms.discount_bp))
            lines.append(
                QuoteLine(
                    "discount",
                    "折扣",
                    Decimal(subtotal) / 100,
                    "元",
                    -discount,
                    f"折扣 {format_bp(terms.discount_bp)}：−{format_fen(discount)}",
                )
            )
        return QuoteResult(tuple(lines), subtotal, discount, subtotal - discount)


def per_day_price_fen(list_price_fen: int, discount_bp: int) -> int:
    """A per-day extra's price (节假日补贴, 大促临时客服) after the quote's discount, rounded once.

    The same rule the contract applies to its frozen catalogue price (ops.contracts.terms), so the
    price the quote shows is the price finance records: 20,000 fen less 10 % = 18,000 fen.
    """
    _require_int(list_price_fen, "单价")
    _require_int(discount_bp, "折扣")
    return round_fen(Decimal(list_price_fen) * (10_000 - discount_bp) / 10_000)
