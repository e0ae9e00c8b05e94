"""The browser has a CJK font: Chinese characters are drawn as themselves, not as identical boxes."""
from __future__ import annotations

from tests.e2e.pages import shot

# Draw each character alone on a canvas in the page's own font and return its pixels. Without a CJK
# font every character is the same "missing glyph" box, so different characters give equal pixels.
GLYPHS = """(chars) => {
  const font = getComputedStyle(document.body).fontSize + " " + getComputedStyle(document.body).fontFamily;
  return chars.map((c) => {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 48;
    const g = canvas.getContext("2d");
    g.font = font.replace(/^[0-9.]+px/, "32px");
    g.fillStyle = "#000";
    g.textBaseline = "top";
    g.fillText(c, 4, 4);
    return Array.from(g.getImageData(0, 0, 48, 48).data).join(",");
  });
}"""


def test_chinese_characters_are_drawn_distinctly_in_the_page_font(live, new_page):
    page = new_page()
    page.goto("/login")
    drawn = page.evaluate(GLYPHS, ["联", "盟", "标", "志", "A"])
    blank = page.evaluate(GLYPHS, [" "])[0]
    shot(page, "font-login-zh")
    assert all(pixels != blank for pixels in drawn), "a character was drawn as nothing"
    assert len(set(drawn)) == len(drawn), "different Chinese characters look the same: no CJK font (fonts-wqy-microhei)"
