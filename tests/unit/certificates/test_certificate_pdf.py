import io
import random
import string
from datetime import date

import pypdfium2 as pdfium
import pytest
import qrcode
import zxingcpp
from PIL import Image, ImageDraw
from pypdf import PdfReader
from qrcode.constants import ERROR_CORRECT_Q
from qrcode.util import MODE_8BIT_BYTE, MODE_ALPHA_NUM, QRData, lost_point

from certificates.layout import (
    SCAN_PROMPT,
    TITLE,
    CertificateData,
    mask_penalties,
    qr_matrix,
    render_certificate,
)
from certificates.tokens import Claims, generate_key, is_qr_alphanumeric, sign_token, verify_url


def make_mark_png():
    image = Image.new("RGBA", (240, 240), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((10, 10, 230, 230), fill=(170, 20, 20, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def make_certificate(**overrides):
    kid, key = generate_key()
    claims = Claims(1, kid, "ZSSJ-2026-000123", "91442000MA4UL3XK1X", date(2026, 1, 5), date(2029, 1, 4))
    fields = dict(
        certificate_no=claims.certificate_no,
        mark_name="中山锁具",
        mark_image=make_mark_png(),
        firm_name="中山市小榄镇金盾锁业有限公司",
        uscc=claims.uscc,
        address="广东省中山市小榄镇工业大道128号",
        scope=("ZS-A100 弹子插芯门锁", "ZS-B200 叶片执手锁"),
        standard_code="Q/ZSSJ 001",
        standard_version="2012",
        issued_on=claims.issued_on,
        expires_on=claims.expires_on,
        alliance_name="中山市锁具行业联盟",
        verify_url=verify_url("HTTPS://MARK.EXAMPLE.ORG", sign_token(claims, key)),
    )
    fields.update(overrides)
    return CertificateData(**fields)


@pytest.fixture(scope="module")
def certificate():
    data = make_certificate()
    return data, render_certificate(data)


def test_the_qr_code_decodes_to_the_verify_url(certificate):
    data, pdf = certificate
    page = pdfium.PdfDocument(pdf)[0]
    image = page.render(scale=200 / 72).to_pil()
    codes = [c for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode]
    assert [c.text for c in codes] == [data.verify_url]
    assert is_qr_alphanumeric(codes[0].text)


def test_the_qr_code_uses_alphanumeric_mode_with_error_correction_q(certificate):
    data, _ = certificate

    def version(mode):
        qr = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=0)
        qr.add_data(QRData(data.verify_url, mode=mode))
        return qr.best_fit()

    alphanumeric = version(MODE_ALPHA_NUM)
    assert version(MODE_8BIT_BYTE) > alphanumeric  # so the symbol size tells the mode apart
    assert len(qr_matrix(data.verify_url)) == 4 * alphanumeric + 17
    reference = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=0)
    reference.add_data(QRData(data.verify_url, mode=MODE_ALPHA_NUM))
    reference.make()
    assert qr_matrix(data.verify_url) == tuple(tuple(bool(m) for m in row) for row in reference.modules)


def test_the_page_text_names_the_certificate_the_firm_and_the_scan_prompt(certificate):
    data, pdf = certificate
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for expected in (TITLE, "商标使用授权证书", data.firm_name, data.certificate_no, SCAN_PROMPT,
                     data.uscc, data.mark_name, "Q/ZSSJ 001", "2029年1月4日", "ZS-A100"):
        assert expected in text
    assert "扫码核验授权状态" in text
    assert "HTTPS://MARK.EXAMPLE.ORG/V/" in text


def test_the_chinese_font_is_embedded(certificate):
    _, pdf = certificate
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = []
    for ref in fonts.values():
        font = ref.get_object()
        descriptor = font.get("/FontDescriptor")
        if descriptor is not None and "/FontFile2" in descriptor.get_object():
            embedded.append(str(font["/BaseFont"]))
            assert len(descriptor.get_object()["/FontFile2"].get_object().get_data()) > 1000
    assert embedded and all("WenQuanYi" in name or "MicroHei" in name for name in embedded)


def test_a_certificate_without_a_mark_image_or_scope_still_renders():
    data = make_certificate(mark_image=None, scope=())
    text = PdfReader(io.BytesIO(render_certificate(data))).pages[0].extract_text()
    assert data.firm_name in text


def test_an_unreadable_mark_image_does_not_stop_the_certificate():
    data = make_certificate(mark_image=b"not an image")
    assert render_certificate(data).startswith(b"%PDF")


def test_a_lower_case_url_falls_back_to_byte_mode_and_still_scans():
    data = make_certificate(verify_url="https://mark.example.org/V/abc")
    page = pdfium.PdfDocument(render_certificate(data))[0]
    codes = zxingcpp.read_barcodes(page.render(scale=200 / 72).to_pil())
    assert [c.text for c in codes] == ["https://mark.example.org/V/abc"]


@pytest.mark.parametrize("length", [10, 60, 175, 260])
def test_the_fast_mask_choice_scores_every_mask_as_qrcode_does(length):
    rng = random.Random(length)
    for _ in range(5):
        url = "HTTPS://X.ORG/V/" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(length))
        qr = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=0)
        qr.add_data(QRData(url, mode=MODE_ALPHA_NUM))
        qr.best_fit()
        qr.makeImpl(True, 0)
        ours = mask_penalties(qr.modules, qr.version)
        theirs = []
        for k in range(8):
            qr.makeImpl(True, k)
            theirs.append(lost_point(qr.modules))
        assert ours == theirs
        reference = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=0)
        reference.add_data(QRData(url, mode=MODE_ALPHA_NUM))
        reference.make()
        assert qr_matrix(url) == tuple(tuple(bool(m) for m in row) for row in reference.modules)


def test_the_qr_symbol_keeps_a_quiet_zone_of_four_modules(certificate):
    data, pdf = certificate
    n = len(qr_matrix(data.verify_url))
    image = pdfium.PdfDocument(pdf)[0].render(scale=300 / 72).to_pil().convert("L")
    (code,) = zxingcpp.read_barcodes(image)
    corners = [code.position.top_left, code.position.top_right, code.position.bottom_left,
               code.position.bottom_right]
    # zxing reports the centres of the outer modules: the symbol spans half a module more
    left, right = min(p.x for p in corners), max(p.x for p in corners)
    top, bottom = min(p.y for p in corners), max(p.y for p in corners)
    module = (right - left) / (n - 1)
    left, right, top, bottom = left - module / 2, right + module / 2, top - module / 2, bottom + module / 2
    quiet = 4 * module
    pixels = image.load()
    margin = 2  # anti-aliased edge pixels
    for x in range(int(left - quiet) + 1, int(right + quiet)):
        for y in range(int(top - quiet) + 1, int(bottom + quiet)):
            inside = left - margin <= x <= right + margin and top - margin <= y <= bottom + margin
            if not inside:
                assert pixels[x, y] > 200, (x, y)


def test_a_long_scope_is_cut_with_a_pointer_to_the_verification_page():
    scope = tuple(f"ZS-{i:04d} 弹子插芯门锁" for i in range(60))
    data = make_certificate(scope=scope)
    pdf = render_certificate(data)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "详见扫码核验页面" in text
    codes = zxingcpp.read_barcodes(pdfium.PdfDocument(pdf)[0].render(scale=200 / 72).to_pil())
    assert [c.text for c in codes] == [data.verify_url]
