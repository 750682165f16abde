"""All models, imported so that Base.metadata knows every table."""

from storage.models.base import Base
from storage.models.identity import (
    Invitation,
    Organization,
    RevokedToken,
    Throttle,
    User,
)
from storage.models.partners import (
    Partner,
    PartnerChange,
    PartnerSpecialization,
    Territory,
)

__all__ = [
    "Base",
    "Invitation",
    "Organization",
    "Partner",
    "PartnerChange",
    "PartnerSpecialization",
    "RevokedToken",
    "Territory",
    "Throttle",
    "User",
]
