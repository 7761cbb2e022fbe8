"""The events outbox: ``emit`` in a service, delivered after commit by the queue (docs/queue.md)."""
