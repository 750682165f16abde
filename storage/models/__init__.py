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
from storage.models.training import (
    AssessmentAttempt,
    Certification,
    CertificationCourse,
    CertificationDefinition,
    Course,
    Enrolment,
    Lesson,
    LessonProgress,
    TierRequirement,
)

__all__ = [
    "AssessmentAttempt",
    "Asset",
    "AssetDownload",
    "AssetPartner",
    "AssetUpload",
    "AssetVersion",
    "Base",
    "Certification",
    "CertificationCourse",
    "CertificationDefinition",
    "Course",
    "DealRegistration",
    "Enrolment",
    "Event",
    "EventAudience",
    "InboundReceipt",
    "Invitation",
    "Lead",
    "LeadActivity",
    "LeadAssignment",
    "LeadNote",
    "Lesson",
    "LessonProgress",
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
    "TierRequirement",
    "User",
    "Warehouse",
]
