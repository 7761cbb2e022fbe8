"""The contract term "催款提醒节点" (terms.dunning_days): default −3, +1, +7, +15; set on the edit page;
a bad value is refused with a message and nothing changes."""

from tests.contracts.test_views import edit_data


def test_reminder_days_default_and_are_set_on_the_edit_page(client, login_as, db, contract):
    login_as("sales")
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "相对到期日 -3, +1, +7, +15 天" in page
    assert 'value="-3, +1, +7, +15"' in client.get(f"/contracts/{contract.id}/edit").get_data(as_text=True)
    response = client.post(
        f"/contracts/{contract.id}/edit", data=edit_data(contract, dunning_days="10，0 , 30")
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(contract)
    assert contract.terms["dunning_days"] == [0, 10, 30]
    assert "相对到期日 0, +10, +30 天" in client.get(f"/contracts/{contract.id}").get_data(as_text=True)


def test_a_bad_value_is_refused_and_nothing_changes(client, login_as, db, contract):
    login_as("sales")
    html = client.post(
        f"/contracts/{contract.id}/edit", data=edit_data(contract, dunning_days="-3, 一周")
    ).get_data(as_text=True)
    assert "“一周”不是天数" in html
    html = client.post(
        f"/contracts/{contract.id}/edit", data=edit_data(contract, dunning_days="400")
    ).get_data(as_text=True)
    assert "提醒节点须在到期日前 90 天至到期后 365 天之间" in html
    db.session.refresh(contract)
    assert "dunning_days" not in contract.terms


def test_a_blank_value_means_the_default(client, login_as, db, contract):
    login_as("sales")
    client.post(f"/contracts/{contract.id}/edit", data=edit_data(contract, dunning_days=" "))
    db.session.refresh(contract)
    assert contract.terms["dunning_days"] == [-3, 1, 7, 15]
