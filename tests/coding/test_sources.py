import csv
from pathlib import Path

import pytest

from coding.sources import source_plain

DATA = Path(__file__).resolve().parents[2] / "coding" / "data"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("billing-rules §4", ""),
        ("billing-rules §5.3 (CMS practitioner MUE 2026)", "CMS practitioner MUE 2026"),
        (
            "billing-rules §4; MCPM 5 §10.2-10.3, §20.1",
            "CMS Medicare Claims Processing Manual, chapter 5, sections 10.2–10.3 and 20.1",
        ),
        (
            "billing-rules §4; MCPM 5 §10.2-10.3, §20.1; §20.2 D",
            "CMS Medicare Claims Processing Manual, chapter 5, sections 10.2–10.3, 20.1 and 20.2 D",
        ),
        (
            "billing-rules §4; MCPM 5 §10.2-10.3, §20.1 (de minimis: secondary source)",
            "CMS Medicare Claims Processing Manual, chapter 5, sections 10.2–10.3 and 20.1 "
            "(de minimis: secondary source)",
        ),
        (
            "billing-rules §4; NCCI I §E; NCCI XI §P.2",
            "NCCI Policy Manual for Medicare, chapter I, section E and chapter XI, section P.2",
        ),
        (
            "billing-rules §5.1 (NCCI XI §P)",
            "NCCI Policy Manual for Medicare, chapter XI, section P",
        ),
        (
            "docs/billing-rules.md §6.5 (BPM 15 §220)",
            "CMS Medicare Benefit Policy Manual, chapter 15, section 220",
        ),
        (
            "docs/billing-rules.md §10.10 (42 CFR 424.44; MCPM 1 §70)",
            "42 CFR 424.44; CMS Medicare Claims Processing Manual, chapter 1, section 70",
        ),
        (
            "billing-rules §4 (KX [S]); §8 (CF [S], non-qualifying APM)",
            "KX [S]; CF [S], non-qualifying APM",
        ),
        ("seed article (§9)", "seed article"),
        ("§6.2", ""),
        ("CMS PTP sample", "CMS PTP sample"),
        (
            "CMS practitioner MUE table. Copy: someone/repo:data/mue.csv@3d64 (MUE-2026Q4)",
            "CMS practitioner MUE table",
        ),
        ("demo data: 80% of Medicare 2026", "demo data: 80% of Medicare 2026"),
        ("", ""),
    ],
)
def test_sources_name_the_manuals_and_drop_our_own_sections(stored: str, shown: str) -> None:
    assert source_plain(stored) == shown


@pytest.mark.parametrize(
    "name",
    [
        "modifiers.csv",
        "unit_limits.csv",
        "edit_pairs.csv",
        "fees.csv",
        "pairings.csv",
        "rvus.csv",
        "gpcis.csv",
        "fee_years.csv",
    ],
)
def test_no_shipped_source_shows_a_section_sign_or_our_file(name: str) -> None:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            shown = source_plain(row["source"])
            assert "§" not in shown and "billing-rules" not in shown, (row["source"], shown)
            assert "@" not in shown and ".csv" not in shown, (row["source"], shown)
