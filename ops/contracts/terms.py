"""Contract terms: their typed shape, freezing a quote's terms, validating what billing reads, KPI presets.

Pure: no Flask, no database. Money in fen, rates and multipliers in basis points.

``Contract.terms`` is JSON; ``ContractTerms`` is its shape (what ``freeze_terms`` writes and the
contract pages, the PDF and billing read). Keys may be missing in hand-made or older terms, so
readers use ``.get`` with the defaults below; only ``model`` is always there.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Required, TypedDict

from ops.money import MAX_MULTIPLIER_BP, format_bp, format_fen, round_fen
from ops.quotes import pricing


class SeatTerms(TypedDict):
    """One seat row: ``seats`` agents of ``scope`` × ``shift`` at an effective monthly rate per seat."""

    scope: str  # ops.vocab.SCOPE_CODES
    shift: str  # ops.vocab.SHIFT_CODES
    seats: int
    monthly_rate_fen: int


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


class KpiTerms(TypedDict, total=False):
    """One KPI clause as a row (a preset, a form row, ``services.set_kpis``'s input)."""

    metric: Required[str]  # METRICS
    comparison: Required[str]  # COMPARISONS
    threshold: Required[int]  # seconds, or basis points for RATE_METRICS
    deduction_kind: Required[str]  # percent | fixed
    deduction_bp: int
    deduction_fen: int
    note: str


class KpiPreset(KpiTerms):
    key: str
    label: str


KPI_FIELDS = ("metric", "comparison", "threshold", "deduction_kind", "deduction_bp", "deduction_fen")


def kpi_from_preset(preset: KpiPreset) -> KpiTerms:
    """A preset's clause without its key and label."""
    return KpiTerms(
        metric=preset["metric"],
        comparison=preset["comparison"],
        threshold=preset["threshold"],
        deduction_kind=preset["deduction_kind"],
        deduction_bp=preset.get("deduction_bp", 0),
        deduction_fen=preset.get("deduction_fen", 0),
    )


COMMISSION_BASE_DEFAULT = "客服接待的询单成交订单实付金额，扣除退款订单和静默下单（静默单）"

METRICS = {
    # code: (label, unit, default comparison)
    "first_response_seconds": ("首次响应时间", "秒", "lte"),
    "avg_response_seconds": ("平均响应时间", "秒", "lte"),
    "reply_3min_rate": ("3分钟回复率", "%", "gte"),
    "inquiry_conversion": ("询单转化率", "%", "gte"),
    "satisfaction": ("客户满意度", "%", "gte"),
    "dispute_refund_rate": ("纠纷退款率", "%", "lte"),
}
RATE_METRICS = {"reply_3min_rate", "inquiry_conversion", "satisfaction", "dispute_refund_rate"}
COMPARISONS = {"lte": "不高于", "gte": "不低于"}

# Presets from docs/domain.md ("Contract terms seen"); staff pick them and edit the figures.
KPI_PRESETS: list[KpiPreset] = [
    {
        "key": "frt30",
        "label": "首次响应 ≤ 30 秒，未达标扣当月服务费 5%",
        "metric": "first_response_seconds",
        "comparison": "lte",
        "threshold": 30,
        "deduction_kind": "percent",
        "deduction_bp": 500,
        "deduction_fen": 0,
    },
    {
        "key": "art60",
        "label": "平均响应 ≤ 60 秒，未达标扣当月服务费 5%",
        "metric": "avg_response_seconds",
        "comparison": "lte",
        "threshold": 60,
        "deduction_kind": "percent",
        "deduction_bp": 500,
        "deduction_fen": 0,
    },
    {
        "key": "reply90",
        "label": "3分钟回复率 ≥ 90%（延迟率超 10%），未达标扣 5%",
        "metric": "reply_3min_rate",
        "comparison": "gte",
        "threshold": 9000,
        "deduction_kind": "percent",
        "deduction_bp": 500,
        "deduction_fen": 0,
    },
    {
        "key": "reply80",
        "label": "3分钟回复率 ≥ 80%（延迟率超 20%），未达标扣 15%",
        "metric": "reply_3min_rate",
        "comparison": "gte",
        "threshold": 8000,
        "deduction_kind": "percent",
        "deduction_bp": 1500,
        "deduction_fen": 0,
    },
    {
        "key": "conv15",
        "label": "询单转化率 ≥ 15%，未达标扣 5%",
        "metric": "inquiry_conversion",
        "comparison": "gte",
        "threshold": 1500,
        "deduction_kind": "percent",
        "deduction_bp": 500,
        "deduction_fen": 0,
    },
    {
        "key": "sat90",
        "label": "好评率/满意度 ≥ 90%，未达标扣 ¥1,000",
        "metric": "satisfaction",
        "comparison": "gte",
        "threshold": 9000,
        "deduction_kind": "fixed",
        "deduction_bp": 0,
        "deduction_fen": 100_000,
    },
    {
        "key": "jdsat80",
        "label": "京东：月满意度 ≥ 80%，未达标扣 5%",
        "metric": "satisfaction",
        "comparison": "gte",
        "threshold": 8000,
        "deduction_kind": "percent",
        "deduction_bp": 500,
        "deduction_fen": 0,
    },
    {
        "key": "dispute",
        "label": "纠纷退款率 ≤ 1%，未达标扣 5%",
        "metric": "dispute_refund_rate",
        "comparison": "lte",
        "threshold": 100,
        "deduction_kind": "percent",
        "deduction_bp": 500,
        "deduction_fen": 0,
    },
]
PRESETS_BY_KEY = {p["key"]: p for p in KPI_PRESETS}


def format_threshold(metric: str, threshold: int) -> str:
    return format_bp(threshold) if metric in RATE_METRICS else f"{threshold} 秒"


def describe_kpi(
    metric: str, comparison: str, threshold: int, deduction_kind: str, deduction_bp: int, deduction_fen: int
) -> str:
    """One line a client reads, e.g. "首次响应时间不高于 30 秒；未达标扣当期服务费 5%"."""
    label = METRICS[metric][0]
    deduction = (
        f"扣当期服务费 {format_bp(deduction_bp)}"
        if deduction_kind == "percent"
        else f"扣 {format_fen(deduction_fen)}"
    )
    return f"{label}{COMPARISONS[comparison]} {format_threshold(metric, threshold)}；未达标{deduction}"


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
        seats.append(
            {
                "scope": s["scope"],
                "shift": s["shift"],
                "seats": s["seats"],
                "monthly_rate_fen": round_fen(amount),
            }
        )
    consult_multiplier = Decimal(10_000)
    for m in base_multipliers:
        consult_multiplier = consult_multiplier * m / 10_000
    consult_multiplier = consult_multiplier * (10_000 - discount) / 10_000
    commission = round_fen(Decimal(quote_terms.get("commission_rate_bp", 0)) * (10_000 - discount) / 10_000)
    extras: list[ExtraTerms] = [
        {
            "code": e.get("code", ""),
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


def validate_kpi(
    metric: str, comparison: str, threshold: int, deduction_kind: str, deduction_bp: int, deduction_fen: int
) -> list[str]:
    errors = []
    if metric not in METRICS:
        errors.append("考核指标无效")
    if comparison not in COMPARISONS:
        errors.append("比较方式无效")
    if metric in RATE_METRICS and not 0 <= threshold <= 10_000:
        errors.append("比率类指标的目标必须在 0% 到 100% 之间")
    if metric not in RATE_METRICS and threshold <= 0:
        errors.append("时间类指标的目标必须大于 0 秒")
    if deduction_kind == "percent" and not 0 < deduction_bp <= 10_000:
        errors.append("按比例扣款必须在 0% 到 100% 之间且大于 0")
    if deduction_kind == "fixed" and deduction_fen <= 0:
        errors.append("固定扣款金额必须大于 0")
    if deduction_kind not in ("percent", "fixed"):
        errors.append("扣款方式无效")
    return errors
