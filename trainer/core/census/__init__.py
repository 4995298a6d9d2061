"""The census forms as data: items, code lists, skip rules and validation (R601 first)."""
