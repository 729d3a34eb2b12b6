"""Every relative link in the README, CONTRIBUTING.md and docs/ leads somewhere: the file
exists, and an #anchor names a heading of the Markdown file it points into (GitHub's anchor
rules). Docs moved between files break links silently otherwise."""

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").glob("*.md")])

_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_CODE = re.compile(r"`[^`]*`")
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _prose(markdown: str) -> list[str]:
    """The lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (not `-` or `_`),
    spaces to hyphens."""
    text = heading.replace("`", "").strip().lower()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """The anchors of a page's headings; a repeated heading gets -1, -2, … as on GitHub."""
    seen: Counter[str] = Counter()
    found = set()
    for line in _prose(markdown):
        match = _HEADING.match(line)
        if match:
            base = slug(match.group(2))
            found.add(f"{base}-{seen[base]}" if seen[base] else base)
            seen[base] += 1
    return found


def links(markdown: str) -> list[str]:
    """The targets of the inline links outside code."""
    return [
        target for line in _prose(markdown) for target in _LINK.findall(_INLINE_CODE.sub("", line))
    ]


def broken(page: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with the page's relative links (paths shown from `root`)."""
    problems = []
    for target in links(page.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, …: not ours to check
            continue
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.exists():
            problems.append(f"{target}: no file {destination.relative_to(root)}")
        elif anchor:
            if destination.suffix != ".md":
                problems.append(f"{target}: an anchor into a file that is not Markdown")
            elif anchor not in anchors(destination.read_text(encoding="utf-8")):
                problems.append(f"{target}: no heading #{anchor} in {destination.name}")
    return problems


def test_the_anchors_are_githubs():
    page = "# Croupier\n## The `croupier` command\n## Live updates (WebSocket)\n## A, b\n## A, b\n"
    assert anchors(page) == {
        "croupier",
        "the-croupier-command",
        "live-updates-websocket",
        "a-b",
        "a-b-1",
    }
    assert slug("Scaling out, and what each failure does") == (
        "scaling-out-and-what-each-failure-does"
    )


def test_links_are_found_outside_code_only():
    page = "See [a](a.md#x) and `[b](b.md)`.\n```\n[c](c.md)\n```\n[d](https://e.org) [f](#g)\n"
    assert links(page) == ["a.md#x", "https://e.org", "#g"]


def test_a_broken_link_is_reported(tmp_path: Path):
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other\n\n## Here\n")
    page.write_text(
        "# Page\n[ok](other.md#here) [ok](#page) [gone](missing.md) [bad](other.md#there)\n"
    )
    assert broken(page, root=tmp_path.resolve()) == [
        "missing.md: no file missing.md",
        "other.md#there: no heading #there in other.md",
    ]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_resolves(page: Path):
    assert page.exists(), f"{page.relative_to(ROOT)} is missing"
    assert broken(page) == []


def test_the_readme_links_every_docs_page():
    readme = set(links((ROOT / "README.md").read_text(encoding="utf-8")))
    pages = {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")}
    assert len(pages) > 10
    assert pages <= readme, f"the README links none of {sorted(pages - readme)}"
