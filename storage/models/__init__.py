"""All models: every module of this package is imported, so that Base.metadata knows every
table without a list to keep. A new domain's models are imported from their own module
(`from storage.models.things import Thing`); the names below are the older domains' exports.
"""

import importlib
import pkgutil

from storage.models.assets import Asset, AssetDownload, AssetPartner, AssetUpload, AssetVersion
from storage.models.base import Base
from storage.models.events import ChangeCounter, Event, EventAudience, EventRecipient
from storage.models.identity import (
    Invitation,
    Organization,
    PasswordReset,
    RefreshToken,
    RevokedToken,
    Throttle,
    User,
)
from storage.models.knowledge import (
    Article,
    ArticleAsset,
    ArticleCategory,
    ArticleFeedback,
    ArticlePartner,
    ArticleRead,
    ArticleReadDay,
    ArticleRevision,
    BestPractice,
    BestPracticeAttachment,
    BestPracticeComment,
    BestPracticePartner,
    BestPracticeRating,
    SearchMiss,
)
from storage.models.leads import (
    DealRegistration,
    Lead,
    LeadActivity,
    LeadAssignment,
    LeadNote,
    RoutingSettings,
)
from storage.models.messaging import (
    Conversation,
    ConversationParticipant,
    Message,
    MessageAttachment,
    MessageMention,
    MessagingSettings,
)
from storage.models.orders import (
    InboundReceipt,
    Order,
    OrderLine,
    OrderSettings,
    OrderStatusChange,
    Product,
    ProductLine,
    ProductPrice,
    StockLevel,
    StockMovement,
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
    "Article",
    "ArticleAsset",
    "ArticleCategory",
    "ArticleFeedback",
    "ArticlePartner",
    "ArticleRead",
    "ArticleReadDay",
    "ArticleRevision",
    "AssessmentAttempt",
    "Asset",
    "AssetDownload",
    "AssetPartner",
    "AssetUpload",
    "AssetVersion",
    "Base",
    "BestPractice",
    "BestPracticeAttachment",
    "BestPracticeComment",
    "BestPracticePartner",
    "BestPracticeRating",
    "Certification",
    "CertificationCourse",
    "CertificationDefinition",
    "ChangeCounter",
    "Conversation",
    "ConversationParticipant",
    "Course",
    "DealRegistration",
    "Enrolment",
    "Event",
    "EventAudience",
    "EventRecipient",
    "InboundReceipt",
    "Invitation",
    "Lead",
    "LeadActivity",
    "LeadAssignment",
    "LeadNote",
    "Lesson",
    "LessonProgress",
    "Message",
    "MessageAttachment",
    "MessageMention",
    "MessagingSettings",
    "Order",
    "OrderLine",
    "OrderSettings",
    "OrderStatusChange",
    "Organization",
    "Partner",
    "PartnerChange",
    "PartnerSpecialization",
    "PasswordReset",
    "Product",
    "ProductLine",
    "ProductPrice",
    "RefreshToken",
    "RevokedToken",
    "RoutingSettings",
    "SearchMiss",
    "StockLevel",
    "StockMovement",
    "StockReservation",
    "Territory",
    "Throttle",
    "TierDiscount",
    "TierRequirement",
    "User",
    "Warehouse",
]

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
