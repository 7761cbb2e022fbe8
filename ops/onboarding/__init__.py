"""Go-live: agents, assignments to contracts, checklists, the credential vault, the onboarding dashboard."""
