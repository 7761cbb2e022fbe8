"""The clients blueprint (``/clients``): client pages, needs, the plan, and the dashboard panel.

One blueprint ``clients`` (endpoints ``clients.*``), its routes split by the nouns they act on.
"""

from ops.clients.views import clients, needs, panel, plan, templating  # noqa: F401  (routes register on bp)
from ops.clients.views.common import bp
from ops.clients.views.panel import clients_panel, register_dashboard
from ops.clients.views.templating import needs_value

__all__ = ["bp", "clients_panel", "needs_value", "register_dashboard"]
