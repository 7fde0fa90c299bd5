"""Groups of codes that the rules treat alike (docs/billing-rules.md §3, §5.1, §6.8, §10.3).

One place for them: the modifier engine, the pipeline and the scrubber all read these sets.
Standard library only.
"""

from __future__ import annotations

from types import MappingProxyType

# PT evaluations and the re-evaluation: one per patient per date, PT only (§5.1, §10.3).
PT_EVALUATIONS = frozenset({"97161", "97162", "97163", "97164"})
OT_EVALUATIONS = frozenset({"97165", "97166", "97167", "97168"})
REEVALUATION = "97164"
# Not separately reportable with an evaluation or re-evaluation by the same discipline (§5.1).
TESTS_NOT_WITH_EVALUATION = frozenset({"97750", "97755", "97763"})
# Not separately reportable with a re-evaluation (§5.1).
NOT_WITH_REEVALUATION = frozenset({"97760", "97761"})
GROUP_CODES = frozenset({"97150"})
DISTINCT_MODIFIERS = frozenset({"59", "XE", "XS", "XP", "XU"})
# Services only a PT may furnish and bill (§10.3).
PT_ONLY_CODES = PT_EVALUATIONS
MEDICARE_REPLACEMENTS = MappingProxyType({"97014": "G0283"})
# The codes an outpatient PT clinic bills most, most used first: the code reference opens with
# them and the cheat sheet lists them. An ordering for people, not a billing rule.
MOST_USED = (
    "97110",  # therapeutic exercise
    "97112",  # neuromuscular re-education
    "97116",  # gait training
    "97140",  # manual therapy
    "97530",  # therapeutic activities
    "97161",  # PT evaluations, low to high complexity, and the re-evaluation
    "97162",
    "97163",
    "97164",
    "97750",  # physical performance test
    "97035",  # ultrasound
    "G0283",  # unattended electrical stimulation (Medicare's code for it)
    "97150",  # group therapy
    "97535",  # self-care / home management training
)


def not_separately_reportable(codes: frozenset[str] | set[str]) -> list[tuple[str, str]]:
    """(column 1, column 2) pairs of the day that no modifier can bypass because the column-2
    code is part of an evaluation by the same discipline (§5.1)."""
    pairs: list[tuple[str, str]] = []
    evaluations = sorted(codes & PT_EVALUATIONS)
    for code in sorted(codes):
        if code in TESTS_NOT_WITH_EVALUATION:
            pairs.extend((evaluation, code) for evaluation in evaluations)
        elif code in NOT_WITH_REEVALUATION and REEVALUATION in codes:
            pairs.append((REEVALUATION, code))
    return pairs
