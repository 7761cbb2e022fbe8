import pytest


@pytest.fixture
def outbox(app):
    """The in-memory mail backend's outbox, empty at the start of each test."""
    state = app.extensions["mailman"]
    state.outbox = []
    yield state.outbox
    state.outbox = []
