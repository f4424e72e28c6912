"""The security history: logins, second factors, tokens, roles and address changes, each with
its time, address and user agent, recorded in the transaction of the change it describes."""

from strongroom.history.kinds import EventKind
from strongroom.history.models import SecurityEvent
from strongroom.history.service import MAX_PAGE, EventView, History, iso_utc

__all__ = ["MAX_PAGE", "EventKind", "EventView", "History", "SecurityEvent", "iso_utc"]
