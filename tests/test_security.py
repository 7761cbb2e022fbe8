import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from tests.conftest import login

PUBLIC = {"auth.login", "static", "bootstrap.static", "main.set_language"}


def _example_url(app, rule):
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = 1
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0] if hasattr(converter, "items") else "x"
        else:
            values[name] = "x"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _rules(app):
    from ops import is_public

    return [
        r for r in app.url_map.iter_rules() if r.endpoint not in PUBLIC and not is_public(app, r.endpoint)
    ]


def test_every_route_redirects_anonymous_users_to_login(app, client):
    rules = _rules(app)
    assert len(rules) >= 10
    for rule in rules:
        url = _example_url(app, rule)
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        response = client.open(url, method=method)
        assert response.status_code == 302, f"{rule.endpoint} {url} -> {response.status_code}"
        assert "/login" in response.headers["Location"], rule.endpoint


def test_post_without_csrf_token_is_refused(app, client, make_user):
    user = make_user("admin")
    login(client, user.username)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/admin/users/{user.id}/reset-password")
        assert response.status_code == 400
        assert "页面已过期" in response.get_data(as_text=True)
        response = client.post("/login", data={"username": user.username, "password": "x"})
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_post_with_csrf_token_is_accepted(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        html = client.get("/login").get_data(as_text=True)
        token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post("/login", data={"username": "nobody", "password": "x", "csrf_token": token})
        assert response.status_code == 200
        assert "用户名或密码错误" in response.get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.parametrize(
    "role,url,expected",
    [
        ("admin", "/admin/users/", 200),
        ("admin", "/admin/audit/", 200),
        ("admin", "/", 200),
        ("manager", "/admin/users/", 403),
        ("manager", "/admin/audit/", 403),
        ("manager", "/", 200),
        ("sales", "/admin/users/", 403),
        ("sales", "/", 200),
        ("trainer", "/admin/audit/", 403),
        ("trainer", "/", 200),
        ("finance", "/admin/users/new", 403),
        ("finance", "/", 200),
        ("client", "/admin/users/", 403),
        ("client", "/admin/audit/", 403),
    ],
)
def test_roles_reach_what_they_should(client, login_as, role, url, expected):
    login_as(role)
    response = client.get(url)
    assert response.status_code == expected


def test_navigation_follows_role(client, login_as):
    login_as("sales")
    html = client.get("/").get_data(as_text=True)
    assert "用户管理" not in html and "审计日志" not in html
    client.post("/logout")
    login_as("admin")
    html = client.get("/").get_data(as_text=True)
    assert "用户管理" in html and "审计日志" in html
