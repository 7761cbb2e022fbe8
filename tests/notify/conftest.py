import pytest


@pytest.fixture
def outbox(app):
    """The in-memory backend's outbox (tests use locmem), empty at the start of each test."""
    state = app.extensions["mailman"]
    state.outbox = []
    yield state.outbox
    state.outbox = []
