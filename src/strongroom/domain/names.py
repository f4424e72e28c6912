"""Project names (PEP 503 normalisation, PyPI's validity rule)."""

from __future__ import annotations

import re

from packaging.utils import canonicalize_name

_VALID_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])\Z", re.IGNORECASE | re.ASCII)


def normalize(name: str) -> str:
    """The PEP 503 normalised form: lowercase, runs of ``-_.`` folded to ``-``."""
    return str(canonicalize_name(name))


def is_valid_project_name(name: str) -> bool:
    """Whether ``name`` is a valid project name (ASCII letters, digits, ``._-`` inside)."""
    return bool(_VALID_NAME.match(name))
