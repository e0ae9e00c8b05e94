"""Chinese by default, English on request."""
from tests.builders import login, make_user


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
