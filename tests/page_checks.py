"""What every page must pass in a browser test: axe-core finds no critical or serious violation, and
nothing scrolls sideways.  axe-core comes from the npm registry (``.ci/run`` installs it into
``tests/.axe``, which git ignores; ``RSIWATCH_AXE`` may name another ``axe.min.js``); where it cannot be
had, the accessibility check skips cleanly and the layout checks still run."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

AXE_DEFAULT = Path(__file__).parent / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
SERIOUS = ("critical", "serious")


@cache
def axe_source() -> str | None:
    path = Path(os.environ.get("RSIWATCH_AXE") or AXE_DEFAULT)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def axe_or_skip() -> str:
    source = axe_source()
    if source is None:
        pytest.skip(f"axe-core is not installed ({AXE_DEFAULT}: `npm install --prefix tests/.axe axe-core`)")
    return source


def serious_violations(page: Any) -> list[str]:
    """axe-core's critical and serious violations on the page as it is now, one line each (rule, impact,
    the first few elements).  Injected through the DevTools protocol, so the page's own CSP is kept."""
    page.evaluate(axe_or_skip())
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .filter(v => ['critical', 'serious'].includes(v.impact))
             .map(v => `${v.id} (${v.impact}, ${v.nodes.length}): ` +
                       v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').split('\\n')[1]).join(' | '))"""
    )
    return list(found)


def sideways_scroll(page: Any) -> dict[str, Any] | None:
    """None when the page fits its viewport's width; else how wide it is and the widest elements."""
    return page.evaluate(
        """() => {
             const width = document.documentElement.clientWidth;
             if (document.documentElement.scrollWidth <= width) return null;
             const wide = [...document.querySelectorAll('body *')]
               .filter(e => e.getBoundingClientRect().right > width + 1)
               .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                                     (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '') +
                                     ' ' + Math.round(e.getBoundingClientRect().right));
             return {width, scrollWidth: document.documentElement.scrollWidth, wide};
           }"""
    )
