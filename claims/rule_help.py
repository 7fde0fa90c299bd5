"""Each scrubber rule in plain words: what it checks and why payers care, the fix, and its source.

For the people who read the findings (billers, owners, therapists): the rule catalogue page
(`/rules/`) and the "Why?" link of every finding. No section numbers and no file names here; the
rules with their sections are in `docs/billing-rules.md`, whose "Rules → code → tests" table
lists the same ids. Standard library only, like the scrubber it describes.

`RULE_HELP` holds an entry for every id of `claims.scrubber.RULES` (a test fails otherwise) and
may hold entries for rules that are still being added to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from claims.scrubber import RULES, Severity


class Family(StrEnum):
    """The groups of the catalogue page, in the order it shows them."""

    NECESSITY = "Medical necessity"
    DIAGNOSES = "Diagnoses"
    CODES = "Codes"
    UNITS = "Units and limits"
    EDIT_PAIRS = "Edit pairs"
    MODIFIERS = "Modifiers"
    PLAN_OF_CARE = "Plan of care"
    PROGRESS_REPORTS = "Progress reports"
    COVERAGE = "Referrals, visit limits and authorizations"
    FILING = "Filing and duplicates"
    SUBMISSION = "Claim data and charges"
    REFERENCE = "Reference data"
    OTHER = "Other checks"  # only for a rule that has no help text yet

    @property
    def slug(self) -> str:
        return "family-" + self.name.lower().replace("_", "-")


@dataclass(frozen=True)
class RuleHelp:
    family: Family
    explanation: str  # what the rule checks and why payers care
    fix: str  # how to put it right, in general (each finding says it for its claim)
    source_plain: str  # the source, named as a person would say it


# Sources, spelled out once.
_BPM_NECESSITY = "CMS Medicare Benefit Policy Manual, chapter 15, sections 220.2 and 220.3"
_BPM_PLAN = "CMS Medicare Benefit Policy Manual, chapter 15, section 220.1"
_BPM_REPORTS = "CMS Medicare Benefit Policy Manual, chapter 15, section 220.3"
_MCPM_UNITS = "CMS Medicare Claims Processing Manual, chapter 5, section 20.2 (the 8-minute rule)"
_ICD = "ICD-10-CM code set in force on the date of service, and its Official Guidelines"
_NCCI = (
    "NCCI Policy Manual for Medicare, chapter XI, section P (physical medicine and "
    "rehabilitation), and the CMS procedure-to-procedure edit tables"
)
_KX = "CMS Medicare Claims Processing Manual, chapter 5, sections 10.2 and 10.3"
_CLAIM_FORMAT = (
    "The X12 837P professional claim (version 005010X222A1) and the NUCC instructions for the "
    "1500 claim form"
)
_PAYER_RULES = "The payer's own rules, as the clinic keeps them on the payers page"
_PAYER_AUTH = "The payer's prior authorization rules, as the clinic keeps them on the payers page"
_FILING = (
    "Federal rule 42 CFR 424.44 and CMS Medicare Claims Processing Manual, chapter 1, "
    "section 70 (Medicare); the payer's own filing window for other payers"
)

_HELP: dict[str, RuleHelp] = {
    # --- medical necessity ----------------------------------------------------------------------
    "necessity-missing": RuleHelp(
        Family.NECESSITY,
        "Every treatment note has to say why this visit needed a therapist: the patient's "
        "problem, the skilled work done and the goal it serves. Without that statement a payer "
        "treats the visit as not medically necessary: it is denied, or the payment is taken back "
        "after an audit.",
        "Write a short statement of skilled need in the note: what the patient cannot yet do "
        "safely, what the therapist did that needed a therapist's training, and which goal of "
        "the plan it moves forward.",
        _BPM_NECESSITY,
    ),
    "necessity-thin": RuleHelp(
        Family.NECESSITY,
        "There is a statement, but it is very short or never says why a therapist's skill was "
        "needed (cueing, assessing, progressing, hands-on technique). Reviewers read such a "
        "note as routine exercise the patient could do alone, which is not covered.",
        "Name the skill and the reason for it: the cues or hands-on help given, how the "
        "exercise was progressed or adjusted, what was assessed and what it showed.",
        _BPM_NECESSITY,
    ),
    "necessity-copied": RuleHelp(
        Family.NECESSITY,
        "The statement is word for word the one of an earlier visit. Medical reviewers look "
        "for cloned notes: a statement that never changes does not describe this visit, and "
        "every visit that carries it can be denied.",
        "Write the statement from today's visit: what changed since last time, what the "
        "patient did today and what skill it needed.",
        _BPM_NECESSITY,
    ),
    "necessity-template": RuleHelp(
        Family.NECESSITY,
        "The statement is a stock phrase that would fit any patient (\u201cskilled services "
        "per plan of care\u201d, \u201ctolerated treatment well\u201d, \u201ccontinue per "
        "POC\u201d), or an earlier visit's statement with only the date or a few words changed. "
        "Using the word \u201cskilled\u201d does not make it a statement of skilled need: "
        "reviewers treat it as no statement at all.",
        "Replace the stock phrase with this patient's facts: the problem, the skilled "
        "intervention today and the goal it serves.",
        _BPM_NECESSITY,
    ),
    "maintenance-without-skill": RuleHelp(
        Family.NECESSITY,
        "The note calls the therapy maintenance but never says why a therapist is needed to "
        "carry it out. Maintenance therapy is covered when only a therapist can do it safely "
        "and effectively (the Jimmo settlement), not when someone without therapy training "
        "could.",
        "Say why the program needs a therapist (for example the fall risk, or the judgement "
        "needed to adjust it), or stop billing it as skilled therapy.",
        "CMS Medicare Benefit Policy Manual, chapter 15, section 220.2; the Jimmo v. Sebelius "
        "settlement (2013)",
    ),
    # --- diagnoses ------------------------------------------------------------------------------
    "dx-missing": RuleHelp(
        Family.DIAGNOSES,
        "Each billed line must point to a diagnosis on the claim that explains why the service "
        "was given. A claim with no diagnosis, or a line pointing to one the claim does not "
        "have, is rejected before anyone reads it.",
        "Add the diagnosis codes from the plan of care and point each line to the one it treats.",
        "CMS Medicare Claims Processing Manual, chapter 26 (claim form: diagnosis codes and "
        "pointers)",
    ),
    "dx-invalid": RuleHelp(
        Family.DIAGNOSES,
        "The code is not in the ICD-10-CM code set in force on the date of service. The code "
        "set changes every 1 October and sometimes on 1 April; a code that was retired, or not "
        "yet valid, makes the claim unprocessable.",
        "Pick the code that is valid on the date of service (the ICD-10-CM search shows the "
        "current set).",
        _ICD,
    ),
    "dx-header": RuleHelp(
        Family.DIAGNOSES,
        "The code is a category with more specific codes beneath it. Only the most specific "
        "codes, those with nothing below them, can be billed; a category code is rejected.",
        "Choose the most specific code under this category that the evaluation supports (for "
        "example with the side and the kind of problem).",
        _ICD,
    ),
    "dx-initial-encounter": RuleHelp(
        Family.DIAGNOSES,
        "Injury codes, and some fracture codes, end in a 7th character: A (or B, C) for the "
        "initial encounter, meaning active treatment such as surgery or emergency care; D (or "
        "E, F, \u2026) for later encounters while it heals; S for a late effect. Therapy after "
        "an injury is almost always a later encounter, so an A code is a common error payers "
        "question.",
        "Use the same code with D (or the matching later-encounter letter for a fracture), "
        "unless the patient is still in active treatment for the injury.",
        "ICD-10-CM Official Guidelines for Coding and Reporting, sections I.C.13.c and I.C.19.a",
    ),
    "dx-unspecified-laterality": RuleHelp(
        Family.DIAGNOSES,
        "The diagnosis does not say which side (right or left). Such codes are valid, but "
        "payers query them, because the evaluation almost always records the side.",
        "Use the right- or left-side code that matches the evaluation.",
        "ICD-10-CM Official Guidelines for Coding and Reporting, section I.B.13 (laterality)",
    ),
    # --- codes ----------------------------------------------------------------------------------
    "code-unknown": RuleHelp(
        Family.CODES,
        "The billed code is not in the clinic's code table, so nothing about it can be checked "
        "(whether it is timed, whether it is therapy, its limits). It is often a typing error.",
        "Correct the code. If it is a real code the clinic uses, ask an admin to add it to the "
        "code table with its facts.",
        "The CPT and HCPCS code sets, as kept in this clinic's code table",
    ),
    "medicare-invalid-code": RuleHelp(
        Family.CODES,
        "Medicare does not accept this code and pays for the service under another one: for "
        "example, electrical stimulation without constant attendance is billed to Medicare as "
        "G0283, not 97014. The line is denied as an invalid code.",
        "Bill the Medicare code named in the finding instead.",
        "CMS Medicare Physician Fee Schedule (status I: not valid for Medicare)",
    ),
    "medicare-bundled-code": RuleHelp(
        Family.CODES,
        "Medicare bundles this code (hot or cold packs, for example) into the day's other "
        "services: it is never paid on its own. Billing it brings nothing and can draw "
        "attention to the claim.",
        "Remove the code from the claim; keep it in the note if it was done.",
        "CMS Medicare Physician Fee Schedule (status B: bundled)",
    ),
    "medicare-restricted-code": RuleHelp(
        Family.CODES,
        "Medicare's fee schedule marks this code as restricted: it is paid only in special "
        "cases that the local contractor's policy describes (in 2026, for example, the "
        "paraffin bath 97026). Billed outside those cases, the line is denied.",
        "Check the contractor's coverage policy and document why this visit qualifies, or "
        "leave the code off.",
        "CMS Medicare Physician Fee Schedule relative value file (status R: restricted coverage)",
    ),
    "medicare-noncovered-code": RuleHelp(
        Family.CODES,
        "Medicare does not cover this service at all (by statute or by regulation), so the "
        "line will be denied. The patient can be charged only after signing an advance "
        "beneficiary notice.",
        "Remove the code, or get a signed advance notice and bill the line with GA.",
        "CMS Medicare Physician Fee Schedule relative value file (status N, X or E)",
    ),
    "medicare-contractor-priced": RuleHelp(
        Family.CODES,
        "The fee schedule has no national amount for this code: the Medicare contractor prices "
        "each claim from its description and documentation (an unlisted service, for "
        "example). The claim can be paid, but its amount is not known in advance.",
        "Describe the service in the claim's narrative and keep the note ready to send.",
        "CMS Medicare Physician Fee Schedule relative value file (status C: carrier priced)",
    ),
    "ot-code-by-pt": RuleHelp(
        Family.CODES,
        "The code is an occupational-therapy code (the OT evaluations). A physical therapist "
        "cannot bill it, and the line is denied.",
        "Use the matching physical-therapy code (for an evaluation, the PT evaluation or "
        "re-evaluation codes).",
        "CPT code set (evaluation codes by discipline); CMS Medicare Claims Processing Manual, "
        "chapter 5, section 20.1",
    ),
    "pta-evaluation": RuleHelp(
        Family.CODES,
        "Evaluations and re-evaluations, like the plan of care, progress reports and discharge "
        "notes, are the physical therapist's work. A PT assistant may not perform or bill them; "
        "a claim showing one furnished by an assistant is denied.",
        "Have the PT perform, sign and bill the evaluation; the assistant bills only the "
        "treatment they furnished (with CQ).",
        "CMS Medicare Benefit Policy Manual, chapter 15, sections 220.3 and 230.1",
    ),
    "group-over-one-unit": RuleHelp(
        Family.CODES,
        "Group therapy (two or more patients treated at the same time) is billed as one unit "
        "per patient per session, however long it lasts. Extra units are denied.",
        "Bill the group therapy code once for the session.",
        "CMS Medicare Benefit Policy Manual, chapter 15, section 230.1 (group therapy)",
    ),
    # --- units and limits -----------------------------------------------------------------------
    "minutes-invalid": RuleHelp(
        Family.UNITS,
        "The minutes on a line cannot be right: negative, or the assistant's minutes are more "
        "than the line's. Units and modifiers are worked out from the minutes, so the line "
        "cannot be checked until they are fixed.",
        "Correct the minutes in the treatment note.",
        _MCPM_UNITS,
    ),
    "units-under-8": RuleHelp(
        Family.UNITS,
        "Timed codes are billed in 15-minute units, and a unit needs at least 8 minutes. A "
        "timed service of under 8 minutes that is the only one of the day (or, for payers that "
        "count each code on its own, any code under 8 minutes) earns no unit.",
        "Remove the units, or correct the minutes if more time was actually spent.",
        _MCPM_UNITS + "; the AMA's CPT time rules for payers that count each code alone",
    ),
    "units-unsupported": RuleHelp(
        Family.UNITS,
        "More units are billed than the minutes allow. Under Medicare's 8-minute rule the "
        "day's total timed minutes set the number of units, which are then shared among the "
        "codes; payers that count each code alone give each code its own units; untimed codes "
        "are one unit a day. Billing more is overbilling and is taken back on audit.",
        "Bill the units the finding shows, or correct the minutes if they were recorded wrong.",
        _MCPM_UNITS + "; the AMA's CPT time rules for payers that count each code alone",
    ),
    "units-below-supported": RuleHelp(
        Family.UNITS,
        "Fewer units are billed than the minutes support. Payers do not deny it, but it leaves "
        "money unbilled and often means a unit was dropped by mistake.",
        "Bill the supported units, unless fewer were meant (for example the patient rested "
        "part of the time): then give the reason with the change.",
        _MCPM_UNITS,
    ),
    "units-total-over": RuleHelp(
        Family.UNITS,
        "Under Medicare's 8-minute rule the day's total timed minutes fix the total timed "
        "units (8 to 22 minutes: one unit, 23 to 37: two, and so on). Billing more timed units "
        "in all is overbilling, even when each code looks right on its own.",
        "Share the allowed total among the timed codes as the finding shows: first each "
        "code's full 15-minute blocks, then the remaining units to the codes with the most "
        "minutes left over.",
        _MCPM_UNITS,
    ),
    "mue-exceeded": RuleHelp(
        Family.UNITS,
        "Medicare sets, for each code, the most units it expects on one day (the Medically "
        "Unlikely Edit). Units above it are denied. Depending on the code, the limit applies "
        "per claim line, is absolute by policy, or can be exceeded on appeal with the records; "
        "the finding says which.",
        "Bill no more than the limit. If more was truly needed and the limit allows an appeal, "
        "keep the documentation ready.",
        "CMS Medically Unlikely Edits for practitioner services, with their adjudication indicator",
    ),
    "daily-cap-exceeded": RuleHelp(
        Family.UNITS,
        "This payer pays at most a set number of timed units a day. Units over its cap are not "
        "paid.",
        "Cut the timed units to the payer's cap, starting with the least supported.",
        "The payer's contract or policy (its daily cap on timed units)",
    ),
    # --- edit pairs -----------------------------------------------------------------------------
    "two-evaluations": RuleHelp(
        Family.EDIT_PAIRS,
        "Only one PT evaluation or re-evaluation can be billed for a patient on one date. No "
        "modifier can get around this edit: the second one is denied.",
        "Keep only the evaluation that was actually done.",
        _NCCI,
    ),
    "reeval-with-therapy-no-59": RuleHelp(
        Family.EDIT_PAIRS,
        "A re-evaluation billed on a treatment day is treated as part of the treatment, unless "
        "it was a separate reassessment the patient needed (after a fall or a marked change, "
        "for example). Without XU or 59 Medicare pays only the treatment.",
        "If the patient's status changed enough to need it, add XU (or 59) to the "
        "re-evaluation and document the change; otherwise remove it. Routine re-checks are not "
        "billed as re-evaluations.",
        _NCCI,
    ),
    "test-with-evaluation": RuleHelp(
        Family.EDIT_PAIRS,
        "Some codes (the physical performance test, the assistive-technology assessment, the "
        "orthotic and prosthetic checks and training) are part of an evaluation or "
        "re-evaluation done the same day by the same discipline, and are not paid on top of it.",
        "Remove the code; its work belongs to the evaluation.",
        _NCCI,
    ),
    "ncci-indicator-0": RuleHelp(
        Family.EDIT_PAIRS,
        "The two codes form a national edit pair that no modifier can bypass: the second code "
        "is never paid with the first on the same day.",
        "Remove the code the finding names.",
        "CMS procedure-to-procedure edit tables (NCCI), modifier indicator 0, in force on the "
        "date of service",
    ),
    "ncci-needs-modifier": RuleHelp(
        Family.EDIT_PAIRS,
        "The two codes form a national edit pair that a modifier can bypass, but only when the "
        "two services were done in separate time periods. Without a distinct-service modifier "
        "the second code is denied.",
        "If the services were done at different times, add XU (or the fitting X modifier; 59 "
        "only when none fits) to the second code, and let the note show the times. Otherwise "
        "remove it.",
        _NCCI + " (modifier indicator 1)",
    ),
    "line-kept-off": RuleHelp(
        Family.EDIT_PAIRS,
        "A service is in the treatment note but was kept off the claim, because it cannot be "
        "billed with another code of the same day: an edit pair that no modifier bypasses, or a "
        "test that is part of the day's evaluation. The claim is right as it is; the warning "
        "asks you to check that the right code was kept.",
        "Nothing to bill for that service; keep its minutes in the note. If it, and not the "
        "billed code, is what was actually done, correct the codes.",
        _NCCI,
    ),
    # --- modifiers ------------------------------------------------------------------------------
    "gp-missing": RuleHelp(
        Family.MODIFIERS,
        "Every service under a physical-therapy plan of care carries GP (GO is for "
        "occupational therapy, GN for speech therapy). Medicare returns a therapy line without "
        "its therapy modifier, and the wrong one counts the service under another discipline.",
        "Add GP to the line.",
        "CMS Medicare Claims Processing Manual, chapter 5, section 20.1",
    ),
    "cq-missing": RuleHelp(
        Family.MODIFIERS,
        "A physical-therapy service furnished in whole or in part by a PT assistant carries CQ "
        "(with GP), and Medicare pays those units at 85%. A unit counts as the assistant's when "
        "they furnished more than a tenth of its minutes, unless the PT alone furnished 8 "
        "minutes or more of it. Leaving CQ off overbills the payer.",
        "Add CQ to the assistant's units, splitting the line when the PT furnished some units "
        "alone; the finding says how many units carry CQ.",
        "Medicare Physician Fee Schedule final rules for 2020 and 2022; the CMS billing "
        "examples for the CQ and CO modifiers",
    ),
    "kx-missing": RuleHelp(
        Family.MODIFIERS,
        "Once a patient's allowed amounts for physical and speech therapy in the calendar year "
        "are above Medicare's yearly threshold ($2,480 in 2026), every further therapy line "
        "needs KX, which says the service is medically necessary. Without KX those lines are "
        "denied. Only amounts for visits before this date of service count.",
        "Add KX to every therapy line and make sure the note supports the need for continued "
        "therapy.",
        _KX,
    ),
    "kx-premature": RuleHelp(
        Family.MODIFIERS,
        "KX says the year's threshold has been passed. Using it while the patient is far below "
        "the threshold is called abusive by CMS and invites audits.",
        "Remove KX until the year-to-date amount with this visit is above the threshold.",
        _KX,
    ),
    "kx-review-threshold": RuleHelp(
        Family.MODIFIERS,
        "Above $3,000 of physical and speech therapy in a year, Medicare may pick the "
        "patient's claims for targeted medical review. The claim can be paid, but the records "
        "must stand up to a reviewer.",
        "Make sure the plan, the progress reports and this note show why skilled therapy is "
        "still needed.",
        _KX,
    ),
    "modifier-25-on-therapy": RuleHelp(
        Family.MODIFIERS,
        "Modifier 25 marks a separate evaluation-and-management visit by a physician or other "
        "practitioner. It has no meaning on a therapy code and gets the line questioned.",
        "Remove 25 from the therapy line.",
        "NCCI Policy Manual for Medicare, chapter I, section E (modifiers)",
    ),
    # --- plan of care ---------------------------------------------------------------------------
    "poc-missing": RuleHelp(
        Family.PLAN_OF_CARE,
        "Therapy is covered only under a written plan of care: the diagnoses, measurable "
        "goals, and the type, amount, frequency and duration of treatment. Treatment without a "
        "plan is not payable. An evaluation alone is the exception: it is how the plan is made.",
        "Write the plan of care and send it to the physician or nurse practitioner to certify; "
        "then attach the visit to it.",
        _BPM_PLAN,
    ),
    "poc-outside-cert": RuleHelp(
        Family.PLAN_OF_CARE,
        "The date of service is after the plan's certification ended. A visit that no "
        "certified plan covers is not payable.",
        "Have the physician or nurse practitioner recertify the plan for a period that "
        "includes the visit, or attach the visit to the plan in force on that date.",
        _BPM_PLAN,
    ),
    "poc-before-start": RuleHelp(
        Family.PLAN_OF_CARE,
        "The visit is dated before its plan of care starts. Treatment before the plan is "
        "written is allowed only when given by the therapist who writes the plan (and an "
        "evaluation alone needs no plan); otherwise the plan does not cover the visit.",
        "Check the dates: attach the visit to the plan in force on that day, or correct the "
        "plan's start date if this visit began the episode.",
        "CMS Medicare Benefit Policy Manual, chapter 15, sections 220.1 and 220.1.1",
    ),
    "poc-discharged": RuleHelp(
        Family.PLAN_OF_CARE,
        "The plan was closed (the patient was discharged) before this visit. A discharged plan "
        "covers no later visit: a new episode of care needs a new evaluation and a new plan.",
        "Start a new episode: evaluate the patient, write and certify a new plan, then attach "
        "this visit to it.",
        "CMS Medicare Benefit Policy Manual, chapter 15, sections 220.1.1 and 220.3",
    ),
    "poc-cert-late": RuleHelp(
        Family.PLAN_OF_CARE,
        "A physician or nurse practitioner must sign (certify) the plan within 30 days of the "
        "first treatment. The 30 days have passed without a signature. Medicare accepts a late "
        "certification only when the reason for the delay is documented.",
        "Get the signature now and record why it came late. For a referred patient, a signed "
        "referral on file plus proof that the plan was sent to the referrer within the 30 days "
        "also counts.",
        _BPM_PLAN,
    ),
    "poc-cert-pending": RuleHelp(
        Family.PLAN_OF_CARE,
        "The plan is not signed yet, but the 30 days to certify it are still running. A claim "
        "billed before certification is at risk if the signature never comes.",
        "Send the plan for signature and follow it up before the 30 days end.",
        _BPM_PLAN,
    ),
    "poc-cert-delayed": RuleHelp(
        Family.PLAN_OF_CARE,
        "The plan was signed, but more than 30 days after the first treatment. Medicare "
        "accepts a delayed certification when the reason for it is on file.",
        "Keep the documented reason for the delay with the plan.",
        _BPM_PLAN,
    ),
    "poc-recert-due": RuleHelp(
        Family.PLAN_OF_CARE,
        "A certification lasts as long as the plan or the payer's longest certification "
        "period (Medicare: 90 calendar days), whichever is shorter. This one runs past that "
        "period or is about to end; visits after it ends need a recertified plan.",
        "Send an updated plan for recertification before the current one ends.",
        _BPM_PLAN,
    ),
    # --- progress reports -----------------------------------------------------------------------
    "progress-report-due": RuleHelp(
        Family.PROGRESS_REPORTS,
        "The payer expects a progress report at least once in each of its intervals: Medicare "
        "every 10 treatment days (days with a visit; other days do not count), some plans "
        "every so many calendar days. This visit reaches the interval since the last report or "
        "the start of care.",
        "Have the physical therapist write a progress report at this visit; an assistant "
        "cannot write it.",
        _BPM_REPORTS,
    ),
    "progress-report-by-pta": RuleHelp(
        Family.PROGRESS_REPORTS,
        "Progress reports, like evaluations, plans of care and discharge notes, are written by "
        "the physical therapist. An assistant may contribute measurements, but a report written "
        "by an assistant does not count as one.",
        "Have the physical therapist write and sign the progress report.",
        _BPM_REPORTS + " and section 230.1",
    ),
    # --- referrals, visit limits and authorizations --------------------------------------------
    "referral-missing": RuleHelp(
        Family.COVERAGE,
        "Some plans (HMOs above all) pay for therapy only on a physician's referral. The clinic "
        "records the referring or certifying physician or nurse practitioner on the plan of "
        "care; this payer needs one and the plan names none.",
        "Get the referral from the patient's physician and name them on the plan of care. "
        "Medicare needs no referral: the certified plan of care takes its place.",
        _PAYER_RULES,
    ),
    "visit-limit-exceeded": RuleHelp(
        Family.COVERAGE,
        "The plan covers a set number of therapy visits a calendar year, and the patient has "
        "used them with this payer: this visit is past the limit and will be denied.",
        "Check the patient's benefits. Ask the payer for more visits with the progress "
        "documentation, or tell the patient before treating that the visit is not covered.",
        _PAYER_RULES,
    ),
    "auth-missing": RuleHelp(
        Family.COVERAGE,
        "This payer pays for therapy only with a prior authorization, and none is on file for "
        "the patient. A visit without one is denied, and the denial usually cannot be appealed.",
        "Ask the payer for the authorization before treating, then record its number, dates "
        "and visits on the patient's page.",
        _PAYER_AUTH,
    ),
    "auth-outside-dates": RuleHelp(
        Family.COVERAGE,
        "An authorization covers visits between its start and end dates only. This visit is "
        "before one starts or after it ended.",
        "Ask the payer for an authorization or an extension that covers the date, or correct "
        "the dates if they were recorded wrong.",
        _PAYER_AUTH,
    ),
    "auth-visits-exceeded": RuleHelp(
        Family.COVERAGE,
        "The authorization allows a number of visits, and this visit is past it: each treatment "
        "day with the payer inside the authorization's dates is one visit.",
        "Ask the payer to authorize more visits before billing this one; send the progress "
        "report with the request.",
        _PAYER_AUTH,
    ),
    "auth-units-exceeded": RuleHelp(
        Family.COVERAGE,
        "Some authorizations also limit the units of a code over their dates. The units billed "
        "before and on this claim add up to more than it allows.",
        "Bill no more than the units left, or ask the payer to authorize more.",
        _PAYER_AUTH,
    ),
    "auth-ending": RuleHelp(
        Family.COVERAGE,
        "The authorization is nearly used up: this is one of its last two visits, or it ends "
        "within a week. Without a new one, the next visits are denied.",
        "If the patient needs more visits, ask the payer to extend the authorization now, with "
        "the progress report.",
        _PAYER_AUTH,
    ),
    # --- filing and duplicates ------------------------------------------------------------------
    "duplicate-claim": RuleHelp(
        Family.FILING,
        "There is already a claim for this patient, date and code. The payer denies the second "
        "one as a duplicate, and a pattern of duplicates draws audits.",
        "Keep one claim: drop this one, or, if something was missing from the first, send a "
        "corrected first claim instead.",
        "CMS Medicare Claims Processing Manual, chapter 5, section 20.2 (one billing day); "
        "claim adjustment reason code 18 (duplicate claim or service)",
    ),
    "same-day-claim-closed": RuleHelp(
        Family.FILING,
        "Medicare's 8-minute rule counts the minutes of the whole day, so two sittings on the "
        "same date are one billing day and belong on one claim. The day's claim is already "
        "approved or sent, so this sitting cannot simply be added to it.",
        "Make a corrected claim for the day that covers both sittings, with the units worked "
        "out over their minutes together, instead of a second claim.",
        _MCPM_UNITS,
    ),
    "timely-filing-near": RuleHelp(
        Family.FILING,
        "Medicare must receive a claim within 12 months of the date of service, and other "
        "payers have their own, often shorter, windows. This claim's deadline is close; after "
        "it, the claim is denied.",
        "Finish the review and send the claim before the deadline shown.",
        _FILING,
    ),
    "timely-filing-passed": RuleHelp(
        Family.FILING,
        "The payer's deadline for filing a claim for this date of service has passed. A late "
        "claim is denied unless one of the payer's exceptions applies.",
        "Check whether an exception applies (for example a delay caused by the payer) and "
        "document it; otherwise expect the claim to be denied.",
        _FILING,
    ),
    # --- what the claim must carry to be sent -----------------------------------------------------
    "claim-data-missing": RuleHelp(
        Family.SUBMISSION,
        "An electronic claim (837P) and the paper form (CMS-1500) must name the clinic with its "
        "NPI, tax id and street address, the patient with sex, address and member ID, the "
        "insured when it is someone else, the payer's electronic id, the treating clinician's "
        "NPI (a PT assistant's claims carry the supervising PT's) and the certifying physician "
        "as referring provider. A claim missing any of them is rejected by the clearinghouse "
        "before a payer sees it, so it is flagged here, naming the record and the fields.",
        "Fill in the fields on the record named, then rescrub the claim.",
        _CLAIM_FORMAT,
    ),
    "charge-missing": RuleHelp(
        Family.SUBMISSION,
        "Every claim line states what the clinic charges: its units times the clinic's own "
        "price for the code, from the clinic's charge master on the date of service. This code "
        "has no price there for that date.",
        "Add the code to the charge master (Charges page) from a date on or before the visit.",
        _CLAIM_FORMAT,
    ),
    "charge-below-allowed": RuleHelp(
        Family.SUBMISSION,
        "Payers pay the lower of what the clinic charges and what they allow. A charge below "
        "the payer's allowed amount leaves the difference unpaid on every claim.",
        "Set the clinic's charge for the code at or above the highest amount its payers allow.",
        _CLAIM_FORMAT,
    ),
    # --- reference data -------------------------------------------------------------------------
    "reference-not-loaded": RuleHelp(
        Family.REFERENCE,
        "The figures this claim must be checked against are not loaded for its date of "
        "service: the diagnosis code set of that year, fees, unit limits, edit pairs or the KX "
        "threshold. Rather than use an older year's figures, or $0, without saying so, the "
        "claim is flagged.",
        "Ask an admin to load the reference data for that year, then check the claim again.",
        "The code sets, fee schedules, unit limits and edits published by CMS, each in force "
        "from its own date",
    ),
}

RULE_HELP: Mapping[str, RuleHelp] = MappingProxyType(_HELP)

GENERIC_HELP = RuleHelp(
    Family.OTHER,
    "One of the claim checks. Its message on the claim says what is wrong there.",
    "Follow the fix shown with the finding, or ask the clinic's biller.",
    "The clinic's billing rules",
)


def rule_help(rule_id: str) -> RuleHelp:
    """The plain-words help of a rule; a generic text for an id without one."""
    return RULE_HELP.get(rule_id, GENERIC_HELP)


# --- the catalogue page ----------------------------------------------------------------------


@dataclass(frozen=True)
class RuleEntry:
    rule_id: str
    title: str
    severity: Severity
    help: RuleHelp


@dataclass(frozen=True)
class FamilyGroup:
    family: Family
    entries: tuple[RuleEntry, ...]


def _matches(entry: RuleEntry, words: list[str]) -> bool:
    text = " ".join(
        (
            entry.rule_id,
            entry.title,
            entry.severity.value,
            entry.help.family.value,
            entry.help.explanation,
            entry.help.fix,
            entry.help.source_plain,
        )
    ).lower()
    return all(word in text for word in words)


def rule_catalogue(query: str = "") -> list[FamilyGroup]:
    """Every rule of the scrubber, grouped by family in the families' order (catalogue order
    within one), keeping those whose texts contain every word of `query` (any case)."""
    words = query.lower().replace("#", " ").split()
    entries = [
        RuleEntry(rule.rule_id, rule.title, rule.severity, rule_help(rule.rule_id))
        for rule in RULES.values()
    ]
    groups = []
    for family in Family:
        shown = tuple(e for e in entries if e.help.family is family and _matches(e, words))
        if shown:
            groups.append(FamilyGroup(family, shown))
    return groups
