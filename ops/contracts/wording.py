"""Contract terms in words, for the pages and the PDF. Pure: no Flask, no database.

Money in fen, rates in basis points; every function returns the Chinese a client reads.
"""

from __future__ import annotations

from collections.abc import Callable

from ops.contracts.terms import METRICS, BandTerms, ContractTerms, SeatTerms, describe_kpi, seat_row_total_fen
from ops.contracts.terms import seat_remainder_fen as terms_seat_remainder_fen
from ops.i18n import N_
from ops.money import format_bp
from ops.quotes import pricing
from ops.ratecards.rules import describe_band_tiers, describe_consult_tiers, describe_daily_allowance

BILLING_CYCLES = {"monthly": N_("按月结算"), "quarterly": N_("按季结算")}
BILLING_TIMINGS = {"in_advance": N_("预付（先付费后服务）"), "in_arrears": N_("后付（先服务后结算）")}
DUE_RULES = {"day_of_next_month": N_("次月固定日"), "net_days": N_("开票后 N 天")}
INVOICE_TYPES = {"normal": N_("增值税普通发票（普票）"), "special": N_("增值税专用发票（专票）")}
DEPOSIT_USAGES = {
    "first_invoice": N_("抵扣首期服务费"),
    "last_invoice": N_("抵扣最后一期服务费"),
    "refund_at_end": N_("合同正常履行完毕后退还"),
}
DEPOSIT_OUTCOMES = {
    "applied": N_("已抵扣服务费"),
    "refunded": N_("已退还客户"),
    "forfeited": N_("因违约没收"),
}
MODELS = pricing.MODELS
TIER_MODES = pricing.TIER_MODES
METRIC_LABELS = {code: label for code, (label, _unit, _cmp) in METRICS.items()}


def _same(text: str) -> str:
    return text


# The functions below answer in Chinese (the documents); a page passes its ``_`` as ``gettext``.
Gettext = Callable[[str], str]


def due_text(rule: str, value: int, cycle: str = "monthly", gettext: Gettext = _same) -> str:
    """ "次月 5 日前" / "次季首月 5 日前" / "开票后 15 天内"."""
    if rule == "day_of_next_month":
        if cycle == "quarterly":
            return gettext(N_("次季首月 %(n)s 日前")) % {"n": value}
        return gettext(N_("次月 %(n)s 日前")) % {"n": value}
    return gettext(N_("开票后 %(n)s 天内")) % {"n": value}


def late_fee_text(bp_per_day: int, grace_days: int, gettext: Gettext = _same) -> str:
    """ "每日 0.05%，宽限 5 天" (or "不收滞纳金")."""
    if not bp_per_day:
        return gettext(N_("不收滞纳金"))
    rate = format_bp(bp_per_day)
    if grace_days:
        return gettext(N_("每日 %(rate)s，宽限 %(n)s 天")) % {"rate": rate, "n": grace_days}
    return gettext(N_("每日 %(rate)s，无宽限期")) % {"rate": rate}


def tax_text(rate_bp: int, include_tax: bool, gettext: Gettext = _same) -> str:
    """ "6%（含税）" / "6%（不含税）"."""
    text = N_("%(rate)s（含税）") if include_tax else N_("%(rate)s（不含税）")
    return gettext(text) % {"rate": format_bp(rate_bp)}


def kpi_text(kpi, gettext: Gettext = _same) -> str:
    """One KPI clause (a ContractKpi or any object with the same attributes) in words."""
    bands: list[BandTerms] = [
        {"threshold": b.threshold, "deduction_bp": b.deduction_bp, "deduction_fen": b.deduction_fen}
        for b in kpi.bands
    ]
    return describe_kpi(kpi.metric, kpi.comparison, kpi.deduction_kind, bands, gettext)


def kpi_cap_text(cap_bp: int, breakin_months: int, gettext: Gettext = _same) -> str:
    cap = gettext(N_("各项 KPI 扣款合计不超过当期服务费的 %(rate)s")) % {"rate": format_bp(cap_bp)}
    if breakin_months:
        rest = gettext(N_("合同开始后前 %(n)s 个月为磨合期，不做 KPI 考核")) % {"n": breakin_months}
    else:
        rest = gettext(N_("无磨合期"))
    return cap + gettext(N_("；")) + rest


def tier_lines(terms: ContractTerms, gettext: Gettext = _same) -> list[str]:
    """The per-consult price tiers in words (empty for other models)."""
    if terms.get("model") != "per_consult":
        return []
    tiers = terms.get("tiers") or []
    if terms.get("tier_mode") == "band":
        return describe_band_tiers(tiers, gettext)
    if terms.get("tier_mode") == "daily_allowance":
        return describe_daily_allowance(tiers, gettext)
    return describe_consult_tiers(tiers, gettext)


def seat_total_fen(seat: SeatTerms) -> int:
    """The row's monthly total (fen): seats × monthly rate per seat, or the total frozen from the
    quote when the rounding remainder lies on one seat (``terms.seat_row_total_fen``)."""
    return seat_row_total_fen(seat)


def seat_remainder_fen(seat: SeatTerms) -> int:
    """What one seat of the row differs from the stated rate (fen; 0 almost always)."""
    return terms_seat_remainder_fen(seat)


def seats_total_fen(seats: list[SeatTerms]) -> int:
    """The monthly total of every seat row (fen)."""
    return sum(seat_total_fen(s) for s in seats)


AUDIT_ACTIONS = {
    "contract.created": N_("由报价生成草稿"),
    "contract.updated": N_("修改条款"),
    "contract.kpis_set": N_("修改 KPI 条款"),
    "contract.clauses_set": N_("修改违约条款"),
    "contract.submitted": N_("提交签署"),
    "contract.returned_to_draft": N_("退回草稿"),
    "contract.activated": N_("合同生效"),
    "contract.terminated": N_("终止合同"),
    "contract.cancelled": N_("取消合同"),
    "contract.expired": N_("到期"),
    "contract.deposit_received": N_("定金到账"),
    "contract.deposit_applied": N_("定金抵扣"),
    "contract.deposit_released": N_("作废账单，定金恢复为已收"),
    "contract.deposit_rest_waived": N_("免收定金余额"),
    "contract.deposit_refunded": N_("定金退还"),
    "contract.deposit_forfeited": N_("定金没收"),
    "contract.signed_copy_uploaded": N_("上传签署件"),
    "contract.extra_entry_added": N_("登记按日附加费"),
    "contract.extra_entry_deleted": N_("删除按日附加费"),
}


def dunning_text(terms: ContractTerms) -> str:
    """The contract's payment-reminder days relative to the due date: "-3, +1, +7, +15"."""
    from ops.billing.engine.dunning import dunning_days, format_dunning_days

    return format_dunning_days(dunning_days(terms.get("dunning_days")))
