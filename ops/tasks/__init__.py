"""The task queue (Huey), jobs users can see, and the consumer's heartbeat (docs/queue.md)."""
