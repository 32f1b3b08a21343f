from .application import Application, ApplicationMaterial, Upload
from .case import (
    Case,
    CaseLink,
    Notice,
    NumberSequence,
    SpecialProcedure,
    SupplementRequest,
    VerificationTask,
)
from .proxy import ConsentMethod, MandateState, ProxyMandate

__all__ = [
    "Application",
    "ApplicationMaterial",
    "Case",
    "CaseLink",
    "ConsentMethod",
    "MandateState",
    "Notice",
    "NumberSequence",
    "ProxyMandate",
    "SpecialProcedure",
    "SupplementRequest",
    "Upload",
    "VerificationTask",
]
