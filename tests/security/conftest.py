"""The security tests' world: loaded once per module (the demo takes seconds), wiped afterwards.

Tests that use ``world`` share it within their module, so the per-test table cleaning of
tests/conftest.py is skipped for them; every other test here is cleaned as usual.
"""

import pytest

from tests.security.world import build_world, wipe_tables


@pytest.fixture(autouse=True)
def _clean_tables(request):
    yield
    if "app" not in request.fixturenames or "world" in request.fixturenames:
        return
    wipe_tables(request.getfixturevalue("app"))


@pytest.fixture(scope="module")
def world(app):
    wipe_tables(app)
    with app.app_context():
        built = build_world()
    yield built
    wipe_tables(app)
