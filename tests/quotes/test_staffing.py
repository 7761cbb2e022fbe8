"""Tests for ops.quotes.staffing (Erlang C staffing).

Reference values come from two sources that share no code with the module under test:

* ``pyworkforce.queuing.ErlangC`` (pyworkforce 0.5.1, test-only dependency), which computes
  Erlang B through the *inverse* recursion 1/B(n) = 1 + n/(A·B(n−1)) — a different recurrence
  from the module's forward one;
* ``exact_erlang_c`` below: the textbook closed form evaluated in exact rational arithmetic
  (Python ints/``Fraction`` with factorials), so it cannot overflow or lose precision at any traffic.
"""

import math
from fractions import Fraction

import pytest
from pyworkforce.queuing import ErlangC

from ops.quotes.staffing import (
    StaffingResult,
    agents_needed,
    erlang_c,
    recommend_seats,
    service_level,
)

REL = 1e-9


# ---------------------------------------------------------------------------
# Independent references
# ---------------------------------------------------------------------------


def exact_erlang_c(traffic: Fraction, agents: int, direct_up_to: int = 60) -> float:
    """Textbook Erlang C evaluated exactly, then rounded once to a float:

    C = X / (Y + X),  X = A^N/N! · N/(N − A),  Y = Σ_{k=0}^{N−1} A^k/k!

    With A = p/q every term is multiplied by N!·q^N so that Y becomes the integer
    Σ p^k · q^(N−k) · N!/k!  (summed in Horner form) and X becomes p^N · Nq/(Nq − p); then
    C = p^N·Nq / (p^N·Nq + Y·(Nq − p)), a ratio of two integers (int / int is correctly rounded).
    """
    traffic = Fraction(traffic)
    assert agents > traffic > 0
    p, q, n = traffic.numerator, traffic.denominator, agents
    # Small cases: the plain factorial formula with Fractions, as a cross-check of the scaling trick.
    if n <= direct_up_to:
        x = traffic**n / math.factorial(n) * Fraction(n) / (n - traffic)
        y = sum(traffic**k / math.factorial(k) for k in range(n))
        return float(x / (y + x))
    # Horner form: Y = q·N·h_(N−1) with h_0 = 1, h_k = p^k + q·k·h_(k−1).
    h, p_pow = 1, 1
    for k in range(1, n):
        p_pow *= p
        h = p_pow + q * k * h
    y = q * n * h
    x_num = p_pow * p * n * q
    return x_num / (x_num + y * (n * q - p))


def pyworkforce_model(arrivals_per_hour: float, aht_seconds: float, within: float, concurrency: int):
    """pyworkforce's ErlangC with consistent units (seconds, one-hour interval)."""
    aht_eff = aht_seconds / concurrency
    return ErlangC(transactions=arrivals_per_hour, aht=aht_eff, asa=within, interval=3600)


def traffic_of(arrivals_per_hour: float, aht_seconds: float, concurrency: int = 1) -> float:
    return arrivals_per_hour * (aht_seconds / concurrency) / 3600


# (arrivals per hour, AHT seconds, answer-within seconds, concurrency, agents)
PYWORKFORCE_CASES = [
    (10, 180, 20, 1, 1),  # A = 0.5
    (10, 180, 20, 1, 2),
    (10, 180, 20, 1, 3),
    (120, 180, 30, 3, 3),  # A = 2 (concurrency 3)
    (120, 180, 30, 3, 4),
    (200, 180, 20, 1, 11),  # A = 10
    (200, 180, 20, 1, 13),
    (200, 180, 20, 1, 14),
    (200, 180, 20, 1, 17),
    (1000, 300, 60, 2, 42),  # A = 41.67
    (1000, 300, 60, 2, 45),
    (1000, 300, 60, 2, 50),
    (720, 240, 20, 1, 49),  # A = 48
    (720, 240, 15, 1, 55),
    (720, 240, 20, 1, 60),
    (3600, 200, 20, 1, 201),  # A = 200
    (3600, 200, 20, 1, 210),
    (3600, 200, 20, 1, 225),
    (12000, 240, 30, 1, 801),  # A = 800
    (12000, 240, 30, 1, 820),
    (12000, 240, 30, 1, 850),
    (9000, 270, 10, 2, 340),  # A = 337.5
    (48000, 150, 20, 1, 2001),  # A = 2000
    (48000, 150, 20, 1, 2040),
    (48000, 150, 20, 1, 2100),
]


@pytest.mark.parametrize(("arrivals", "aht", "within", "conc", "agents"), PYWORKFORCE_CASES)
def test_erlang_c_and_service_level_match_pyworkforce(arrivals, aht, within, conc, agents):
    model = pyworkforce_model(arrivals, aht, within, conc)
    a = traffic_of(arrivals, aht, conc)
    assert agents > a
    assert erlang_c(a, agents) == pytest.approx(model.waiting_probability(agents), rel=REL)
    assert service_level(agents, arrivals, aht, within, conc) == pytest.approx(
        model.service_level(agents), rel=REL, abs=1e-12
    )


# Large traffic checked against the exact rational formula.
# (A as an exact fraction, agents)
EXACT_CASES = [
    (Fraction(1, 2), 1),
    (Fraction(10), 11),
    (Fraction(10), 14),
    (Fraction(48), 55),
    (Fraction(1000), 1001),
    (Fraction(1000), 1030),
    (Fraction(1000), 1100),
    (Fraction(8001, 4), 2010),  # 2000.25 erlangs
    (Fraction(8001, 4), 2100),
    (Fraction(5000), 5001),
    (Fraction(5000), 5050),
    (Fraction(5000), 5100),
    (Fraction(5000), 5250),
    (Fraction(20000), 20200),
]


@pytest.mark.parametrize(("a", "agents"), [(Fraction(1, 2), 1), (Fraction(10), 14), (Fraction(123, 2), 70)])
def test_exact_reference_paths_agree(a, agents):
    # The integer/Horner path of the reference equals the plain Fraction/factorial path.
    assert exact_erlang_c(a, agents, direct_up_to=0) == exact_erlang_c(a, agents, direct_up_to=10**9)


@pytest.mark.parametrize(("a", "agents"), EXACT_CASES)
def test_erlang_c_matches_exact_formula(a, agents):
    assert erlang_c(float(a), agents) == pytest.approx(exact_erlang_c(a, agents), rel=REL)


@pytest.mark.parametrize(
    ("arrivals", "aht", "within", "conc", "agents"),
    [
        (100_000, 180, 20, 1, 5001),  # A = 5000
        (100_000, 180, 20, 1, 5060),
        (300_000, 180, 30, 3, 5100),  # A = 5000 with concurrency
        (24_000, 150, 10, 1, 1010),  # A = 1000
    ],
)
def test_service_level_large_traffic_matches_exact_formula(arrivals, aht, within, conc, agents):
    a_exact = Fraction(arrivals) * Fraction(aht, conc) / 3600
    aht_eff = aht / conc
    c = exact_erlang_c(a_exact, agents)
    expected = 1 - c * math.exp(-(agents - float(a_exact)) * within / aht_eff)
    assert service_level(agents, arrivals, aht, within, conc) == pytest.approx(expected, rel=REL, abs=1e-12)


# ---------------------------------------------------------------------------
# Published worked example
# ---------------------------------------------------------------------------


def test_callcentrehelper_worked_example():
    """Call Centre Helper, "Erlang C Formula – Made Simple With an Easy Worked Example"
    (callcentrehelper.com/erlang-c-formula-example-121281.htm).

    Inputs: 100 calls per 30 minutes (200/hour), AHT 180 s, target 80 % answered in 20 s,
    maximum occupancy 85 %, shrinkage 30 %.  Published figures:
    traffic A = 10 Erlangs; starting at N = 11: X = 27557.32, Y = 12842.3, P(wait) = 0.6821;
    the answer N = 14: P(wait) = 0.1741, service level 88.8 %, ASA 7.8 s,
    82.6 % answered immediately, occupancy 71.4 %; with 30 % shrinkage 14 / 0.7 = 20 agents.
    """
    arrivals, aht, within = 200, 180, 20
    a = traffic_of(arrivals, aht)
    assert a == 10

    # X and Y recomputed independently with factorials.
    x = 10**11 / math.factorial(11) * 11 / (11 - 10)
    y = sum(10**i / math.factorial(i) for i in range(11))
    assert round(x, 2) == 27557.32
    assert round(y, 1) == 12842.3
    assert round(erlang_c(a, 11), 4) == 0.6821
    assert erlang_c(a, 11) == pytest.approx(x / (y + x), rel=REL)

    assert round(erlang_c(a, 14), 4) == 0.1741
    sl14 = service_level(14, arrivals, aht, within)
    assert round(sl14 * 100, 1) == 88.8
    asa = erlang_c(a, 14) * aht / (14 - a)
    assert round(asa, 1) == 7.8
    assert round((1 - erlang_c(a, 14)) * 100, 1) == 82.6
    assert round(a / 14 * 100, 1) == 71.4

    # 13 agents reach only ~79.6 %, so 14 is the minimum for 80/20 (occupancy 85 % not binding).
    assert service_level(13, arrivals, aht, within) < 0.8
    assert agents_needed(arrivals, aht, within, 0.8, max_occupancy=0.85) == 14
    assert math.ceil(14 / (1 - 0.30)) == 20


# ---------------------------------------------------------------------------
# erlang_c / service_level edge cases and validation
# ---------------------------------------------------------------------------


def test_erlang_c_unstable_queue_is_one():
    assert erlang_c(5.0, 5) == 1.0
    assert erlang_c(5.5, 3) == 1.0
    assert erlang_c(5000.0, 4999) == 1.0


def test_erlang_c_zero_traffic_never_waits():
    assert erlang_c(0.0, 1) == 0.0
    assert erlang_c(0, 7) == 0.0


def test_erlang_c_single_agent_is_occupancy():
    # M/M/1: P(wait) = rho.
    assert erlang_c(0.3, 1) == pytest.approx(0.3, rel=REL)


def test_erlang_c_decreases_with_agents():
    values = [erlang_c(48.0, n) for n in range(49, 80)]
    assert all(b < a for a, b in zip(values, values[1:], strict=False))


@pytest.mark.parametrize(
    ("traffic", "agents"),
    [(-1.0, 5), (1.0, 0), (1.0, -3), (1.0, 2.5), (1.0, True), (math.nan, 3), (math.inf, 3), ("1", 3)],
)
def test_erlang_c_rejects_bad_input(traffic, agents):
    with pytest.raises(ValueError):
        erlang_c(traffic, agents)


def test_erlang_c_error_messages_are_chinese():
    with pytest.raises(ValueError, match="话务量不能为负数"):
        erlang_c(-1.0, 3)
    with pytest.raises(ValueError, match="客服人数不能小于 1"):
        erlang_c(1.0, 0)


def test_service_level_zero_when_understaffed():
    assert service_level(10, 200, 180, 20) == 0.0  # N == A
    assert service_level(5, 200, 180, 20) == 0.0


def test_service_level_no_arrivals_is_full():
    assert service_level(1, 0, 180, 20) == 1.0


def test_service_level_zero_wait_target_is_one_minus_c():
    assert service_level(14, 200, 180, 0) == pytest.approx(1 - erlang_c(10.0, 14), rel=REL)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"agents": 0},
        {"arrivals_per_hour": -1},
        {"aht_seconds": 0},
        {"answer_within_seconds": -5},
        {"concurrency": 0},
        {"concurrency": 1.5},
    ],
)
def test_service_level_rejects_bad_input(kwargs):
    args = {"agents": 5, "arrivals_per_hour": 100, "aht_seconds": 120, "answer_within_seconds": 20}
    args.update(kwargs)
    with pytest.raises(ValueError):
        service_level(**args)


# ---------------------------------------------------------------------------
# agents_needed
# ---------------------------------------------------------------------------

# (arrivals per hour, AHT seconds, answer-within seconds, target, concurrency)
MINIMALITY_CASES = [
    (1, 300, 20, 0.8, 1),
    (10, 180, 20, 0.8, 1),
    (10, 180, 20, 0.99, 1),
    (120, 180, 30, 0.8, 3),
    (200, 180, 20, 0.8, 1),
    (200, 180, 20, 0.9, 1),
    (200, 180, 0, 0.5, 1),
    (720, 240, 20, 0.8, 1),
    (720, 240, 15, 0.95, 1),
    (1000, 300, 60, 0.85, 2),
    (1500, 420, 30, 0.8, 4),
    (3600, 200, 20, 0.8, 1),
    (3600, 200, 60, 0.999, 1),
    (12000, 240, 30, 0.8, 1),
    (9000, 270, 10, 0.7, 2),
    (48000, 150, 20, 0.9, 1),
    (100_000, 180, 20, 0.8, 1),
    (7.5, 600, 120, 0.6, 5),
    (55, 90, 5, 0.75, 1),
    (333, 333, 33, 0.83, 3),
]


@pytest.mark.parametrize(("arrivals", "aht", "within", "target", "conc"), MINIMALITY_CASES)
def test_agents_needed_is_smallest_meeting_target(arrivals, aht, within, target, conc):
    n = agents_needed(arrivals, aht, within, target, concurrency=conc)
    assert n >= 1
    assert n > traffic_of(arrivals, aht, conc)
    assert service_level(n, arrivals, aht, within, conc) >= target
    if n > 1:
        assert service_level(n - 1, arrivals, aht, within, conc) < target


@pytest.mark.parametrize(
    ("arrivals", "aht", "within", "target", "conc"),
    [case for case in MINIMALITY_CASES if case[2] > 0],  # pyworkforce requires a target time above 0
)
def test_agents_needed_agrees_with_pyworkforce(arrivals, aht, within, target, conc):
    model = pyworkforce_model(arrivals, aht, within, conc)
    expected = model.required_positions(target)["raw_positions"]
    assert agents_needed(arrivals, aht, within, target, concurrency=conc) == expected


@pytest.mark.parametrize(
    ("arrivals", "aht", "within", "target", "conc", "cap"),
    [
        (200, 180, 20, 0.8, 1, 0.7),  # A = 10: cap forces 15 (10/14 = 0.714 > 0.7)
        (200, 180, 20, 0.8, 1, 0.85),  # cap not binding: 14
        (720, 240, 20, 0.8, 1, 0.8),  # A = 48: needs 60
        (12000, 240, 30, 0.8, 1, 0.9),  # A = 800
        (1000, 300, 60, 0.8, 2, 0.5),
        (50, 60, 20, 0.8, 1, 1.0),
    ],
)
def test_agents_needed_respects_occupancy_cap(arrivals, aht, within, target, conc, cap):
    n = agents_needed(arrivals, aht, within, target, concurrency=conc, max_occupancy=cap)
    a = traffic_of(arrivals, aht, conc)
    assert a / n <= cap
    assert service_level(n, arrivals, aht, within, conc) >= target
    prev = n - 1
    assert prev == 0 or a / prev > cap or service_level(prev, arrivals, aht, within, conc) < target
    assert n >= agents_needed(arrivals, aht, within, target, concurrency=conc)


def test_occupancy_cap_hand_worked():
    # A = 10 erlangs; 80/20 alone needs 14 (see the worked example); 10/14 = 71.4 % > 70 %,
    # 10/15 = 66.7 % <= 70 %, so the cap pushes the answer to 15.
    assert agents_needed(200, 180, 20, 0.8) == 14
    assert agents_needed(200, 180, 20, 0.8, max_occupancy=0.7) == 15
    # A = 48: 48/0.8 = 60 agents exactly.
    assert agents_needed(720, 240, 20, 0.8, max_occupancy=0.8) == 60


def test_concurrency_reduces_agents_needed():
    single = agents_needed(600, 180, 30, 0.8, concurrency=1)
    double = agents_needed(600, 180, 30, 0.8, concurrency=2)
    triple = agents_needed(600, 180, 30, 0.8, concurrency=3)
    assert single > double > triple
    # Concurrency c is modelled as AHT / c.
    assert triple == agents_needed(600, 60, 30, 0.8, concurrency=1)
    assert service_level(5, 600, 180, 30, 3) == service_level(5, 600, 60, 30, 1)


def test_agents_needed_zero_arrivals():
    assert agents_needed(0, 180, 20, 0.8) == 0
    assert agents_needed(0.0, 180, 20, 0.8, concurrency=3, max_occupancy=0.8) == 0


def test_agents_needed_zero_target_is_first_stable_count():
    assert agents_needed(200, 180, 20, 0.0) == 11
    assert agents_needed(720, 240, 20, 0.0) == 49


def test_agents_needed_more_for_stricter_target():
    counts = [agents_needed(720, 240, 20, t) for t in (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)]
    assert counts == sorted(counts)
    assert counts[0] < counts[-1]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"target_level": 1.0},
        {"target_level": -0.1},
        {"target_level": math.nan},
        {"max_occupancy": 0.0},
        {"max_occupancy": 1.2},
        {"arrivals_per_hour": -10},
        {"aht_seconds": -1},
        {"concurrency": 0},
    ],
)
def test_agents_needed_rejects_bad_input(kwargs):
    args = {"arrivals_per_hour": 100, "aht_seconds": 120, "answer_within_seconds": 20, "target_level": 0.8}
    args.update(kwargs)
    with pytest.raises(ValueError):
        agents_needed(**args)


def test_large_traffic_is_finite():
    c = erlang_c(5000.0, 5100)
    n = agents_needed(100_000, 180, 20, 0.8)  # A = 5000 erlangs
    n_big = agents_needed(400_000, 180, 20, 0.9)  # A = 20000 erlangs
    n_capped = agents_needed(100_000, 180, 20, 0.8, max_occupancy=0.9)

    assert 0.0 < c < 1.0 and math.isfinite(c)
    assert 5000 < n < 5200
    assert service_level(n, 100_000, 180, 20) >= 0.8 > service_level(n - 1, 100_000, 180, 20)
    assert 20000 < n_big < 20400
    assert n_capped == max(n, math.ceil(5000 / 0.9))


# ---------------------------------------------------------------------------
# recommend_seats
# ---------------------------------------------------------------------------


def test_recommend_seats_erlang_hand_worked():
    # Peak hour: 1,000/day × 12 % = 120 chats/hour. AHT 180 s with 3 concurrent chats -> AHT_eff 60 s,
    # A = 120 × 60 / 3600 = 2 erlangs.
    # N = 3: C(3, 2) = 4/9, SL = 1 − 4/9·e^(−(3−2)·30/60) = 73.0 % < 80 %.
    # N = 4: C(4, 2) = 4/23, SL = 1 − 4/23·e^(−(4−2)·30/60) = 93.60 % >= 80 %.
    result = recommend_seats(1000, 1200, 180, 3, 8000, 30, 200)
    assert isinstance(result, StaffingResult)
    assert result.method == "erlang_c"
    assert result.seats == 4
    assert result.arrivals_per_hour == 120
    assert result.traffic_erlangs == pytest.approx(2.0)
    assert erlang_c(2.0, 3) == pytest.approx(4 / 9, rel=REL)
    assert erlang_c(2.0, 4) == pytest.approx(4 / 23, rel=REL)
    assert result.achieved_level == pytest.approx(1 - 4 / 23 * math.exp(-1), rel=REL)
    assert 1 - 4 / 9 * math.exp(-0.5) < 0.8
    assert result.explanation == (
        "高峰小时咨询 120 次（日均 1,000 次 × 高峰占比 12%），平均处理 180 秒，每人同时接待 3 个，"
        "目标 30 秒内接起 80%：Erlang C 需 4 人，预计达成 93.6%"
    )


def test_recommend_seats_erlang_matches_worked_example():
    # 2,000/day × 10 % = 200/hour, AHT 180 s, 80 % in 20 s -> 14 agents, 88.8 % (callcentrehelper).
    result = recommend_seats(2000, 1000, 180, 1, 8000, 20, 150)
    assert result.method == "erlang_c"
    assert result.seats == 14
    assert result.traffic_erlangs == pytest.approx(10.0)
    assert result.explanation.endswith("Erlang C 需 14 人，预计达成 88.8%")
    assert "高峰占比 10%" in result.explanation
    assert "每人同时接待 1 个" in result.explanation


def test_recommend_seats_erlang_fractional_peak():
    # 1,234 × 12.5 % = 154.25 chats/hour.
    result = recommend_seats(1234, 1250, 240, 2, 9000, 15, 200)
    assert result.method == "erlang_c"
    assert result.arrivals_per_hour == pytest.approx(154.25)
    assert result.seats == agents_needed(154.25, 240, 15, 0.9, concurrency=2)
    assert "高峰小时咨询 154.25 次（日均 1,234 次 × 高峰占比 12.5%）" in result.explanation
    assert result.achieved_level >= 0.9


def test_recommend_seats_erlang_large_shop():
    # 240,000/day × 10 % = 24,000/hour, AHT 300 s, 2 concurrent -> A = 1,000 erlangs.
    result = recommend_seats(240_000, 1000, 300, 2, 8000, 20, 200)
    assert result.method == "erlang_c"
    assert result.traffic_erlangs == pytest.approx(1000.0)
    assert 1000 < result.seats < 1060
    assert "日均 240,000 次" in result.explanation
    assert "高峰小时咨询 24,000 次" in result.explanation


def test_recommend_seats_erlang_zero_volume():
    result = recommend_seats(0, 1200, 180, 3, 8000, 30, 200)
    assert result.method == "erlang_c"
    assert result.seats == 0
    assert result.achieved_level is None
    assert "无需排班" in result.explanation


def test_recommend_seats_rule_exact_division():
    result = recommend_seats(1000, None, None, None, None, None, 200)
    assert result == StaffingResult(
        seats=5,
        method="rule",
        arrivals_per_hour=None,
        traffic_erlangs=None,
        achieved_level=None,
        explanation="日均咨询 1,000 次 ÷ 每人每天 200 次 = 5 人（未提供高峰数据，按经验规则）",
    )


def test_recommend_seats_rule_rounds_up():
    result = recommend_seats(1001, None, None, None, None, None, 200)
    assert result.seats == 6
    assert (
        result.explanation
        == "日均咨询 1,001 次 ÷ 每人每天 200 次，向上取整为 6 人（未提供高峰数据，按经验规则）"
    )


def test_recommend_seats_rule_small_shop_gets_one_seat():
    result = recommend_seats(30, None, None, None, None, None, 200)
    assert result.seats == 1
    assert result.method == "rule"


def test_recommend_seats_rule_zero_volume():
    assert recommend_seats(0, None, None, None, None, None, 200).seats == 0


@pytest.mark.parametrize(
    "peak_inputs",
    [
        (1200, None, 3, 8000, 30),  # AHT missing
        (1200, 180, 0, 8000, 30),  # concurrency not positive
        (1200, 180, 3, 8000, None),  # answer-within missing
        (0, 180, 3, 8000, 30),  # peak share zero
        (1200, 180, 3, 0, 30),  # target zero
    ],
)
def test_recommend_seats_incomplete_peak_data_falls_back(peak_inputs):
    result = recommend_seats(1000, *peak_inputs, 200)
    assert result.method == "rule"
    assert result.seats == 5
    assert result.arrivals_per_hour is None
    assert result.explanation == "日均咨询 1,000 次 ÷ 每人每天 200 次 = 5 人（高峰数据不完整，按经验规则）"


def test_recommend_seats_result_is_frozen():
    result = recommend_seats(1000, None, None, None, None, None, 200)
    with pytest.raises(AttributeError):
        result.seats = 9


@pytest.mark.parametrize(
    "args",
    [
        (1000, 12000, 180, 3, 8000, 30, 200),  # peak share > 100 %
        (1000, 1200, 180, 3, 10000, 30, 200),  # 100 % target is unreachable
        (1000, None, None, None, None, None, 0),  # per-agent capacity must be >= 1
        (-1, None, None, None, None, None, 200),  # negative volume
    ],
)
def test_recommend_seats_rejects_bad_input(args):
    with pytest.raises(ValueError):
        recommend_seats(*args)
