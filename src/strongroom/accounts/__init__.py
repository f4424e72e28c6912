"""People: user accounts and their passwords."""

from strongroom.accounts.service import AccountService

__all__ = ["AccountService"]
