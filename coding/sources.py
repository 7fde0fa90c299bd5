"""Sources of reference rows (modifiers, unit limits, fees, edit pairs) in plain words.

The `source` columns of the code tables are written for the people who maintain them: they cite
this project's `docs/billing-rules.md` by section ("billing-rules §5.3") and the CMS manuals by
their short names ("MCPM 5 §20.1", "NCCI XI §P.2"). Users of the reference pages read the
manuals' names instead, and never a file name or a section of our own document. Standard library
only.
"""

from __future__ import annotations

import re

MANUALS = {
    "MCPM": "CMS Medicare Claims Processing Manual",
    "BPM": "CMS Medicare Benefit Policy Manual",
    "NCCI": "NCCI Policy Manual for Medicare",
}
_OURS = re.compile(r"^(?:docs/)?billing-rules(?:\.md)?\b")
_MANUAL = re.compile(r"^(MCPM|BPM|NCCI)\s+([0-9]+|[IVXL]+)\b\s*(.*)$")
_NOTE = re.compile(r"\s*\(([^()]*)\)\s*$")
_ONLY_SECTIONS = re.compile(r"^[\s§0-9A-Za-z.,\-–]*$")
_SECTION = re.compile(r"§\s*")


def _sections(text: str) -> list[str]:
    """Section numbers in words: '§10.2-10.3, §20.1' → ['10.2–10.3', '20.1']."""
    return [
        part.strip().lstrip("§").strip().replace("-", "–")
        for part in text.split(",")
        if part.strip().lstrip("§").strip()
    ]


def source_plain(text: str) -> str:
    """``text`` with our own document's sections dropped (what it says in brackets after one is
    kept) and the CMS manuals' short names spelled out, e.g.

    "billing-rules §4; MCPM 5 §10.2-10.3, §20.1" → "CMS Medicare Claims Processing Manual,
    chapter 5, sections 10.2–10.3 and 20.1"; "billing-rules §5.3 (CMS practitioner MUE 2026)" →
    "CMS practitioner MUE 2026"; "billing-rules §4" → "". Anything else is kept as written.
    """
    # What follows "Copy:" names the public copy a figure was read from (a repository and a
    # path): for the people who maintain the tables, not for the pages.
    text = text.split(" Copy: ")[0].rstrip(" .;")
    order: list[str] = []  # manual short names and other parts, in the order first cited
    cited: dict[str, list[tuple[str, list[str]]]] = {}  # manual → [(chapter, sections)]
    notes: dict[str, list[str]] = {}
    _read(text, order, cited, notes)
    words: list[str] = []
    for item in order:
        said = item
        if item in cited:
            chapters = [_chapter(chapter, sections) for chapter, sections in cited[item]]
            said = f"{MANUALS[item]}, {_and(chapters)}"
            if notes[item]:
                said += f" ({'; '.join(notes[item])})"
        if said and said not in words:
            words.append(said)
    return "; ".join(words)


def _read(
    text: str,
    order: list[str],
    cited: dict[str, list[tuple[str, list[str]]]],
    notes: dict[str, list[str]],
) -> None:
    last: str | None = None  # the manual or our document a bare "§…" part continues
    for part in _parts(text):
        note_match = _NOTE.search(part)
        note = note_match.group(1).strip() if note_match else ""
        head = part[: note_match.start()].strip() if note_match else part
        if _OURS.match(head) or (head.startswith("§") and last not in cited):
            # Ours, or a bare "§…" that continues no manual: a section of our own document.
            last = "ours"
            if note:
                _read(note, order, cited, notes)  # "billing-rules §5.1 (NCCI XI §P)"
            continue
        manual = _MANUAL.match(head)
        if manual:
            name, chapter, rest = manual.groups()
            if name not in cited:
                cited[name], notes[name] = [], []
                order.append(name)
            cited[name].append((chapter, _sections(rest)))
            if note:
                notes[name].append(note)
            last = name
            continue
        if head.startswith("§") and last in cited:
            cited[last][-1][1].extend(_sections(head))  # "MCPM 5 §20.1; §20.2 D"
            if note:
                notes[last].append(note)
            continue
        last = None
        if note and "§" in note and _ONLY_SECTIONS.match(note):
            part = head  # "seed article (§9)": a section of our document
        order.append(_SECTION.sub("section ", part))


def _parts(text: str) -> list[str]:
    """``text`` split at the semicolons outside brackets."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ";" and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _chapter(chapter: str, sections: list[str]) -> str:
    if not sections:
        return f"chapter {chapter}"
    label = "section" if len(sections) == 1 and "–" not in sections[0] else "sections"
    return f"chapter {chapter}, {label} {_and(sections)}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
