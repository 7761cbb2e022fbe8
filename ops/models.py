"""Import every model so the metadata (and Alembic) sees the whole schema."""

from ops.audit.models import AuditEntry  # noqa: F401
from ops.auth.models import ApiToken, LoginThrottle, User  # noqa: F401
from ops.bank.models import BankFormat, BankPayerAccount, BankStatement, BankTransaction  # noqa: F401
from ops.billing.models import CreditNote, DunningReminder, Invoice, InvoiceLine, Payment  # noqa: F401
from ops.clients.models import Client, ClientContact, ClientShop, Needs, PlanItem  # noqa: F401
from ops.contracts.models import (  # noqa: F401
    ClauseTemplate,
    Contract,
    ContractClause,
    ContractKpi,
    ContractKpiBand,
    VendorProfile,
)
from ops.events.models import Event  # noqa: F401
from ops.fapiao.models import FapiaoItemCode  # noqa: F401
from ops.idempotency import IdempotencyKey  # noqa: F401
from ops.notify.models import Delivery, Notification, NotificationPreference  # noqa: F401
from ops.numbering import NumberSequence  # noqa: F401
from ops.onboarding.models import (  # noqa: F401
    Agent,
    Assignment,
    ChecklistItem,
    ChecklistTemplate,
    ChecklistTemplateItem,
    Credential,
    PlatformRule,
)
from ops.quotes.models import Quote, RateCard  # noqa: F401
from ops.tasks.models import Job, JobItem, QueueHeartbeat  # noqa: F401
from ops.training.models import ExamAttempt, Material, MaterialVersion, SessionInvite, TrainingSession  # noqa: F401
from ops.usage.models import UsageDaily, UsageImport  # noqa: F401
from ops.webhooks.models import WebhookDelivery, WebhookSubscription  # noqa: F401
