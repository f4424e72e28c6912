"""The security history: logins, second factors, tokens, roles and address changes, each with
its time, address and user agent."""

from strongroom.history.models import SecurityEvent

__all__ = ["SecurityEvent"]
