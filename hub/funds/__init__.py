"""Market development funds: budgets, allocations and requests."""
