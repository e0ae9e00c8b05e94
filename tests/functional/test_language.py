"""Chinese by default, English on request; neither language leaks into the other.

The walk visits every GET page of every role in both languages, in a world whose user data
(names, addresses, standard texts, reasons typed by people) has been made ASCII, so any Han
character on an English page is interface text that was never translated, and any enum code on a
Chinese page is a status, type or role shown raw.
"""
from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import String, Text, update

from accounts.models import Role, User
from infra import clock
from infra.db import db
from inspections import services as inspections
from parties import services as parties
from tests.builders import LOCK_PASS, lock_entries, login, make_active_licence, make_inspection, make_user
from tests.functional.routes import make_world, walk

# The pages whose words come from the cores (verdict sentences, rule texts, unmet conditions, deadlines).
MUST_SEE = {"accounts.home", "inspections.entry", "inspections.sampling", "inspections.detail", "compliance.version",
            "trademark.mark", "trademark.licence", "trademark.queues", "trademark.portal", "certificates.verify",
            "certificates.registry"}
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Full-width punctuation reads as a typo in English ("Status：Valid", "（draft）").
CJK_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]")

# Tables whose text is machinery, not something a person typed.
NOT_USER_DATA = {"audit_entries", "alembic_version"}
# The language link names the other language in that language.
OTHER_LANGUAGE_LINK = re.compile(r'<a href="[^"]*(?:/lang/zh|[?&]lang=zh)"[^>]*>中文</a>')
SKIP = {"accounts.logout", "accounts.set_language"}


def enum_codes() -> set[str]:
    """Every code a status, type, role, kind or place is stored as."""
    from compliance.models import VersionStatus
    from inspections.models import InspectionStatus
    from parties.membership import MembershipStatus
    from trademark.rules import ActionKind, LicenceStatus

    codes = {str(v) for enum in (Role, VersionStatus, InspectionStatus, MembershipStatus, ActionKind, LicenceStatus)
             for v in enum}
    codes |= {"surveillance", "retest", "market", "factory", "collective", "certification", "pass", "fail",
              "incomplete", "normal", "tightened", "discontinued", "manual", "system"}
    return codes


def asciify_user_data() -> int:
    """Replace every stored text that holds Han characters with an ASCII stand-in; return how many."""
    changed = 0
    for table in db.metadata.sorted_tables:
        if table.name in NOT_USER_DATA:
            continue
        columns = [c for c in table.columns if isinstance(c.type, (String, Text)) and not c.primary_key]
        keys = list(table.primary_key.columns)
        if not columns or len(keys) != 1:
            continue
        for row in db.session.execute(db.select(keys[0], *columns)).all():
            values = {c.name: f"{table.name[:4]}{c.name[:4]} {row[0]}" for c in columns
                      if isinstance(row._mapping[c.name], str) and HAN.search(row._mapping[c.name])}
            if values:
                db.session.execute(update(table).where(keys[0] == row[0]).values(**values))
                changed += 1
    db.session.commit()
    return changed


class Visible(HTMLParser):
    """The text a reader sees: element text and the attributes shown to people, not scripts or styles."""

    SHOWN = {"placeholder", "title", "aria-label", "alt"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if value and (name in self.SHOWN or (tag == "input" and name == "value"
                                                 and dict(attrs).get("type") in ("submit", "button"))):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = Visible()
    parser.feed(html)
    return parser.parts


@pytest.fixture
def ascii_world(app):
    world = make_world(firm_name="Acme Lock Works Ltd", standard_title="Mortise pin tumbler locks")
    clients = {}
    for role in Role:
        username = f"person{list(Role).index(role)}"
        make_user(username, role, station="ZS-LAB" if role in ("technician", "reviewer") else None,
                  firm_uscc=world["uscc"] if role == "firm" else None)
        clients[role] = app.test_client()
        login(clients[role], username)
    # The lab people of the world enter and verify; log in as them too so their pages are walked.
    for username in ("lab-tech", "lab-review"):
        clients[username] = app.test_client()
        login(clients[username], username)
    clients["anonymous"] = app.test_client()
    # A draft with a failing value and missing ones, so the entry page and its verdict sentences are walked too.
    technician = db.session.execute(db.select(User).where(User.username == "lab-tech")).scalar_one()
    draft = make_inspection(technician, parties.find_firm(world["uscc"]), sampled_on=clock.today(), model="L-100")
    values = {number: value for number, value in LOCK_PASS.items() if number not in ("5.16", "5.17", "7.1")}
    inspections.save_results(draft.id, lock_entries(draft, {**values, "5.4": ["21.0", "19.0", "20.4"], "5.2": "5000"}),
                             technician)
    world["draft_id"] = draft.id
    # A suspended licence of another firm, so the queues show a suspension cause and its deadlines.
    from trademark import services as trademark
    suspended = make_active_licence(2, clock.today() - timedelta(days=60))
    staff = db.session.execute(db.select(User).where(User.role == "staff")).scalars().first()
    trademark.act_on_licence(suspended.id, "suspend", "X4 监督抽查逾期", clock.today(), staff)
    assert asciify_user_data() > 5
    return world, clients


def pages(app, world, client, language: str):
    """Yield (endpoint, url, html) of every HTML page `client` may see, in `language`."""
    headers = {"Accept-Language": "en" if language == "en" else "zh-CN,zh;q=0.9"}
    client.get(f"/lang/{language}")
    draft_world = {**world, "inspection_id": world["draft_id"]}
    routes = [*walk(app, world), *walk(app, draft_world, prefix="/inspections/")]
    for endpoint, _method, url in dict.fromkeys(routes):
        if endpoint in SKIP or url.startswith("/api/"):
            continue
        response = client.get(url, headers=headers)
        if response.mimetype != "text/html" or response.status_code != 200:
            continue
        yield endpoint, url, response.get_data(as_text=True)


def test_english_pages_of_every_role_contain_no_chinese(app, ascii_world):
    world, clients = ascii_world
    seen, leaks = set(), []
    for who, client in clients.items():
        for endpoint, url, html in pages(app, world, client, "en"):
            if 'lang="en"' not in html:
                leaks.append((who, url, "not marked lang=en"))
            seen.add(endpoint)
            html = OTHER_LANGUAGE_LINK.sub("", html)
            for text in visible_text(html):
                if HAN.search(text) or CJK_PUNCTUATION.search(text):
                    leaks.append((who, url, text[:120]))
            # Chinese hidden from view (a script's message, an option, a title) is a leak as well.
            body = re.sub(r"<script[^>]*src=[^>]*></script>", "", html)
            for match in HAN.finditer(body):
                if not any(match.group(0) in text for text in visible_text(html)):
                    leaks.append((who, url, body[max(0, match.start() - 60):match.end() + 60]))
                    break
    assert not leaks, "\n".join(map(str, dict.fromkeys(leaks)))
    assert MUST_SEE <= seen, sorted(MUST_SEE - seen)


def test_chinese_pages_of_every_role_show_no_raw_codes(app, ascii_world):
    world, clients = ascii_world
    codes = enum_codes()
    word = re.compile(r"(?<![\w./-])(" + "|".join(sorted(map(re.escape, codes), key=len, reverse=True))
                      + r")(?![\w./-])", re.I)
    seen, leaks = set(), []
    for who, client in clients.items():
        for endpoint, url, html in pages(app, world, client, "zh"):
            if 'lang="zh-CN"' not in html:
                leaks.append((who, url, "not marked lang=zh-CN"))
            seen.add(endpoint)
            for text in visible_text(html):
                if match := word.search(text):
                    leaks.append((who, url, match.group(0), text[:120]))
    assert not leaks, "\n".join(map(str, dict.fromkeys(leaks)))
    assert MUST_SEE <= seen, sorted(MUST_SEE - seen)


def test_the_public_pages_speak_english_by_accept_language_and_by_the_link(app, ascii_world):
    world, _clients = ascii_world
    visitor = app.test_client()
    for url in (f"/v/{world['token']}", "/registry"):
        english = visitor.get(url, headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
        assert 'lang="en"' in english and not HAN.search(OTHER_LANGUAGE_LINK.sub("", english)), url
        chinese = visitor.get(url).get_data(as_text=True)
        assert 'lang="zh-CN"' in chinese and HAN.search(chinese), url
    linked = app.test_client().get(f"/v/{world['token']}?lang=en").get_data(as_text=True)
    assert 'lang="en"' in linked and "Valid" in linked


def test_the_interface_is_chinese_by_default_and_english_after_the_switch(app, client):
    make_user("staff1", "staff")
    login(client, "staff1")
    page = client.get("/standards/").get_data(as_text=True)
    assert "联盟标准" in page and 'lang="zh-CN"' in page
    client.get("/lang/en", headers={"Referer": "http://localhost/standards/"})
    page = client.get("/standards/").get_data(as_text=True)
    assert 'lang="en"' in page and "Standards" in page
    client.get("/lang/zh")
    assert "联盟标准" in client.get("/standards/").get_data(as_text=True)


def test_the_language_switch_does_not_redirect_off_site(app, client):
    response = client.get("/lang/en", headers={"Referer": "https://evil.example/"})
    assert response.status_code == 302 and "evil.example" not in response.headers["Location"]


def test_the_english_public_page_says_a_rule_s_reason_by_the_rule_s_name(app):
    """A suspension the rules decided was recorded in Chinese; the English page names the rule instead."""
    from infra.db import db as database
    from tests.builders import make_certified_licence
    from trademark import services as trademark
    from trademark.models import Decision

    granted = clock.today() - timedelta(days=500)
    _licence, certificate = make_certified_licence(1, granted)
    trademark.sweep(clock.today())  # no surveillance for over 12 months and the grace: X4 suspends
    decision = database.session.execute(database.select(Decision).where(Decision.kind == "suspend")).scalar_one()
    assert decision.rule == "X4" and HAN.search(decision.reason)
    visitor = app.test_client()
    english = visitor.get(f"/v/{certificate.token}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Surveillance overdue" in english and decision.reason not in english
    assert not HAN.search(OTHER_LANGUAGE_LINK.sub("", english).replace(certificate.licence.firm.name, "")
                          .replace(certificate.licence.mark.name, "").replace(certificate.licence.mark.alliance.name, ""))
    chinese = visitor.get(f"/v/{certificate.token}").get_data(as_text=True)
    assert "监督抽查" in chinese


@pytest.mark.parametrize("language, shown, hidden", [("en", "Username is taken", "用户名已存在"),
                                                     ("zh", "用户名已存在", "username is taken")])
def test_a_service_error_shows_only_the_reader_s_half(app, client, language, shown, hidden):
    make_user("boss", "admin")
    make_user("clerk", "admin")
    login(client, "boss")
    client.get(f"/lang/{language}")
    page = client.post("/admin/users", data={"username": "clerk", "role": "admin", "password": "long-enough-pw-42",
                                             "display_name": "Clerk"}).get_data(as_text=True)
    assert shown in page and hidden not in page
