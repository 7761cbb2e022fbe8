"""Checklist items that follow from training records tick themselves (called by training services)."""


def apply_training_facts(agent_id: int) -> int:
    """Re-evaluate the agent's auto-ticking checklist items (training attended, exam passed).

    Returns how many items changed. Implemented by the onboarding module.
    """
    return 0
