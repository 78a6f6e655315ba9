"""Every colour pair in rmdesk.css reads at WCAG 2.1 AA: text 4.5:1 against its
background, the keyboard focus ring 3:1 against the page.

The pairs come from the stylesheet itself: a rule that sets both a text colour and a
background is one pair; a text colour alone is checked on the page's surfaces (white
cards and the grey page); a background alone under the body text it inherits. A new
rule with a pale colour fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[1] / "static" / "web" / "rmdesk.css"
HEX = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b")
RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
TEXT = 4.5
NON_TEXT = 3.0


def luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = []
    for i in (0, 2, 4):
        c = int(digits[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def rules() -> list[tuple[str, dict[str, str]]]:
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S)
    variables = dict(re.findall(r"--([\w-]+)\s*:\s*(#[0-9a-fA-F]{3,6})", text))
    found = []
    for selector, body in RULE.findall(text):
        declarations: dict[str, str] = {}
        for declaration in body.split(";"):
            name, _, value = declaration.partition(":")
            value = re.sub(r"var\(--([\w-]+)\)", lambda m: variables[m.group(1)], value)
            declarations[name.strip()] = value.strip()
        found.append((selector.strip().split("{")[-1].strip(), declarations))
    return found


def _colour(value: str) -> str | None:
    match = HEX.search(value)
    return match.group().lower() if match else None


def pairs() -> list[tuple[str, str, str]]:
    """(selector, text colour, background) for every pair the stylesheet can show."""
    declared = rules()
    root = next(d for s, d in declared if s == ":root")
    ink, page = _colour(root["--ink"]), _colour(root["--bg"])
    assert ink is not None
    assert page is not None
    surfaces = ["#ffffff", page]
    found = []
    for selector, declarations in declared:
        if selector == ":root":
            continue
        fg = _colour(declarations.get("color", ""))
        bg = _colour(declarations.get("background-color", "")) or _colour(
            declarations.get("background", "")
        )
        if fg and bg:
            found.append((selector, fg, bg))
        elif fg:
            found += [(selector, fg, surface) for surface in surfaces]
        elif bg:
            found.append((selector, ink, bg))
    return found


def test_the_stylesheet_has_the_pairs_this_test_reads() -> None:
    selectors = {selector for selector, _, _ in pairs()}
    assert {"body", "a", "button.primary", ".error", ".hint", ".warn"} <= selectors


@pytest.mark.parametrize(("selector", "fg", "bg"), pairs(), ids=lambda v: str(v))
def test_text_contrast_is_at_least_4_5(selector: str, fg: str, bg: str) -> None:
    assert contrast(fg, bg) >= TEXT, f"{selector}: {fg} on {bg} is {contrast(fg, bg):.2f}:1"


def test_the_focus_ring_stands_out_from_the_page() -> None:
    focus = [d for s, d in rules() if s.endswith(":focus-visible") and "outline" in d]
    assert focus, "rmdesk.css must draw a :focus-visible outline"
    for declarations in focus:
        ring = _colour(declarations["outline"])
        assert ring is not None
        for surface in ("#ffffff", "#f6f7f9", "#eef1f5"):
            assert contrast(ring, surface) >= NON_TEXT, (ring, surface)


def test_the_formula_matches_wcag_examples() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#fff", "#fff") == pytest.approx(1.0)


def test_no_rule_fades_text_with_opacity() -> None:
    """A faded element's contrast is no longer the pair's: use a colour instead."""
    faded = [s for s, d in rules() if "opacity" in d and float(d["opacity"]) < 1]
    assert faded == []
