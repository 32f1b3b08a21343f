"""Masks personal data in log output: resident ID numbers and mobile numbers.

Logs leave the database's field encryption behind (they go to files, journald, log
collectors), so a number a view or library happened to log must not land there whole. The
filter rewrites each record's message once, with its arguments merged, keeping enough digits
to tell records apart: 430602********1234, 138****5678. Unified social credit codes (18
characters, letters allowed) name companies, not people, and are left as they are.

Installed on the root handler in settings.LOGGING, so it covers every logger that
propagates (Django's, gunicorn's when configured through Django, ours).
"""

from __future__ import annotations

import logging
import re

# 18-character resident ID (GB 11643): 6-digit region, 8-digit birth date (19xx/20xx),
# 3-digit sequence, check digit or X. The date part keeps most USCCs (which start with a
# letter/digit register code and contain letters) and long order numbers from matching; the
# digit look-arounds stop it from biting into longer digit runs.
_RESIDENT_ID = re.compile(
    r"(?<![0-9A-Za-z])(\d{6})((?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
    r"(\d{3}[\dXx])(?![0-9A-Za-z])"
)
# Mainland mobile numbers: 1, then 3–9, then 9 digits; an optional +86/86 prefix is kept.
_MOBILE = re.compile(r"(?<!\d)((?:\+?86)?1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_TRACEBACKS = logging.Formatter()


def mask_personal_data(text: str) -> str:
    # ID numbers first: a mobile-shaped run inside an ID number must not be masked twice.
    text = _RESIDENT_ID.sub(lambda m: m.group(1) + "********" + m.group(3), text)
    return _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


class PersonalDataFilter(logging.Filter):
    """Rewrites record.msg to the masked, fully formatted message and clears record.args.

    Formatting here (instead of masking each argument) also catches numbers split between the
    format string and an argument, and arguments whose str() holds a number (a dict, a form's
    data). Records without personal data are left untouched, arguments included.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return True
        masked = mask_personal_data(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            # An exception's message can quote a number too. The handler's formatter reuses
            # exc_text when it is set, so the masked traceback is what gets written.
            record.exc_text = mask_personal_data(_TRACEBACKS.formatException(record.exc_info))
        return True
