"""Staff pages for marks, licences and the work queues."""
import io
from datetime import date, timedelta

from PIL import Image

from infra.db import db
from tests.builders import LICENCE_LOCK_B_FAIL, lock_inspection, login, make_active_licence, make_lock_world, make_mark, make_user
from trademark.models import Mark

TODAY = date.today()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 0, 0)).save(out, "PNG")
    return out.getvalue()


def test_staff_create_a_mark_with_an_image_and_edit_its_rules_shown_as_sentences(app, client):
    make_lock_world()
    make_user("secretary", "staff")
    login(client, "secretary")
    response = client.post("/marks", data={"code": "ZSSJ", "alliance": "ZSSJ", "name": "中山锁具", "type": "collective",
                                           "standard": "", "fee_per_year": "", "validity_years": "3",
                                           "image": (io.BytesIO(png()), "mark.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    mark = db.session.execute(db.select(Mark)).scalar_one()
    assert mark.image_type == "image/png"
    page = client.get(f"/marks/{mark.id}").get_data(as_text=True)
    assert "监督抽查、市场抽样或授权后抽样的型式检验出现A类不合格：立即暂停，整改期90天" in page
    form = {"name": "中山锁具", "type": "collective", "validity_years": "3", "fee_per_year": "", "standard": ""}
    from trademark.rules import DEFAULT_RULES
    for rule, params in DEFAULT_RULES.items():
        for name, value in params.items():
            if name == "enabled":
                if rule != "E3":
                    form[f"rule-{rule}-enabled"] = "y"
            else:
                form[f"rule-{rule}-{name}"] = "60" if (rule, name) == ("X1", "deadline_days") else str(value)
    assert client.post(f"/marks/{mark.id}", data=form).status_code == 302
    db.session.expire_all()
    assert mark.rules["X1"]["deadline_days"] == 60 and mark.rules["E3"]["enabled"] is False
    assert "整改期60天" in client.get(f"/marks/{mark.id}").get_data(as_text=True)
    assert client.get(f"/marks/{mark.id}/image").data == png()


def test_an_upload_that_is_not_png_or_jpeg_is_refused(app, client):
    make_lock_world()
    make_user("secretary", "staff")
    login(client, "secretary")
    response = client.post("/marks", data={"code": "ZSSJ", "alliance": "ZSSJ", "name": "中山锁具", "type": "collective",
                                           "validity_years": "3", "image": (io.BytesIO(b"GIF89a...."), "m.gif")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and "PNG" in response.get_data(as_text=True)
    assert db.session.execute(db.select(Mark)).first() is None


def test_the_licence_page_shows_the_timeline_linked_to_the_inspections_and_the_queues_list_the_work(app, client):
    make_lock_world()
    make_mark()
    licence = make_active_licence(1, TODAY - timedelta(days=400))
    failed = lock_inspection(licence.firm, TODAY, values=LICENCE_LOCK_B_FAIL, sampled_on=TODAY - timedelta(days=2))
    make_user("secretary", "staff")
    login(client, "secretary")
    page = client.get(f"/licences/{licence.id}").get_data(as_text=True)
    assert "警告" in page and f"/inspections/{failed.id}" in page
    queues = client.get("/queues").get_data(as_text=True)
    assert licence.firm.name in queues and "复检期限" in queues
    assert client.get("/licences?status=active").status_code == 200


def test_staff_cannot_revoke_without_ticking_the_confirmation_and_the_reason_is_kept_for_the_second_try(app, client):
    make_lock_world()
    make_mark()
    licence = make_active_licence(1, TODAY - timedelta(days=30))
    make_user("secretary", "staff")
    login(client, "secretary")
    refused = client.post(f"/licences/{licence.id}/action", data={"act-action": "revoke", "act-reason": "伪造检验报告"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "请勾选“我确认”" in page and "伪造检验报告" in page
    db.session.expire_all()
    assert db.session.get(type(licence), licence.id).status == "active"
    done = client.post(f"/licences/{licence.id}/action",
                       data={"act-action": "revoke", "act-reason": "伪造检验报告", "act-confirm": "y"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(licence), licence.id).status == "revoked"


def test_a_warning_needs_no_confirmation(app, client):
    make_lock_world()
    make_mark()
    licence = make_active_licence(1, TODAY - timedelta(days=30))
    make_user("secretary", "staff")
    login(client, "secretary")
    page = client.get(f"/licences/{licence.id}").get_data(as_text=True)
    assert "我确认" in page and "撤销" in page and "拒绝申请" not in page  # an active licence is not an application
    done = client.post(f"/licences/{licence.id}/action", data={"act-action": "warn", "act-reason": "标志使用不规范"})
    assert done.status_code == 302


def test_staff_export_the_licence_and_firm_lists_as_csv_and_xlsx(app, client):
    import csv
    from openpyxl import load_workbook

    make_lock_world()
    make_mark()
    licence = make_active_licence(1, TODAY - timedelta(days=30))
    make_user("secretary", "staff")
    login(client, "secretary")
    listed = client.get("/licences?format=csv")
    assert listed.status_code == 200 and listed.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(listed.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["编号", "许可编号", "企业"] and [licence.number, "有效"] == [rows[1][1], rows[1][6]]
    book = load_workbook(io.BytesIO(client.get("/firms?format=xlsx").data), read_only=True)
    values = [[c.value for c in r] for r in book.active.iter_rows()]
    book.close()
    assert values[0][:2] == ["企业名称", "统一社会信用代码"] and licence.firm.uscc in {r[1] for r in values[1:]}


def test_the_staff_apply_form_offers_only_the_chosen_firm_s_models(app, client):
    make_lock_world()
    make_mark()
    mine = make_active_licence(1, TODAY - timedelta(days=30))
    theirs = make_active_licence(2, TODAY - timedelta(days=30))
    make_user("secretary", "staff")
    login(client, "secretary")
    assert "许可范围（产品型号）" not in client.get("/licences").get_data(as_text=True)
    page = client.get(f"/licences?firm={mine.firm.uscc}").get_data(as_text=True)
    form = page.split('id="applicant"')[-1]
    assert f"{mine.firm.name} — " in form and f"{theirs.firm.name} — " not in form
