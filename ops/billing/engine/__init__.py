"""The billing engine: contract terms, assignments, usage and a period in; invoice lines out.

Pure: no Flask, no database. Money is integer fen, rates basis points; every line is rounded
half-up to the fen once, and totals are sums of rounded lines, so a statement always adds up.

Rules (docs/domain.md, "Settlement lines a client expects"), in order:
1. seats: monthly rate per seat × days served in the month ÷ days in the month, one line per
   assignment and month (go-live day counts, end day does not); a quarter is the sum of its months;
2. base + commission: base per seat prorated like seats, plus commission rate × (served GMV −
   refunds) of the period (never below zero);
3. per consult: the contract's tiers on the month's valid consults (graduated/volume), or the
   flat fee of the band of the month's average daily valid consults (band), × the contract's
   consult multiplier, topped up to the monthly minimum (prorated by contract days in the month);
4. extras: recurring extras per month (quantity × unit price), and dated extras (holiday allowance,
   promotion staff) once, for their days in the period served (ops.billing.engine.extras);
5. KPI deductions per assessed month (months within the break-in are skipped): the month's metric
   weighted by consults (the response-delay rate is 100% − the weighted 3-minute reply rate),
   compared with the clause's bands strictly ("over 10%": exactly 10% is met); the worst band
   reached applies (bands do not add up); deduction = % of the month's service fee or a fixed
   amount; all deductions of a month capped at kpi_cap_bp of its service fee. Every clause
   assessed is returned in EngineResult.kpi_results (met ones too) for the invoice to print;
6. deposit offset (first or last invoice, when the deposit was received);
7. manual adjustments (given by finance, reason kept);
8. late fees of earlier invoices that finance billed (or the contract bills automatically): one
   "late_fee" line each, taxable with the service (a 价外费用), engine.late_fees states the accrual.
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
* Daily allowance (daily_allowance, 每日包量: a monthly fee with N valid consults a day included):
  two "consult" lines per month — the fee, prorated by contract days like a band, and the overage
  Σ max(0, day's valid consults − N) over the month's days (each day summed over platforms) × the
  unit price; each × the multiplier and rounded once. The minimum applies to their sum.
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
* Amendments (补充协议, ContractInput.versions): an accepted amendment replaces the seat rows and
  monthly extras from its effective date (inclusive). A month it splits is billed per term segment,
  exactly like a mid-month go-live: in arrears an assignment's days are split at the date, one line
  per part at the rate of the seat row in force there ("服务 16/31 天 × ¥X/月"); in advance one
  line per seat row and segment, seats × rate × days in the segment ÷ days in the month; each
  segment's monthly extras × days in the segment ÷ days in the month, rounded once per line
  ("× 16/31 天"). A month no amendment splits bills the terms in force as before, and the true-up
  compares actual and advance lines computed with the same segments.
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
* Presentation: a line's quantity × unit price equals its amount, or the unit price is None and
  the description carries the formula. Seat/base lines (in arrears and in advance) and the per-consult
  advance are prorated monthly amounts, so they print "服务 20/30 天 × ¥6,000.00/月" (quantity the days
  or seats, no unit price); extras print quantity × unit price; consult, commission, minimum,
  true-up, KPI, adjustment, deposit and late-fee lines have no unit price.
* Lines carry no tax: Σ line amounts == taxable_fen + deposit_offset_fen, and
  total_fen == net_fen + tax_fen + deposit_offset_fen.
* due_date "day_of_next_month" uses the last day of the month when `value` exceeds it (31 → Nov 30).
"""

from ops.billing.engine.dates import days_served, due_date, invoice_period_for_run, parse_period
from ops.billing.engine.inputs import (
    CYCLES,
    DATED_UNITS,
    DEPOSIT_USAGES,
    DUE_RULES,
    SERVICE_KINDS,
    TIMINGS,
    AdjustmentInput,
    AssignmentInput,
    BandInput,
    BillingError,
    ContractInput,
    DatedExtraInput,
    EngineLine,
    EngineResult,
    ExtraInput,
    KpiInput,
    KpiResult,
    LateFeeInput,
    SeatInput,
    TermVersion,
    UsageInput,
)
from ops.billing.engine.invoice import bill
from ops.periods import MSG_PERIOD, Period

__all__ = [
    "CYCLES",
    "DATED_UNITS",
    "DEPOSIT_USAGES",
    "DUE_RULES",
    "MSG_PERIOD",
    "SERVICE_KINDS",
    "TIMINGS",
    "AdjustmentInput",
    "AssignmentInput",
    "BandInput",
    "BillingError",
    "ContractInput",
    "DatedExtraInput",
    "EngineLine",
    "EngineResult",
    "ExtraInput",
    "KpiInput",
    "KpiResult",
    "LateFeeInput",
    "Period",
    "SeatInput",
    "TermVersion",
    "UsageInput",
    "bill",
    "days_served",
    "due_date",
    "invoice_period_for_run",
    "parse_period",
]
