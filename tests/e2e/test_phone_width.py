"""Issue 12 §9: every main page fits a 390 × 844 phone without sideways scrolling.

A page fails if `document.documentElement.scrollWidth` exceeds
`window.innerWidth`; the message names the elements that burst out of the
viewport (those whose right edge passes it while their parent's does not, and
that no scrolling box of their own holds), widest first. Tables may be wider
than the phone only inside a box that scrolls (`overflow-x: auto`).

On the phone more boxes scroll than on a desktop, so each page is also checked
there with axe-core's `scrollable-region-focusable` (a box that scrolls must be
reachable by keyboard, §5); the full axe run is at desktop width. A failing
page leaves a screenshot in test-artifacts/phone-<page>-<language>.png.

The pages and their data are tests/e2e/pages.py's, in Greek and in English
(`-k "console-accounts-el"` runs one).
"""

import pytest

from tests.e2e.pages import open_page, page_params
from tests.e2e.test_accessibility import axe_source, describe

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}

# The outermost elements that pass the viewport's right edge, skipping those that
# a scrolling (or clipping) ancestor inside the viewport keeps in its own box.
BURSTING = """
() => {
  const limit = window.innerWidth;
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) { name += "#" + el.id; }
    if (el.classList.length) { name += "." + Array.from(el.classList).join("."); }
    return name;
  };
  const held = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowX;
      if (overflow !== "visible" && up.getBoundingClientRect().right <= limit + 0.5) {
        return true;
      }
    }
    return false;
  };
  const found = [];
  for (const el of document.body.querySelectorAll("*")) {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.right <= limit + 0.5) { continue; }
    const parent = el.parentElement;
    if (parent && parent !== document.body && parent.getBoundingClientRect().right > limit + 0.5) {
      continue;
    }
    if (held(el)) { continue; }
    const path = [];
    for (let up = el; up && up !== document.body; up = up.parentElement) {
      path.unshift(describe(up));
    }
    found.push({
      path: path.join(" > "),
      right: Math.round(rect.right),
      width: Math.round(rect.width),
      text: (el.innerText || "").trim().slice(0, 60),
    });
  }
  found.sort((a, b) => b.right - a.right);
  return found.slice(0, 8);
}
"""


def scroll_boxes_out_of_reach(page) -> list[dict]:
    page.evaluate(axe_source())
    results = page.evaluate(
        "() => axe.run(document, {runOnly: ['scrollable-region-focusable'],"
        " resultTypes: ['violations']})"
    )
    return results["violations"]


@pytest.mark.parametrize(("target", "language"), page_params())
def test_i12_page_fits_a_phone(target, language, page, live_server, site, settings, artifacts):
    page.set_viewport_size(PHONE)
    open_page(page, live_server, site, target, language, settings)
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert inner_width == PHONE["width"]
    problems = []
    if scroll_width > inner_width:
        bursting = page.evaluate(BURSTING)
        lines = "\n".join(
            f"- {b['path']}: right edge {b['right']} px, {b['width']} px wide ({b['text']!r})"
            for b in bursting
        )
        problems.append(
            f"{scroll_width} px wide on a {inner_width} px phone:\n"
            f"{lines or '(no single element found)'}"
        )
    unreachable = scroll_boxes_out_of_reach(page)
    if unreachable:
        problems.append("a box that scrolls is out of keyboard reach:\n" + describe(unreachable))
    if problems:
        page.screenshot(path=str(artifacts / f"phone-{target.name}-{language}.png"))
        where = f"{target.name} ({language}) at {page.url}: "
        pytest.fail(where + "\n".join(problems), pytrace=False)
