"""Strongroom: a secure, self-hostable, PyPI-compatible Python package index."""

__version__ = "0.1.0"
