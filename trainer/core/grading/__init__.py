"""Grading: rubric criteria registered by name, findings with their evidence, scores.

Importing the package registers every criterion module, so `criteria.CRITERIA` is complete.
"""

from trainer.core.grading import (
    census_forms_extra,
    criteria,
    forms,
    hmt,
    listing,
    maps,
    procedure,
)

__all__ = ["census_forms_extra", "criteria", "forms", "hmt", "listing", "maps", "procedure"]
