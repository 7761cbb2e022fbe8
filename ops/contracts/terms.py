"""Contract terms: their typed shape, freezing a quote's terms, validating what billing reads, KPI presets.

Pure: no Flask, no database. Money in fen, rates and multipliers in basis points.

``Contract.terms`` is JSON; ``ContractTerms`` is its shape (what ``freeze_terms`` writes and the
contract pages, the PDF and billing read). Keys may be missing in hand-made or older terms, so
readers use ``.get`` with the defaults below; only ``model`` is always there.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NotRequired, Required, TypedDict

from ops.i18n import N_
from ops.money import MAX_MULTIPLIER_BP, format_bp, format_fen, round_fen
from ops.quotes import pricing


class SeatTerms(TypedDict):
    """One seat row: ``seats`` agents of ``scope`` × ``shift`` at an effective monthly rate per seat.

    ``monthly_total_fen`` is there only when the row's monthly total is not ``seats`` ×
    ``monthly_rate_fen``: the quote rounds a row once, so 3 × ¥2,379.195 is ¥7,137.59 while the
    rate per seat states ¥2,379.20; the remainder (−1 fen) lies on one seat. ``seat_row_total_fen``
    reads it.
    """

    scope: str  # ops.vocab.SCOPE_CODES
    shift: str  # ops.vocab.SHIFT_CODES
    seats: int
    monthly_rate_fen: int
    monthly_total_fen: NotRequired[int]


class TierTerms(TypedDict, total=False):
    """One per-consult price tier, as ``ops.quotes.pricing.tiers_from_data`` reads it (yuan strings)."""

    up_to: int | None  # None: no upper bound
    unit_price: Required[str]
    flat_fee: str


class ExtraTerms(TypedDict, total=False):
    """An agreed extra (附加费): quantity × unit price (discount included) each period."""

    code: str  # an ops.ratecards.rules.EXTRA_LABELS code; "" or other codes are kept as agreed
    label: Required[str]
    unit: Required[str]
    quantity: Required[int]
    unit_price_fen: Required[int]


class CatalogueExtra(TypedDict):
    """A rate-card extra frozen with the contract, so staff can add it later at the quoted price."""

    label: str
    unit: str
    unit_price_fen: int  # catalogue price, before the quote's discount


class ContractTerms(TypedDict, total=False):
    """The pricing terms a contract froze from its accepted quote (``Contract.terms``)."""

    model: Required[str]  # ops.quotes.pricing.MODELS
    seats: list[SeatTerms]
    commission_rate_bp: int  # base_commission only (0 otherwise)
    commission_base: str
    tier_mode: str  # per_consult: graduated | volume | band | daily_allowance; "" otherwise
    tiers: list[TierTerms]
    consult_multiplier_bp: int  # per_consult: every multiplier and the discount in one (10_000 = ×1)
    monthly_minimum_fen: int
    extras: list[ExtraTerms]
    discount_bp: int  # the quote's discount, already in every price above
    extras_catalogue: dict[str, CatalogueExtra]
    dunning_days: list[int]  # payment reminders, days from the due date (ops.billing.engine.dunning)


class BandTerms(TypedDict, total=False):
    """One band of a KPI scale: beyond ``threshold`` the deduction applies (percent or fixed)."""

    threshold: Required[int]  # seconds, or basis points for RATE_METRICS
    deduction_bp: int  # percent clauses: basis points of the month's fee
    deduction_fen: int  # fixed clauses: an amount


class KpiTerms(TypedDict, total=False):
    """One KPI clause as a row (a preset, a form row, ``services.set_kpis``'s input).

    ``comparison`` is the direction: "lte" = lower is better (the target is a ceiling), "gte" =
    higher is better. ``bands`` go from the target towards worse; the worst band reached applies.
    """

    metric: Required[str]  # METRICS
    comparison: Required[str]  # COMPARISONS
    deduction_kind: Required[str]  # percent | fixed (every band of the clause)
    bands: Required[list[BandTerms]]
    note: str


class KpiPreset(KpiTerms):
    key: str
    label: str


def kpi_from_preset(preset: KpiPreset) -> KpiTerms:
    """A preset's clause without its key and label."""
    return KpiTerms(
        metric=preset["metric"],
        comparison=preset["comparison"],
        deduction_kind=preset["deduction_kind"],
        bands=[
            BandTerms(
                threshold=b["threshold"],
                deduction_bp=b.get("deduction_bp", 0),
                deduction_fen=b.get("deduction_fen", 0),
            )
            for b in preset["bands"]
        ],
    )


COMMISSION_BASE_DEFAULT = "客服接待的询单成交订单实付金额，扣除退款订单和静默下单（静默单）"

METRICS = {
    # code: (label, unit, default comparison)
    "first_response_seconds": (N_("首次响应时间"), "秒", "lte"),
    "avg_response_seconds": (N_("平均响应时间"), "秒", "lte"),
    "reply_3min_rate": (N_("3分钟回复率"), "%", "gte"),
    "inquiry_conversion": (N_("询单转化率"), "%", "gte"),
    "satisfaction": (N_("客户满意度"), "%", "gte"),
    "dispute_refund_rate": (N_("纠纷退款率"), "%", "lte"),
    "response_delay_rate": (N_("响应延迟率"), "%", "lte"),
}
RATE_METRICS = {
    "reply_3min_rate",
    "inquiry_conversion",
    "satisfaction",
    "dispute_refund_rate",
    "response_delay_rate",
}
# How a metric is measured from the daily usage, as printed next to the clause.
MEASUREMENT_RULES = {
    "first_response_seconds": "按咨询量加权的月平均首次响应时间",
    "avg_response_seconds": "按咨询量加权的月平均响应时间",
    "reply_3min_rate": "按咨询量加权的月 3 分钟回复率",
    "inquiry_conversion": "按咨询量加权的月询单转化率",
    "satisfaction": "按咨询量加权的月满意度",
    "dispute_refund_rate": "按咨询量加权的月纠纷退款率",
    "response_delay_rate": "100% 减去按咨询量加权的月 3 分钟回复率（3 分钟内未回复的咨询占比）",
}
COMPARISONS = {"lte": N_("不高于"), "gte": N_("不低于")}

# Presets from docs/domain.md ("Contract terms seen"); staff pick them and edit the figures.
KPI_PRESETS: list[KpiPreset] = [
    {
        "key": "frt30",
        "label": N_("首次响应 ≤ 30 秒，未达标扣当月服务费 5%"),
        "metric": "first_response_seconds",
        "comparison": "lte",
        "deduction_kind": "percent",
        "bands": [{"threshold": 30, "deduction_bp": 500, "deduction_fen": 0}],
    },
    {
        "key": "art60",
        "label": N_("平均响应 ≤ 60 秒，未达标扣当月服务费 5%"),
        "metric": "avg_response_seconds",
        "comparison": "lte",
        "deduction_kind": "percent",
        "bands": [{"threshold": 60, "deduction_bp": 500, "deduction_fen": 0}],
    },
    {
        "key": "delay",
        "label": N_("响应延迟率超 10% 扣当月服务费 5%，超 20% 扣 15%"),
        "metric": "response_delay_rate",
        "comparison": "lte",
        "deduction_kind": "percent",
        "bands": [
            {"threshold": 1000, "deduction_bp": 500, "deduction_fen": 0},
            {"threshold": 2000, "deduction_bp": 1500, "deduction_fen": 0},
        ],
    },
    {
        "key": "conv15",
        "label": N_("询单转化率 ≥ 15%，未达标扣 5%"),
        "metric": "inquiry_conversion",
        "comparison": "gte",
        "deduction_kind": "percent",
        "bands": [{"threshold": 1500, "deduction_bp": 500, "deduction_fen": 0}],
    },
    {
        "key": "sat90",
        "label": N_("好评率/满意度 ≥ 90%，未达标扣 ¥1,000"),
        "metric": "satisfaction",
        "comparison": "gte",
        "deduction_kind": "fixed",
        "bands": [{"threshold": 9000, "deduction_bp": 0, "deduction_fen": 100_000}],
    },
    {
        "key": "jdsat80",
        "label": N_("京东：月满意度 ≥ 80%，未达标扣 5%"),
        "metric": "satisfaction",
        "comparison": "gte",
        "deduction_kind": "percent",
        "bands": [{"threshold": 8000, "deduction_bp": 500, "deduction_fen": 0}],
    },
    {
        "key": "dispute",
        "label": N_("纠纷退款率 ≤ 1%，未达标扣 5%"),
        "metric": "dispute_refund_rate",
        "comparison": "lte",
        "deduction_kind": "percent",
        "bands": [{"threshold": 100, "deduction_bp": 500, "deduction_fen": 0}],
    },
]
PRESETS_BY_KEY = {p["key"]: p for p in KPI_PRESETS}


def _same(text: str) -> str:
    return text


# The words below are Chinese (the documents' language) unless a page passes its ``gettext``.
def format_threshold(metric: str, threshold: int, gettext: Callable[[str], str] = _same) -> str:
    if metric in RATE_METRICS:
        return format_bp(threshold)
    return gettext(N_("%(n)s 秒")) % {"n": threshold}


def _deduction_text(deduction_kind: str, band: BandTerms, gettext: Callable[[str], str] = _same) -> str:
    if deduction_kind == "percent":
        return gettext(N_("扣当期服务费 %(rate)s")) % {"rate": format_bp(band.get("deduction_bp", 0))}
    return gettext(N_("扣 %(amount)s")) % {"amount": format_fen(band.get("deduction_fen", 0))}


def band_label(metric: str, comparison: str, threshold: int, gettext: Callable[[str], str] = _same) -> str:
    """A band's trigger in words, e.g. "高于 10%" (strict: at exactly the threshold it is met)."""
    text = N_("高于 %(threshold)s") if comparison == "lte" else N_("低于 %(threshold)s")
    return gettext(text) % {"threshold": format_threshold(metric, threshold, gettext)}


def describe_kpi(
    metric: str,
    comparison: str,
    deduction_kind: str,
    bands: list[BandTerms],
    gettext: Callable[[str], str] = _same,
) -> str:
    """One line a client reads, e.g. "首次响应时间不高于 30 秒；未达标扣当期服务费 5%", or for a scale
    "响应延迟率不高于 10%；高于 10% 扣当期服务费 5%，高于 20% 扣当期服务费 15%（按达到的最高一档扣款，不累加）"."""
    label = gettext(METRICS[metric][0])
    if not bands:
        return label
    target = gettext(N_("%(metric)s%(comparison)s %(threshold)s")) % {
        "metric": label,
        "comparison": gettext(COMPARISONS[comparison]),
        "threshold": format_threshold(metric, bands[0]["threshold"], gettext),
    }
    if len(bands) == 1:
        return gettext(N_("%(target)s；未达标%(deduction)s")) % {
            "target": target,
            "deduction": _deduction_text(deduction_kind, bands[0], gettext),
        }
    scale = gettext(N_("，")).join(
        f"{band_label(metric, comparison, b['threshold'], gettext)} {_deduction_text(deduction_kind, b, gettext)}"
        for b in bands
    )
    return gettext(N_("%(target)s；%(scale)s（按达到的最高一档扣款，不累加）")) % {
        "target": target,
        "scale": scale,
    }


def _discounted(amount: int, discount_bp: int) -> int:
    return round_fen(Decimal(amount) * (10_000 - discount_bp) / 10_000)


def freeze_terms(
    quote_terms: dict[str, Any], extras_catalogue: dict[str, CatalogueExtra] | None = None
) -> ContractTerms:
    """The contract's own copy of an accepted quote's pricing terms.

    Seat rates become effective monthly rates per seat (fen): rate × every multiplier × (1 − discount),
    rounded once per seat. Per-consult prices keep their tiers with one combined multiplier; the
    commission rate and extras carry the discount too. Nothing here points back to the quote.
    """
    discount = quote_terms.get("discount_bp", 0)
    base_multipliers = [quote_terms.get(k, 10_000) for k in ("complexity_bp", "category_bp", "platform_bp")]
    seats: list[SeatTerms] = []
    for s in quote_terms.get("seats", []):
        amount = Decimal(s["monthly_rate_fen"])
        for m in (*base_multipliers, s.get("shift_bp", 10_000)):
            amount = amount * m / 10_000
        amount = amount * (10_000 - discount) / 10_000
        row: SeatTerms = {
            "scope": s["scope"],
            "shift": s["shift"],
            "seats": s["seats"],
            "monthly_rate_fen": round_fen(amount),
        }
        # The row's total rounded once, as the quote's line is (not seats × the rounded rate).
        total = round_fen(amount * s["seats"])
        if total != row["seats"] * row["monthly_rate_fen"]:
            row["monthly_total_fen"] = total
        seats.append(row)
    consult_multiplier = Decimal(10_000)
    for m in base_multipliers:
        consult_multiplier = consult_multiplier * m / 10_000
    consult_multiplier = consult_multiplier * (10_000 - discount) / 10_000
    commission = round_fen(Decimal(quote_terms.get("commission_rate_bp", 0)) * (10_000 - discount) / 10_000)
    extras: list[ExtraTerms] = [
        {
            "code": e.get("code") or e.get("key", ""),  # quotes keep the rate-card code as "key"
            "label": e["label"],
            "unit": e["unit"],
            "quantity": e["quantity"],
            "unit_price_fen": _discounted(e["unit_price_fen"], discount),
        }
        for e in quote_terms.get("extras", [])
    ]
    return {
        "model": quote_terms["model"],
        "seats": seats,
        "commission_rate_bp": commission,
        "commission_base": COMMISSION_BASE_DEFAULT if quote_terms["model"] == "base_commission" else "",
        "tier_mode": quote_terms.get("tier_mode", "graduated")
        if quote_terms["model"] == "per_consult"
        else "",
        "tiers": quote_terms.get("tiers", []) if quote_terms["model"] == "per_consult" else [],
        "consult_multiplier_bp": round_fen(consult_multiplier)
        if quote_terms["model"] == "per_consult"
        else 10_000,
        "monthly_minimum_fen": quote_terms.get("monthly_minimum_fen", 0)
        if quote_terms["model"] == "per_consult"
        else 0,
        "extras": extras,
        "discount_bp": discount,
        "extras_catalogue": extras_catalogue or {},
    }


def seat_row_total_fen(seat: SeatTerms) -> int:
    """A seat row's monthly total (fen): its frozen total when it has one, else seats × rate."""
    total = seat.get("monthly_total_fen")
    return total if total is not None else seat["seats"] * seat["monthly_rate_fen"]


def seat_remainder_fen(seat: SeatTerms) -> int:
    """What one seat of the row costs more (or, negative, less) than the stated rate (fen)."""
    return seat_row_total_fen(seat) - seat["seats"] * seat["monthly_rate_fen"]


def validate_terms(terms: ContractTerms) -> list[str]:
    """Every problem in the pricing terms billing reads, in Chinese (empty list = valid)."""
    model = terms.get("model")
    if model not in pricing.MODELS:
        return ["计价模式无效"]
    errors = _seat_errors(model, terms.get("seats") or [])
    errors += _commission_errors(model, terms.get("commission_rate_bp", 0))
    if model == "per_consult":
        errors += _per_consult_errors(terms)
    minimum = terms.get("monthly_minimum_fen", 0)
    if not isinstance(minimum, int) or minimum < 0:
        errors.append("月度最低消费必须是不小于 0 的金额")
    errors += _extra_errors(terms.get("extras") or [])
    return errors


def _seat_errors(model: str, seats: list[SeatTerms]) -> list[str]:
    errors: list[str] = []
    if model in ("fixed_seat", "base_commission") and (
        not seats or sum(s.get("seats", 0) for s in seats) <= 0
    ):
        errors.append("该计价模式至少需要 1 个席位")
    for i, s in enumerate(seats, 1):
        if s.get("scope") not in pricing.SCOPES or s.get("shift") not in pricing.SHIFTS:
            errors.append(f"第 {i} 行席位的服务范围或班次无效")
        if not isinstance(s.get("seats"), int) or s["seats"] < 0:
            errors.append(f"第 {i} 行席位数必须是不小于 0 的整数")
        if not isinstance(s.get("monthly_rate_fen"), int) or s["monthly_rate_fen"] < 0:
            errors.append(f"第 {i} 行席位月价必须是不小于 0 的金额")
        total = s.get("monthly_total_fen")
        if total is not None and (not isinstance(total, int) or total < 0):
            errors.append(f"第 {i} 行席位月合计必须是不小于 0 的金额")
    return errors


def _commission_errors(model: str, rate: object) -> list[str]:
    if not isinstance(rate, int) or not 0 <= rate <= 10_000:
        return ["提成比例必须在 0% 到 100% 之间"]
    if model == "base_commission" and rate == 0:
        return ["底薪+提成模式的提成比例必须大于 0"]
    return []


def _per_consult_errors(terms: ContractTerms) -> list[str]:
    errors: list[str] = []
    if terms.get("tier_mode") not in ("graduated", "volume", "band", "daily_allowance"):
        errors.append("阶梯计价方式无效")
    try:
        tiers = pricing.tiers_from_data(terms.get("tiers") or [])
        if terms.get("tier_mode") == "daily_allowance":
            pricing.daily_allowance_terms(tiers)
    except (ValueError, TypeError) as exc:
        errors.append(f"咨询量阶梯：{exc}")
    multiplier = terms.get("consult_multiplier_bp")
    if not isinstance(multiplier, int) or not 1 <= multiplier <= MAX_MULTIPLIER_BP:
        errors.append("咨询计价系数无效")
    return errors


def _extra_errors(extras: list[ExtraTerms]) -> list[str]:
    return [
        f"第 {i} 项附加费的数量或单价无效"
        for i, e in enumerate(extras, 1)
        if not isinstance(e.get("quantity"), int)
        or e["quantity"] < 0
        or not isinstance(e.get("unit_price_fen"), int)
        or e["unit_price_fen"] < 0
    ]


def validate_kpi(metric: str, comparison: str, deduction_kind: str, bands: list[BandTerms]) -> list[str]:
    """Every problem in one clause (empty list = valid): thresholds strictly increasing towards worse
    (up for "lower is better", down for "higher is better"), deductions strictly increasing."""
    errors = []
    if metric not in METRICS:
        errors.append("考核指标无效")
    if comparison not in COMPARISONS:
        errors.append("比较方式无效")
    if deduction_kind not in ("percent", "fixed"):
        errors.append("扣款方式无效")
    if not bands:
        errors.append("至少需要一档扣款")
    for i, band in enumerate(bands, 1):
        errors += [f"第 {i} 档：{e}" for e in _band_errors(metric, deduction_kind, band)]
    if errors:
        return errors
    percent = deduction_kind == "percent"
    for i, (before, after) in enumerate(itertools.pairwise(bands), 2):
        worse = after["threshold"] > before["threshold"]
        if after["threshold"] == before["threshold"] or worse != (comparison == "lte"):
            direction = "高" if comparison == "lte" else "低"
            errors.append(
                f"第 {i} 档的目标值必须比第 {i - 1} 档更{direction}（各档从达标线往更差的方向排列）"
            )
        if _deduction(after, percent) <= _deduction(before, percent):
            errors.append(f"第 {i} 档的扣款必须大于第 {i - 1} 档")
    return errors


def _deduction(band: BandTerms, percent: bool) -> int:
    return band.get("deduction_bp", 0) if percent else band.get("deduction_fen", 0)


def _band_errors(metric: str, deduction_kind: str, band: BandTerms) -> list[str]:
    errors = []
    threshold = band.get("threshold")
    if not isinstance(threshold, int):
        return ["目标值无效"]
    if metric in RATE_METRICS and not 0 <= threshold <= 10_000:
        errors.append("比率类指标的目标必须在 0% 到 100% 之间")
    if metric not in RATE_METRICS and threshold <= 0:
        errors.append("时间类指标的目标必须大于 0 秒")
    if deduction_kind == "percent" and not 0 < band.get("deduction_bp", 0) <= 10_000:
        errors.append("按比例扣款必须在 0% 到 100% 之间且大于 0")
    if deduction_kind == "fixed" and band.get("deduction_fen", 0) <= 0:
        errors.append("固定扣款金额必须大于 0")
    return errors
