"""Accounts, roles, cohorts and the security audit log."""
