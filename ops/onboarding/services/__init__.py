"""Go-live (stage 5): agents, assignments, checklists, the credential vault, templates, platform rules.

Every function here is one business action: it checks, writes and records an audit entry. None
commits: the view or CLI command commits once. An action that checks state and then writes locks
its rows first, in the order contract → assignment → checklist item → agent → client, and checks
under the lock (docs/architecture.md, "Locks and check-then-write"). Checklist rules live in
``ops.onboarding.checklist`` (pure); state labels in ``ops.onboarding.states``.

One module per noun; this package re-exports every public name, so ``from ops.onboarding import
services`` and ``services.go_live(...)`` keep working:

- ``agents``: agents' details and status, an agent's training record;
- ``agent_import``: agents imported from a CSV file, all or none;
- ``assignments``: creating (bounded by the seats), planning, going live, ending, cancelling, undoing;
- ``seats``: the contract's seats sold and used;
- ``checklists``: the default template, each assignment's items and the gate;
- ``credentials``: sub-accounts and the vault (key rotation);
- ``platform_rules``: the platform rules kept as data, seeded from the article;
- ``dashboard``: the lists' filters and the dashboard's figures.
"""

from ops.onboarding.services.agent_import import (
    AgentImport,
    AgentImportError,
    check_agent_file,
    import_agents,
)
from ops.onboarding.services.agents import (
    AGENT_FIELDS,
    create_agent,
    set_agent_status,
    training_summary,
    update_agent,
)
from ops.onboarding.services.assignments import (
    assignable_contracts,
    cancel_assignment,
    create_assignment,
    end_assignment,
    go_live,
    undo_go_live,
    update_planned_go_live,
)
from ops.onboarding.services.checklists import (
    ACTION_TARGETS,
    ITEM_ACTIONS,
    ITEM_FIELDS,
    TEMPLATE_ITEM_FIELDS,
    add_template_item,
    default_template,
    ensure_default_template,
    gate,
    item_actions,
    mark_item_blocked,
    mark_item_done,
    mark_item_na,
    mark_item_verified,
    move_template_item,
    remove_template_item,
    reopen_item,
    update_template_item,
)
from ops.onboarding.services.common import (
    ASSIGNABLE_CONTRACT_STATES,
    GATE_OVERRIDERS,
    REVEALERS,
    RULE_EDITORS,
    WRITERS,
    GoLiveRefused,
    NotAllowed,
    OnboardingError,
)
from ops.onboarding.services.credentials import reveal_password, rotate_vault_key, set_credential
from ops.onboarding.services.dashboard import (
    PANEL_FILTERS,
    assignment_state_condition,
    clients_with_agents,
    current_condition,
    dashboard_data,
    filter_agents,
    filter_assignments,
    panel_counts,
    progress_by_assignment,
    week_start,
)
from ops.onboarding.services.golive_soon import GOLIVE_NOTICE_DAYS, announce_golives_soon
from ops.onboarding.services.platform_rules import (
    ALL_PLATFORMS,
    RULE_FIELDS,
    SEED_PLATFORM_RULES,
    SEED_SOURCE,
    create_platform_rule,
    delete_platform_rule,
    ensure_platform_rules,
    update_platform_rule,
)
from ops.onboarding.services.seats import contract_seat_rows, seat_usage
from ops.onboarding.states import (
    AGENT_STATUS_BADGES,
    AGENT_STATUS_LABELS,
    ASSIGNMENT_STATE_LABELS,
    FUNNEL,
)
from ops.vocab import SCOPES as SCOPE_LABELS
from ops.vocab import SHIFTS as SHIFT_LABELS

__all__ = [
    "GOLIVE_NOTICE_DAYS",
    "announce_golives_soon",
    "ACTION_TARGETS",
    "AGENT_FIELDS",
    "AGENT_STATUS_BADGES",
    "AGENT_STATUS_LABELS",
    "ALL_PLATFORMS",
    "ASSIGNABLE_CONTRACT_STATES",
    "ASSIGNMENT_STATE_LABELS",
    "FUNNEL",
    "GATE_OVERRIDERS",
    "ITEM_ACTIONS",
    "ITEM_FIELDS",
    "REVEALERS",
    "RULE_EDITORS",
    "RULE_FIELDS",
    "SCOPE_LABELS",
    "SEED_PLATFORM_RULES",
    "SEED_SOURCE",
    "SHIFT_LABELS",
    "TEMPLATE_ITEM_FIELDS",
    "WRITERS",
    "AgentImport",
    "AgentImportError",
    "GoLiveRefused",
    "PANEL_FILTERS",
    "NotAllowed",
    "OnboardingError",
    "add_template_item",
    "assignable_contracts",
    "assignment_state_condition",
    "cancel_assignment",
    "check_agent_file",
    "contract_seat_rows",
    "create_agent",
    "create_assignment",
    "create_platform_rule",
    "clients_with_agents",
    "current_condition",
    "dashboard_data",
    "default_template",
    "delete_platform_rule",
    "end_assignment",
    "ensure_default_template",
    "ensure_platform_rules",
    "filter_agents",
    "filter_assignments",
    "gate",
    "import_agents",
    "go_live",
    "item_actions",
    "mark_item_blocked",
    "mark_item_done",
    "mark_item_na",
    "mark_item_verified",
    "move_template_item",
    "panel_counts",
    "progress_by_assignment",
    "remove_template_item",
    "reopen_item",
    "reveal_password",
    "rotate_vault_key",
    "seat_usage",
    "set_agent_status",
    "set_credential",
    "training_summary",
    "undo_go_live",
    "update_agent",
    "update_planned_go_live",
    "update_platform_rule",
    "update_template_item",
    "week_start",
]
