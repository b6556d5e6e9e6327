"""Accessibility check of a page in Chromium with axe-core (from the npm registry, pinned, cached)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from harness import proc
from harness.log import get_logger
from harness.paths import CACHE
from harness.timeouts import DEFAULT_TIMEOUTS

log = get_logger("a11y")

AXE_VERSION = "4.14.1"
AXE_DIR = CACHE / "npm" / f"axe-core-{AXE_VERSION}"
# WCAG 2.1 A and AA rules, plus axe's best practices (landmarks, headings)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_script() -> Path:
    """axe.min.js of the pinned axe-core, installed with npm into the cache on first use."""
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if script.is_file():
        return script
    from harness.baseimages import build_lock  # only on an install: the fast path above stays import-free

    # the report check opens both reports side by side, each asking for the script: one npm install into the
    # prefix at a time (two at once raced into the same directory on a bare machine), the other finds it
    with build_lock(f"axe-core-{AXE_VERSION}"):
        if script.is_file():
            return script
        return _install(script)


def _install(script: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise FileNotFoundError("npm not found on PATH: `apt-get install npm` (needed once for axe-core)")
    log.info("installing axe-core %s from npm into %s (first run only)", AXE_VERSION, AXE_DIR)
    AXE_DIR.mkdir(parents=True, exist_ok=True)
    proc.run(
        [
            npm,
            "install",
            "--prefix",
            str(AXE_DIR),
            "--no-audit",
            "--no-fund",
            "--no-save",
            f"axe-core@{AXE_VERSION}",
        ],
        timeout=DEFAULT_TIMEOUTS.tool_install,
    )
    if not script.is_file():
        raise FileNotFoundError(f"npm installed axe-core {AXE_VERSION} but {script} is missing")
    return script


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on a Playwright page; each violation as {id, impact, help, nodes: [css target, …]}."""
    page.add_script_tag(path=str(axe_script()))
    # Only the violations leave the page, already reduced: axe's whole result (every rule that passed, with
    # its nodes) is megabytes on a long report, and moving it to Python took longer than the check itself.
    # resultTypes: axe collects node details only for violations.
    return list(page.evaluate(_AXE_JS, AXE_TAGS))


_AXE_JS = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
    .then(result => result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 10).map(n => (n.target || []).map(String).join(', ')),
    })))"""
