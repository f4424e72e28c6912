"""The HTTP entry point: assembles the services and maps requests onto them."""

from strongroom.web.app import create_app

__all__ = ["create_app"]
