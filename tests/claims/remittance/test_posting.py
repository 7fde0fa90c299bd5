"""What a payer's decision means for a claim (`claims.remittance.posting`, docs/billing-rules.md
§12): which line each paid service is, which lines were denied and why, which rule guarded
against the denial, and the claim's status afterwards. Pure: no database (the services that
store it: test_posting_services.py)."""

from __future__ import annotations

import csv
from dataclasses import replace
from decimal import Decimal

import pytest

from claims import lifecycle
from claims.remittance import posting
from claims.remittance.codes import CARC
from claims.remittance.era import Adjustment, ClaimPayment, ServicePayment
from claims.remittance.posting import (
    DENIED,
    FAMILIES_BY_REASON,
    NOT_A_DENIAL,
    PAID,
    PARTLY_PAID,
    REVERSED,
    FlagRecord,
    LinePlan,
    LineRecord,
    Trace,
    denial_reason,
    is_denied,
    match_lines,
    plan_posting,
    refusal,
    status_after_payment,
    trace,
)
from claims.rule_help import Family
from tests.conftest import SharedFile

D = Decimal
OFFICIAL = SharedFile("fixtures", "x12_carc_rarc_codes_2026-08-17.csv")

# Real rule ids of the scrubber and their families (claims.rule_help), as services passes them.
FAMILIES_OF = {
    "necessity-thin": Family.NECESSITY,
    "poc-missing": Family.PLAN_OF_CARE,
    "progress-report-due": Family.PROGRESS_REPORTS,
    "units-under-8": Family.UNITS,
    "mue-exceeded": Family.UNITS,
    "auth-visits-exceeded": Family.COVERAGE,
    "kx-missing": Family.MODIFIERS,
    "ncci-needs-modifier": Family.EDIT_PAIRS,
    "dx-invalid": Family.DIAGNOSES,
    "timely-filing-passed": Family.FILING,
}


def adj(label: str, amount: str = "100") -> Adjustment:
    group, reason = label.split("-")
    return Adjustment(group, reason, D(amount))


def flag(rule_id: str, status: str = "open", line: str = "", **fields: str) -> FlagRecord:
    return FlagRecord(rule_id=rule_id, status=status, line_code=line, **fields)


LINES = (
    LineRecord(11, "97110", ("GP",), D("40.00")),
    LineRecord(12, "97140", ("GP",), D("35.00")),
    LineRecord(13, "97110", ("GP", "59"), D("40.00")),
    LineRecord(14, "97530", ("GP",), D("45.00")),
)


def service(
    code: str = "97110",
    *adjustments: Adjustment,
    paid: str = "32.00",
    modifiers: tuple[str, ...] = ("GP",),
    control: str = "",
) -> ServicePayment:
    return ServicePayment(
        code=code,
        modifiers=modifiers,
        charge=D("40.00"),
        paid=D(paid),
        units=1,
        service_date=None,
        adjustments=adjustments,
        remarks=(),
        allowed=None,
        line_control_number=control,
    )


def answer(
    *services: ServicePayment, status: str = "1", adjustments: tuple[Adjustment, ...] = ()
) -> ClaimPayment:
    return ClaimPayment(
        control_number="PTC7",
        status_code=status,
        charge=sum((s.charge for s in services), D("0.00")) or D("160.00"),
        paid=sum((s.paid for s in services), D("0.00")),
        patient_responsibility=D("0.00"),
        filing_indicator="MB",
        payer_claim_number="2026310000123",
        patient_name="Ada Lovelace",
        member_id="1EG4TE5MK73",
        service_date=None,
        adjustments=adjustments,
        remarks=(),
        services=services,
    )


def plan(payment: ClaimPayment, *flags: FlagRecord) -> posting.PostingPlan:
    return plan_posting(payment, LINES, flags, FAMILIES_OF)


# ---- is a line denied? ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paid", "adjustments", "status", "denied"),
    [
        pytest.param("0", [adj("PR-1")], "1", False, id="all-to-the-deductible-is-not-a-denial"),
        pytest.param("0", [adj("OA-23")], "2", False, id="the-prior-payer-paid-it-is-not-a-denial"),
        pytest.param("0", [adj("CO-50")], "1", True, id="nothing-paid-for-necessity-is-a-denial"),
        pytest.param("0", [adj("OA-18")], "1", True, id="another-oa-reason-than-23-is-a-denial"),
        pytest.param(
            "0", [adj("OA-23", "60"), adj("CO-97", "40")], "2", True,
            id="the-prior-payer-and-a-bundling-reason-is-a-denial",
        ),
        pytest.param("0", [], "4", True, id="the-payers-denied-status-is-a-denial-without-a-cas"),
        pytest.param("0", [adj("CO-50")], "4", True, id="denied-status-and-a-reason-is-a-denial"),
        pytest.param(
            "0", [adj("PR-2", "20")], "4", False, id="anything-on-the-patient-is-not-a-denial"
        ),
        pytest.param(
            "0", [adj("PR-1", "0"), adj("CO-50")], "1", True,
            id="a-zero-patient-amount-puts-nothing-on-the-patient",
        ),
        pytest.param("12.00", [adj("CO-50", "28")], "1", False, id="anything-paid-is-no-denial"),
        pytest.param("-12", [adj("CO-50", "28")], "1", False, id="money-taken-back-is-no-denial"),
        pytest.param("0", [adj("CO-50")], "22", False, id="a-reversal-is-never-a-denial"),
        pytest.param("0", [], "22", False, id="an-empty-reversal-is-never-a-denial"),
        pytest.param("0", [], "1", False, id="no-payment-and-no-reason-is-not-a-denial"),
        pytest.param("0", [adj("CO-50", "0")], "1", False, id="a-zero-adjustment-gives-no-reason"),
    ],
)  # fmt: skip
def test_a_line_is_denied_when_nothing_is_paid_nor_owed_for_a_reason_of_its_own(
    paid: str, adjustments: list[Adjustment], status: str, denied: bool
) -> None:
    assert is_denied(D(paid), adjustments, status_code=status) is denied


def test_without_a_status_a_line_is_judged_by_its_adjustments_alone() -> None:
    assert is_denied(D("0"), [adj("CO-50")]) is True
    assert is_denied(D("0"), []) is False


# ---- why it was denied ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("adjustments", "reason"),
    [
        pytest.param(
            [adj("CO-45", "50"), adj("CO-97", "30"), adj("CO-50", "60")], "CO-50",
            id="the-largest-reason-wins",
        ),
        pytest.param(
            [adj("CO-45", "500"), adj("CO-16", "10")], "CO-16",
            id="a-fee-schedule-reduction-is-never-the-reason-however-large",
        ),
        pytest.param(
            [adj("CO-45", "100"), adj("CO-253", "2")], None, id="reductions-alone-give-no-reason"
        ),
        pytest.param(
            [adj("PR-1", "100"), adj("OA-23", "90"), adj("CO-59", "80"), adj("CO-11", "5")],
            "CO-11", id="deductible-prior-payer-and-multiple-procedure-are-never-the-reason",
        ),
        pytest.param(
            [adj("CO-97", "40"), adj("CO-50", "40")], "CO-97", id="a-tie-goes-to-the-first"
        ),
        pytest.param(
            [adj("CO-50", "40"), adj("CO-97", "40")], "CO-50", id="a-tie-goes-to-the-first-too"
        ),
        pytest.param([adj("CO-50", "-40")], None, id="money-given-back-is-no-reason"),
        pytest.param([adj("CO-50", "0")], None, id="a-zero-amount-is-no-reason"),
        pytest.param(
            [adj("CO-50", "0.01"), adj("CO-45", "99")], "CO-50", id="a-cent-is-a-reason"
        ),
        pytest.param([], None, id="no-adjustment-no-reason"),
    ],
)  # fmt: skip
def test_the_denial_reason_is_the_largest_adjustment_that_is_not_a_reduction(
    adjustments: list[Adjustment], reason: str | None
) -> None:
    found = denial_reason(adjustments)
    assert (found.label if found else None) == reason


def test_the_denial_reason_is_the_adjustment_itself_amount_and_all() -> None:
    found = denial_reason([adj("CO-45", "10"), adj("CO-50", "30.00")])
    assert found == Adjustment("CO", "50", D("30.00"))


# ---- which claim line each paid service is ----------------------------------------------------


@pytest.mark.parametrize(
    ("services", "matched"),
    [
        pytest.param([("97110", ("GP",), "13")], [13], id="the-line-id-sent-back-comes-first"),
        pytest.param(
            [("97530", ("GP",), "12")], [12], id="the-line-id-wins-even-if-the-code-differs"
        ),
        pytest.param(
            [("97110", ("GP", "59"), "")], [13], id="without-an-id-the-same-code-and-modifiers"
        ),
        pytest.param(
            [("97110", ("59", "GP"), "")], [13], id="modifiers-in-another-order-still-match"
        ),
        pytest.param(
            [("97110", ("KX",), "")], [11], id="else-the-first-line-of-the-same-code"
        ),
        pytest.param(
            [("97110", ("GP",), ""), ("97110", ("GP",), "")], [11, 13],
            id="each-line-is-used-once",
        ),
        pytest.param(
            [("97110", ("GP",), "11"), ("97110", ("GP",), "11")], [11, 13],
            id="an-id-already-used-falls-back-to-the-code",
        ),
        pytest.param(
            [("97110", ("GP", "59"), ""), ("97110", ("GP",), "13")], [13, 11],
            id="an-id-taken-by-an-earlier-match-falls-back-to-the-code",
        ),
        pytest.param([("97140", ("GP",), "999")], [12], id="an-unknown-id-falls-back-to-the-code"),
        pytest.param([("G0283", ("GP",), "")], [None], id="an-unknown-code-matches-no-line"),
        pytest.param(
            [("97140", ("GP",), ""), ("97140", ("GP",), "")], [12, None],
            id="a-second-service-of-a-one-line-code-matches-no-line",
        ),
        pytest.param([("", (), "")], [None], id="a-service-without-a-code-matches-no-line"),
        pytest.param(
            [("97530", ("GP",), ""), ("97110", ("GP",), "14")], [14, 11],
            id="an-id-already-matched-by-code-falls-back-too",
        ),
    ],
)  # fmt: skip
def test_each_paid_service_finds_its_claim_line(
    services: list[tuple[str, tuple[str, ...], str]], matched: list[int | None]
) -> None:
    assert match_lines(services, LINES) == matched


def test_a_claim_without_lines_matches_nothing() -> None:
    assert match_lines([("97110", ("GP",), "11")], []) == [None]


# ---- which rule guarded against the denial ----------------------------------------------------


UNITS_REASON = "151"  # units over what the payer allows: units, coverage, modifiers
NECESSITY_REASON = "50"  # not medically necessary: necessity, plan of care, progress reports


@pytest.mark.parametrize(
    ("flags", "line_code", "caught"),
    [
        pytest.param(
            [flag("units-under-8", line="97140"), flag("auth-visits-exceeded"),
             flag("mue-exceeded", line="97110")],
            "97110", "mue-exceeded", id="a-flag-on-the-denied-line-comes-first",
        ),
        pytest.param(
            [flag("units-under-8", line="97140"), flag("auth-visits-exceeded")],
            "97110", "auth-visits-exceeded", id="then-a-flag-on-the-whole-claim",
        ),
        pytest.param(
            [flag("units-under-8", line="97140")],
            "97110", "units-under-8", id="then-a-flag-on-another-line",
        ),
        pytest.param(
            [flag("mue-exceeded", line="97110"), flag("auth-visits-exceeded")],
            "", "auth-visits-exceeded", id="for-the-whole-claim-a-claim-flag-before-a-line-flag",
        ),
        pytest.param(
            [flag("mue-exceeded", "resolved", line="97110"),
             flag("auth-visits-exceeded", "waived")],
            "97110", "mue-exceeded", id="the-place-counts-before-how-it-was-settled",
        ),
        pytest.param(
            [flag("mue-exceeded", "resolved"), flag("kx-missing", "open"),
             flag("auth-visits-exceeded", "waived")],
            "", "auth-visits-exceeded", id="a-waived-flag-before-an-open-one-before-a-fixed-one",
        ),
        pytest.param(
            [flag("mue-exceeded", "resolved"), flag("kx-missing", "open")],
            "", "kx-missing", id="an-open-flag-before-one-marked-fixed",
        ),
        pytest.param(
            [flag("kx-missing"), flag("auth-visits-exceeded"), flag("units-under-8")],
            "", "units-under-8", id="a-tie-goes-to-the-reasons-first-family",
        ),
        pytest.param(
            [flag("auth-visits-exceeded"), flag("kx-missing")],
            "", "auth-visits-exceeded", id="the-reasons-family-order-not-the-flags",
        ),
        pytest.param(
            [flag("units-under-8", line="97110"), flag("mue-exceeded", line="97110")],
            "97110", "units-under-8", id="a-full-tie-goes-to-the-first-flag",
        ),
        pytest.param(
            [flag("necessity-thin"), flag("dx-invalid", line="97110"), flag("unknown-rule")],
            "97110", None, id="flags-of-other-families-catch-nothing",
        ),
        pytest.param([], "97110", None, id="no-flags-catch-nothing"),
    ],
)  # fmt: skip
def test_the_flag_that_caught_a_denial_is_the_closest_and_most_decided(
    flags: list[FlagRecord], line_code: str, caught: str | None
) -> None:
    found = trace(UNITS_REASON, flags, FAMILIES_OF, line_code=line_code)
    assert found.families == (Family.UNITS, Family.COVERAGE, Family.MODIFIERS)
    assert (found.flag.rule_id if found.flag else None) == caught
    assert found.caught is (caught is not None)


def test_a_flag_is_returned_as_it_was_recorded() -> None:
    waived = flag("poc-missing", "waived", by="Pat Owner", on="11/03/2026", note="Signed late")
    assert trace(NECESSITY_REASON, [waived], FAMILIES_OF).flag == waived


@pytest.mark.parametrize(
    "reason", ["27", "31", "109", "22", "", "ZZ9"], ids=lambda r: f"reason-{r or 'none'}"
)
def test_a_reason_no_rule_guards_against_is_caught_by_no_flag(reason: str) -> None:
    everything = [flag(rule_id) for rule_id in FAMILIES_OF]
    found = trace(reason, everything, FAMILIES_OF)
    assert found == Trace((), None)
    assert found.sentence() == (
        "No rule can foresee this reason (it is the payer's eligibility or benefits)."
    )


def test_without_a_title_the_sentence_names_the_rule_by_its_id() -> None:
    found = Trace((Family.MODIFIERS,), flag("kx-missing"))
    assert found.sentence() == (
        "This rule flagged it before submission: kx-missing (kx-missing), the claim was "
        "approved with it open."
    )


@pytest.mark.parametrize(
    ("found", "title", "sentence"),
    [
        pytest.param(
            Trace((Family.NECESSITY, Family.PLAN_OF_CARE, Family.PROGRESS_REPORTS), None), "",
            "No rule caught this (the medical necessity, plan of care, progress reports rules "
            "raised nothing).",
            id="nothing-flagged-names-the-families-that-stayed-silent",
        ),
        pytest.param(
            Trace((Family.NECESSITY,), flag(
                "necessity-thin", "waived", by="Pat Owner", on="11/03/2026",
                note="Skilled need is in the plan.",
            )), "Thin note",
            "This rule flagged it before submission: Thin note (necessity-thin), waived by Pat "
            "Owner on 11/03/2026: “Skilled need is in the plan.”.",
            id="waived-says-by-whom-when-and-why",
        ),
        pytest.param(
            Trace((Family.NECESSITY,), flag("necessity-thin", "waived")), "",
            "This rule flagged it before submission: necessity-thin (necessity-thin), waived by "
            "someone.",
            id="waived-by-nobody-named",
        ),
        pytest.param(
            Trace((Family.UNITS,), flag("mue-exceeded", "resolved", by="Sam PT", on="11/02/2026")),
            "Over the unit limit",
            "This rule flagged it before submission: Over the unit limit (mue-exceeded), marked "
            "fixed by Sam PT on 11/02/2026.",
            id="resolved-says-who-marked-it-fixed-and-when",
        ),
        pytest.param(
            Trace((Family.UNITS,), flag("mue-exceeded", "resolved", note="ignored")), "",
            "This rule flagged it before submission: mue-exceeded (mue-exceeded), marked fixed "
            "by someone.",
            id="resolved-by-nobody-named",
        ),
        pytest.param(
            Trace((Family.MODIFIERS,), flag("kx-missing", "open", by="Pat Owner", on="x")),
            "KX missing",
            "This rule flagged it before submission: KX missing (kx-missing), the claim was "
            "approved with it open.",
            id="open-says-the-claim-was-approved-over-it",
        ),
    ],
)  # fmt: skip
def test_the_denials_line_on_the_claim_page_says_what_became_of_the_flag(
    found: Trace, title: str, sentence: str
) -> None:
    assert found.sentence(title) == sentence


# ---- how a payment posts ------------------------------------------------------------------------


def test_a_claim_paid_on_every_line_is_paid_and_no_line_is_denied() -> None:
    result = plan(answer(service("97110", adj("CO-45", "8")), service("97140", adj("PR-2", "7"))))
    assert result.outcome == PAID
    assert result.lines == (LinePlan(11, False, None, None), LinePlan(12, False, None, None))
    assert result.denied_claim_lines == ()
    assert (result.claim_denial, result.claim_trace) == (None, None)


def test_a_claim_with_one_line_denied_is_partly_paid_and_the_denial_traced() -> None:
    units = flag("mue-exceeded", "waived", line="97140", by="Pat Owner")
    result = plan(
        answer(service("97110"), service("97140", adj("CO-151", "35"), paid="0")),
        units,
        flag("necessity-thin"),
    )
    assert result.outcome == PARTLY_PAID
    paid, denied = result.lines
    assert paid == LinePlan(11, False, None, None)
    assert denied.line_id == 12 and denied.denied
    assert denied.denial == adj("CO-151", "35")
    assert denied.trace == Trace((Family.UNITS, Family.COVERAGE, Family.MODIFIERS), units)


def test_a_claim_with_every_line_denied_is_denied() -> None:
    result = plan(
        answer(
            service("97110", adj("CO-50", "40"), paid="0"),
            service("97530", adj("CO-96", "40"), paid="0"),
        )
    )
    assert result.outcome == DENIED
    assert [(p.line_id, p.denied, p.denial) for p in result.lines] == [
        (11, True, adj("CO-50", "40")),
        (14, True, adj("CO-96", "40")),
    ]
    assert [p.trace.families for p in result.lines if p.trace] == [
        FAMILIES_BY_REASON["50"],
        FAMILIES_BY_REASON["96"],
    ]


def test_the_payers_denied_status_denies_the_claim_even_with_a_line_paid() -> None:
    result = plan(
        answer(service("97110"), service("97140", adj("CO-50", "35"), paid="0"), status="4")
    )
    assert result.outcome == DENIED
    assert [p.denied for p in result.lines] == [False, True]


def test_a_line_paid_in_part_carries_no_denial_whatever_its_other_reasons() -> None:
    # One unit of two paid: CO-151 takes off the other, but the line was paid, not denied.
    result = plan(answer(service("97110", adj("CO-151", "20"), paid="20")))
    assert result.outcome == PAID
    assert result.lines == (LinePlan(11, False, None, None),)


def test_lines_denied_by_the_claims_status_without_any_reason_trace_to_no_rule() -> None:
    result = plan(answer(service("97110", paid="0"), service("97140", paid="0"), status="4"))
    assert result.outcome == DENIED
    assert result.lines == (
        LinePlan(11, True, None, Trace((), None)),
        LinePlan(12, True, None, Trace((), None)),
    )


def test_a_line_owed_by_the_patient_is_not_a_denial_so_the_claim_is_paid() -> None:
    result = plan(answer(service("97110", adj("PR-1", "40"), paid="0")))
    assert result.outcome == PAID
    assert result.lines[0].denied is False


def test_a_reversal_takes_back_the_lines_without_denying_any() -> None:
    result = plan(
        answer(
            service("97110", adj("CO-50", "-40"), paid="-32"),
            service("97140", paid="0"),
            status="22",
        )
    )
    assert result.outcome == REVERSED
    assert result.lines == (LinePlan(11, False, None, None), LinePlan(12, False, None, None))
    assert result.denied_claim_lines == ()


def test_a_reversal_without_lines_is_a_reversal() -> None:
    result = plan(answer(status="22", adjustments=(adj("CO-45", "-20"),)))
    assert (result.outcome, result.lines, result.denied_claim_lines) == (REVERSED, (), ())


def test_a_claim_denied_as_a_whole_denies_every_line_with_the_claims_reason() -> None:
    plan_flag = flag("poc-missing", "resolved", by="Sam PT", on="11/02/2026")
    result = plan(
        answer(status="4", adjustments=(adj("CO-45", "10"), adj("CO-50", "150"))),
        flag("mue-exceeded", line="97110"),
        plan_flag,
    )
    assert result.outcome == DENIED
    assert result.lines == ()
    assert result.denied_claim_lines == (11, 12, 13, 14)
    assert result.claim_denial == adj("CO-50", "150")
    assert result.claim_trace == Trace(FAMILIES_BY_REASON["50"], plan_flag)


def test_a_claim_level_trace_prefers_a_flag_on_the_whole_claim() -> None:
    whole = flag("kx-missing")
    result = plan(
        answer(status="4", adjustments=(adj("CO-151", "160"),)),
        flag("mue-exceeded", line="97110"),
        whole,
    )
    assert result.claim_trace is not None and result.claim_trace.flag == whole


def test_a_claim_denied_as_a_whole_without_a_reason_still_denies_every_line() -> None:
    result = plan(answer(status="4"))
    assert result.outcome == DENIED
    assert result.denied_claim_lines == (11, 12, 13, 14)
    assert result.claim_denial is None
    assert result.claim_trace == Trace((), None)


def test_a_claim_paid_as_a_whole_without_lines_is_paid() -> None:
    payment = replace(answer(adjustments=(adj("CO-45", "20"),)), paid=D("140.00"))
    result = plan(payment)
    assert (result.outcome, result.lines, result.denied_claim_lines) == (PAID, (), ())
    assert (result.claim_denial, result.claim_trace) == (None, None)


def test_a_single_line_without_its_own_cas_takes_the_claims_cas() -> None:
    result = plan(answer(service("97110", paid="0"), adjustments=(adj("CO-97", "40"),)))
    assert result.outcome == DENIED
    (line,) = result.lines
    assert line.denied and line.denial == adj("CO-97", "40")
    assert line.trace is not None and line.trace.families == (Family.EDIT_PAIRS,)


def test_a_single_line_owed_by_the_patient_at_claim_level_is_not_denied() -> None:
    result = plan(answer(service("97110", paid="0"), adjustments=(adj("PR-1", "40"),)))
    assert result.outcome == PAID


def test_a_single_line_with_its_own_cas_does_not_take_the_claims() -> None:
    result = plan(
        answer(service("97110", adj("CO-16", "40"), paid="0"), adjustments=(adj("CO-97", "40"),))
    )
    assert result.lines[0].denial == adj("CO-16", "40")


def test_several_lines_without_their_own_cas_do_not_share_the_claims_cas() -> None:
    result = plan(
        answer(service("97110", paid="0"), service("97140"), adjustments=(adj("CO-97", "40"),))
    )
    assert result.outcome == PAID
    assert [p.denied for p in result.lines] == [False, False]


def test_lines_denied_by_the_claims_status_take_the_claims_reason() -> None:
    result = plan(
        answer(service("97110", paid="0"), service("97140", paid="0"), status="4",
               adjustments=(adj("CO-45", "30"), adj("CO-29", "80")))
    )  # fmt: skip
    assert result.outcome == DENIED
    assert [p.denial for p in result.lines] == [adj("CO-29", "80"), adj("CO-29", "80")]
    assert [p.trace.families for p in result.lines if p.trace] == [(Family.FILING,)] * 2


def test_a_line_denied_only_by_reductions_falls_back_to_the_claims_reason() -> None:
    result = plan(
        answer(service("97110", adj("CO-45", "40"), paid="0"), service("97140"),
               adjustments=(adj("CO-16", "40"),))
    )  # fmt: skip
    assert result.lines[0].denied and result.lines[0].denial == adj("CO-16", "40")


def test_a_denied_lines_trace_looks_for_flags_on_its_own_line_code() -> None:
    own = flag("ncci-needs-modifier", line="97140")
    other = flag("ncci-needs-modifier", line="97110")
    result = plan(
        answer(service("97110"), service("97140", adj("CO-97", "35"), paid="0")), other, own
    )
    assert result.lines[1].trace is not None and result.lines[1].trace.flag == own


def test_a_line_matched_by_its_id_traces_with_the_code_that_was_sent() -> None:
    # The payer answers 97530 for the 97110 line 11 sent: the flag was on 97110.
    sent = flag("mue-exceeded", line="97110")
    result = plan(
        answer(service("97530", adj("CO-151", "40"), paid="0", control="11"), service("97140")),
        flag("mue-exceeded", line="97530"),
        sent,
    )
    assert result.lines[0].line_id == 11
    assert result.lines[0].trace is not None and result.lines[0].trace.flag == sent


def test_an_unmatched_denied_line_traces_with_the_code_the_payer_sent() -> None:
    on_code = flag("mue-exceeded", line="G0283")
    result = plan(
        answer(service("G0283", adj("CO-151", "40"), paid="0"), service("97140")),
        flag("mue-exceeded", line="97110"),
        on_code,
    )
    assert result.lines[0].line_id is None
    assert result.lines[0].trace is not None and result.lines[0].trace.flag == on_code


# ---- the claim's status afterwards ------------------------------------------------------------

S = lifecycle
OUTCOMES = (PAID, PARTLY_PAID, DENIED, REVERSED)
# (paid, partly paid, denied, reversed) → the new status, or None to leave the claim as it is.
AFTER = {
    S.SUBMITTED: (S.PAID, S.PARTLY_PAID, S.DENIED, None),  # nothing was paid to reverse
    S.ACCEPTED: (S.PAID, S.PARTLY_PAID, S.DENIED, None),
    S.PAID: (None, None, None, S.ACCEPTED),  # a second payment changes nothing
    S.PARTLY_PAID: (S.PAID, None, None, S.ACCEPTED),  # the rest paid on appeal
    S.DENIED: (S.PAID, S.PARTLY_PAID, None, S.ACCEPTED),  # paid after all
    S.NEEDS_REVIEW: (None, None, None, None),
    S.RETURNED: (None, None, None, None),
    S.APPROVED: (None, None, None, None),  # never paid unsent
    S.REJECTED: (None, None, None, None),
    S.VOIDED: (None, None, None, None),
}
STATUS_CASES = [
    pytest.param(current, outcome, target, id=f"{current}-then-{outcome}")
    for current, targets in AFTER.items()
    for outcome, target in zip(OUTCOMES, targets, strict=True)
]


def test_the_table_covers_every_status_of_a_claims_life() -> None:
    assert set(AFTER) == set(lifecycle.MOVES)


@pytest.mark.parametrize(("current", "outcome", "target"), STATUS_CASES)
def test_a_payment_moves_the_claim_only_where_its_life_allows(
    current: str, outcome: str, target: str | None
) -> None:
    assert status_after_payment(current, outcome) == target
    if target is not None:
        assert lifecycle.can_move(current, target)


# ---- which claims a payment posts to by itself ------------------------------------------------


@pytest.mark.parametrize(
    ("status", "posts"),
    [
        (S.SUBMITTED, True),
        (S.ACCEPTED, True),
        (S.PAID, True),  # a second payment or a reversal
        (S.PARTLY_PAID, True),
        (S.DENIED, True),
        (S.NEEDS_REVIEW, False),
        (S.RETURNED, False),
        (S.APPROVED, False),
        (S.REJECTED, False),
        (S.VOIDED, False),
    ],
)
def test_only_a_claim_that_was_sent_takes_a_payment_by_itself(status: str, posts: bool) -> None:
    why = refusal(status, "Label Of " + status)
    if posts:
        assert why is None
    else:
        assert why == (
            f"The claim is label of {status} in ptclinic, so a payment for it is unexpected: "
            "check it, then post the payment to it by hand or dismiss it."
        )


# ---- the table of reasons ---------------------------------------------------------------------


def test_every_reason_a_rule_guards_against_is_explained_in_plain_words() -> None:
    assert [code for code in FAMILIES_BY_REASON if code not in CARC] == []


def test_every_reason_a_rule_guards_against_is_a_current_code() -> None:
    with OFFICIAL.open(newline="", encoding="utf-8") as f:
        status = {row["code"]: row["status"] for row in csv.DictReader(f) if row["list"] == "CARC"}
    assert {c: status.get(c) for c in FAMILIES_BY_REASON if status.get(c) != "current"} == {}


def test_no_reduction_is_also_a_denial_reason_a_rule_guards_against() -> None:
    assert NOT_A_DENIAL.isdisjoint(FAMILIES_BY_REASON)


def test_each_reason_names_some_families_each_once() -> None:
    for code, families in FAMILIES_BY_REASON.items():
        assert families, code
        assert len(set(families)) == len(families), code
        assert Family.OTHER not in families, code
