"""Receiving a file: size limit, content type sniffed from the bytes, checksum, storage."""

from __future__ import annotations

import hashlib

import filetype  # type: ignore[import-untyped]
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from tongban.core.audit import record_event
from tongban.core.errors import DomainError
from tongban.core.models import User

from ..models import Upload

# What a material may be: scans and photos, PDF and OFD (the national e-document format).
ALLOWED_TYPES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/tiff": "TIFF",
    "application/ofd": "OFD",
}
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def max_upload_bytes() -> int:
    return int(getattr(settings, "TONGBAN_MAX_UPLOAD_BYTES", DEFAULT_MAX_BYTES))


def sniff_content_type(head: bytes) -> str | None:
    """The type the bytes say they are — never the name or the browser's claim."""
    kind = filetype.guess(head)
    if kind is not None:
        # OFD is a ZIP container whose first entry is OFD.xml.
        if kind.mime == "application/zip" and b"OFD.xml" in head[:200]:
            return "application/ofd"
        return str(kind.mime)
    return None


def upload_material(owner: User, file: UploadedFile) -> Upload:
    limit = max_upload_bytes()
    size = file.size or 0
    if size == 0:
        raise DomainError("empty_file", "文件为空，请重新选择", 400)
    if size > limit:
        raise DomainError("file_too_large", f"文件大小超过{limit // (1024 * 1024)}MB的限制", 413)
    file.seek(0)
    head = file.read(8192)
    content_type = sniff_content_type(head)
    if content_type not in ALLOWED_TYPES:
        allowed = "、".join(ALLOWED_TYPES.values())
        raise DomainError("bad_file_type", f"不支持该文件类型，请上传{allowed}文件", 400)
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    with transaction.atomic():
        upload = Upload(
            owner=owner,
            original_name=(file.name or "file")[:255],
            content_type=content_type,
            size=size,
            sha256=digest.hexdigest(),
        )
        upload.file.save(
            f"{upload.public_id.hex}.{ALLOWED_TYPES[content_type].lower()}", file, save=False
        )
        upload.save()
        record_event(
            action="upload.create",
            object_type="upload",
            object_id=str(upload.public_id),
            actor=owner,
            after={"sha256": upload.sha256, "size": size, "content_type": content_type},
        )
    return upload
