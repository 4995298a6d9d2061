"""Grading: rubric criteria registered by name, findings with their evidence, scores."""
