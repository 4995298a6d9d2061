"""Grading: rubric criteria registered by name, findings with their evidence, scores.

Importing the package registers every criterion module, so `criteria.CRITERIA` is complete.
"""

from trainer.core.grading import criteria, forms, procedure

__all__ = ["criteria", "forms", "procedure"]
