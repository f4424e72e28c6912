"""Rendering what uploaders write (long descriptions) in worker processes, under a deadline."""

from strongroom.rendering.sandbox import ReadmeSandbox

__all__ = ["ReadmeSandbox"]
