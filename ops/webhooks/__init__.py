"""Webhooks: subscriptions, signed deliveries of events to other systems (docs/webhooks.md)."""
