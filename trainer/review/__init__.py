"""Examiner review of attempts, analytics and release of scores."""
