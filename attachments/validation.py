"""What a file is, decided from its bytes: the allow-list, the name, the checks
per type, and the images re-encoded without their metadata.

Security-relevant: nothing here trusts the name or the declared type. The type
comes from the content (magic numbers, and for DOCX/ODT the archive's
structure); the extension and the declared type must then agree with it.
Executables and archives are refused by name; anything not on the allow-list is
refused too. Images are decoded and written again, so what reaches the other
party holds pixels only (no EXIF/GPS, no comments, nothing appended).
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings

from attachments.errors import AttachmentError
from attachments.models import NAME_MAX


@dataclass(frozen=True)
class Kind:
    key: str
    content_type: str
    extensions: tuple[str, ...]
    # Declared types (the upload's Content-Type) that agree with this kind.
    declared: frozenset[str]


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"

KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind(
            "pdf", "application/pdf", (".pdf",), frozenset({"application/pdf", "application/x-pdf"})
        ),
        Kind("jpeg", "image/jpeg", (".jpg", ".jpeg"), frozenset({"image/jpeg", "image/pjpeg"})),
        Kind("png", "image/png", (".png",), frozenset({"image/png"})),
        Kind(
            "heic",
            "image/heic",
            (".heic", ".heif"),
            frozenset({"image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"}),
        ),
        Kind("text", "text/plain", (".txt",), frozenset({"text/plain"})),
        Kind("docx", DOCX, (".docx",), frozenset({DOCX})),
        Kind("odt", ODT, (".odt",), frozenset({ODT})),
    )
}
# A declaration that says nothing (some browsers send it for .heic): no disagreement.
UNDECLARED = frozenset({"", "application/octet-stream"})

EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"#!",  # scripts
    b"\x00asm",  # WebAssembly
    b"dex\n",
)
ARCHIVE_MAGIC = (
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b",  # gzip
    b"BZh",
    b"\xfd7zXZ\x00",
    b"MSCF",  # cabinet
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # OLE2 (old Office with macros, MSI)
    b"PK\x05\x06",  # empty zip
)
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}

# Markup in a text file or inside a PDF: a browser or viewer could run it.
MARKUP = re.compile(
    rb"<\s*(script|html|svg|iframe|object|embed|body|meta)\b|<!doctype\s+html|<\?xml",
    re.IGNORECASE,
)
# PDF features that run code or carry other files, and web markup in a PDF (a
# polyglot a browser could render), looked for outside the (compressed) streams,
# where random bytes would match by chance.
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)(?![A-Za-z])")
PDF_MARKUP = re.compile(rb"<\s*(script|html|iframe)\b|<!doctype\s+html", re.IGNORECASE)
PDF_STREAM = re.compile(rb"stream\r?\n.*?endstream", re.DOTALL)

# Zip structure limits (zip bombs): entries and the total unpacked size.
ZIP_MAX_ENTRIES = 2000
ZIP_MAX_UNPACKED = 100 * 1024 * 1024

# Characters never kept in a name: separators and what Windows refuses.
_UNSAFE_NAME_CHARS = re.compile(r'[<>:"|?*]')


@dataclass(frozen=True)
class Checked:
    """A file that passed: the bytes to store (images re-encoded), its kind, type and name."""

    data: bytes
    kind: str
    content_type: str
    name: str


def allowed_kinds() -> set[str]:
    """The configured allow-list (ATTACHMENT_TYPES), within what this module knows."""
    return {k for k in settings.ATTACHMENT_TYPES if k in KINDS}


def clean_name(raw: str) -> str:
    """The display name: no path, no control or invisible format characters
    (a right-to-left override can make `exe.pdf` look like `fdp.exe`), at most
    NAME_MAX characters with the extension kept. A name that carries a path is
    refused rather than trimmed: browsers send the bare name, so a path is a probe."""
    name = unicodedata.normalize("NFC", raw or "")
    if "/" in name or "\\" in name or "\x00" in name:
        raise AttachmentError("invalid_name")
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co"))
    name = _UNSAFE_NAME_CHARS.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    if not name or name in (".", "..") or name.startswith(".."):
        raise AttachmentError("invalid_name")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = f".{ext}" if dot else ""
    if len(ext) > 10 or not stem:
        raise AttachmentError("invalid_name")
    return stem[: NAME_MAX - len(ext)].rstrip(" .") + ext


def extension(name: str) -> str:
    _, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot else ""


def sniff(data: bytes) -> str:
    """The kind of file these bytes are, or an AttachmentError saying why none."""
    if data.startswith(EXECUTABLE_MAGIC):
        raise AttachmentError("executable")
    if data.startswith(ARCHIVE_MAGIC) or data[257:262] == b"ustar":
        raise AttachmentError("archive")
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "heic"
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data)
    if _is_text(data):
        return "text"
    raise AttachmentError("unsupported_type")


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    # Control characters other than whitespace: not a plain text document.
    return not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in text)


def _zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise AttachmentError("damaged") from None
    if len(infos) > ZIP_MAX_ENTRIES or sum(i.file_size for i in infos) > ZIP_MAX_UNPACKED:
        raise AttachmentError("archive")
    return archive


def _office_kind(data: bytes) -> str:
    """A zip is a DOCX or an ODT by its structure, or an archive (refused)."""
    archive = _zip(data)
    names = set(archive.namelist())
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return "docx"
    first = archive.infolist()[0]
    if first.filename == "mimetype" and "content.xml" in names:
        try:
            if archive.read("mimetype").strip() == ODT.encode():
                return "odt"
        except (zipfile.BadZipFile, OSError, RuntimeError):
            raise AttachmentError("damaged") from None
    raise AttachmentError("archive")


def _check_office(data: bytes, kind: str) -> None:
    """No macros, ActiveX, embedded files or paths out of the package."""
    archive = _zip(data)
    for name in archive.namelist():
        lowered = name.lower()
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
            raise AttachmentError("unsafe_content")
        if kind == "docx" and (
            "vbaproject" in lowered
            or lowered.startswith(("word/activex/", "word/embeddings/"))
            or lowered.endswith((".bin", ".exe", ".dll", ".js", ".vbs"))
        ):
            raise AttachmentError("unsafe_content")
        if kind == "odt" and (
            lowered.startswith(("basic/", "scripts/", "object "))
            or lowered.endswith((".bin", ".exe", ".dll", ".js", ".vbs"))
        ):
            raise AttachmentError("unsafe_content")
    if kind == "docx":
        try:
            types = archive.read("[Content_Types].xml")
        except (zipfile.BadZipFile, OSError, RuntimeError, KeyError):
            raise AttachmentError("damaged") from None
        if b"macroEnabled" in types or b"vbaProject" in types:
            raise AttachmentError("unsafe_content")


def _check_pdf(data: bytes) -> None:
    """A PDF that runs code, carries files, or is also a zip archive or a web
    page (a polyglot) is refused. Dictionaries inside compressed object streams
    (PDF 1.5+) are not unpacked here: the scanner and the professional's viewer
    are the next lines."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        raise AttachmentError("unsafe_content")
    outside_streams = PDF_STREAM.sub(b"", data)
    if PDF_MARKUP.search(outside_streams) or PDF_ACTIVE.search(outside_streams):
        raise AttachmentError("unsafe_content")
    if b"%%EOF" not in data[-2048:]:
        raise AttachmentError("damaged")


def _check_text(data: bytes) -> None:
    if MARKUP.search(data):
        raise AttachmentError("unsafe_content")


def reencode_image(data: bytes, kind: str) -> tuple[bytes, str]:
    """Decode and write the image again with its pixels only: EXIF (GPS, camera,
    time), XMP, comments and anything appended are gone; the orientation is
    applied to the pixels. HEIC becomes JPEG (what every browser shows).
    Returns the bytes and the kind they are now."""
    from PIL import Image, ImageOps

    if kind == "heic":
        import pillow_heif

        pillow_heif.register_heif_opener()
    try:
        with Image.open(io.BytesIO(data)) as image:
            expected = {"jpeg": "JPEG", "png": "PNG", "heic": "HEIF"}[kind]
            if image.format != expected:
                raise AttachmentError("type_mismatch")
            width, height = image.size
            if width * height > settings.ATTACHMENT_MAX_IMAGE_PIXELS:
                raise AttachmentError("too_large", limit=_size_text(settings.ATTACHMENT_MAX_BYTES))
            image.load()
            upright = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            if kind == "png":
                mode = "RGBA" if upright.mode in ("RGBA", "LA", "P") else "RGB"
                clean = Image.new(mode, upright.size)
                clean.paste(upright.convert(mode))
                clean.save(out, format="PNG", optimize=True)
                return out.getvalue(), "png"
            rgb = upright.convert("RGB")
            clean = Image.new("RGB", rgb.size)
            clean.paste(rgb)
            clean.save(out, format="JPEG", quality=90, optimize=True)
            return out.getvalue(), "jpeg"
    except AttachmentError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AttachmentError(
            "too_large", limit=_size_text(settings.ATTACHMENT_MAX_BYTES)
        ) from None
    except Exception:  # any decoder failure: not an image we can vouch for
        raise AttachmentError("damaged") from None


def _size_text(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def check(*, data: bytes, name: str, declared_type: str) -> Checked:
    """Validate one uploaded file by its content; the bytes to store and their type.

    Raises AttachmentError with the reason: empty, too large, a name with a
    path, an executable or archive, a type not on the allow-list, a name or a
    declared type that disagrees with the content, active content, damage."""
    if not data:
        raise AttachmentError("empty_file")
    if len(data) > settings.ATTACHMENT_MAX_BYTES:
        raise AttachmentError("too_large", limit=_size_text(settings.ATTACHMENT_MAX_BYTES))
    name = clean_name(name)
    kind = sniff(data)
    if kind not in allowed_kinds():
        raise AttachmentError("unsupported_type")
    spec = KINDS[kind]
    if extension(name) not in spec.extensions:
        raise AttachmentError("type_mismatch")
    declared = (declared_type or "").split(";", 1)[0].strip().lower()
    if declared not in UNDECLARED and declared not in spec.declared:
        raise AttachmentError("type_mismatch")
    if kind == "pdf":
        _check_pdf(data)
    elif kind == "text":
        _check_text(data)
    elif kind in ("docx", "odt"):
        _check_office(data, kind)
    elif kind in ("jpeg", "png", "heic"):
        data, stored = reencode_image(data, kind)
        if stored != kind:  # HEIC → JPEG: the name follows the content
            name = name.rpartition(".")[0] + ".jpg"
            kind = stored
    return Checked(data=data, kind=kind, content_type=KINDS[kind].content_type, name=name)
