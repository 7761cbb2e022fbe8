"""The billing engine: contract terms, assignments, usage and a period in; invoice lines out.

Pure: no Flask, no database. Money is integer fen, rates basis points; every line is rounded
half-up to the fen once, and totals are sums of rounded lines, so a statement always adds up.

Rules (DESIGN.md section 7), in order:
1. seats: monthly rate per seat × days served in the month ÷ days in the month, one line per
   assignment and month (go-live day counts, end day does not); a quarter is the sum of its months;
2. base + commission: base per seat prorated like seats, plus commission rate × (served GMV −
   refunds) of the period (never below zero);
3. per consult: the contract's tiers on the month's valid consults (graduated/volume), or the
   flat fee of the band of the month's average daily valid consults (band), × the contract's
   consult multiplier, topped up to the monthly minimum (prorated by contract days in the month);
4. extras: recurring extras per month (quantity × unit price);
5. KPI deductions per assessed month (months within the break-in are skipped): the month's metric
   weighted by consults, compared with the clause; deduction = % of the month's service fee or a
   fixed amount; all deductions of a month capped at kpi_cap_bp of its service fee;
6. deposit offset (first or last invoice, when the deposit was received);
7. manual adjustments (given by finance, reason kept).
Tax: prices including tax give tax = taxable × r / (1 + r); excluding tax give tax = taxable × r;
rounded once. The deposit offset applies after tax (it is money already paid).

Timing: in-arrears contracts bill the period just ended; in-advance contracts bill the coming
period at contracted seats (usage-priced parts at their monthly minimum) and true up the
previous period (actual − billed in advance) on the same invoice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ops.quotes.pricing import Tier

__all__ = [
    "AdjustmentInput",
    "AssignmentInput",
    "BillingError",
    "ContractInput",
    "EngineLine",
    "EngineResult",
    "ExtraInput",
    "KpiInput",
    "Period",
    "SeatInput",
    "UsageInput",
    "bill",
    "days_served",
    "due_date",
    "invoice_period_for_run",
    "parse_period",
]


class BillingError(ValueError):
    """Terms or inputs the engine cannot bill; the message (Chinese) says why."""


@dataclass(frozen=True)
class Period:
    """A service period: ``code`` is "2026-10" (a month) or "2026-Q4" (a quarter)."""

    code: str
    start: date
    end: date  # inclusive
    months: tuple[tuple[int, int], ...]  # (year, month) in order

    @property
    def is_quarter(self) -> bool:
        return "Q" in self.code


@dataclass(frozen=True)
class SeatInput:
    scope: str  # presales / aftersales
    shift: str  # day / evening / night / full
    seats: int  # contracted seats
    monthly_rate_fen: int  # effective rate per seat per month (base pay for base_commission)


@dataclass(frozen=True)
class ExtraInput:
    label: str
    unit: str
    quantity: int  # per month
    unit_price_fen: int


@dataclass(frozen=True)
class KpiInput:
    metric: str  # first_response_seconds, avg_response_seconds, reply_3min_rate, inquiry_conversion, satisfaction, dispute_refund_rate
    comparison: str  # lte (at most) / gte (at least)
    threshold: int  # seconds, or basis points for rates
    deduction_kind: str  # percent / fixed
    deduction_bp: int = 0
    deduction_fen: int = 0


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
    tier_mode: str = ""  # graduated / volume / band (per_consult)
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
class EngineLine:
    kind: str  # seat, base, commission, consult, minimum, extra, true_up, kpi, adjustment, deposit
    description: str  # Chinese, as printed on the statement
    quantity: Decimal
    unit: str
    unit_price_fen: int | None
    amount_fen: int
    reason: str = ""


@dataclass(frozen=True)
class EngineResult:
    period: Period
    lines: tuple[EngineLine, ...]
    service_fen: int  # seat/base/commission/consult/minimum/extra/true_up lines
    deductions_fen: int  # KPI lines (≤ 0)
    adjustments_fen: int
    taxable_fen: int  # service + deductions + adjustments
    tax_fen: int
    net_fen: int  # taxable without tax
    deposit_offset_fen: int  # ≤ 0
    total_fen: int  # what the client pays
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. "2026-10 为磨合期，不考核 KPI"


def parse_period(code: str) -> Period:
    raise NotImplementedError


def invoice_period_for_run(run_period: str, billing_cycle: str, billing_timing: str) -> str | None:
    raise NotImplementedError


def days_served(go_live_on: date | None, end_on: date | None, start: date, end: date) -> int:
    raise NotImplementedError


def due_date(rule: str, value: int, closing_period_end: date, issued_on: date) -> date:
    raise NotImplementedError


def bill(contract: ContractInput, period: Period, *, assignments=(), usage=(), previous_usage=(),
         previous_assignments=(), adjustments=(), first_invoice: bool = False, last_invoice: bool = False) -> EngineResult:
    raise NotImplementedError
