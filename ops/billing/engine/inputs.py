"""What the engine reads and writes: contract terms, assignments, usage, adjustments; lines and totals.

Pure: no Flask, no database. ``validate`` refuses inputs the engine cannot bill.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ops.errors import ServiceError
from ops.i18n import N_
from ops.periods import Period
from ops.quotes.pricing import MODELS, Tier, daily_allowance_terms, validate_tiers


class BillingError(ServiceError):
    """Terms or inputs the engine cannot bill; the message (Chinese) says why."""


@dataclass(frozen=True)
class SeatInput:
    scope: str  # presales / aftersales
    shift: str  # day / evening / night / full
    seats: int  # contracted seats
    monthly_rate_fen: int  # effective rate per seat per month (base pay for base_commission)
    monthly_total_fen: int | None = None  # the row's total when not seats × rate (quote's rounding)

    @property
    def row_total_fen(self) -> int:
        """The row's monthly total (fen) as the contract states it."""
        return (
            self.monthly_total_fen
            if self.monthly_total_fen is not None
            else self.seats * self.monthly_rate_fen
        )


@dataclass(frozen=True)
class ExtraInput:
    label: str
    unit: str
    quantity: int  # per month
    unit_price_fen: int


DATED_UNITS = {"person_day": "人·天", "person_shift_day": "人·班·天"}


@dataclass(frozen=True)
class DatedExtraInput:
    """Work done on dates (holiday allowance, promotion staff): billed once, for its days in the period.

    Every day in [start_on, end_on] (inclusive) costs headcount × shifts_per_day × unit_price_fen;
    shifts_per_day is 1 for the unit person_day (人·天).
    """

    label: str
    start_on: date
    end_on: date  # inclusive
    headcount: int
    unit: str  # person_day / person_shift_day
    unit_price_fen: int
    shifts_per_day: int = 1


@dataclass(frozen=True)
class BandInput:
    threshold: int  # seconds, or basis points for rates; the band applies strictly past it
    deduction_bp: int = 0  # percent clauses: of the month's service fee
    deduction_fen: int = 0  # fixed clauses


@dataclass(frozen=True)
class KpiInput:
    metric: str  # ops.contracts.terms.METRICS
    comparison: str  # lte (lower is better: at most) / gte (higher is better: at least)
    deduction_kind: str  # percent / fixed
    bands: tuple[BandInput, ...]  # from the target towards worse; the worst band reached applies

    @classmethod
    def single(
        cls,
        metric: str,
        comparison: str,
        threshold: int,
        deduction_kind: str,
        deduction_bp: int = 0,
        deduction_fen: int = 0,
    ) -> KpiInput:
        """A clause with one band (one target, one deduction)."""
        return cls(metric, comparison, deduction_kind, (BandInput(threshold, deduction_bp, deduction_fen),))


@dataclass(frozen=True)
class TermVersion:
    """An accepted amendment (补充协议): the seat rows and monthly extras in force from ``effective_on``."""

    effective_on: date
    seats: tuple[SeatInput, ...]
    extras: tuple[ExtraInput, ...]


@dataclass(frozen=True)
class ContractInput:
    contract_id: int
    model: str  # fixed_seat / base_commission / per_consult
    start_on: date
    end_on: date  # inclusive last day of service
    billing_cycle: str  # monthly / quarterly
    billing_timing: str  # in_advance / in_arrears
    tax_rate_bp: int
    prices_include_tax: bool
    seats: tuple[SeatInput, ...] = ()
    commission_rate_bp: int = 0
    tier_mode: str = ""  # graduated / volume / band / daily_allowance (per_consult)
    tiers: tuple[Tier, ...] = ()
    consult_multiplier_bp: int = 10_000
    monthly_minimum_fen: int = 0
    extras: tuple[ExtraInput, ...] = ()
    kpis: tuple[KpiInput, ...] = ()
    kpi_cap_bp: int = 10_000
    breakin_months: int = 0
    deposit_fen: int = 0
    deposit_usage: str = "refund_at_end"  # first_invoice / last_invoice / refund_at_end
    deposit_received: bool = False
    terminated_on: date | None = None  # service ends the day before
    # Accepted amendments in effective-date order; ``seats`` / ``extras`` above are the base terms.
    versions: tuple[TermVersion, ...] = ()


@dataclass(frozen=True)
class AssignmentInput:
    agent_name: str
    scope: str
    shift: str
    go_live_on: date | None  # counts as served
    end_on: date | None  # does not count


@dataclass(frozen=True)
class UsageInput:
    day: date
    platform: str
    consults: int
    valid_consults: int
    served_gmv_fen: int
    refunds_fen: int
    first_response_ms: int | None = None
    avg_response_ms: int | None = None
    reply_3min_bp: int | None = None
    inquiry_conversion_bp: int | None = None
    satisfaction_bp: int | None = None
    dispute_refund_bp: int | None = None


@dataclass(frozen=True)
class AdjustmentInput:
    description: str
    amount_fen: int  # positive or negative
    reason: str


@dataclass(frozen=True)
class LateFeeInput:
    """A late fee finance billed (or the contract bills automatically) on this invoice."""

    description: str  # the formula, engine.late_fees.description
    amount_fen: int  # ≥ 0


@dataclass(frozen=True)
class EngineLine:
    kind: str  # seat, base, commission, consult, minimum, extra, true_up, late_fee, kpi, adjustment, deposit
    description: str  # Chinese, as printed on the statement
    quantity: Decimal
    unit: str
    unit_price_fen: int | None
    amount_fen: int
    reason: str = ""
    month: str = ""  # the service month ("2026-10") of per-month lines; "" for period-wide lines


@dataclass(frozen=True)
class EngineResult:
    period: Period
    lines: tuple[EngineLine, ...]
    service_fen: int  # seat/base/commission/consult/minimum/extra/true_up/late_fee lines
    deductions_fen: int  # KPI lines (≤ 0)
    adjustments_fen: int
    taxable_fen: int  # service + deductions + adjustments
    tax_fen: int
    net_fen: int  # taxable without tax
    deposit_offset_fen: int  # ≤ 0
    total_fen: int  # what the client pays
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. "2026-10 为磨合期，不考核 KPI"
    kpi_results: tuple[KpiResult, ...] = field(default_factory=tuple)  # every clause assessed, per month


@dataclass(frozen=True)
class KpiResult:
    """One clause in one month, as the invoice prints it ("考核结果")."""

    month: str  # 2026-10
    metric: str
    label: str  # 首次响应时间
    measured: str  # "35.2 秒", "12.5%", or "—" (not assessed)
    target: str  # "不高于 30 秒"
    outcome: str  # "达标", the band reached ("高于 20%"), "磨合期，不考核" or "无数据，未考核"
    deduction_fen: int  # what the month's line deducts for it (≥ 0; 0 when met or capped)
    note: str = ""  # e.g. the cap reached

    def as_dict(self) -> dict[str, str | int]:
        return {
            "month": self.month,
            "metric": self.metric,
            "label": self.label,
            "measured": self.measured,
            "target": self.target,
            "outcome": self.outcome,
            "deduction_fen": self.deduction_fen,
            "note": self.note,
        }


MSG_PERIOD = N_("账期格式应为 2026-10 或 2026-Q4")
CYCLES = {"monthly": "按月", "quarterly": "按季"}
TIMINGS = {"in_advance": "预付", "in_arrears": "后付"}
DUE_RULES = {"day_of_next_month": "次月固定日", "net_days": "开票后天数"}
DEPOSIT_USAGES = ("first_invoice", "last_invoice", "refund_at_end")
REASON_MAX = 300  # a line's reason is kept to this many characters (the invoice line column)
PREC = 60  # working precision: no intermediate result ever loses a digit before the rounding


def check_cycle_timing(billing_cycle: str, billing_timing: str) -> None:
    if billing_cycle not in CYCLES:
        raise BillingError(f"结算周期无效：{billing_cycle!r}（应为按月 monthly 或按季 quarterly）")
    if billing_timing not in TIMINGS:
        raise BillingError(f"结算时点无效：{billing_timing!r}（应为预付 in_advance 或后付 in_arrears）")


_USAGE_FIELDS = {
    "consults": "咨询数",
    "valid_consults": "有效咨询数",
    "served_gmv_fen": "服务销售额",
    "refunds_fen": "退款金额",
    "first_response_ms": "首次响应时间",
    "avg_response_ms": "平均响应时间",
    "reply_3min_bp": "3分钟回复率",
    "inquiry_conversion_bp": "询单转化率",
    "satisfaction_bp": "客户满意度",
    "dispute_refund_bp": "纠纷退款率",
}
# KPI metric → (UsageInput field, factor turning the threshold into the field's unit)
METRIC_FIELDS = {
    "first_response_seconds": ("first_response_ms", 1000),
    "avg_response_seconds": ("avg_response_ms", 1000),
    "reply_3min_rate": ("reply_3min_bp", 1),
    "inquiry_conversion": ("inquiry_conversion_bp", 1),
    "satisfaction": ("satisfaction_bp", 1),
    "dispute_refund_rate": ("dispute_refund_bp", 1),
    "response_delay_rate": ("reply_3min_bp", 1),  # 100% − the reply rate (see COMPLEMENT_METRICS)
}
# Metrics measured as 100% − a usage rate, weighted by consults like the rate itself.
COMPLEMENT_METRICS = {"response_delay_rate"}
SEAT_KINDS = ("seat", "base")
CONSULT_KINDS = ("consult", "minimum")
MONTH_FEE_KINDS = ("seat", "base", "consult", "minimum")
# A late fee is a 价外费用 under the VAT rules: taxed with the service, so it is a service kind.
SERVICE_KINDS = ("seat", "base", "commission", "consult", "minimum", "extra", "true_up", "late_fee")


def _validate_kpi(kpi: KpiInput) -> None:
    if kpi.metric not in METRIC_FIELDS:
        raise BillingError(f"未知的考核指标：{kpi.metric!r}")
    if kpi.comparison not in ("lte", "gte"):
        raise BillingError(f"考核比较方式无效：{kpi.comparison!r}")
    if kpi.deduction_kind not in ("percent", "fixed"):
        raise BillingError(f"扣款方式无效：{kpi.deduction_kind!r}")
    if not kpi.bands:
        raise BillingError(f"考核条款没有扣款档位：{kpi.metric!r}")


def _validate_tiers(contract: ContractInput) -> None:
    if contract.tier_mode not in ("graduated", "volume", "band", "daily_allowance"):
        raise BillingError(f"咨询量阶梯计价方式无效：{contract.tier_mode!r}")
    try:
        validate_tiers(contract.tiers)
        if contract.tier_mode == "daily_allowance":
            daily_allowance_terms(contract.tiers)
    except ValueError as exc:
        raise BillingError(f"咨询量阶梯无效：{exc}") from None


def validate(contract: ContractInput, usages: Iterable[UsageInput]) -> None:
    if contract.model not in MODELS:
        raise BillingError(f"未知的计价模式：{contract.model!r}")
    check_cycle_timing(contract.billing_cycle, contract.billing_timing)
    if contract.end_on < contract.start_on:
        raise BillingError("合同结束日期早于开始日期")
    if contract.model == "per_consult":
        _validate_tiers(contract)
    if contract.deposit_usage not in DEPOSIT_USAGES:
        raise BillingError(f"定金用途无效：{contract.deposit_usage!r}")
    for kpi in contract.kpis:
        _validate_kpi(kpi)
    for u in usages:
        where = f"{u.day.isoformat()} {u.platform}"
        for name, label in _USAGE_FIELDS.items():
            value = getattr(u, name)
            if value is not None and value < 0:
                raise BillingError(f"用量数据不能为负数：{where} 的{label}为 {value}")
        if u.valid_consults > u.consults:
            raise BillingError(
                f"有效咨询数不能大于咨询数：{where} 有效咨询 {u.valid_consults:,} 次，咨询 {u.consults:,} 次"
            )
