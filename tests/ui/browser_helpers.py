"""Shared by the browser tests: chromium, colour contrast, accessible names (from chromium's own AX tree)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
]  # fmt: skip
# Roles a person operates; each needs a name a screen reader can say.
CONTROL_ROLES = {
    "button", "textbox", "searchbox", "combobox", "checkbox", "radio", "slider", "spinbutton", "listbox",
    "switch", "tab", "menuitem",
}  # fmt: skip
WCAG_AA_TEXT = 4.5

# The colours the page really draws for an element's text: its own color, and the first
# non-transparent background of it or an ancestor.
COLOURS_JS = """(el) => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const fg = parse(getComputedStyle(el).color);
  let node = el, bg = null;
  while (node && node.nodeType === 1) {
    const c = parse(getComputedStyle(node).backgroundColor);
    if (c.length >= 3 && (c.length === 3 || c[3] > 0)) { bg = c; break; }
    node = node.parentElement;
  }
  return {fg, bg: bg || [255, 255, 255]};
}"""


def contrast_ratio(fg: list[float], bg: list[float]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours given as [r, g, b(, a)] in 0..255."""

    def luminance(rgb: list[float]) -> float:
        linear = [
            c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb[:3]
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def element_contrast(locator: Any) -> float:
    colours = locator.evaluate(COLOURS_JS)
    return contrast_ratio(colours["fg"], colours["bg"])


def unnamed_controls(page: Any) -> list[str]:
    """Controls in chromium's accessibility tree (what a screen reader gets) that have no name."""
    session = page.context.new_cdp_session(page)
    try:
        missing = []
        for node in session.send("Accessibility.getFullAXTree")["nodes"]:
            role = (node.get("role") or {}).get("value")
            if node.get("ignored") or role not in CONTROL_ROLES:
                continue
            if not str((node.get("name") or {}).get("value") or "").strip():
                dom = session.send("DOM.describeNode", {"backendNodeId": node["backendDOMNodeId"]})["node"]
                missing.append(f"{role}: <{dom['nodeName'].lower()} {dom.get('attributes', [])}>")
        return missing
    finally:
        session.detach()
