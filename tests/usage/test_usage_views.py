"""The usage pages: who reaches them, the client's month with totals and the chart data."""

import json

import pytest

from tests.factories import make_client
from tests.usage.usage_helpers import upload, zh_csv


@pytest.mark.parametrize(
    "role,expected",
    [("finance", 200), ("manager", 200), ("admin", 200), ("sales", 403), ("trainer", 403), ("client", 403)],
)
def test_usage_pages_are_for_finance_manager_and_admin(client, login_as, db, role, expected):
    shop = make_client(db)
    login_as(role)
    for url in ("/usage/", "/usage/import", f"/usage/client/{shop.id}", "/usage/template.csv"):
        assert client.get(url).status_code == expected, url
    assert upload(client, b"x").status_code == expected


def test_client_page_shows_the_month_totals_and_chart_data(client, login_as, db):
    login_as("finance")
    shop = make_client(db, name="晨光")
    rows = [
        ("2026/10/01", "天猫", 300, 270, "1000.00", "100", "10", "90%"),
        ("2026/10/01", "京东", 100, 90, "500.50", "0", "30", "100%"),
        ("2026/10/02", "天猫", 200, 180, "", "", "12.34", "95.5"),
        ("2026/09/30", "天猫", 999, 999, "", "", "", ""),
    ]
    upload(client, zh_csv("晨光", rows).encode("utf-8"))
    response = client.get(f"/usage/client/{shop.id}?month=2026-10")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "¥1,000.00" in html and "¥500.50" in html and "12.3" in html and "95.5%" in html
    # Totals: 300 + 100 + 200 = 600 consults, 540 valid, ¥1,500.50 GMV, ¥100.00 refunds.
    # First response weighted by consults: (10 × 300 + 30 × 100 + 12.34 × 200) / 600 = 14.113 s -> "14.1".
    # 3-minute reply: (90 × 300 + 100 × 100 + 95.5 × 200) / 600 = 93.5 %.
    assert "合计（2 天）" in html and "¥1,500.50" in html and "14.1" in html and "93.5%" in html
    assert "999" not in html  # September is not October
    data = html.split('<script type="application/json" id="usage-chart-data">')[1].split("</script>")[0]
    chart = json.loads(data)
    assert chart["labels"][:3] == ["10/1", "10/2", "10/3"] and len(chart["labels"]) == 31
    assert chart["consults"][:3] == [400, 200, 0] and chart["valid"][:3] == [360, 180, 0]
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/usage_chart.js" in html
    assert "2026-09" in html and "2026-11" in html  # month navigation


def test_client_page_defaults_to_the_latest_month_and_handles_no_data(client, login_as, db):
    login_as("manager")
    shop = make_client(db, name="晨光")
    html = client.get(f"/usage/client/{shop.id}").get_data(as_text=True)
    assert "没有用量数据" in html and "usage-chart-data" not in html
    upload(client, zh_csv("晨光", [("2026/08/15", "天猫", 5, 5, "", "", "", "")]).encode("utf-8"))
    html = client.get(f"/usage/client/{shop.id}").get_data(as_text=True)
    assert "2026-08 用量" in html
    assert client.get("/usage/client/999999").status_code == 404


def test_index_lists_recent_imports_and_the_client_picker(client, login_as, db):
    user = login_as("finance", display_name="刘财务")
    shop = make_client(db, name="晨光")
    upload(client, zh_csv("晨光", [("2026/10/01", "天猫", 5, 5, "", "", "", "")]).encode("utf-8"), "oct.csv")
    html = client.get("/usage/").get_data(as_text=True)
    assert "oct.csv" in html and user.display_name in html and "CSV 上传" in html
    assert f'<option value="{shop.id}">晨光' in html
    response = client.get(f"/usage/?client_id={shop.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/usage/client/{shop.id}")
