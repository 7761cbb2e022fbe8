"""Rate-card data: the shipped sample defaults, validation, and quote terms built from needs.

Pure: no Flask, no database. A rate card is a JSON-able dict:

- ``seat_rates_fen[scope][shift]`` and ``base_rates_fen[scope][shift]``: monthly rate per seat (fen)
  for fixed seats, and the base pay per seat for base + commission;
- ``multipliers``: ``complexity`` ("1".."5"), ``platform`` (platform code), ``category`` (类目 name),
  ``shift`` (shift code), all in basis points (10000 = ×1.00);
- ``consult_tiers``: ``{"mode": "graduated"|"volume", "tiers": [...]}`` on monthly valid consults,
  and ``band_tiers``: flat monthly fees by average daily consults (tier dicts as in
  ``pricing.tiers_from_data``: yuan as decimal strings);
- ``commission``: ``min_bp``/``default_bp``/``max_bp``; ``extras_fen``: extra sub-account per month,
  holiday allowance per person-day, temporary staff per person-shift-day;
- ``monthly_minimum_fen``, ``consults_per_agent_day`` (the staffing fallback rule),
  ``discount_threshold_bp`` (a larger discount needs a manager's approval), ``default_valid_days``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ops.money import MAX_MULTIPLIER_BP, format_fen, to_fen
from ops.quotes import pricing, staffing
from ops.vocab import N_, PLATFORM_CODES, PLATFORMS, SCOPE_CODES, SHIFT_CODES, register

SAMPLE_LABEL = "示例默认价目：依据公开市场报价区间整理，仅供参考，请按本公司实际价格修改后发布"

STATUS_LABELS = register(
    "rate_card_status", {"draft": N_("草稿"), "published": N_("已发布"), "archived": N_("已归档")}
)
PLATFORM_NAMES = PLATFORMS  # Chinese names as the pages and documents print them
EXTRA_LABELS = {
    "extra_subaccount_month": (N_("额外子账号"), "个/月"),
    "holiday_person_day": (N_("节假日补贴"), "人·天"),
    "temp_person_shift_day": (N_("临时/大促客服"), "人·班·天"),
}
# Extras a contract bills every month (quantity × unit price). Holiday allowance and promotion staff
# happen on dates: the contract records them as dated extras (ops.billing.services.extras), billed
# for their days; their catalogue prices stay here as the default price of such an entry.
MONTHLY_EXTRA_CODES = ("extra_subaccount_month",)
DATED_EXTRA_CODES = ("holiday_person_day", "temp_person_shift_day")

# Figures from docs/domain.md ("Pricing models"): dedicated seat 4,500–5,500 per month,
# after-sales 5,000–6,000, base 1,500–2,000 + 1–3 %, bands <50/day 1,500, 50–100 2,000,
# 100–150 3,000, per consult 0.5–3 yuan cheaper at volume, extra sub-account 200/month,
# holiday 200/person-day, temporary staff 200–400/shift-day, night +30 %, 24 h ×2, PDD 15–20 % cheaper.
DEFAULT_RATE_CARD: dict = {
    "label": SAMPLE_LABEL,
    "seat_rates_fen": {
        "presales": {"day": 500_000, "evening": 500_000, "night": 500_000, "full": 500_000},
        "aftersales": {"day": 550_000, "evening": 550_000, "night": 550_000, "full": 550_000},
    },
    "base_rates_fen": {
        "presales": {"day": 180_000, "evening": 180_000, "night": 180_000, "full": 180_000},
        "aftersales": {"day": 200_000, "evening": 200_000, "night": 200_000, "full": 200_000},
    },
    "multipliers": {
        "complexity": {"1": 9_500, "2": 10_000, "3": 10_500, "4": 11_000, "5": 12_000},
        "platform": {
            "taobao": 10_000,
            "tmall": 10_000,
            "jd": 10_000,
            "pdd": 8_300,
            "kuaishou": 9_500,
            "douyin": 10_000,
        },
        "category": {
            "服饰鞋包": 10_000,
            "美妆个护": 10_500,
            "食品生鲜": 10_000,
            "母婴玩具": 10_500,
            "家居家纺": 10_000,
            "3C数码": 11_500,
            "家用电器": 11_500,
            "运动户外": 10_000,
            "珠宝配饰": 11_000,
            "医药保健": 12_000,
        },
        "shift": {"day": 10_000, "evening": 13_000, "night": 13_000, "full": 20_000},
    },
    "consult_tiers": {
        "mode": "graduated",
        "tiers": [
            {"up_to": 3_000, "unit_price": "2.00", "flat_fee": "0"},
            {"up_to": 10_000, "unit_price": "1.50", "flat_fee": "0"},
            {"up_to": 30_000, "unit_price": "1.00", "flat_fee": "0"},
            {"up_to": None, "unit_price": "0.60", "flat_fee": "0"},
        ],
    },
    "band_tiers": [
        {"up_to": 49, "unit_price": "0", "flat_fee": "1500"},
        {"up_to": 99, "unit_price": "0", "flat_fee": "2000"},
        {"up_to": 149, "unit_price": "0", "flat_fee": "3000"},
        {"up_to": None, "unit_price": "0", "flat_fee": "4500"},
    ],
    "commission": {"min_bp": 100, "default_bp": 200, "max_bp": 400},
    "extras_fen": {
        "extra_subaccount_month": 20_000,
        "holiday_person_day": 20_000,
        "temp_person_shift_day": 30_000,
    },
    "monthly_minimum_fen": 150_000,
    "consults_per_agent_day": 200,
    "discount_threshold_bp": 1_000,
    "default_valid_days": 30,
}


def default_rate_card() -> dict:
    """A fresh copy of the shipped sample defaults."""
    return copy.deepcopy(DEFAULT_RATE_CARD)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_rate_card(data: dict) -> list[str]:
    """Every problem with a rate card, in Chinese; an empty list means it can be published."""
    errors: list[str] = []
    for check in (_check_rates, _check_multipliers, _check_tiers, _check_commission, _check_figures):
        errors.extend(check(data))
    return errors


def _check_rates(data: dict) -> list[str]:
    """Seat rates and base pay: a monthly amount for every scope × shift."""
    errors = []
    for key, label in (("seat_rates_fen", "席位价"), ("base_rates_fen", "底薪")):
        grid = data.get(key) or {}
        for scope in SCOPE_CODES:
            for shift in SHIFT_CODES:
                value = (grid.get(scope) or {}).get(shift)
                if not _is_int(value) or value < 0:
                    errors.append(
                        f"{label}：{pricing.SCOPES[scope]}{pricing.SHIFTS[shift]}的月价必须是不小于 0 的金额"
                    )
    return errors


_MULTIPLIER_NAMES = {
    "complexity": "复杂度系数",
    "platform": "平台系数",
    "shift": "班次系数",
    "category": "类目系数",
}


def _check_multipliers(data: dict) -> list[str]:
    errors = []
    multipliers = data.get("multipliers") or {}
    required = {"complexity": ("1", "2", "3", "4", "5"), "platform": PLATFORM_CODES, "shift": SHIFT_CODES}
    for group, name in _MULTIPLIER_NAMES.items():
        values = multipliers.get(group) or {}
        errors += [f"{name}缺少“{key}”" for key in required.get(group, ()) if key not in values]
        errors += [
            f"{name}“{key}”必须在 0.0001 到 10 之间"
            for key, value in values.items()
            if not _is_int(value) or not 1 <= value <= MAX_MULTIPLIER_BP
        ]
    return errors


def _check_tiers(data: dict) -> list[str]:
    errors = []
    tiers = data.get("consult_tiers") or {}
    if tiers.get("mode") not in ("graduated", "volume", "daily_allowance"):
        errors.append("按咨询量计价的阶梯方式必须是“累进阶梯”“总量阶梯”或“每日包量”")
    elif tiers.get("mode") == "daily_allowance":
        try:
            pricing.daily_allowance_terms(pricing.tiers_from_data(tiers.get("tiers") or []))
        except (ValueError, TypeError) as exc:
            errors.append(f"咨询量阶梯：{exc}")
    for raw, label in ((tiers.get("tiers"), "咨询量阶梯"), (data.get("band_tiers"), "日均咨询包月档")):
        try:
            pricing.tiers_from_data(raw or [])
        except (ValueError, TypeError) as exc:
            errors.append(f"{label}：{exc}")
    return errors


def _check_commission(data: dict) -> list[str]:
    commission = data.get("commission") or {}
    low, default, high = (commission.get(k) for k in ("min_bp", "default_bp", "max_bp"))
    if (
        not all(_is_int(v) and 0 <= v <= pricing.MAX_PERCENT_BP for v in (low, default, high))
        or not low <= default <= high
    ):
        return ["提成比例必须满足 0% ≤ 最低 ≤ 默认 ≤ 最高 ≤ 100%"]
    return []


def _check_figures(data: dict) -> list[str]:
    """Extras, the monthly minimum, the staffing rule, validity and the approval threshold."""
    extras = data.get("extras_fen") or {}
    errors = [
        f"附加费“{label}”必须是不小于 0 的金额"
        for key, (label, _unit) in EXTRA_LABELS.items()
        if not _is_int(extras.get(key)) or extras.get(key) < 0
    ]
    for key, label, minimum in (
        ("monthly_minimum_fen", "月度最低消费", 0),
        ("consults_per_agent_day", "每人每天咨询量", 1),
        ("default_valid_days", "报价有效天数", 1),
    ):
        if not _is_int(data.get(key)) or data.get(key) < minimum:
            errors.append(f"{label}必须是不小于 {minimum} 的整数")
    threshold = data.get("discount_threshold_bp")
    if not _is_int(threshold) or not 0 <= threshold <= pricing.MAX_PERCENT_BP:
        errors.append("需经理审批的折扣阈值必须在 0% 到 100% 之间")
    return errors


@dataclass(frozen=True)
class NeedsInput:
    """The parts of a client's needs that pricing reads (plain values)."""

    platform: str
    scope: str  # presales / aftersales / both
    shifts: tuple[str, ...]
    avg_daily_consults: int
    category: str = ""
    complexity: int = 3
    peak_hour_share_bp: int | None = None
    aht_seconds: int | None = None
    concurrency: int | None = None
    sl_target_bp: int | None = None
    sl_answer_seconds: int | None = None
    avg_order_value_fen: int | None = None
    inquiry_conversion_bp: int | None = None


AFTERSALES_SHARE_BP = 3_000  # scope "both": after-sales seats ≈ 30 % of pre-sales seats, at least 1 per shift


def expected_monthly_gmv_fen(needs: NeedsInput, days: int = 30) -> int:
    """Served sales per month the commission applies to: consults × conversion × order value (fen)."""
    if not needs.avg_order_value_fen or not needs.inquiry_conversion_bp:
        return 0
    return needs.avg_daily_consults * days * needs.inquiry_conversion_bp * needs.avg_order_value_fen // 10_000


def build_terms(needs: NeedsInput, card: dict, model: str) -> tuple[dict, list[str]]:
    """Default quote terms (JSON-able) for ``model`` from the needs and a rate card.

    Returns the terms and the staffing explanations (one per shift). Staff may adjust the terms
    before sending; ``terms_to_pricing`` turns them into ``pricing.QuoteTerms``.
    """
    if model not in pricing.MODELS:
        raise ValueError(f"未知的计价模式：{model}")
    shifts = tuple(needs.shifts) or ("day",)
    multipliers = card["multipliers"]
    per_shift_consults = math.ceil(needs.avg_daily_consults / len(shifts))
    seats: list[dict] = []
    explanations: list[str] = []
    rates_key = "base_rates_fen" if model == "base_commission" else "seat_rates_fen"
    for shift in shifts:
        result = staffing.recommend_seats(
            needs.avg_daily_consults if _has_erlang_inputs(needs) else per_shift_consults,
            needs.peak_hour_share_bp,
            needs.aht_seconds,
            needs.concurrency,
            needs.sl_target_bp,
            needs.sl_answer_seconds,
            card["consults_per_agent_day"],
        )
        presales = max(result.seats, 1 if needs.avg_daily_consults > 0 else 0)
        explanations.append(f"{pricing.SHIFTS[shift]}：{result.explanation}")
        scopes: list[tuple[str, int]]
        if needs.scope == "aftersales":
            scopes = [("aftersales", presales)]
        elif needs.scope == "both":
            after = max(1, math.ceil(presales * AFTERSALES_SHARE_BP / 10_000))
            scopes = [("presales", presales), ("aftersales", after)]
            explanations.append(f"{pricing.SHIFTS[shift]}售后：按售前席位的 30% 配置 {after} 人（至少 1 人）")
        else:
            scopes = [("presales", presales)]
        for scope, count in scopes:
            seats.append(
                {
                    "scope": scope,
                    "shift": shift,
                    "seats": count,
                    "monthly_rate_fen": card[rates_key][scope][shift],
                    "shift_bp": multipliers["shift"].get(shift, 10_000),
                }
            )
    terms = {
        "model": model,
        "seats": seats if model != "per_consult" else [],
        "complexity": needs.complexity,
        "complexity_bp": multipliers["complexity"].get(str(needs.complexity), 10_000),
        "category": needs.category,
        "category_bp": multipliers.get("category", {}).get(needs.category, 10_000),
        "platform": PLATFORM_NAMES.get(needs.platform, needs.platform),
        "platform_bp": multipliers["platform"].get(needs.platform, 10_000),
        "commission_rate_bp": card["commission"]["default_bp"] if model == "base_commission" else 0,
        "expected_monthly_gmv_fen": expected_monthly_gmv_fen(needs) if model == "base_commission" else 0,
        "monthly_consults": needs.avg_daily_consults * 30,
        "average_daily_consults": needs.avg_daily_consults,
        "tier_mode": card["consult_tiers"]["mode"],
        "tiers": card["consult_tiers"]["tiers"],
        "monthly_minimum_fen": card["monthly_minimum_fen"] if model == "per_consult" else 0,
        "extras": [],
        "discount_bp": 0,
    }
    if model != "per_consult":
        terms["tiers"] = []
    return terms, explanations


def _has_erlang_inputs(needs: NeedsInput) -> bool:
    return all(
        v and v > 0
        for v in (
            needs.peak_hour_share_bp,
            needs.aht_seconds,
            needs.concurrency,
            needs.sl_target_bp,
            needs.sl_answer_seconds,
        )
    )


def terms_to_pricing(terms: dict) -> pricing.QuoteTerms:
    """JSON terms (as stored on a quote or contract) -> ``pricing.QuoteTerms``."""
    return pricing.QuoteTerms(
        model=terms["model"],
        seats=tuple(
            pricing.SeatRequest(
                s["scope"], s["shift"], s["seats"], s["monthly_rate_fen"], s.get("shift_bp", 10_000)
            )
            for s in terms.get("seats", [])
        ),
        complexity=terms.get("complexity", 3),
        complexity_bp=terms.get("complexity_bp", 10_000),
        category=terms.get("category", ""),
        category_bp=terms.get("category_bp", 10_000),
        platform=terms.get("platform", ""),
        platform_bp=terms.get("platform_bp", 10_000),
        commission_rate_bp=terms.get("commission_rate_bp", 0),
        expected_monthly_gmv_fen=terms.get("expected_monthly_gmv_fen", 0),
        monthly_consults=terms.get("monthly_consults", 0),
        average_daily_consults=terms.get("average_daily_consults", 0),
        tiers=pricing.tiers_from_data(terms["tiers"]) if terms.get("tiers") else (),
        tier_mode=terms.get("tier_mode", "graduated"),
        monthly_minimum_fen=terms.get("monthly_minimum_fen", 0),
        extras=tuple(
            pricing.Extra(e["label"], e["quantity"], e["unit"], e["unit_price_fen"])
            for e in terms.get("extras", [])
        ),
        discount_bp=terms.get("discount_bp", 0),
    )


def result_to_json(result: pricing.QuoteResult) -> list[dict]:
    """Quote lines as JSON-able dicts (quantity as a decimal string)."""
    return [
        {
            "kind": line.kind,
            "description": line.description,
            "quantity": str(line.quantity),
            "unit": line.unit,
            "amount_fen": line.amount_fen,
            "explanation": line.explanation,
        }
        for line in result.lines
    ]


# --- Helpers for the rate-card editor and pages (pure) -------------------------------------------

TIER_MODE_EXPLANATIONS = {
    "graduated": N_("累进阶梯：每一档内的咨询量按该档单价计费，超出部分进入下一档（类似个税累进）"),
    "volume": N_("总量阶梯：当月全部有效咨询量按总量所落入那一档的单价计费"),
    "daily_allowance": N_(
        "每日包量：两档——第 1 档上限为每日包含的有效咨询量、固定费为月固定费（单价 0）；"
        "第 2 档不设上限、单价为超出部分每次的价格（固定费 0）；超出量按日计算"
    ),
}


def yuan_text(value) -> str:
    """A tier price (yuan as a decimal string or int) as "¥1,500.00"; more decimals are kept ("¥0.125")."""
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return str(value)
    if not amount.is_finite():
        return str(value)
    if amount == amount.quantize(Decimal("0.01")):
        return format_fen(to_fen(amount))
    return f"¥{amount:,f}"


def _count(n: int) -> str:
    return f"{n:,}"


def _same(text: str) -> str:
    return text


def describe_consult_tiers(tiers: list[dict], gettext: Callable[[str], str] = _same) -> list[str]:
    """Consult tiers in words: ["1–3,000 次：¥2.00/次", …, "30,001 次以上：¥0.60/次"] (Chinese, the
    documents' language, unless a page passes its ``gettext``)."""
    lines = []
    lower = 1
    for tier in tiers:
        up_to = tier.get("up_to")
        price = yuan_text(tier.get("unit_price", "0"))
        if up_to is None:
            text = gettext(N_("%(lower)s 次以上：%(price)s/次")) % {"lower": _count(lower), "price": price}
        else:
            text = gettext(N_("%(lower)s–%(upper)s 次：%(price)s/次")) % {
                "lower": _count(lower),
                "upper": _count(up_to),
                "price": price,
            }
        if Decimal(str(tier.get("flat_fee") or "0")) != 0:
            text += gettext(N_("，另加固定费 %(fee)s")) % {"fee": yuan_text(tier["flat_fee"])}
        lines.append(text)
        if up_to is None:
            break
        lower = up_to + 1
    return lines


def describe_daily_allowance(tiers: list[dict], gettext: Callable[[str], str] = _same) -> list[str]:
    """A daily allowance in words: ["月固定费 ¥3,000.00，每日含有效咨询 100 次", "超出部分：¥2.00/次（按日计）"]."""
    if len(tiers) != 2:
        return describe_consult_tiers(tiers, gettext)
    included, above = tiers
    return [
        gettext(N_("月固定费 %(fee)s，每日含有效咨询 %(n)s 次"))
        % {"fee": yuan_text(included.get("flat_fee", "0")), "n": _count(included.get("up_to") or 0)},
        gettext(N_("超出部分：%(price)s/次（按日计）")) % {"price": yuan_text(above.get("unit_price", "0"))},
    ]


def describe_band_tiers(tiers: list[dict], gettext: Callable[[str], str] = _same) -> list[str]:
    """Monthly bands by average daily consults: ["日均 0–49 次：¥1,500.00/月", …, "日均 150 次以上：…"]."""
    lines = []
    lower = 0
    for tier in tiers:
        up_to = tier.get("up_to")
        fee = yuan_text(tier.get("flat_fee", "0"))
        if up_to is None:
            lines.append(
                gettext(N_("日均 %(lower)s 次以上：%(fee)s/月")) % {"lower": _count(lower), "fee": fee}
            )
            break
        lines.append(
            gettext(N_("日均 %(lower)s–%(upper)s 次：%(fee)s/月"))
            % {"lower": _count(lower), "upper": _count(up_to), "fee": fee}
        )
        lower = up_to + 1
    return lines
