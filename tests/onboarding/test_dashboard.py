"""The onboarding dashboard: every number equals the list behind its link; queries do not grow with agents."""

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import url_for
from sqlalchemy import event

from ops.onboarding import services
from ops.onboarding.models import AGENT_STATES, Agent, Assignment, ChecklistItem
from ops.timeutil import today
from tests.factories import make_client
from tests.onboarding.helpers import complete_checklist, make_agent, make_assignment, make_contract

TRANSACTION_CONTROL = {
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
}  # how often these run is not a query


def _total(client, url: str) -> int:
    html = client.get(url).get_data(as_text=True)
    return int(re.search(r"共 (\d+) 条", html).group(1))


def _scenario(db, make_user):
    trainer, manager = make_user("trainer"), make_user("manager")
    on = today()
    monday = on - timedelta(days=on.weekday())
    a = make_contract(db)
    b = make_contract(db)
    make_contract(db, status="pending_signature")  # waiting for training: nobody assigned
    overdue1 = make_assignment(db, contract=a, planned=on - timedelta(days=3), by=trainer)
    make_assignment(db, contract=a, planned=on - timedelta(days=1), by=trainer)
    live = make_assignment(db, contract=a, planned=on - timedelta(days=20), by=trainer)
    complete_checklist(db, live, trainer, manager)
    services.go_live(live, by=manager, on=on - timedelta(days=14))
    next_week = make_assignment(db, contract=b, planned=monday + timedelta(days=8), by=trainer)
    services.mark_item_blocked(next_week.items[0], by=trainer, reason="子账号名额不足")
    services.mark_item_blocked(overdue1.items[1], by=trainer, reason="权限待店长确认")
    make_agent(db, name="待分配", status="recruiting")
    db.session.commit()
    return a, b


def test_dashboard_numbers_match_the_linked_lists(client, login_as, make_user, db):
    a, b = _scenario(db, make_user)
    login_as("manager")
    html = client.get("/onboarding/").get_data(as_text=True)
    data = services.dashboard_data()
    on = today()

    checks = []
    for row in data["by_client"]:
        for status, n in row["counts"].items():
            checks.append((n, f"/onboarding/agents?client_id={row['client_id']}&status={status}"))
    for status, n in data["unassigned"].items():
        checks.append((n, f"/onboarding/agents?unassigned=1&status={status}"))
    for status, n in data["funnel"].items():
        checks.append((n, f"/onboarding/agents?status={status}"))
    for o in data["overdue"]:
        checks.append((o["count"], f"/onboarding/assignments?client_id={o['client_id']}&overdue=1"))
    for c in data["completion"]:
        checks.append((c["assignments"], f"/onboarding/assignments?client_id={c['client_id']}&state=pending"))
    checks.append((data["overdue_total"], "/onboarding/assignments?overdue=1"))
    checks.append((data["blocked_assignment_count"], "/onboarding/assignments?blocked=1"))
    for week in data["weeks"]:
        f = week["filters"]
        checks.append(
            (
                week["count"],
                f"/onboarding/assignments?state=pending&planned_from={f['planned_from']}"
                f"&planned_to={f['planned_to']}",
            )
        )
    for n, url in checks:
        assert _total(client, url) == n, url
        if n and "unassigned" not in url or "status=" not in url:
            assert url.replace("&", "&amp;") in html or url in html, url

    # The figures themselves, worked out from the scenario by hand.
    assert data["overdue_total"] == 2 and data["overdue"][0]["client_id"] == a.client_id
    assert data["blocked_assignment_count"] == 2 and data["blocked_item_count"] == 2
    monday = on - timedelta(days=on.weekday())
    this_week = sum(1 for d in (on - timedelta(days=3), on - timedelta(days=1)) if d >= monday)
    assert [w["count"] for w in data["weeks"]] == [this_week, 1]
    assert data["funnel"] == {"recruiting": 1, "training": 3, "ready": 0, "live": 1}
    assert [c.number for c in data["waiting_contracts"]] and len(data["waiting_contracts"]) == 1
    assert "子账号名额不足" in html and "权限待店长确认" in html
    # The weekly chart: one actual go-live 14 days ago, in the week it fell in.
    assert sum(w["actual"] for w in data["chart_weeks"]) == 1
    week = next(w for w in data["chart_weeks"] if w["actual"])
    assert _total(client, f"/onboarding/assignments?live_from={week['start']}&live_to={week['end']}") == 1
    completion = {c["client_id"]: (c["done"], c["total"]) for c in data["completion"]}
    assert completion[a.client_id] == (0, 20) and completion[b.client_id] == (0, 10)
    assert 'id="dashboard-data"' in html and "<script>" not in html.replace(
        '<script type="application/json"', ""
    )


def test_per_client_table_cells_link_what_url_for_builds(app, client, login_as, make_user, db):
    """The view writes the table's count cells itself (one per client and status): each link is the
    one url_for builds, a 0 is grey text, the unassigned agents have their row."""
    a, _b = _scenario(db, make_user)
    login_as("manager")
    html = client.get("/onboarding/").get_data(as_text=True)
    zero = '<td class="num"><span class="text-muted">0</span></td>'

    def cell(n: int, **args) -> str:
        href = url_for("onboarding.agents", **args).replace("&", "&amp;")
        return f'<td class="num"><a href="{href}">{n}</a></td>'

    with app.test_request_context():
        # Client a: two agents in training (overdue go-lives), one live; statuses in AGENT_STATES order.
        row_a = zero + cell(2, client_id=a.client_id, status="training") + zero
        row_a += cell(1, client_id=a.client_id, status="live") + zero
        unassigned = cell(1, unassigned=1, status="recruiting") + zero * 4
    assert AGENT_STATES == ("recruiting", "training", "ready", "live", "left")
    assert f"<tr><td>{a.client.name}</td>{row_a}</tr>" in html
    assert f'<tr class="table-light"><td class="text-muted">未分配</td>{unassigned}</tr>' in html


def _bulk_agents(db, contract, start: int, count: int) -> None:
    """Agents with a pending assignment and a ten-item checklist each (rows added directly)."""
    for n in range(start, start + count):
        agent = Agent(name=f"客服{n}", employee_no=f"B-{n:05d}", status=("training", "ready", "live")[n % 3])
        assignment = Assignment(
            agent=agent,
            contract_id=contract.id,
            client_id=contract.client_id,
            scope="presales",
            shift="day",
            planned_go_live_on=today() - timedelta(days=n % 9),
        )
        if n % 3 == 2:
            assignment.go_live_on = contract.start_on
        for p in range(10):
            assignment.items.append(
                ChecklistItem(
                    position=p,
                    title=f"事项{p}",
                    state=("todo", "done", "blocked")[(n + p) % 3],
                    blocked_reason="原因",
                )
            )
        db.session.add(agent)
    db.session.commit()


def _count_statements(app, client, db) -> int:
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.split(None, 1)[0].upper() not in TRANSACTION_CONTROL:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get("/onboarding/")
        assert response.status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_dashboard_statement_count_does_not_grow_with_agents(app, client, login_as, db):
    login_as("manager")
    contracts = [make_contract(db) for _ in range(3)]
    make_contract(db, status="pending_signature")
    for i, contract in enumerate(contracts):
        _bulk_agents(db, contract, i * 1000, 4 if i < 2 else 2)  # 10 agents
    client.get("/onboarding/")  # warm-up
    few = _count_statements(app, client, db)
    for i, contract in enumerate(contracts):
        _bulk_agents(db, contract, 10_000 + i * 1000, 64 if i < 2 else 62)  # 190 more: 200 agents
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agent)) == 200
    many = _count_statements(app, client, db)
    assert few == many


def test_lists_do_not_grow_queries_with_rows(app, client, login_as, db):
    login_as("manager")
    contract = make_contract(db)
    _bulk_agents(db, contract, 0, 30)  # more than a page: the pager's count query runs in both cases
    client.get("/onboarding/assignments")
    few = (_count_list(client, db, "/onboarding/assignments"), _count_list(client, db, "/onboarding/agents"))
    _bulk_agents(db, contract, 100, 40)
    many = (_count_list(client, db, "/onboarding/assignments"), _count_list(client, db, "/onboarding/agents"))
    assert few == many


def _count_list(client, db, url) -> int:
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.split(None, 1)[0].upper() not in TRANSACTION_CONTROL:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_the_per_client_table_pages_and_the_long_lists_show_their_first_rows(
    client, login_as, make_user, db, monkeypatch
):
    """At a large vendor's size the per-client table pages through the clients (by name) and the
    overdue and checklist lists show their first rows with a line saying how many more."""
    from ops.onboarding import views

    monkeypatch.setattr(views, "CLIENTS_PER_PAGE", 2)
    monkeypatch.setattr(views, "DASHBOARD_LIST_ROWS", 2)
    trainer = make_user("trainer")
    on = today()
    contracts = [make_contract(db, make_client(db, name=f"翻页客户{i}")) for i in (3, 1, 2)]
    for days, contract in zip((1, 2, 3), contracts, strict=True):
        make_assignment(db, contract=contract, planned=on - timedelta(days=days), by=trainer)
    started = make_assignment(db, contract=contracts[1], planned=on - timedelta(days=5), by=trainer)
    services.mark_item_done(started.items[0], by=trainer, evidence="ok")  # 翻页客户1: one item done
    db.session.commit()
    login_as("manager")

    def table_rows(html: str) -> list[str]:
        table = html.split("各客户客服状态", 1)[1].split("</table>", 1)[0]
        return re.findall(r"<tr><td>(翻页客户\d)</td>", table)

    first = client.get("/onboarding/").get_data(as_text=True)
    second = client.get("/onboarding/?page=2").get_data(as_text=True)
    assert table_rows(first) == ["翻页客户1", "翻页客户2"] and table_rows(second) == ["翻页客户3"]
    assert "共 3 条" in first and 'href="/onboarding/?page=2"' in first
    # Overdue: 翻页客户1 (two assignments) first, then one more of the two with one each.
    overdue = first.split("逾期未上线（按客户）", 1)[1].split("</table>", 1)[0]
    assert re.findall(r"<tr><td>(翻页客户\d)</td>", overdue)[0] == "翻页客户1"
    assert len(re.findall(r"<tr><td>翻页客户\d</td>", overdue)) == 2
    assert (
        "另有 1 个客户有逾期的计划上线。" in overdue and 'href="/onboarding/assignments?overdue=1"' in overdue
    )
    # Checklists: the least complete first; 翻页客户1, with an item done, is the one left out.
    checklists = first.split("清单完成度（待上线的分配）", 1)[1].split("</table>", 1)[0]
    assert re.findall(r"<tr><td>(翻页客户\d)</td>", checklists) == ["翻页客户2", "翻页客户3"]
    assert "完成度最低的 2 个客户；另有 1 个。" in checklists
