"""Named extension points: how one module adds to another's page without either importing the other.

Three registries live in ``app.extensions`` under fixed names; a module registers its providers when
its blueprint is registered (``bp.record_once``), and the page that shows them asks the registry.

- ``DASHBOARD_PANELS``: ``provider() -> dict | None`` — a panel on the staff dashboard for the
  current user (``flask_login.current_user``); None shows nothing.
- ``PORTAL_SECTIONS``: ``provider() -> dict | None`` — a section of the client portal's overview for
  the current client user.
- ``PIPELINE_FACTS``: ``provider(client) -> dict`` — ``PipelineFacts`` fields the client page's
  pipeline bar shows.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app

DASHBOARD_PANELS = "ops_dashboard_panels"
PORTAL_SECTIONS = "ops_portal_sections"
PIPELINE_FACTS = "ops_pipeline_facts"
HOOKS = (DASHBOARD_PANELS, PORTAL_SECTIONS, PIPELINE_FACTS)


def register(app: Flask, hook: str, provider: Callable) -> Callable:
    """Add ``provider`` to ``hook`` on ``app`` (once: registering the same provider again does nothing)."""
    if hook not in HOOKS:
        raise ValueError(f"unknown hook {hook!r}")
    providers = app.extensions.setdefault(hook, [])
    if provider not in providers:
        providers.append(provider)
    return provider


def providers(hook: str) -> list[Callable]:
    """The current app's providers for ``hook``, in registration order."""
    return list(current_app.extensions.get(hook, []))
