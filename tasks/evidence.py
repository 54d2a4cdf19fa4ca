"""佐证材料 files: the type is checked by content, not by name.

Accepted: pdf, doc/docx, xls/xlsx, jpg/jpeg, png. Old Office files share one container
(OLE2); new ones are zip archives told apart by their inner folders.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePath

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"

CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}


class EvidenceError(ValueError):
    pass


@dataclass(frozen=True)
class CheckedFile:
    extension: str
    content_type: str


def evidence_check(*, filename: str, head: bytes, content: bytes | None = None) -> CheckedFile:
    """The file's type if its content matches its extension, else EvidenceError in Chinese."""
    extension = PurePath(filename).suffix.lower()
    if extension not in CONTENT_TYPES:
        raise EvidenceError(f"「{filename}」的类型不允许：只能上传 pdf、doc、docx、xls、xlsx、jpg、png 文件。")
    if not _matches(extension, head, content):
        raise EvidenceError(f"「{filename}」的内容与扩展名 {extension} 不符，请上传原始文件。")
    return CheckedFile(extension, CONTENT_TYPES[extension])


def _matches(extension: str, head: bytes, content: bytes | None) -> bool:
    if extension == ".pdf":
        return head.startswith(b"%PDF-")
    if extension in {".jpg", ".jpeg"}:
        return head.startswith(b"\xff\xd8\xff")
    if extension == ".png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in {".doc", ".xls"}:
        return head.startswith(OLE2)
    if not head.startswith(ZIP) or content is None:
        return False
    folder = "word/" if extension == ".docx" else "xl/"
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            return any(name.startswith(folder) for name in archive.namelist())
    except zipfile.BadZipFile:
        return False
