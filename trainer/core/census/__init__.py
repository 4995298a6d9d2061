"""The census forms as data: items, code lists, skip rules and validation (R601 first).

Importing the package registers the long form's rules with R601's (`long_form`), so
`r601.validate` is complete whichever module is imported first.
"""

from trainer.core.census import long_form

__all__ = ["long_form"]
