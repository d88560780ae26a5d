"""What the layout tests measure in the browser: how wide a page is, and which element makes it so."""
from __future__ import annotations

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}

# The element reaching furthest right (the outermost of equals), skipping what sits in a box that
# scrolls or clips on its own: that is what makes the page scroll sideways.
WIDEST_ELEMENT_JS = """
() => {
  const limit = document.documentElement.clientWidth;
  const clipped = (element) => {
    for (let parent = element.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
      if (getComputedStyle(parent).overflowX !== "visible") return true;
    }
    return false;
  };
  let widest = null;
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.right <= limit + 0.5 || clipped(element)) continue;
    if (!widest || box.right > widest.right + 0.5) widest = {element, right: box.right, width: box.width};
  }
  if (!widest) return null;
  const element = widest.element;
  const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
    + [...element.classList].map((name) => "." + name).join("");
  const text = (element.innerText || "").trim().replace(/\\s+/g, " ").slice(0, 40);
  return `${name} (${Math.round(widest.width)} px wide, right edge at ${Math.round(widest.right)} px) "${text}"`;
}
"""


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def widest_element(page) -> str | None:
    return page.evaluate(WIDEST_ELEMENT_JS)


def open_every_disclosure(page) -> None:
    """Open every <details> (menus, order tools, edit and return forms), so what they hide is measured too."""
    page.evaluate("document.querySelectorAll('details').forEach((details) => { details.open = true; })")
