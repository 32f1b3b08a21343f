from .base import PublishedVersionIsImmutable
from .bundles import Bundle, BundleEdge, BundleMember, BundleQuestion, BundleVersion
from .items import (
    Fee,
    FormField,
    ItemQuestion,
    ItemVersion,
    Material,
    ReviewStep,
    ServiceItem,
)

__all__ = [
    "Bundle",
    "BundleEdge",
    "BundleMember",
    "BundleQuestion",
    "BundleVersion",
    "Fee",
    "FormField",
    "ItemQuestion",
    "ItemVersion",
    "Material",
    "PublishedVersionIsImmutable",
    "ReviewStep",
    "ServiceItem",
]
