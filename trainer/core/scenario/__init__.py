"""Scenarios: the file format, its loader and validator, static checks and the path bot."""
