"""Reading the events a scan emitted (ops.events), for the scheduled-work tests."""


def events_of(kind: str) -> list:
    """The ``kind`` events, oldest first: each with ``.payload`` (dict) and ``.key``."""
    from ops.events.services import EMITTED  # STUB until the core is merged

    return [e for e in EMITTED if e.kind == kind]
