"""Import every model so the metadata (and Alembic) sees the whole schema."""

from ops.audit.models import AuditEntry  # noqa: F401
from ops.auth.models import User  # noqa: F401
from ops.clients.models import Client, ClientContact, ClientShop, Needs, PlanItem  # noqa: F401
from ops.numbering import NumberSequence  # noqa: F401
from ops.quotes.models import Quote, RateCard  # noqa: F401
