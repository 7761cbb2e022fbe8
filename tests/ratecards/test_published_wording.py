"""A published or archived card's page says its state once (it read "这份价目表已已发布")."""

from ops.ratecards import services


def test_published_and_archived_cards_read_naturally(client, login_as, db, make_user):
    owner = make_user("admin", username="owner")
    v1 = services.ensure_default_rate_card(owner)
    db.session.commit()
    login_as("admin")
    html = client.get(f"/admin/rate-cards/{v1.id}").get_data(as_text=True)
    assert "这份价目表已发布，内容不能再修改" in html and "已已" not in html
    v2 = services.create_draft(owner)
    services.publish(v2, owner)
    db.session.commit()
    html = client.get(f"/admin/rate-cards/{v1.id}").get_data(as_text=True)
    assert "这份价目表已归档，内容不能再修改" in html and "已已" not in html
