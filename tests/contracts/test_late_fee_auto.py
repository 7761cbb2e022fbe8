"""The contract term "滞纳金出账时自动计收" (contracts.late_fee_auto): off by default, set on the edit page."""

from tests.contracts.test_views import edit_data


def test_late_fee_auto_is_off_by_default_and_set_on_the_edit_page(client, login_as, db, contract):
    assert contract.late_fee_auto is False
    login_as("sales")
    assert client.post(f"/contracts/{contract.id}/edit", data=edit_data(contract)).status_code == 302
    db.session.refresh(contract)
    assert contract.late_fee_auto is False  # an unticked box stays off
    response = client.post(f"/contracts/{contract.id}/edit", data=edit_data(contract, late_fee_auto="y"))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(contract)
    assert contract.late_fee_auto is True
    assert "（出账时自动计收）" in client.get(f"/contracts/{contract.id}").get_data(as_text=True)
