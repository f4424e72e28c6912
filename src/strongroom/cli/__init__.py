"""The ``strongroom`` command."""

from strongroom.cli.main import main

__all__ = ["main"]
