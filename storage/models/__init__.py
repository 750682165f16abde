"""All models, imported so that Base.metadata knows every table."""

from storage.models.assets import Asset, AssetDownload, AssetPartner, AssetUpload, AssetVersion
from storage.models.base import Base
from storage.models.events import Event, EventAudience
from storage.models.identity import (
    Invitation,
    Organization,
    RevokedToken,
    Throttle,
    User,
)
from storage.models.leads import (
    DealRegistration,
    Lead,
    LeadActivity,
    LeadAssignment,
    LeadNote,
    RoutingSettings,
)
from storage.models.orders import (
    InboundReceipt,
    Order,
    OrderLine,
    OrderStatusChange,
    Product,
    ProductPrice,
    StockLevel,
    StockReservation,
    TierDiscount,
    Warehouse,
)
from storage.models.partners import (
    Partner,
    PartnerChange,
    PartnerSpecialization,
    Territory,
)

__all__ = [
    "Asset",
    "AssetDownload",
    "AssetPartner",
    "AssetUpload",
    "AssetVersion",
    "Base",
    "DealRegistration",
    "Event",
    "EventAudience",
    "InboundReceipt",
    "Invitation",
    "Lead",
    "LeadActivity",
    "LeadAssignment",
    "LeadNote",
    "Order",
    "OrderLine",
    "OrderStatusChange",
    "Organization",
    "Partner",
    "PartnerChange",
    "PartnerSpecialization",
    "Product",
    "ProductPrice",
    "RevokedToken",
    "RoutingSettings",
    "StockLevel",
    "StockReservation",
    "Territory",
    "Throttle",
    "TierDiscount",
    "User",
    "Warehouse",
]
