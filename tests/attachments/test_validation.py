"""The content rules on their own (the endpoint tests cover them end to end)."""

import pytest

from attachments import validation
from attachments.errors import AttachmentError
from tests.attachments.conftest import PDF, jpeg_with_gps


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("  spaced   name .pdf", "spaced name.pdf"),
        ("tab\tand\nnewline.pdf", "tabandnewline.pdf"),
        ("evil\u202efdp.exe.pdf", "evilfdp.exe.pdf"),
        ('a<b>c:"d|e?f*.pdf', "a_b_c__d_e_f_.pdf"),
        (".hidden.pdf", "hidden.pdf"),
    ],
)
def test_names_are_cleaned(raw, clean):
    assert validation.clean_name(raw) == clean


@pytest.mark.parametrize("raw", ["../x.pdf", "a/b.pdf", "C:\\x.pdf", "..", "", "\x00.pdf"])
def test_names_with_paths_or_nothing_left_are_refused(raw):
    with pytest.raises(AttachmentError) as info:
        validation.clean_name(raw)
    assert info.value.code == "invalid_name"


def test_the_type_comes_from_the_bytes_not_the_name():
    assert validation.sniff(PDF) == "pdf"
    assert validation.sniff(jpeg_with_gps()) == "jpeg"
    with pytest.raises(AttachmentError) as info:
        validation.check(data=PDF, name="a.jpg", declared_type="image/jpeg")
    assert info.value.code == "type_mismatch"


def test_heic_is_detected_and_becomes_a_jpeg_without_metadata():
    import io

    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 200, 10)).save(out, format="HEIF")
    checked = validation.check(data=out.getvalue(), name="IMG_1.HEIC", declared_type="")
    assert checked.content_type == "image/jpeg"
    assert checked.name == "IMG_1.jpg"
    assert Image.open(io.BytesIO(checked.data)).format == "JPEG"


def test_an_image_over_the_pixel_limit_is_refused(settings):
    settings.ATTACHMENT_MAX_IMAGE_PIXELS = 100
    with pytest.raises(AttachmentError) as info:
        validation.check(data=jpeg_with_gps(), name="a.jpg", declared_type="image/jpeg")
    assert info.value.code == "too_large"


def test_stream_bytes_that_happen_to_look_like_markup_do_not_refuse_a_pdf():
    # Compressed page content and XMP metadata are everyday PDF; only the
    # dictionaries outside the streams are looked at for scripts.
    stream = b"BT (/JS <html> PK\x03\x04) Tj ET"
    pdf = (
        PDF[:-6]
        + b"3 0 obj << /Length %d >>\nstream\n" % len(stream)
        + stream
        + b"\nendstream\nendobj\n<?xpacket begin?><?xml version='1.0'?>\n%%EOF\n"
    )
    assert validation.check(data=pdf, name="a.pdf", declared_type="application/pdf").kind == "pdf"
