"""ICD-10-CM validity by date of service (coding/icd10.py, billing-rules §7, §10.6): a code is
valid on a date iff first_valid <= date <= last_valid; the reason it is not is said from the
data; a date in a fiscal year that is not loaded is judged against the latest loaded set. No
database."""

import datetime as dt

import pytest

from claims.scrubber import ClaimFacts, Diagnosis, scrub
from coding.icd10 import (
    Icd10Facts,
    Icd10Row,
    badge,
    code_list,
    judging_day,
    sets_in_force,
    with_dot,
)
from tests.claims.test_scrubber import make_claim

FY2025 = (2025, dt.date(2024, 10, 1), dt.date(2025, 9, 30))
FY2026 = (2026, dt.date(2025, 10, 1), dt.date(2026, 9, 30))
RELEASES = (FY2025, FY2026)

G35 = Icd10Row("G35", "Multiple sclerosis", False, dt.date(2024, 10, 1), dt.date(2025, 9, 30))
G35_CHILDREN = tuple(
    Icd10Row(f"G35.{c}", f"Multiple sclerosis {c}", True, dt.date(2025, 10, 1), FY2026[2])
    for c in "ABCD"
)
M54_50 = Icd10Row("M54.50", "Low back pain, unspecified", True, FY2025[1], FY2026[2])
M54_5 = Icd10Row("M54.5", "Low back pain", False)
S30 = Icd10Row("S30.1XXA", "Contusion of abdominal wall, initial", False, FY2025[1], FY2025[2])

FACTS = Icd10Facts(
    rows={r.code: r for r in (G35, *G35_CHILDREN, M54_50, M54_5, S30)},
    releases=RELEASES,
    relatives=(G35, *G35_CHILDREN),
)


def test_g35_is_billable_through_2025_09_30() -> None:
    verdict = FACTS.judge("G35", dt.date(2025, 9, 30))
    assert (verdict.exists, verdict.billable, verdict.explanation) == (True, True, "")


def test_from_2025_10_01_g35_was_replaced_by_its_four_children() -> None:
    verdict = FACTS.judge("G35", dt.date(2025, 10, 1))
    assert not verdict.billable
    assert verdict.exists  # a header of the FY2026 set
    assert verdict.explanation == "G35 was replaced by G35.A–G35.D on 2025-10-01."


def test_a_child_of_g35_is_not_valid_before_it_starts_and_names_the_code_before() -> None:
    before = FACTS.judge("G35.A", dt.date(2025, 9, 30))
    assert (before.exists, before.billable) == (False, False)
    assert before.explanation == (
        "G35.A is valid from 2025-10-01; for earlier dates of service, bill G35."
    )
    assert FACTS.judge("G35.A", dt.date(2025, 10, 1)).billable


def test_a_code_the_next_set_dropped_is_said_deleted() -> None:
    verdict = FACTS.judge("S30.1XXA", dt.date(2025, 10, 1))
    assert (verdict.exists, verdict.billable) == (False, False)
    assert verdict.explanation == (
        "S30.1XXA is not billable from 2025-10-01: it was deleted from ICD-10-CM."
    )


def test_a_header_of_every_set_and_an_unknown_code_need_no_explanation() -> None:
    header = FACTS.judge("M54.5", dt.date(2026, 1, 5))
    assert (header.exists, header.billable, header.explanation) == (True, False, "")
    unknown = FACTS.judge("Q99.99", dt.date(2026, 1, 5))
    assert (unknown.exists, unknown.billable, unknown.explanation) == (False, False, "")


@pytest.mark.parametrize(
    ("day", "judged"),
    [
        (dt.date(2025, 3, 1), dt.date(2025, 3, 1)),  # FY2025 is loaded
        (dt.date(2026, 9, 30), dt.date(2026, 9, 30)),
        (dt.date(2026, 11, 1), dt.date(2026, 9, 30)),  # FY2027 is not: the latest loaded set
        (dt.date(2023, 5, 1), dt.date(2026, 9, 30)),
    ],
)
def test_a_date_in_a_fiscal_year_not_loaded_is_judged_by_the_latest_set(
    day: dt.date, judged: dt.date
) -> None:
    assert judging_day(RELEASES, day) == judged
    assert FACTS.judge("M54.50", day).judged_on == judged


def test_without_the_latest_fiscal_year_a_code_of_the_latest_set_stays_valid() -> None:
    # FY2027 is not loaded: M54.50 (billable through 2026-09-30) is judged as in FY2026.
    assert FACTS.judge("M54.50", dt.date(2026, 12, 1)).billable
    assert not FACTS.judge("G35", dt.date(2026, 12, 1)).billable


@pytest.mark.parametrize(
    ("codes", "text"),
    [
        (["G35.A"], "G35.A"),
        (["D69.11", "D69.19"], "D69.11 and D69.19"),
        (["M86.8X11", "M86.8X12", "M86.8X19"], "M86.8X11, M86.8X12 and M86.8X19"),
        (["G35.A", "G35.B", "G35.C", "G35.D"], "G35.A–G35.D"),
    ],
)
def test_code_lists_name_up_to_three_codes_and_give_a_range_past_that(
    codes: list[str], text: str
) -> None:
    assert code_list(codes) == text


@pytest.mark.parametrize(
    ("typed", "written"),
    [("M5450", "M54.50"), ("G35", "G35"), ("K6A01", "K6A.01"), ("qa171", "QA1.71")],
)
def test_the_dot_goes_after_the_third_character(typed: str, written: str) -> None:
    assert with_dot(typed) == written


def test_badges_say_billable_today_and_the_dates_of_a_change() -> None:
    assert badge(M54_50, dt.date(2026, 1, 5), RELEASES, below=0).billable
    old = badge(G35, dt.date(2026, 1, 5), RELEASES, below=4)
    assert (old.billable, old.header, old.note) == (False, True, "billable through 2025-09-30")
    gone = badge(S30, dt.date(2026, 1, 5), RELEASES, below=0)
    assert (gone.billable, gone.header) == (False, False)
    early = badge(G35_CHILDREN[0], dt.date(2025, 6, 1), RELEASES, below=0)
    assert (early.billable, early.note) == (False, "billable from 2025-10-01")
    ending = badge(G35, dt.date(2025, 6, 1), RELEASES, below=4)
    assert (ending.billable, ending.note) == (True, "billable through 2025-09-30")


def test_the_search_page_says_which_sets_are_loaded_and_which_one_judges_today() -> None:
    assert sets_in_force(RELEASES, dt.date(2026, 3, 1)) == (
        "ICD-10-CM FY2025 and FY2026 loaded; today's codes are those of FY2026."
    )
    assert "FY2027, which is not loaded" in sets_in_force(RELEASES, dt.date(2026, 12, 1))
    assert "billable in FY2026, the latest loaded" in sets_in_force(RELEASES, dt.date(2026, 12, 1))


# ---- the scrubber's diagnosis rules with the explanation ------------------------------------


def findings(claim: ClaimFacts) -> dict[str, str]:
    return {f.rule_id: f.message for f in scrub(claim).findings if f.rule_id.startswith("dx-")}


def test_dx_header_on_the_day_g35_changed_says_what_replaced_it() -> None:
    verdict = FACTS.judge("G35", dt.date(2025, 10, 1))
    dx = Diagnosis(verdict.code, verdict.exists, verdict.billable, verdict.title,
                   explanation=verdict.explanation)  # fmt: skip
    found = findings(make_claim(date_of_service=dt.date(2025, 10, 1), diagnoses=(dx,)))
    assert found == {
        "dx-header": "G35 was replaced by G35.A–G35.D on 2025-10-01. On 2025-10-01, G35 "
        "(Multiple sclerosis) is a category header with child codes, not billable."
    }


def test_dx_invalid_before_a_code_starts_says_when_it_starts() -> None:
    verdict = FACTS.judge("G35.A", dt.date(2025, 9, 30))
    dx = Diagnosis(verdict.code, verdict.exists, verdict.billable, verdict.title,
                   explanation=verdict.explanation)  # fmt: skip
    found = findings(make_claim(date_of_service=dt.date(2025, 9, 30), diagnoses=(dx,)))
    assert found == {
        "dx-invalid": "G35.A is valid from 2025-10-01; for earlier dates of service, bill G35. "
        "The date of service is 2025-09-30."
    }


def test_without_an_explanation_the_rules_say_what_they_always_said() -> None:
    unknown = Diagnosis("Q99.99", exists=False, billable=False)
    found = findings(make_claim(date_of_service=dt.date(2026, 1, 5), diagnoses=(unknown,)))
    assert found == {
        "dx-invalid": "Q99.99 is not in the ICD-10-CM code set in force on 2026-01-05."
    }
