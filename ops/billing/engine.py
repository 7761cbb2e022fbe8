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

Details a client's finance clerk can check by hand:

* Term. A contract serves the days [start_on, end_on] (both inclusive), and when terminated_on is
  set, only up to the day before it. "Contract days in a month" are the month's days inside that
  term. Nothing is billed for a month without contract days (no seats, consults, minimum, extras
  or KPI), and usage outside the term or the billed period is ignored.
* Seats (fixed_seat "席位", base_commission "底薪"): an assignment's days are days_served() within
  the month and the term; the rate is that of the contract's first seat row with the assignment's
  scope and shift. Only an assignment that actually serves a day in a billed month must have such
  a row (otherwise BillingError naming the agent); assignments of a per_consult contract are ignored.
* Commission: one line for the whole period (a quarter nets refunds against sales over the
  quarter), rate × max(0, Σ served GMV − Σ refunds) over the usage days inside the period and the
  term; the line is shown even when it is ¥0.00, so the client sees why.
* Consults: one "consult" line per month with contract days, shown even at ¥0.00. graduated /
  volume use the month's Σ valid consults and are not prorated (the tiers are per month). band
  uses floor(Σ valid consults ÷ contract days in the month) — which is the days in the month for a
  full month — and, like a seat, its flat fee is prorated by contract days ÷ days in month for a
  partial month. The multiplier applies before the single rounding. The minimum is
  round(minimum × contract days ÷ days in month); when the consult line is below it, a "minimum"
  line adds the difference.
* Extras: one line per extra and month with contract days, in both timings; never trued up.
* In advance: per seat row and month, seats × rate × contract days ÷ days in month (rows with 0
  seats give no line); per_consult bills the prorated monthly minimum as a "consult" line
  ("预收"), skipped when it is 0. The true-up covers the period of the same length just before
  `period` unless it ends before start_on (the first invoice, noted). Per kind (席位/底薪,
  提成, 咨询费) one "true_up" line = actual − advance, where both are sums of once-rounded lines
  (actual exactly as an in-arrears invoice of that period would compute them, advance by the
  rule above), so no new rounding happens; it is shown even when ¥0.00, and its reason lists
  the actual lines. To settle the last period, bill the period after the term: it has no
  advance lines, only the true-up (and KPIs).
* KPIs: assessed per month of the invoice period (in arrears) or of the trued-up previous period
  (in advance). Month index = months since the month of start_on (that month is 0, even when
  partial); months with index < breakin_months are noted as 磨合期. The metric is
  Σ(value × consults) ÷ Σ consults over the month's usage rows in the term that carry the value
  and have consults > 0; compared exactly in integers (seconds thresholds × 1000 against *_ms
  figures, rate thresholds in basis points). The month's service fee is the month's
  seat/base/consult/minimum lines (actual figures, also for in-advance contracts) plus the
  period's commission allocated to the month by its share of the period's served GMV (exact,
  not rounded; for a monthly period the whole commission). Percent deduction =
  round(fee × bp ÷ 10000); fixed = the amount. Deductions are taken in clause order up to
  round(fee × kpi_cap_bp ÷ 10000); the line crossing the cap is cut to what is left and says
  "已达扣款上限"; a breach when nothing is left is only noted. Months without data are noted.
* Tax is computed on taxable = service + deductions + adjustments (it may be negative after a
  large negative true-up; rounding is half away from zero). The deposit offset is
  −min(deposit, max(0, net + tax)); an unused remainder is noted (not carried anywhere).
* Lines carry no tax: Σ line amounts == taxable_fen + deposit_offset_fen, and
  total_fen == net_fen + tax_fen + deposit_offset_fen.
* due_date "day_of_next_month" uses the last day of the month when `value` exceeds it (31 → Nov 30).
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from ops.contracts.terms import METRICS, RATE_METRICS, format_threshold
from ops.errors import ServiceError
from ops.money import apply_bp, format_bp, format_fen, format_multiplier, round_fen
from ops.quotes.pricing import MODELS, SCOPES, SHIFTS, Tier, tiered_amount, validate_tiers

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


class BillingError(ServiceError):
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
    month: str = ""  # the service month ("2026-10") of per-month lines; "" for period-wide lines


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


# ---------------------------------------------------------------------------
# Periods and dates
# ---------------------------------------------------------------------------

MSG_PERIOD = "账期格式应为 2026-10 或 2026-Q4"
CYCLES = {"monthly": "按月", "quarterly": "按季"}
TIMINGS = {"in_advance": "预付", "in_arrears": "后付"}
DUE_RULES = {"day_of_next_month": "次月固定日", "net_days": "开票后天数"}
DEPOSIT_USAGES = ("first_invoice", "last_invoice", "refund_at_end")

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
_REASON_MAX = 300  # a line's reason is kept to this many characters (the invoice line column)
_PREC = 60  # working precision: no intermediate result ever loses a digit before the rounding


def _month_code(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


def _add_months(year: int, month: int, count: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + count
    return index // 12, index % 12 + 1


def _month_period(year: int, month: int) -> Period:
    start, end = _month_bounds(year, month)
    return Period(_month_code(year, month), start, end, ((year, month),))


def _quarter_period(year: int, quarter: int) -> Period:
    months = tuple((year, 3 * (quarter - 1) + i) for i in (1, 2, 3))
    start = _month_bounds(*months[0])[0]
    end = _month_bounds(*months[-1])[1]
    return Period(f"{year:04d}-Q{quarter}", start, end, months)


def parse_period(code: str) -> Period:
    """ "2026-10" → October 2026; "2026-Q4" → October–December 2026 (a lower-case q is accepted).

    Anything else raises BillingError("账期格式应为 2026-10 或 2026-Q4").
    """
    if not isinstance(code, str):
        raise BillingError(MSG_PERIOD)
    text = code.strip().upper()
    if m := _MONTH_RE.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if year >= 1 and 1 <= month <= 12:
            return _month_period(year, month)
    elif m := _QUARTER_RE.match(text):
        year = int(m.group(1))
        if year >= 1:
            return _quarter_period(year, int(m.group(2)))
    raise BillingError(MSG_PERIOD)


def _check_cycle_timing(billing_cycle: str, billing_timing: str) -> None:
    if billing_cycle not in CYCLES:
        raise BillingError(f"结算周期无效：{billing_cycle!r}（应为按月 monthly 或按季 quarterly）")
    if billing_timing not in TIMINGS:
        raise BillingError(f"结算时点无效：{billing_timing!r}（应为预付 in_advance 或后付 in_arrears）")


def _next_period(period: Period) -> Period:
    if period.is_quarter:
        year, month = _add_months(*period.months[0], 3)
        return _quarter_period(year, (month - 1) // 3 + 1)
    return _month_period(*_add_months(*period.months[0], 1))


def _previous_period(period: Period) -> Period:
    if period.is_quarter:
        year, month = _add_months(*period.months[0], -3)
        return _quarter_period(year, (month - 1) // 3 + 1)
    return _month_period(*_add_months(*period.months[0], -1))


def invoice_period_for_run(run_period: str, billing_cycle: str, billing_timing: str) -> str | None:
    """The period a contract's invoice covers in the run for ``run_period`` (the period just ended).

    monthly: in arrears → the run month, in advance → the next month; a run naming a quarter bills
    no monthly contract (None). quarterly: only when the run month ends a quarter (03, 06, 09, 12)
    or the run names a quarter — in arrears → that quarter, in advance → the next one; else None.
    """
    run = parse_period(run_period)
    _check_cycle_timing(billing_cycle, billing_timing)
    if billing_cycle == "monthly":
        if run.is_quarter:
            return None
        return run.code if billing_timing == "in_arrears" else _next_period(run).code
    if run.is_quarter:
        quarter = run
    else:
        year, month = run.months[0]
        if month % 3:
            return None
        quarter = _quarter_period(year, month // 3)
    return quarter.code if billing_timing == "in_arrears" else _next_period(quarter).code


def days_served(go_live_on: date | None, end_on: date | None, start: date, end: date) -> int:
    """Days in [go_live_on, end_on) ∩ [start, end] (``end`` inclusive).

    No go-live date means not served yet (0); no end date means still serving.
    """
    if go_live_on is None:
        return 0
    first = max(go_live_on, start)
    last = end if end_on is None else min(end, end_on - timedelta(days=1))
    return max(0, (last - first).days + 1)


def due_date(rule: str, value: int, closing_period_end: date, issued_on: date) -> date:
    """When an invoice is due.

    "day_of_next_month": day ``value`` (1–31) of the month after ``closing_period_end`` (the end of
    the period the run closed), or that month's last day when it is shorter — but never before the
    invoice exists: a statement issued after that day is due on day ``value`` of the following
    month instead (an invoice is never overdue on the day it is issued);
    "net_days": ``issued_on`` + ``value`` days (value ≥ 0).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise BillingError("付款期限必须是整数")
    if rule == "day_of_next_month":
        if not 1 <= value <= 31:
            raise BillingError("次月付款日必须在 1 到 31 之间")
        year, month = _add_months(closing_period_end.year, closing_period_end.month, 1)
        due = date(year, month, min(value, monthrange(year, month)[1]))
        while due <= issued_on:
            year, month = _add_months(year, month, 1)
            due = date(year, month, min(value, monthrange(year, month)[1]))
        return due
    if rule == "net_days":
        if value < 0:
            raise BillingError("付款天数不能为负数")
        return issued_on + timedelta(days=value)
    raise BillingError(
        f"付款期限规则无效：{rule!r}（应为次月固定日 day_of_next_month 或开票后天数 net_days）"
    )


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

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
_METRIC_FIELDS = {
    "first_response_seconds": ("first_response_ms", 1000),
    "avg_response_seconds": ("avg_response_ms", 1000),
    "reply_3min_rate": ("reply_3min_bp", 1),
    "inquiry_conversion": ("inquiry_conversion_bp", 1),
    "satisfaction": ("satisfaction_bp", 1),
    "dispute_refund_rate": ("dispute_refund_bp", 1),
}
_SEAT_KINDS = ("seat", "base")
_CONSULT_KINDS = ("consult", "minimum")
_MONTH_FEE_KINDS = ("seat", "base", "consult", "minimum")
SERVICE_KINDS = ("seat", "base", "commission", "consult", "minimum", "extra", "true_up")


def _validate(contract: ContractInput, usages: Iterable[UsageInput]) -> None:
    if contract.model not in MODELS:
        raise BillingError(f"未知的计价模式：{contract.model!r}")
    _check_cycle_timing(contract.billing_cycle, contract.billing_timing)
    if contract.end_on < contract.start_on:
        raise BillingError("合同结束日期早于开始日期")
    if contract.model == "per_consult":
        if contract.tier_mode not in ("graduated", "volume", "band"):
            raise BillingError(f"咨询量阶梯计价方式无效：{contract.tier_mode!r}")
        try:
            validate_tiers(contract.tiers)
        except ValueError as exc:
            raise BillingError(f"咨询量阶梯无效：{exc}") from None
    if contract.deposit_usage not in DEPOSIT_USAGES:
        raise BillingError(f"定金用途无效：{contract.deposit_usage!r}")
    for kpi in contract.kpis:
        if kpi.metric not in _METRIC_FIELDS:
            raise BillingError(f"未知的考核指标：{kpi.metric!r}")
        if kpi.comparison not in ("lte", "gte"):
            raise BillingError(f"考核比较方式无效：{kpi.comparison!r}")
        if kpi.deduction_kind not in ("percent", "fixed"):
            raise BillingError(f"扣款方式无效：{kpi.deduction_kind!r}")
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


# ---------------------------------------------------------------------------
# Service lines
# ---------------------------------------------------------------------------


def _service_end(contract: ContractInput) -> date:
    end = contract.end_on
    if contract.terminated_on is not None:
        end = min(end, contract.terminated_on - timedelta(days=1))
    return end


def _term_window(contract: ContractInput, start: date, end: date) -> tuple[date, date] | None:
    """The days of [start, end] inside the contract's term, or None when there are none."""
    first = max(start, contract.start_on)
    last = min(end, _service_end(contract))
    return (first, last) if first <= last else None


def _days(window: tuple[date, date] | None) -> int:
    return 0 if window is None else (window[1] - window[0]).days + 1


def _in(day: date, window: tuple[date, date] | None) -> bool:
    return window is not None and window[0] <= day <= window[1]


def _seat_label(scope: str, shift: str) -> str:
    return f"{SCOPES.get(scope, scope)}{SHIFTS.get(shift, shift)}"


def _kind_label(contract: ContractInput) -> tuple[str, str]:
    """(line kind, printed word) of the seat lines: 席位 for fixed seats, 底薪 for base + commission."""
    return ("base", "底薪") if contract.model == "base_commission" else ("seat", "席位")


def _seat_rate(contract: ContractInput, assignment: AssignmentInput) -> int:
    for row in contract.seats:
        if row.scope == assignment.scope and row.shift == assignment.shift:
            return row.monthly_rate_fen
    raise BillingError(
        f"坐席 {assignment.agent_name} 的岗位（{_seat_label(assignment.scope, assignment.shift)}）"
        "在合同中没有对应的席位价格"
    )


def _prorate(amount_fen: int, days: int, days_in_month: int) -> Decimal:
    return Decimal(amount_fen) * days / days_in_month


@dataclass
class _Actual:
    """What an in-arrears invoice of a period bills as service (extras excluded)."""

    lines: list[EngineLine]
    month_fees: dict[str, Decimal]  # month code → service fee for KPI percentages


def _actual_service(
    contract: ContractInput,
    period: Period,
    assignments: Sequence[AssignmentInput],
    usage: Sequence[UsageInput],
) -> _Actual:
    kind, word = _kind_label(contract)
    lines: list[EngineLine] = []
    month_fees: dict[str, Decimal] = {}
    gmv_by_month: dict[str, int] = {}
    for year, month in period.months:
        code = _month_code(year, month)
        month_start, month_end = _month_bounds(year, month)
        dim = (month_end - month_start).days + 1
        window = _term_window(contract, month_start, month_end)
        if window is None:
            continue
        month_lines: list[EngineLine] = []
        rows = [u for u in usage if _in(u.day, window)]
        gmv_by_month[code] = sum(u.served_gmv_fen for u in rows)
        if contract.model in ("fixed_seat", "base_commission"):
            for a in assignments:
                days = days_served(a.go_live_on, a.end_on, window[0], window[1])
                if days == 0:
                    continue
                rate = _seat_rate(contract, a)
                amount = round_fen(_prorate(rate, days, dim))
                month_lines.append(
                    EngineLine(
                        kind,
                        f"{_seat_label(a.scope, a.shift)}{word} · {a.agent_name} · {code} 服务 {days}/{dim} 天",
                        Decimal(days),
                        "天",
                        rate,
                        amount,
                        month=code,
                    )
                )
        else:
            month_lines.extend(_consult_lines(contract, code, rows, _days(window), dim))
        lines.extend(month_lines)
        month_fees[code] = Decimal(sum(line.amount_fen for line in month_lines))
    if contract.model == "base_commission" and month_fees:
        window = _term_window(contract, period.start, period.end)
        rows = [u for u in usage if _in(u.day, window)]
        gmv = sum(u.served_gmv_fen for u in rows)
        refunds = sum(u.refunds_fen for u in rows)
        base = max(0, gmv - refunds)
        amount = round_fen(apply_bp(base, contract.commission_rate_bp))
        shown = format_fen(base) if gmv >= refunds else f"{format_fen(0)}（退款超过销售额，按 0 计）"
        lines.append(
            EngineLine(
                "commission",
                f"提成 {period.code}：服务销售额 {format_fen(gmv)} − 退款 {format_fen(refunds)} = {shown}"
                f" × {format_bp(contract.commission_rate_bp)}",
                Decimal(base) / 100,
                "元",
                None,
                amount,
            )
        )
        if amount:  # gmv > 0 here, so every month's share is defined
            for code in month_fees:
                month_fees[code] += Decimal(amount) * gmv_by_month[code] / gmv
    return _Actual(lines, month_fees)


def _consult_lines(
    contract: ContractInput, code: str, rows: Sequence[UsageInput], contract_days: int, dim: int
) -> list[EngineLine]:
    valid = sum(u.valid_consults for u in rows)
    multiplier = contract.consult_multiplier_bp
    factor = "" if multiplier == 10_000 else f" × {format_multiplier(multiplier)}"
    if contract.tier_mode == "band":
        average = valid // contract_days
        yuan = tiered_amount(average, contract.tiers, "band") * contract_days / dim
        description = f"咨询服务费 {code}：有效咨询 {valid:,} 次，日均 {average:,} 次（按档包月"
        description += "）" if contract_days == dim else f"，服务 {contract_days}/{dim} 天）"
    else:
        yuan = tiered_amount(valid, contract.tiers, contract.tier_mode)
        description = f"咨询服务费 {code}：有效咨询 {valid:,} 次"
    amount = round_fen(apply_bp(yuan * 100, multiplier))
    lines = [EngineLine("consult", description + factor, Decimal(valid), "次", None, amount, month=code)]
    minimum = round_fen(_prorate(contract.monthly_minimum_fen, contract_days, dim))
    if amount < minimum:
        shortfall = minimum - amount
        prorated = "" if contract_days == dim else f" × {contract_days}/{dim} 天 = {format_fen(minimum)}"
        lines.append(
            EngineLine(
                "minimum",
                f"最低消费补足 {code}：月度最低消费 {format_fen(contract.monthly_minimum_fen)}{prorated}，"
                f"补足 {format_fen(shortfall)}",
                Decimal(1),
                "项",
                None,
                shortfall,
                month=code,
            )
        )
    return lines


def _advance_service(contract: ContractInput, period: Period) -> list[EngineLine]:
    """Lines billed in advance for ``period``: contracted seats, or the prorated monthly minimum."""
    kind, word = _kind_label(contract)
    lines: list[EngineLine] = []
    for year, month in period.months:
        code = _month_code(year, month)
        month_start, month_end = _month_bounds(year, month)
        dim = (month_end - month_start).days + 1
        days = _days(_term_window(contract, month_start, month_end))
        if days == 0:
            continue
        if contract.model == "per_consult":
            amount = round_fen(_prorate(contract.monthly_minimum_fen, days, dim))
            if amount:
                lines.append(
                    EngineLine(
                        "consult",
                        f"咨询服务费 {code} 预收（月度最低消费 {format_fen(contract.monthly_minimum_fen)}"
                        f" × {days}/{dim} 天）",
                        Decimal(days),
                        "天",
                        contract.monthly_minimum_fen,
                        amount,
                        month=code,
                    )
                )
            continue
        for row in contract.seats:
            if row.seats <= 0:
                continue
            amount = round_fen(_prorate(row.seats * row.monthly_rate_fen, days, dim))
            lines.append(
                EngineLine(
                    kind,
                    f"{_seat_label(row.scope, row.shift)}{word} × {row.seats} 席 · {code} 预收 {days}/{dim} 天",
                    Decimal(row.seats),
                    "席",
                    row.monthly_rate_fen,
                    amount,
                    month=code,
                )
            )
    return lines


def _extra_lines(contract: ContractInput, period: Period) -> list[EngineLine]:
    lines: list[EngineLine] = []
    for year, month in period.months:
        code = _month_code(year, month)
        if _term_window(contract, *_month_bounds(year, month)) is None:
            continue
        for extra in contract.extras:
            amount = extra.quantity * extra.unit_price_fen
            lines.append(
                EngineLine(
                    "extra",
                    f"{extra.label} {code}：{extra.quantity:,} {extra.unit} × {format_fen(extra.unit_price_fen)}",
                    Decimal(extra.quantity),
                    extra.unit,
                    extra.unit_price_fen,
                    amount,
                    month=code,
                )
            )
    return lines


def _true_up_lines(
    contract: ContractInput, previous: Period, actual: list[EngineLine], advance: list[EngineLine]
) -> list[EngineLine]:
    _, word = _kind_label(contract)
    if contract.model == "fixed_seat":
        groups: list[tuple[str, tuple[str, ...]]] = [(word, _SEAT_KINDS)]
    elif contract.model == "base_commission":
        groups = [(word, _SEAT_KINDS), ("提成", ("commission",))]
    else:
        groups = [("咨询费", _CONSULT_KINDS)]
    lines = []
    for label, kinds in groups:
        done = [line for line in actual if line.kind in kinds]
        actual_fen = sum(line.amount_fen for line in done)
        advance_fen = sum(line.amount_fen for line in advance if line.kind in kinds)
        reason = "；".join(f"{line.description} {format_fen(line.amount_fen)}" for line in done)
        if len(reason) > _REASON_MAX:
            reason = f"实际明细共 {len(done)} 行，合计 {format_fen(actual_fen)}"
        lines.append(
            EngineLine(
                "true_up",
                f"上期（{previous.code}）{label}多退少补：实际 {format_fen(actual_fen)} − 预收 {format_fen(advance_fen)}",
                Decimal(1),
                "项",
                None,
                actual_fen - advance_fen,
                reason=reason or "上期无实际服务",
            )
        )
    return lines


# ---------------------------------------------------------------------------
# KPI deductions
# ---------------------------------------------------------------------------


def _show_metric(metric: str, value: Fraction, threshold: int) -> str:
    """The month's figure as printed: seconds to 0.1 s, rates to 0.01% — more digits when the
    rounded figure would read exactly as the threshold."""
    with localcontext(prec=_PREC, rounding=ROUND_HALF_UP):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        if metric in RATE_METRICS:
            percent = exact.scaleb(-2)
            for places in (2, 4, 6):
                shown = percent.quantize(Decimal(1).scaleb(-places))
                if shown != Decimal(threshold).scaleb(-2):
                    break
            return f"{shown.normalize():f}%"
        seconds = exact.scaleb(-3)
        for places in (1, 3, 6):
            shown = seconds.quantize(Decimal(1).scaleb(-places))
            if shown != threshold:
                break
        return f"{shown:f} 秒"


def _kpi_lines(
    contract: ContractInput, period: Period, usage: Sequence[UsageInput], month_fees: dict[str, Decimal]
) -> tuple[list[EngineLine], list[str]]:
    lines: list[EngineLine] = []
    notes: list[str] = []
    if not contract.kpis:
        return lines, notes
    for year, month in period.months:
        code = _month_code(year, month)
        window = _term_window(contract, *_month_bounds(year, month))
        if window is None:
            continue
        index = (year - contract.start_on.year) * 12 + month - contract.start_on.month
        if index < contract.breakin_months:
            notes.append(f"{code} 为磨合期，不考核 KPI")
            continue
        fee = month_fees.get(code, Decimal(0))
        cap = round_fen(apply_bp(fee, contract.kpi_cap_bp))
        used = 0
        rows = [u for u in usage if _in(u.day, window)]
        for kpi in contract.kpis:
            label = METRICS[kpi.metric][0]
            name, factor = _METRIC_FIELDS[kpi.metric]
            weighted = [
                (getattr(u, name), u.consults)
                for u in rows
                if getattr(u, name) is not None and u.consults > 0
            ]
            if not weighted:
                notes.append(f"{label} {code} 无数据，未考核")
                continue
            total = sum(value * consults for value, consults in weighted)
            consults = sum(c for _, c in weighted)
            limit = kpi.threshold * factor * consults
            breached = total > limit if kpi.comparison == "lte" else total < limit
            if not breached:
                continue
            shown = _show_metric(kpi.metric, Fraction(total, consults), kpi.threshold)
            reason = (
                f"{label} {code} 为 {shown}，{'高于' if kpi.comparison == 'lte' else '低于'}约定的 "
                f"{format_threshold(kpi.metric, kpi.threshold)}"
            )
            if kpi.deduction_kind == "percent":
                full = round_fen(apply_bp(fee, kpi.deduction_bp))
                how = f"当月服务费 {format_fen(round_fen(fee))} × {format_bp(kpi.deduction_bp)}"
            else:
                full = kpi.deduction_fen
                how = f"固定扣款 {format_fen(full)}"
            amount = min(full, cap - used)
            if amount <= 0:
                if full > 0:
                    notes.append(
                        f"{reason}；当月 KPI 扣款已达上限 {format_bp(contract.kpi_cap_bp)}，不再扣款"
                    )
                continue
            used += amount
            description = f"KPI 扣款 {code}：{label}未达标（{how}"
            if amount < full:
                description += f"，应扣 {format_fen(full)}，已达扣款上限 {format_bp(contract.kpi_cap_bp)}"
            description += "）"
            lines.append(
                EngineLine("kpi", description, Decimal(1), "项", None, -amount, reason=reason, month=code)
            )
    return lines, notes


# ---------------------------------------------------------------------------
# The invoice
# ---------------------------------------------------------------------------


def bill(
    contract: ContractInput,
    period: Period,
    *,
    assignments: Sequence[AssignmentInput] = (),
    usage: Sequence[UsageInput] = (),
    previous_usage: Sequence[UsageInput] = (),
    previous_assignments: Sequence[AssignmentInput] = (),
    adjustments: Sequence[AdjustmentInput] = (),
    first_invoice: bool = False,
    last_invoice: bool = False,
) -> EngineResult:
    """The lines and totals of ONE invoice of ``period`` for ``contract`` (see the module docstring).

    ``period`` is the invoice period (invoice_period_for_run). In arrears, ``assignments`` and
    ``usage`` are those of ``period``. In advance, ``period`` is billed at contracted seats and
    ``previous_assignments`` / ``previous_usage`` are those of the period just before it (trued up
    and assessed for KPIs); ``assignments`` and ``usage`` are then not needed.
    """
    _validate(contract, (*usage, *previous_usage))
    with localcontext(prec=_PREC, rounding=ROUND_HALF_UP):
        notes: list[str] = []
        if contract.billing_timing == "in_arrears":
            actual = _actual_service(contract, period, assignments, usage)
            lines = actual.lines + _extra_lines(contract, period)
            kpi, kpi_notes = _kpi_lines(contract, period, usage, actual.month_fees)
        else:
            lines = _advance_service(contract, period) + _extra_lines(contract, period)
            previous = _previous_period(period)
            if _term_window(contract, previous.start, previous.end) is None:
                kpi, kpi_notes = [], []
                if previous.end < contract.start_on:
                    notes.append(f"首期预收，无上期（{previous.code}）多退少补")
            else:
                actual = _actual_service(contract, previous, previous_assignments, previous_usage)
                lines += _true_up_lines(
                    contract, previous, actual.lines, _advance_service(contract, previous)
                )
                kpi, kpi_notes = _kpi_lines(contract, previous, previous_usage, actual.month_fees)
        lines += kpi
        notes += kpi_notes
        for adj in adjustments:
            lines.append(
                EngineLine(
                    "adjustment", adj.description, Decimal(1), "项", None, adj.amount_fen, reason=adj.reason
                )
            )

        service = sum(line.amount_fen for line in lines if line.kind in SERVICE_KINDS)
        deductions = sum(line.amount_fen for line in lines if line.kind == "kpi")
        adjusted = sum(line.amount_fen for line in lines if line.kind == "adjustment")
        taxable = service + deductions + adjusted
        rate = contract.tax_rate_bp
        if contract.prices_include_tax:
            tax = round_fen(Decimal(taxable) * rate / (10_000 + rate))
            net = taxable - tax
        else:
            tax = round_fen(apply_bp(taxable, rate))
            net = taxable
        deposit = 0
        applies = (contract.deposit_usage == "first_invoice" and first_invoice) or (
            contract.deposit_usage == "last_invoice" and last_invoice
        )
        if contract.deposit_received and applies and contract.deposit_fen > 0:
            deposit = min(contract.deposit_fen, max(0, net + tax))
            if deposit:
                lines.append(
                    EngineLine(
                        "deposit",
                        f"定金抵扣（已收定金 {format_fen(contract.deposit_fen)}）",
                        Decimal(1),
                        "项",
                        None,
                        -deposit,
                    )
                )
            if deposit < contract.deposit_fen:
                notes.append(
                    f"定金 {format_fen(contract.deposit_fen)} 本期抵扣 {format_fen(deposit)}，"
                    f"余额 {format_fen(contract.deposit_fen - deposit)} 未抵扣"
                )
        return EngineResult(
            period=period,
            lines=tuple(lines),
            service_fen=service,
            deductions_fen=deductions,
            adjustments_fen=adjusted,
            taxable_fen=taxable,
            tax_fen=tax,
            net_fen=net,
            deposit_offset_fen=-deposit,
            total_fen=net + tax - deposit,
            notes=tuple(notes),
        )
