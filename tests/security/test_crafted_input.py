"""Crafted input never gives a 500: ids and page numbers out of range, empty form posts.

Every route of the URL map is walked with the demo world of tests/security/world.py: an id beyond
64 bits in the path is a 404 (it would overflow the driver's integer), a huge ``?page=`` is a 404,
a negative or non-numeric one is the first page, an integer filter beyond 64 bits is ignored, and
an EMPTY form posted to every POST route by every role the security matrix lets through is a form
error or a redirect, never a 500.
"""

import pytest
from flask import url_for
from werkzeug.routing import IntegerConverter

from tests.conftest import login
from tests.security.test_matrix import MATRIX, OK, routes, url_values

HUGE = 2**64  # one more than the largest unsigned 64-bit integer
ROLES_THAT_POST = ("admin", "manager", "sales", "trainer", "finance", "client")


def _get(client, url):
    """GET (or POST) a URL; an exception escaping the app is reported as a 500 with its text."""
    try:
        response = client.get(url)
    except Exception as exc:  # noqa: BLE001 (TESTING propagates exceptions: that is the 500 we look for)
        return 500, repr(exc)
    response.close()
    return response.status_code, ""


def _int_rules(app):
    return sorted(
        (
            rule
            for rule in routes(app).values()
            if any(isinstance(c, IntegerConverter) for c in rule._converters.values())
        ),
        key=lambda r: r.endpoint,
    )


def test_every_route_with_an_id_answers_404_for_an_id_beyond_64_bits(app, client, world):
    login(client, world.usernames["admin"])
    rules = _int_rules(app)
    assert len(rules) > 50  # the issue counted about 60 such routes
    failures = []
    for rule in rules:
        values = url_values(world, rule, "admin")
        for name, converter in rule._converters.items():
            if not isinstance(converter, IntegerConverter):
                continue
            with app.test_request_context():
                path = url_for(rule.endpoint, **{**values, name: HUGE})
            assert str(HUGE) in path
            if "GET" in rule.methods:
                status, text = _get(client, path)
            else:
                try:
                    response = client.post(path, data={})
                    status, text = response.status_code, ""
                    response.close()
                except Exception as exc:  # noqa: BLE001
                    status, text = 500, repr(exc)
            if status not in (404, 405):  # 405: a same-path rule of the other method (werkzeug)
                failures.append((rule.endpoint, name, status, text))
    assert failures == []


def test_a_page_number_beyond_any_list_is_404_and_a_bad_one_is_the_first_page(app, client, world):
    login(client, world.usernames["admin"])
    lists = [
        "/clients/",
        "/quotes/",
        "/contracts/",
        "/billing/invoices",
        "/usage/",
        "/admin/audit/",
        "/admin/users/",
        "/training/materials",
        "/training/sessions",
        "/admin/rate-cards/",
        "/admin/api-tokens/",
    ]
    for path in lists:
        assert _get(client, path)[0] == 200, path
        for huge in (str(HUGE), "9" * 5000, "99999999999"):
            assert _get(client, f"{path}?page={huge}")[0] == 404, (path, huge[:20])
        for odd in ("-1", "0", "abc", "1e9", "-99999999999999999999999", "", "²"):
            assert _get(client, f"{path}?page={odd}")[0] == 200, (path, odd)


def test_integer_filters_beyond_64_bits_are_ignored(app, client, world):
    login(client, world.usernames["admin"])
    urls = [
        f"/quotes/?client_id={HUGE}&owner_id={HUGE}",
        f"/contracts/?client_id={HUGE}",
        f"/billing/invoices?client_id={HUGE}",
        f"/usage/?client_id={HUGE}",
        f"/admin/audit/?object_id={HUGE}",
        f"/clients/?owner={HUGE}",
        f"/training/sessions?client_id={HUGE}&trainer_id={HUGE}",
        f"/training/materials/new?client_id={HUGE}",
        f"/onboarding/agents?client_id={HUGE}&unassigned={HUGE}",
        f"/onboarding/assignments?client_id={HUGE}&agent_id={HUGE}&contract_id={HUGE}&overdue={HUGE}",
        f"/onboarding/assignments/new?agent_id={HUGE}&contract_id={HUGE}",
        f"/quotes/new?client_id={HUGE}",
        f"/clients/?owner={'9' * 5000}",
    ]
    for url in urls:
        assert _get(client, url)[0] in (200, 302), url


def _post_targets(app):
    for endpoint, rule in sorted(routes(app).items()):
        if (
            "POST" not in rule.methods
            or endpoint.startswith(("api.", "api_"))  # token-authenticated: tests/api
            or endpoint in {"auth.logout", "auth.login"}
        ):
            continue
        for role in ROLES_THAT_POST:
            if MATRIX[endpoint][1 + ROLES_THAT_POST.index(role)] == OK:
                yield endpoint, role


@pytest.mark.parametrize("role", ROLES_THAT_POST)
def test_an_empty_form_posted_to_every_post_route_never_gives_a_500(app, client, world, role):
    login(client, world.usernames[role])
    targets = [endpoint for endpoint, r in _post_targets(app) if r == role]
    assert targets
    failures = []
    for endpoint in targets:
        rule = routes(app)[endpoint]
        with app.test_request_context():
            url = url_for(endpoint, **url_values(world, rule, role))
        try:
            response = client.post(url, data={})
            status = response.status_code
            response.close()
        except Exception as exc:  # noqa: BLE001 (TESTING propagates exceptions: that is the 500)
            failures.append((endpoint, repr(exc)[:300]))
            continue
        if status >= 500:
            failures.append((endpoint, status))
    assert failures == []


def test_ids_beyond_64_bits_in_select_fields_are_form_errors(app, client, world):
    login(client, world.usernames["admin"])
    a = world.a
    posts = [
        (
            "/onboarding/assignments/new",
            {"agent_id": HUGE, "contract_id": HUGE, "scope": "presales", "shift": "day"},
        ),
        (
            "/onboarding/assignments/new",
            {"agent_id": a.agent_id, "contract_id": HUGE, "scope": "presales", "shift": "day"},
        ),
        (
            "/training/sessions/new",
            {
                "title": "培训",
                "client_id": HUGE,
                "contract_id": HUGE,
                "mode": "online",
                "trainer_id": HUGE,
                "starts_at": "2030-01-01T09:00",
                "ends_at": "2030-01-01T11:00",
                "meeting_link": "https://m.example.cn/1",
                "material_ids": HUGE,
                "agent_ids": HUGE,
                "exam_pass_mark": "80",
                "exam_max_attempts": "3",
            },
        ),
        (f"/training/sessions/{a.session_id}/attendance", {"attended": HUGE}),
        ("/training/materials/new", {"title": "资料", "category": "faq", "client_id": HUGE}),
        ("/quotes/new", {"client_id": HUGE}),
        ("/admin/api-tokens/new", {"name": "令牌", "client_id": HUGE}),
        (
            "/admin/users/new",
            {
                "username": "huge",
                "display_name": "大",
                "role": "client",
                "client_id": HUGE,
                "password": "a-long-password-2026",
            },
        ),
    ]
    failures = []
    for url, data in posts:
        try:
            response = client.post(url, data=data)
            status = response.status_code
            response.close()
        except Exception as exc:  # noqa: BLE001 (TESTING propagates exceptions: that is the 500)
            failures.append((url, repr(exc)[:200]))
            continue
        if status >= 500 or status == 302 and "/new" in url:
            failures.append((url, status))
    assert failures == []


def test_an_agent_edited_without_the_skills_field_has_no_skills(app, client, world):
    from ops.extensions import db
    from ops.onboarding.models import Agent

    login(client, world.usernames["admin"])
    with app.app_context():
        agent = db.session.get(Agent, world.a.agent_id)
        data = {"name": agent.name, "employee_no": agent.employee_no, "status": agent.status}
    response = client.post(f"/onboarding/agents/{world.a.agent_id}/edit", data=data)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Agent, world.a.agent_id).skills == []


def test_a_monthly_consults_figure_beyond_any_column_is_a_form_error(app, world):
    # ``world`` only so that this module's shared data is not wiped after this test (conftest).
    from werkzeug.datastructures import MultiDict

    from ops.quotes.forms import QuoteEditForm

    with app.test_request_context(method="POST"):
        form = QuoteEditForm(formdata=MultiDict({"monthly_consults": str(HUGE)}))
        form.validate()
        assert form.monthly_consults.errors == ["咨询量必须在 0 到 100000000 之间"]


@pytest.mark.parametrize("from_id", [str(HUGE), "9" * 5000, "abc"])
def test_a_rate_card_copied_from_an_absurd_id_is_404(app, client, world, from_id):
    assert login(client, world.usernames["admin"]).status_code == 302
    response = client.post("/admin/rate-cards/new", data={"from_id": from_id})
    assert response.status_code == 404
