"""Hostile input from issue 13: every case gets a clear 4xx naming the field (or is accepted), never a 500."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from infra.db import db
from infra.downloads import content_disposition, csv_cell
from infra.errors import AppError
from tests.builders import bearer, make_alliance, make_certified_licence, make_firm, make_uscc, make_user
from tests.functional.routes import make_world

API = "/api/v1"
BIG = str(2**64)


@pytest.fixture
def admin(app):
    make_user("boss", "admin")
    return bearer("boss")


def error_field(response) -> dict:
    assert response.status_code == 422, (response.status_code, response.get_data(as_text=True)[:300])
    return response.get_json()["error"]["details"]


# --- one source of truth: the column lengths and widths ---------------------------------------


@pytest.mark.parametrize("body, field", [
    ({"name": "甲企业", "uscc": make_uscc(1), "address": "地" * 301}, "address"),
    ({"name": "企" * 201, "uscc": make_uscc(1)}, "name"),
])
def test_over_length_firm_text_is_a_422_naming_the_field_and_nothing_is_stored(app, client, admin, body, field):
    make_alliance()
    response = client.post(f"{API}/firms", json=body, headers=admin)
    assert field in error_field(response)
    from parties.models import Firm
    assert db.session.execute(db.select(Firm)).first() is None


@pytest.mark.parametrize("override, field", [
    ({"code": "S" * 33}, "code"), ({"name": "站" * 201}, "name"), ({"accreditation": "C" * 101}, "accreditation"),
])
def test_over_length_station_text_is_a_422_naming_the_field(app, client, admin, override, field):
    make_alliance()
    body = {"code": "ZS-2", "name": "中山站", "accreditation": "CNAS L0001", "scope": [], **override}
    assert field in error_field(client.post(f"{API}/stations", json=body, headers=admin))


@pytest.mark.parametrize("old, new, where, field", [
    ("title: 弹子插芯门锁", f"title: {'题' * 201}", "文件", "title"),
    ("code: Q/ZSSJ 001", f"code: Q/ZSSJ {'1' * 60}", "文件", "code"),
    ('version: "2012"', f'version: "{"2" * 33}"', "文件", "label"),
    ("title: 钥匙不同牙花数", f"title: {'钥' * 201}", "条款 5.2", "title"),
    ("unit: 种", f"unit: {'种' * 33}", "条款 5.2", "unit"),
    ('number: "5.2"', f'number: "5.{"2" * 40}"', "条款 5.", "number"),
    ("limit: 6000,", f"limit: \"6{'0' * 40}\",", "条款 5.2", "limit"),
])
def test_a_standard_file_with_over_length_text_is_refused_naming_clause_and_field(app, client, admin, old, new,
                                                                                   where, field):
    make_alliance()
    from compliance.models import Standard
    from tests.builders import LOCKS
    text = LOCKS.read_text(encoding="utf-8")
    assert old in text
    response = client.post(f"{API}/standards", data=text.replace(old, new, 1).encode(),
                           headers={**admin, "Content-Type": "application/x-yaml"})
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    problems = response.get_json()["error"]["details"]["problems"]
    assert any(p["field"] == field and p["where"].startswith(where) for p in problems), problems
    assert db.session.execute(db.select(Standard)).first() is None


def test_an_over_length_mark_registration_number_is_a_422_naming_it(app, client, admin):
    make_alliance()
    body = {"code": "M-1", "alliance": "ZSSJ", "name": "中山锁具", "type": "collective", "registration_no": "R" * 65}
    assert "registration_no" in error_field(client.post(f"{API}/marks", json=body, headers=admin))


@pytest.fixture
def world(app, admin):
    world = make_world()
    world["headers"] = admin
    return world


@pytest.mark.parametrize("how", ["body", "header"])
def test_a_lock_version_past_two_to_the_63_is_a_422_naming_lock_version(app, client, world, how):
    make_user("tech-x", "technician", station="ZS-LAB")
    headers = bearer("tech-x")
    url = f"{API}/inspections/{world['inspection_id']}/results"
    if how == "body":
        response = client.put(url, json={"results": [], "lock_version": int(BIG)}, headers=headers)
    else:
        response = client.put(url, json={"results": []}, headers={**headers, "If-Match": BIG})
    assert "lock_version" in error_field(response)


@pytest.mark.parametrize("retest_of", [int(BIG), "²"])
def test_a_retest_of_that_is_no_inspection_id_is_a_422_naming_retest_of(app, client, world, retest_of):
    body = {"type": "retest", "firm_uscc": world["uscc"], "product_model": "L-100", "station_code": "ZS-LAB",
            "retest_of": retest_of, "sampling": {"date": "2020-01-01", "lot_size": 100}}
    assert "retest_of" in error_field(client.post(f"{API}/inspections", json=body, headers=world["headers"]))


@pytest.mark.parametrize("lot_size", ["10²", "①", BIG])
def test_a_lot_size_in_unicode_digits_or_past_the_column_is_a_422_naming_it(app, client, world, lot_size):
    body = {"type": "type", "firm_uscc": world["uscc"], "product_model": "L-100", "station_code": "ZS-LAB",
            "standard_code": world["standard_code"], "sampling": {"date": "2020-01-01", "lot_size": lot_size}}
    assert "sampling.lot_size" in error_field(client.post(f"{API}/inspections", json=body, headers=world["headers"]))


def test_a_networks_parameter_past_two_to_the_63_is_refused_not_a_500(app, client, world):
    from tests.builders import login
    login(client, "boss")
    response = client.get(f"/certificates?networks={BIG}")
    assert 400 <= response.status_code < 500


# --- CSV ---------------------------------------------------------------------------------------


def test_a_csv_with_bare_cr_line_endings_from_excel_for_mac_is_read_line_by_line():
    from inspections.services import parse_csv

    entries, problems = parse_csv("clause,unit,value\r5.2,1,6500\r5.3,1,0.01\r")
    assert problems == []
    assert [(line, e.clause, e.value) for line, e in entries] == [(2, "5.2", "6500"), (3, "5.3", "0.01")]


@pytest.mark.parametrize("unit", ["²", "①", BIG])
def test_a_csv_unit_in_unicode_digits_or_too_large_is_a_problem_naming_the_unit(unit):
    from inspections.services import parse_csv

    entries, problems = parse_csv(f"clause,unit,value\n5.2,{unit},6500\n")
    assert entries == [] and [p.field for p in problems] == ["unit"]


@pytest.mark.parametrize("text, safe", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("@SUM(A1)", "'@SUM(A1)"), ("+1+1", "'+1+1"),
    ("-1+cmd", "'-1+cmd"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("-0.3", "-0.3"), ("外观", "外观"),
])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised_and_numbers_are_kept(text, safe):
    assert csv_cell(text) == safe


# --- downloads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["report-中山站-2026-001.pdf", "Q_ZSSJ_001-2012修订版.yaml", "a\r\nSet-Cookie: x.csv",
                                  'quo"te;\\.pdf'])
def test_a_content_disposition_is_a_valid_latin_1_header_for_any_filename(name):
    value = content_disposition(name)
    value.encode("latin-1")
    assert "\r" not in value and "\n" not in value
    assert value.startswith('attachment; filename="') and value.count('"') == 2
    if not name.isascii():
        assert "filename*=UTF-8''" in value


def test_a_standard_label_in_chinese_downloads_its_export_with_an_encoded_name(app, client, world):
    from tests.builders import login
    login(client, "boss")
    response = client.get(f"/standards/versions/{world['version_id']}/export.yaml")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"] or world["label"].isascii()


# --- images ------------------------------------------------------------------------------------


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge canvas: Pillow reads the header and must refuse it before decoding."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [13000, 20000])
def test_a_mark_image_with_too_many_pixels_is_a_422_naming_the_image(side):
    from trademark.services import check_mark_image

    with pytest.raises(AppError) as refused:
        check_mark_image(png_header_only(side, side))
    assert refused.value.status == 422 and refused.value.field == "image"


def phone_photo(size=(3000, 2000), noise_bytes=0) -> bytes:
    img = Image.new("RGB", size, (120, 160, 200))
    exif = Image.Exif()
    exif[0x0110] = "PhoneModel X"  # Model
    exif[0x8825] = {1: "N", 2: (22.0, 31.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue() + b"\x00" * noise_bytes  # trailing bytes after EOI make a 5 MB phone-sized file


def test_a_5_mb_phone_photo_is_accepted_and_stored_without_location_model_or_full_size(app, client):
    from certificates.models import FakeReport

    _licence, certificate = make_certified_licence(1)
    photo = phone_photo(noise_bytes=5 * 1024 * 1024)
    assert len(photo) > 5 * 1024 * 1024
    # Encoded by hand: the test client spools a large body to a file it never closes.
    boundary = "----amtest"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"where_bought\"\r\n\r\n夜市\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + photo + f"\r\n--{boundary}--\r\n".encode()
    response = client.post(f"/V/{certificate.token}/report", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 303
    stored = db.session.execute(db.select(FakeReport)).scalar_one()
    with Image.open(io.BytesIO(stored.photo)) as img:
        assert max(img.size) == 2048
        assert dict(img.getexif()) == {}
    assert b"PhoneModel" not in stored.photo


def test_reloading_the_thank_you_page_does_not_file_the_report_twice(app, client):
    from certificates.models import FakeReport

    _licence, certificate = make_certified_licence(1)
    sent = client.post(f"/V/{certificate.token}/report", data={"where_bought": "夜市"})
    assert sent.status_code == 303
    for _ in range(2):
        page = client.get(sent.headers["Location"])
        assert page.status_code == 200 and "已收到" in page.get_data(as_text=True)
    assert len(db.session.execute(db.select(FakeReport)).all()) == 1


# --- the consumer's side: /V/ and the error pages ----------------------------------------------


@pytest.mark.parametrize("path", ["/V/", "/V", "/V/AB%2FCD", "/V/ABC/", "/V/%20%20", "/v/"])
def test_odd_verification_urls_show_the_not_genuine_page_never_a_404(app, client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    assert "非本系统签发" in response.get_data(as_text=True)


def test_an_unknown_public_page_is_a_chinese_phone_sized_404_that_leads_back(app, client):
    response = client.get("/no-such-page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "页面不存在" in page and 'name="viewport"' in page and 'href="/registry"' in page


def test_the_404_page_is_english_when_the_browser_prefers_english(app, client):
    response = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)


def test_a_wrong_method_on_a_page_is_a_readable_405(app, client):
    response = client.delete("/registry")
    assert response.status_code == 405 and "不支持的操作" in response.get_data(as_text=True)


# --- the staff's side --------------------------------------------------------------------------


def test_a_lapsed_csrf_token_shows_the_typed_data_in_a_fresh_form_to_submit_again(app, client):
    from tests.builders import login
    make_alliance()
    make_user("clerk", "staff")
    login(client, "clerk")
    firm = make_firm(1)
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/firms/{firm.id}", data={"name": "改过的名字", "address": "中山市小榄镇", "csrf_token": "lapsed"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请再次提交" in page and 'value="改过的名字"' in page and 'value="中山市小榄镇"' in page
    assert 'name="csrf_token" value="' in page and 'value="lapsed"' not in page


@pytest.mark.parametrize("content", ['{"keys": [1]}', '{"keys": [{"kid": "k", "public_key": "!!", "status": "active"}]}',
                                     "[" * 3000, '{"keys": 5}', "not json"])
def test_verify_token_with_a_malformed_key_file_says_so_without_a_traceback(app, tmp_path, content):
    keys = tmp_path / "keys.json"
    keys.write_text(content, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["verify-token", "ABC", "--keys", str(keys)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), (result.exception, result.output)
    assert "Traceback" not in result.output and "Error" in result.output


def test_a_forbidden_staff_page_is_a_readable_403_in_the_staff_layout(app, client):
    from tests.builders import login, make_station
    make_alliance()
    make_station(scope=())  # the technician belongs to a station
    make_user("tech", "technician", station="ZS-LAB")
    login(client, "tech")
    response = client.get("/firms")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "无权访问" in page and "topbar" in page and 'href="/"' in page


def test_a_server_error_on_a_public_page_is_the_chinese_phone_sized_500(app, client, monkeypatch):
    from certificates import services as certs

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(certs, "search_registry", broken)
    response = client.get("/registry?q=abc")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "服务器出错" in page and 'name="viewport"' in page and "boom" not in page


def test_a_photo_over_the_site_limit_gets_the_phone_page_naming_the_10_mb_the_form_states(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = client.post("/V/ANYTHING/report", data=b"x" * (64 * 1024 + 1),
                           content_type="multipart/form-data; boundary=----amtest")
    page = response.get_data(as_text=True)
    assert response.status_code == 413 and "10 MB" in page and 'name="viewport"' in page and "返回核验页面" in page


@pytest.mark.parametrize("label", ["2012修订版", "2012\\r\\nX"])
def test_a_standard_label_in_chinese_or_with_a_line_break_exports_with_a_valid_filename(app, client, admin, label):
    from compliance import services as catalogue
    from tests.builders import LOCKS, login
    make_alliance()
    make_user("clerk", "staff")
    version = catalogue.import_standard(LOCKS.read_text(encoding="utf-8").replace('version: "2012"', f'version: "{label}"', 1))
    login(client, "clerk")
    response = client.get(f"/standards/versions/{version.id}/export.yaml")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    disposition.encode("latin-1")
    assert "\r" not in disposition and "\n" not in disposition
    assert ("filename*=UTF-8''" in disposition) == ("修订" in label)


@pytest.mark.parametrize("lot_size", ["²", "10²", "①", BIG, "-5"])
def test_a_sampling_plan_lot_size_in_unicode_digits_or_out_of_range_is_a_422_naming_it(app, client, admin, lot_size):
    response = client.get(f"{API}/sampling-plan", query_string={"lot_size": lot_size, "aql": "2.5"}, headers=admin)
    assert "lot_size" in error_field(response)
