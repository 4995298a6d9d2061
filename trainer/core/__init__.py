"""The domain core: pure Python, no web framework, ORM or media library.

Everything here is deterministic and testable without Flask or a database. Feature packages
call into it through their services; `tests/test_architecture.py` keeps it framework-free.
"""
