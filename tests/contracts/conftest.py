import pytest

from tests.contracts.helpers import make_contract


@pytest.fixture
def contract(db):
    """A draft contract for 北京晨光家居用品有限公司: 4 seats × ¥5,250.00, deposit ¥21,000.00."""
    return make_contract(db)
