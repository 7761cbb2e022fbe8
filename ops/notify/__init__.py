"""Delivery of events: the in-app notification centre, e-mail, preferences and the outbox page.

Services write ``ops.events`` rows with ``emit`` in their own transaction; ``dispatch_events``
(a queue task, ``ops/events/tasks.py``) turns each into deliveries — one row per (event, recipient,
channel) with a unique key, written before anything is sent — and sends them.
"""
