"""Import every model so the metadata (and Alembic) sees the whole schema."""

from ops.audit.models import AuditEntry  # noqa: F401
from ops.auth.models import User  # noqa: F401
