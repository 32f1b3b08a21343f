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

__all__ = [
    "Application",
    "ApplicationMaterial",
    "Case",
    "CaseLink",
    "Notice",
    "NumberSequence",
    "SpecialProcedure",
    "SupplementRequest",
    "Upload",
    "VerificationTask",
]
