"""Incentive programs and rebates: rules, accruals with clawbacks, statements, payouts."""
