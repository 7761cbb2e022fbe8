"""The demo quotes cover every state and model."""

import sqlalchemy as sa

from ops.demo.quotes import load_quotes_demo
from ops.quotes import services
from ops.quotes.models import Quote
from tests.quotes.quote_factories import client_with_needs


def test_demo_makes_quotes_in_every_state(db, make_user):
    users = {
        "sales": make_user("sales", username="sales"),
        "manager": make_user("manager", username="manager"),
    }
    names = [
        "北京晨光家居旗舰店",
        "上海优品数码",
        "杭州小熊母婴",
        "广州花漾美妆",
        "深圳极客数码",
        "成都川味零食",
    ]
    clients = [client_with_needs(db, name=name) for name in names]
    made = load_quotes_demo(clients, users)
    db.session.commit()
    quotes = db.session.scalars(sa.select(Quote)).all()
    assert len(quotes) == len(made) == 9
    assert {q.status for q in quotes} == {"draft", "sent", "accepted", "rejected", "expired", "superseded"}
    assert {q.model for q in quotes} == {"fixed_seat", "base_commission", "per_consult"}
    assert any(q.version == 2 for q in quotes)
    assert any(services.awaiting_approval(q) for q in quotes)
    assert any(q.discount_approved_at is not None and q.status == "sent" for q in quotes)
