"""The one store of uploaded evidence (``var/attachments``): every writer and reader goes through it.

A file is accepted for what its bytes are, never for what the client says it is: the magic bytes must be one
of the allowed types (JPG/PNG/WEBP photos, AMR/MP3/SILK voice, WAV recordings, PDF), the size at most
``MAX_SIZE``. It is written under a random name (no part of the client's name reaches the file system) to a
temporary file first and renamed into place, so a crash never leaves half a file under a real name. A reference
``file:<32 hex><ext>`` is what the database keeps; a reference that is not one plain file name in the folder
(a separator, a leading dot) does not resolve to a path.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from .errors import AttachmentRejected, AttachmentTooLarge

MAX_SIZE = 10 * 1024 * 1024
# one file name directly in the folder: no separators, no leading dot (our names are <32 hex><ext>)
REF_RE = re.compile(r"file:([A-Za-z0-9][A-Za-z0-9_.\-]{0,99})")
UNSAFE_NAME_RE = re.compile(r"[\x00-\x1f\x7f\"\\/:*?<>|\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class FileType:
    mime: str
    ext: str
    kind: str  # work-order attachment kind: photo | voice | recording | file
    label: str


JPEG = FileType("image/jpeg", ".jpg", "photo", "JPG")
PNG = FileType("image/png", ".png", "photo", "PNG")
WEBP = FileType("image/webp", ".webp", "photo", "WEBP")
AMR = FileType("audio/amr", ".amr", "voice", "AMR")
MP3 = FileType("audio/mpeg", ".mp3", "voice", "MP3")
SILK = FileType("audio/silk", ".silk", "voice", "SILK")
WAV = FileType("audio/wav", ".wav", "recording", "WAV")
PDF = FileType("application/pdf", ".pdf", "file", "PDF")
ALL_TYPES = (JPEG, PNG, WEBP, AMR, MP3, SILK, WAV, PDF)
PHOTOS = (JPEG, PNG, WEBP)


def _mp3_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a valid version/layer, bitrate and sample rate."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and rate != 3


def sniff(data: bytes) -> FileType | None:
    """The type the bytes are, by their magic numbers; None for anything not allowed."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return WAV
    if data.startswith((b"#!AMR\n", b"#!AMR-WB\n")):
        return AMR
    if data.startswith((b"#!SILK_V3", b"\x02#!SILK_V3")):  # WeChat's voice files carry a 0x02 first
        return SILK
    if data.startswith(b"ID3") or _mp3_frame(data[:4]):
        return MP3
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def safe_name(name: str, file_type: FileType, fallback: str = "附件") -> str:
    """A display/download name: no directories, control or bidi characters, at most 200 characters, and
    ending in the extension of what the file really is (``evil.html`` of a PNG becomes ``evil.html.png``)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = UNSAFE_NAME_RE.sub("", name).strip(" .") or fallback
    if not name.lower().endswith(file_type.ext) and not (file_type is JPEG and name.lower().endswith(".jpeg")):
        name = name[: 200 - len(file_type.ext)] + file_type.ext
    return name[-200:] if len(name) > 200 else name


@dataclass(frozen=True)
class Stored:
    ref: str  # what the attachment row keeps: file:<hex><ext>
    type: FileType
    size: int
    name: str  # the safe display name


class AttachmentStore:
    def __init__(self, folder: Path, max_size: int = MAX_SIZE):
        self.folder = Path(folder)
        self.max_size = max_size

    def check(self, data: bytes, allowed: tuple[FileType, ...] = ALL_TYPES) -> FileType:
        """What ``data`` is, if it may be stored; raises AttachmentTooLarge / AttachmentRejected."""
        if len(data) > self.max_size:
            raise AttachmentTooLarge(f"附件不能超过{self.max_size // (1024 * 1024)}MB")
        if not data:
            raise AttachmentRejected("附件内容为空")
        found = sniff(data)
        if found is None or found not in allowed:
            raise AttachmentRejected(f"仅支持 {describe(allowed)}（按文件内容识别）")
        return found

    def save(self, data: bytes, name: str = "", allowed: tuple[FileType, ...] = ALL_TYPES) -> Stored:
        """Check, then write atomically under a random name. The caller records ``ref`` in the database."""
        file_type = self.check(data, allowed)
        stored = uuid.uuid4().hex + file_type.ext
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.folder / stored)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Stored(f"file:{stored}", file_type, len(data), safe_name(name, file_type))

    def path(self, ref: str) -> Path | None:
        """The file of a ``file:`` reference, or None for a channel media id or anything malformed."""
        match = REF_RE.fullmatch(ref or "")
        if not match:
            return None
        return self.folder / match.group(1)

    def open(self, ref: str) -> tuple[Path, FileType | None] | None:
        """The file and the type its bytes are now (None when not an allowed type, e.g. an old upload)."""
        path = self.path(ref)
        if path is None or not path.is_file():
            return None
        with path.open("rb") as f:
            head = f.read(16)
        return path, sniff(head)

    def delete(self, ref: str) -> None:
        path = self.path(ref)
        if path is not None:
            path.unlink(missing_ok=True)


def describe(types: tuple[FileType, ...]) -> str:
    photos = [t.label for t in types if t.kind == "photo"]
    audio = [t.label for t in types if t.kind in ("voice", "recording")]
    files = [t.label for t in types if t.kind == "file"]
    parts = (
        ([f"{'/'.join(photos)} 图片"] if photos else [])
        + ([f"{'/'.join(audio)} 音频"] if audio else [])
        + ([f"{'/'.join(files)} 文件"] if files else [])
    )
    return "、".join(parts)
