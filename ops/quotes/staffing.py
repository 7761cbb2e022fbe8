"""按 Erlang C 把店铺的咨询量换算成每班所需客服人数（纯计算模块）。

本模块只依赖标准库 ``math``，不涉及 Flask 或数据库。

单位约定（所有函数一致）：

* 到达率 ``arrivals_per_hour``：次/小时；
* 平均处理时长 ``aht_seconds``：秒/次（一个客服从接起到处理完一次咨询的平均时长）；
* 接起时限 ``answer_within_seconds``：秒；
* 话务量（traffic）：Erlang，即同时在处理中的咨询数的平均值，
  ``A = arrivals_per_hour × AHT_eff / 3600``；
* 服务水平、占用率、概率：0–1 之间的小数；
* ``*_bp`` 参数：基点（万分比），10000 = 100%。

并发接待：在线客服一人可同时接待 ``concurrency`` 个会话，此处按"有效处理时长"
``AHT_eff = aht_seconds / concurrency`` 近似，即把一名并发接待 c 个会话的客服视为一个
处理速度快 c 倍的服务台。
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

__all__ = [
    "StaffingResult",
    "agents_needed",
    "erlang_c",
    "recommend_seats",
    "service_level",
]

SECONDS_PER_HOUR = 3600.0
BP_SCALE = 10000


# ---------------------------------------------------------------------------
# 参数校验
# ---------------------------------------------------------------------------


def _check_real(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name}必须是数字")
    if not math.isfinite(value):
        raise ValueError(f"{name}必须是有限数值")
    return float(value)


def _check_non_negative(value: float, name: str) -> float:
    value = _check_real(value, name)
    if value < 0:
        raise ValueError(f"{name}不能为负数")
    return value


def _check_positive(value: float, name: str) -> float:
    value = _check_real(value, name)
    if value <= 0:
        raise ValueError(f"{name}必须大于 0")
    return value


def _check_int_at_least(value: int, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}必须是整数")
    if value < minimum:
        raise ValueError(f"{name}不能小于 {minimum}")
    return value


def _effective_aht(aht_seconds: float, concurrency: int) -> float:
    aht = _check_positive(aht_seconds, "平均处理时长")
    conc = _check_int_at_least(concurrency, "同时接待数", 1)
    return aht / conc


# ---------------------------------------------------------------------------
# Erlang C 核心
# ---------------------------------------------------------------------------


def _erlang_b_step(traffic: float, b_prev: float, n: int) -> float:
    """Erlang B 递推一步：B(n) = A·B(n−1) / (n + A·B(n−1))。"""
    ab = traffic * b_prev
    return ab / (n + ab)


def _erlang_c_from_b(traffic: float, agents: int, b: float) -> float:
    """由 Erlang B 值换算 Erlang C：C = N·B / (N − A·(1 − B))，要求 N > A。"""
    return agents * b / (agents - traffic * (1.0 - b))


def _service_level_from_c(c: float, agents: int, traffic: float, t: float, aht_eff: float) -> float:
    level = 1.0 - c * math.exp(-(agents - traffic) * t / aht_eff)
    return min(1.0, max(0.0, level))


def erlang_c(traffic_erlangs: float, agents: int) -> float:
    """Erlang C：一次咨询需要排队等待（无法立即接起）的概率。

    :param traffic_erlangs: 话务量 A，单位 Erlang（= 到达率 × 平均处理时长，同一时间单位）。
    :param agents: 客服人数 N（整数，≥ 1）。
    :returns: 等待概率，0–1 之间的小数；当 ``agents <= traffic_erlangs``（队列不稳定）时返回 1.0。

    用 Erlang B 递推 B(0)=1，B(n)=A·B(n−1)/(n + A·B(n−1)) 再换算
    C = N·B/(N − A(1−B))，不计算阶乘或幂，话务量达数千 Erlang 时也不会溢出。
    """
    traffic = _check_non_negative(traffic_erlangs, "话务量")
    n_agents = _check_int_at_least(agents, "客服人数", 1)
    if traffic == 0.0:
        return 0.0
    if n_agents <= traffic:
        return 1.0
    b = 1.0
    for n in range(1, n_agents + 1):
        b = _erlang_b_step(traffic, b, n)
    return _erlang_c_from_b(traffic, n_agents, b)


def service_level(
    agents: int,
    arrivals_per_hour: float,
    aht_seconds: float,
    answer_within_seconds: float,
    concurrency: int = 1,
) -> float:
    """在给定人数下，于时限内被接起的咨询所占比例（服务水平）。

    :param agents: 客服人数 N（整数，≥ 1）。
    :param arrivals_per_hour: 到达率，次/小时（≥ 0）。
    :param aht_seconds: 平均处理时长，秒/次（> 0）。
    :param answer_within_seconds: 接起时限 t，秒（≥ 0）。
    :param concurrency: 每名客服同时接待的会话数（整数，≥ 1）。
    :returns: 0–1 之间的小数：``1 − C·exp(−(N − A)·t / AHT_eff)``，
        其中 ``AHT_eff = aht_seconds / concurrency``，``A = arrivals_per_hour × AHT_eff / 3600``；
        当 N ≤ A 时返回 0.0。
    """
    n_agents = _check_int_at_least(agents, "客服人数", 1)
    arrivals = _check_non_negative(arrivals_per_hour, "每小时咨询量")
    aht_eff = _effective_aht(aht_seconds, concurrency)
    t = _check_non_negative(answer_within_seconds, "接起时限")
    traffic = arrivals * aht_eff / SECONDS_PER_HOUR
    if n_agents <= traffic:
        return 0.0
    c = erlang_c(traffic, n_agents)
    return _service_level_from_c(c, n_agents, traffic, t, aht_eff)


def _search_agents(
    traffic: float, t: float, aht_eff: float, target: float, max_occupancy: float | None
) -> tuple[int, float]:
    """返回满足目标的最小人数及其服务水平。

    Erlang B 递推逐人推进（与 ``erlang_c`` 的运算顺序完全相同，结果逐位一致），
    从 floor(A)+1 人开始检查，总计 O(N) 次运算。服务水平随 N 单调上升、占用率随 N
    单调下降，所以第一个同时满足两者的 N 即为最小值。
    """
    start = math.floor(traffic) + 1
    b = 1.0
    n = 0
    while True:
        n += 1
        b = _erlang_b_step(traffic, b, n)
        if n < start:
            continue
        if max_occupancy is not None and traffic / n > max_occupancy:
            continue
        level = _service_level_from_c(_erlang_c_from_b(traffic, n, b), n, traffic, t, aht_eff)
        if level >= target:
            return n, level


def agents_needed(
    arrivals_per_hour: float,
    aht_seconds: float,
    answer_within_seconds: float,
    target_level: float,
    concurrency: int = 1,
    max_occupancy: float | None = None,
) -> int:
    """满足服务水平目标（及可选的占用率上限）的最少客服人数。

    :param arrivals_per_hour: 到达率，次/小时（≥ 0）；为 0 时返回 0。
    :param aht_seconds: 平均处理时长，秒/次（> 0）。
    :param answer_within_seconds: 接起时限，秒（≥ 0）。
    :param target_level: 目标服务水平，0–1 之间的小数（0 ≤ 目标 < 1），例如 0.8 表示 80%。
    :param concurrency: 每名客服同时接待的会话数（整数，≥ 1）。
    :param max_occupancy: 可选的占用率上限 A/N，0–1 之间的小数（0 < 上限 ≤ 1）。
    :returns: 最小整数 N，使 ``service_level(N, …) >= target_level`` 且（如给定）``A/N <= max_occupancy``。
    """
    arrivals = _check_non_negative(arrivals_per_hour, "每小时咨询量")
    aht_eff = _effective_aht(aht_seconds, concurrency)
    t = _check_non_negative(answer_within_seconds, "接起时限")
    target = _check_real(target_level, "目标服务水平")
    if not 0.0 <= target < 1.0:
        raise ValueError("目标服务水平必须在 0（含）到 1（不含）之间")
    occupancy_cap: float | None = None
    if max_occupancy is not None:
        occupancy_cap = _check_real(max_occupancy, "占用率上限")
        if not 0.0 < occupancy_cap <= 1.0:
            raise ValueError("占用率上限必须在 0（不含）到 1（含）之间")
    if arrivals == 0.0:
        return 0
    traffic = arrivals * aht_eff / SECONDS_PER_HOUR
    n, _level = _search_agents(traffic, t, aht_eff, target, occupancy_cap)
    return n


# ---------------------------------------------------------------------------
# 面向报价的封装
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffingResult:
    """一个班次的人数建议。

    :ivar seats: 建议人数（席位数）。
    :ivar method: ``"erlang_c"``（按高峰小时 Erlang C 计算）或 ``"rule"``（按每人每天接待量的经验规则）。
    :ivar arrivals_per_hour: 高峰小时咨询量，次/小时；经验规则下为 None。
    :ivar traffic_erlangs: 有效话务量 A（已按同时接待数折算），Erlang；经验规则下为 None。
    :ivar achieved_level: 建议人数下预计的服务水平，0–1 小数；经验规则或无咨询量时为 None。
    :ivar explanation: 给客户看的中文计算说明。
    """

    seats: int
    method: str
    arrivals_per_hour: float | None
    traffic_erlangs: float | None
    achieved_level: float | None
    explanation: str


def _fmt_number(value: float) -> str:
    """千分位格式；整数不带小数，否则最多两位小数（去掉末尾 0）。"""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _fmt_bp(bp: int) -> str:
    """基点转百分比文本：1200 → "12%"，1250 → "12.5%"。"""
    return _fmt_number(bp / 100) + "%"


def _fmt_level(level: float) -> str:
    """服务水平转百分比文本，向下取到 0.1%，避免向客户夸大达成率。"""
    return f"{math.floor(level * 1000 + 1e-9) / 10:.1f}%"


def recommend_seats(
    daily_consults: int,
    peak_hour_share_bp: int | None,
    aht_seconds: int | None,
    concurrency: int | None,
    target_level_bp: int | None,
    answer_within_seconds: int | None,
    consults_per_agent_day: int,
) -> StaffingResult:
    """按高峰小时为一个班次推荐人数。

    :param daily_consults: 日均咨询量，次/天（整数，≥ 0）。
    :param peak_hour_share_bp: 高峰小时占全天咨询量的比例，基点（10000 = 100%）。
    :param aht_seconds: 平均处理时长，秒/次。
    :param concurrency: 每名客服同时接待的会话数。
    :param target_level_bp: 目标服务水平，基点（如 8000 = 80%，须小于 10000）。
    :param answer_within_seconds: 接起时限，秒。
    :param consults_per_agent_day: 经验规则下每人每天可接待的咨询量，次/人/天（整数，≥ 1）。
    :returns: :class:`StaffingResult`。

    当 ``peak_hour_share_bp``、``aht_seconds``、``concurrency``、``target_level_bp``、
    ``answer_within_seconds`` 全部给出且为正数时，按高峰小时到达率
    ``daily_consults × peak_hour_share_bp / 10000``（次/小时）用 Erlang C 求最少人数；
    否则退回经验规则 ``ceil(daily_consults / consults_per_agent_day)``。
    """
    daily = _check_int_at_least(daily_consults, "日均咨询量", 0)
    per_agent = _check_int_at_least(consults_per_agent_day, "每人每天接待量", 1)

    erlang_inputs = (peak_hour_share_bp, aht_seconds, concurrency, target_level_bp, answer_within_seconds)
    if all(v is not None and v > 0 for v in erlang_inputs):
        return _recommend_erlang(daily, *cast("tuple[int, int, int, int, int]", erlang_inputs))
    partial = any(v is not None and v > 0 for v in erlang_inputs)
    return _recommend_rule(daily, per_agent, partial)


def _recommend_erlang(
    daily: int, share_bp: int, aht: int, concurrency: int, target_bp: int, within: int
) -> StaffingResult:
    share_bp = _check_int_at_least(share_bp, "高峰小时占比", 1)
    if share_bp > BP_SCALE:
        raise ValueError("高峰小时占比不能超过 100%")
    target_bp = _check_int_at_least(target_bp, "目标接起率", 1)
    if target_bp >= BP_SCALE:
        raise ValueError("目标接起率必须小于 100%")
    aht_eff = _effective_aht(aht, concurrency)
    t = _check_non_negative(within, "接起时限")

    arrivals = daily * share_bp / BP_SCALE
    traffic = arrivals * aht_eff / SECONDS_PER_HOUR
    premise = (
        f"高峰小时咨询 {_fmt_number(arrivals)} 次（日均 {_fmt_number(daily)} 次 × 高峰占比 {_fmt_bp(share_bp)}），"
        f"平均处理 {_fmt_number(aht)} 秒，每人同时接待 {concurrency} 个，"
        f"目标 {_fmt_number(within)} 秒内接起 {_fmt_bp(target_bp)}"
    )
    if arrivals == 0.0:
        return StaffingResult(
            seats=0,
            method="erlang_c",
            arrivals_per_hour=arrivals,
            traffic_erlangs=traffic,
            achieved_level=None,
            explanation=premise + "：无咨询量，无需排班",
        )
    seats, level = _search_agents(traffic, t, aht_eff, target_bp / BP_SCALE, None)
    return StaffingResult(
        seats=seats,
        method="erlang_c",
        arrivals_per_hour=arrivals,
        traffic_erlangs=traffic,
        achieved_level=level,
        explanation=premise + f"：Erlang C 需 {seats} 人，预计达成 {_fmt_level(level)}",
    )


def _recommend_rule(daily: int, per_agent: int, partial: bool) -> StaffingResult:
    seats = -(-daily // per_agent)  # 整数向上取整，daily > 0 时至少 1 人
    basis = "高峰数据不完整" if partial else "未提供高峰数据"
    head = f"日均咨询 {_fmt_number(daily)} 次 ÷ 每人每天 {_fmt_number(per_agent)} 次"
    body = f"{head} = {seats} 人" if daily % per_agent == 0 else f"{head}，向上取整为 {seats} 人"
    return StaffingResult(
        seats=seats,
        method="rule",
        arrivals_per_hour=None,
        traffic_erlangs=None,
        achieved_level=None,
        explanation=f"{body}（{basis}，按经验规则）",
    )
