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
    ARCHIVE_LABEL,
    SCAN_PROMPT,
    SEAL_LABEL,
    SIGNATURE_LABEL,
    TITLE,
    CertificateData,
    mask_penalties,
    qr_matrix,
    render_certificate,
    url_lines,
)
from infra.pdf import register_cjk_font
from certificates.tokens import Claims, generate_key, is_qr_alphanumeric, sign_token, verify_url

# the PDFs carry text and rules that a one-dimensional reader sometimes mistakes for a barcode
QR = zxingcpp.BarcodeFormat.QRCode


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
        registration_no="第 12345678 号",
        registry_url="mark.example.org/registry",
    )
    fields.update(overrides)
    return CertificateData(**fields)


@pytest.fixture(scope="module")
def certificate():
    data = make_certificate()
    return data, render_certificate(data)


@pytest.fixture(scope="module")
def archive_copy():
    data = make_certificate(archive_status="已撤销")
    return data, render_certificate(data)


def page_image(pdf, dpi=100):
    return pdfium.PdfDocument(pdf)[0].render(scale=dpi / 72).to_pil().convert("RGB")


def page_text(pdf):
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def qr_codes(pdf):
    return zxingcpp.read_barcodes(page_image(pdf, 200), formats=QR)


def test_the_qr_code_decodes_to_the_verify_url(certificate):
    data, pdf = certificate
    codes = qr_codes(pdf)
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
    text = page_text(pdf)
    for expected in (TITLE, "商标使用授权证书", data.firm_name, data.certificate_no, SCAN_PROMPT,
                     data.uscc, data.address, data.mark_name, "Q/ZSSJ 001-2012", "2026年1月5日",
                     "2029年1月4日", "ZS-A100", "ZS-B200", data.alliance_name):
        assert expected in text
    assert "扫码核验授权状态" in text


def test_the_mark_registration_number_is_printed(certificate):
    data, pdf = certificate
    assert "商标注册号：第 12345678 号" in page_text(pdf)


def test_a_mark_without_a_registration_number_shows_a_dash_rather_than_nothing():
    data = make_certificate(registration_no="")
    assert "商标注册号：—" in page_text(render_certificate(data))


def test_the_whole_verification_url_is_printed_in_grouped_lines_a_person_can_type(certificate):
    data, pdf = certificate
    # The extractor sometimes leads a line with a space (by the glyphs' positions, which vary with the token).
    lines = [line.strip() for line in page_text(pdf).splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("HTTPS://MARK.EXAMPLE.ORG/V/"))
    url_lines = lines[start:start + 3]
    assert "".join(url_lines).replace(" ", "") == data.verify_url  # the whole URL, on three lines
    token = data.verify_url.rsplit("/", 1)[1]
    groups = " ".join(url_lines).split(" ")[1:]
    assert all(len(group) == 5 for group in groups[:-1]) and len(groups) >= len(token) // 5


def test_the_page_says_where_to_check_by_hand_with_the_certificate_number(certificate):
    data, pdf = certificate
    text = page_text(pdf).replace("\n", "")
    assert f"访问 mark.example.org/registry 输入证书编号 {data.certificate_no} 核验" in text


def test_the_url_text_is_dark_and_at_least_eight_points_high(certificate):
    data, pdf = certificate
    sizes = []

    def visit(text, cm, tm, font, size):
        run = text.strip().replace(" ", "")
        if len(run) > 20 and run in data.verify_url:  # one line of the URL
            sizes.append(size * tm[3] * cm[3])

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    assert len(sizes) >= 3 and min(sizes) >= 8
    # what a reader sees: near-black ink in the URL's band, between the hint and the frame
    dpi = 150
    image = page_image(pdf, dpi).convert("L")
    px_per_mm = dpi / 25.4
    band = image.crop((0, int(image.height - 30 * px_per_mm), image.width, int(image.height - 18 * px_per_mm)))
    assert band.getextrema()[0] < 60


def test_a_short_url_is_printed_on_one_line_at_the_full_size():
    sizes = []
    pdf = render_certificate(make_certificate(verify_url="https://mark.example.org/V/abc"))

    def visit(text, cm, tm, font, size):
        if text.startswith("https://"):
            sizes.append(size)

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    assert sizes == [9] and "https://mark.example.org/V/abc" in page_text(pdf).splitlines()


def test_a_very_long_url_takes_more_lines_rather_than_letters_below_eight_points():
    long = "HTTPS://MARK.EXAMPLE.ORG/V/" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 12
    size, lines = url_lines(long, register_cjk_font())
    assert size == 8 and len(lines) > 3 and "".join(lines).replace(" ", "") == long


def test_the_page_has_a_seal_area_and_a_signature_line_for_the_issuing_alliance(certificate):
    data, pdf = certificate
    text = page_text(pdf)
    assert SEAL_LABEL == "联盟（盖章）" and SEAL_LABEL in text
    assert f"{SIGNATURE_LABEL}：" in text and "授权代表签字" in text and "日期：" in text
    assert "发证单位" in text and data.alliance_name in text


def test_the_page_has_no_large_blank_band_between_title_and_url(certificate):
    _, pdf = certificate
    dpi = 50
    image = page_image(pdf, dpi).convert("L")
    frame = int(20 * dpi / 25.4)  # inside the frame's inner line
    inside = image.crop((frame, frame, image.width - frame, image.height - frame))
    pixels = inside.load()
    inked = [any(pixels[x, y] < 200 for x in range(inside.width)) for y in range(inside.height)]
    longest = run = 0
    for row in inked[int(15 * dpi / 25.4):]:  # from just above the title down
        run = 0 if row else run + 1
        longest = max(longest, run)
    assert longest * 25.4 / dpi < 20  # no blank band taller than 20 mm


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


def test_the_mark_image_is_printed_above_the_mark_name(certificate):
    _, pdf = certificate
    image = page_image(pdf, 50)
    pixels = image.load()
    # the test mark is a red disc, centred on the page under the title
    red = [(x, y) for x in range(image.width) for y in range(image.height // 2)
           if pixels[x, y][0] > 140 and pixels[x, y][1] < 60 and pixels[x, y][2] < 60]
    xs = [x for x, _ in red]
    assert len(red) > 300 and abs((min(xs) + max(xs)) / 2 - image.width / 2) < 3


def test_a_certificate_without_a_mark_image_or_scope_still_renders():
    data = make_certificate(mark_image=None, scope=())
    text = page_text(render_certificate(data))
    assert data.firm_name in text and "许可使用范围" in text


def test_the_archive_copy_has_no_qr_code(archive_copy):
    _, pdf = archive_copy
    assert qr_codes(pdf) == []
    assert SCAN_PROMPT not in page_text(pdf)


def test_the_archive_copy_carries_its_status_across_the_page(archive_copy):
    data, pdf = archive_copy
    text = page_text(pdf)
    assert ARCHIVE_LABEL in text and "当前状态：已撤销" in text and "不作授权证明" in text
    assert data.certificate_no in text and data.firm_name in text
    # a person sees the status in translucent red over the middle of the page, not only in the ribbon
    live, archive = page_image(render_certificate(make_certificate()), 50), page_image(pdf, 50)
    w, h = archive.size
    box = (w // 4, h // 3, 3 * w // 4, 2 * h // 3)

    def pink_share(image):
        area = image.crop(box)
        pixels = area.load()
        pink = sum(1 for x in range(area.width) for y in range(area.height)
                   if (p := pixels[x, y])[0] > 225 and p[0] - p[1] >= 14 and p[0] - p[2] >= 14)
        return pink / (area.width * area.height)

    assert pink_share(archive) > 0.05 and pink_share(live) < 0.005


def test_an_unreadable_mark_image_does_not_stop_the_certificate():
    data = make_certificate(mark_image=b"not an image")
    assert render_certificate(data).startswith(b"%PDF")


def test_a_lower_case_url_falls_back_to_byte_mode_and_still_scans():
    data = make_certificate(verify_url="https://mark.example.org/V/abc")
    codes = qr_codes(render_certificate(data))
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
    image = page_image(pdf, 300).convert("L")
    (code,) = zxingcpp.read_barcodes(image, formats=QR)
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
    text = page_text(pdf)
    assert "详见扫码核验页面" in text
    assert "ZS-0000" in text and "ZS-0059" not in text
    assert data.verify_url in text.replace(" ", "").replace("\n", "") and "2029年1月4日" in text
    codes = qr_codes(pdf)
    assert [c.text for c in codes] == [data.verify_url]
