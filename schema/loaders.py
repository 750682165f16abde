"""The per-request loaders of every domain slice, joined (see schema.loading)."""

from __future__ import annotations

from schema.assets import AssetLoaders
from schema.identity import IdentityLoaders
from schema.knowledge import KnowledgeLoaders
from schema.leads import LeadLoaders
from schema.loading import at_once, prefetch
from schema.messaging import MessagingLoaders
from schema.orders import OrderLoaders
from schema.partners import PartnerLoaders
from schema.training import TrainingLoaders

__all__ = ["Loaders", "at_once", "prefetch"]


class Loaders(
    IdentityLoaders,
    PartnerLoaders,
    LeadLoaders,
    OrderLoaders,
    AssetLoaders,
    KnowledgeLoaders,
    MessagingLoaders,
    TrainingLoaders,
):
    """Every slice's loaders for one principal and one operation, each built on first use."""
