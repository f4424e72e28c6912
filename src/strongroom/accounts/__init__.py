"""People: user accounts (the ``User`` table) and their passwords."""

from strongroom.accounts.admin import (
    AccountAdmin,
    AccountDependent,
    DeletedAccount,
    Released,
    SecondFactorsReset,
)
from strongroom.accounts.models import User
from strongroom.accounts.service import AccountService, UserSummary, user_named

__all__ = ["AccountService", "User", "UserSummary", "user_named"]
__all__ += ["AccountAdmin", "AccountDependent", "DeletedAccount", "Released", "SecondFactorsReset"]
