"""What the codes on a payer's remittance (X12 835) mean, in words a clinic owner understands.

Every adjustment on an 835 carries a claim adjustment group code (CAS01: who bears the amount —
CO, PR, OA, PI, and the older CR) and a Claim Adjustment Reason Code (CARC: why the payment
differs from the charge). Remittance Advice Remark Codes (RARC: LQ*HE on a line, MOA/MIA on a
claim) add detail to a reason, or carry an alert that changes nothing on the amounts.

The code lists are X12's external code lists, kept by their maintenance committees: the Claim
Adjustment Reason Code Maintenance Committee and the Remittance Advice Remark Code Committee
(of which CMS is a member; CMS uses both lists for Medicare and publishes their updates to its
contractors in recurring change requests). Codes are added, revised and deactivated three times
a year; the list this module was checked against is the shared fixture
``x12_carc_rarc_codes_2026-08-17.csv``, and a test fails if a code here is not current in it.

The explanations are the project's own words, written for outpatient physical therapy, never the
committees' descriptor text. A code without an entry gets a sentence that says so and points to
the official list, so a new code on a remittance never breaks a page.

Standard library only, like the rule modules (no Django).
"""

from __future__ import annotations

GROUPS: dict[str, str] = {
    "CO": (
        "Contractual obligation: the clinic writes this off; the patient may not be billed for it."
    ),
    "PR": (
        "Patient responsibility: the patient owes this (deductible, coinsurance or copay), or "
        "their secondary insurance pays it if they have one."
    ),
    "OA": (
        "Other adjustment: neither the contract nor the patient accounts for it, often the part "
        "a primary payer already settled on a secondary claim. Read the reason code before "
        "writing it off or billing anyone."
    ),
    "PI": (
        "Payer-initiated reduction: the payer cut the amount under its own policy rather than "
        "the clinic's contract. The patient may not be billed for it; appeal if the clinic "
        "disagrees."
    ),
    # CAS01 in the 005010X221A1 guide no longer allows CR (reversals are a CLP with status 22
    # and negated amounts), but older or non-compliant payers still send it.
    "CR": (
        "Correction or reversal: an older group code for taking back or correcting an earlier "
        "payment. Match it to the original payment before posting, since it changes money the "
        "clinic already received."
    ),
}

CARC: dict[str, str] = {
    # --- What the patient owes -------------------------------------------------------------
    "1": (
        "The patient's deductible: the payer allowed the visit but holds back payment until the "
        "patient has met their yearly deductible. Bill the patient or their secondary insurance."
    ),
    "2": (
        "The patient's coinsurance, their percentage of the allowed amount (20% under Medicare "
        "Part B). Bill the patient or their secondary insurance."
    ),
    "3": (
        "The patient's copay, the fixed amount per visit their plan sets. Collect it from the "
        "patient, ideally at the front desk on the day of the visit."
    ),
    "100": (
        "The payer sent its payment to the patient instead of the clinic. Collect that amount "
        "from the patient."
    ),
    # --- Contract and fee schedule ---------------------------------------------------------
    "45": (
        "The charge is above the payer's fee schedule or contracted rate; the difference is "
        "written off. It appears on almost every paid line and is not a denial."
    ),
    "59": (
        "Reduced under the multiple procedure rule: Medicare and many plans pay less for the "
        "practice expense of the second and later therapy units on the same day. This is "
        "expected; post it as a write-off."
    ),
    "24": (
        "The patient's managed care plan pays the clinic a fixed monthly amount (capitation) "
        "that already covers this service, so nothing is paid per visit."
    ),
    "222": (
        "The units or visits go past the number the clinic's contract allows for the period. "
        "Check the contract's limits; the excess is usually a write-off."
    ),
    "253": (
        "Medicare's sequestration cut: federal law reduces Medicare's share of each payment by "
        "2%. It is written off and never billed to the patient."
    ),
    "256": (
        "The patient's managed care contract says this service is not paid. Check the plan's "
        "terms; the patient may not be billed unless the plan allows it."
    ),
    # --- Missing or wrong information on the claim -----------------------------------------
    "16": (
        "The claim lacks information or has a billing error, and the remark code on the same "
        "line says what. Fix that item and send a new claim; this is not a denial to appeal."
    ),
    "A1": (
        "The claim or line was denied, and the remark code that comes with it gives the actual "
        "reason. Read that remark code and act on it."
    ),
    "4": (
        "A modifier the code needs is missing or does not fit it, such as the GP modifier on "
        "therapy codes or 59/XU on an edit pair. Correct the modifier and send a corrected claim."
    ),
    "5": (
        "The place of service on the claim does not fit the code billed. Make it match where the "
        "therapy happened (11 for a private practice office, 02 or 10 for telehealth) and "
        "resubmit."
    ),
    "6": (
        "The code does not fit the patient's age in the payer's records. Check the date of birth "
        "on the claim against the insurance card and the code chosen."
    ),
    "31": (
        "The payer cannot find the patient as its member. Check the member ID, name spelling and "
        "date of birth against the card, and send a corrected claim."
    ),
    "140": (
        "The member ID and the patient's name on the claim do not match the payer's records. "
        "Correct them from the insurance card and resubmit."
    ),
    "146": (
        "A diagnosis code on the claim was not valid on the date of service, often one deleted or "
        "split in the October ICD-10-CM update. Use the code in force on that date and resubmit."
    ),
    "181": (
        "The procedure code was not valid on the date of service, for instance a code deleted in "
        "the January CPT update. Use the code in force on that date and resubmit."
    ),
    "182": (
        "A modifier on the line was not valid on the date of service. Check it against that "
        "date's modifier list and resubmit."
    ),
    "189": (
        "An unlisted code (such as 97799) was billed where a specific code exists. Rebill with "
        "the specific code."
    ),
    "107": (
        "This line depends on another claim or service, such as the evaluation or an earlier "
        "claim, that the payer cannot link to it. Add the related claim's details and resubmit."
    ),
    "129": (
        "The payer found the details of an earlier processing wrong, often the primary payer's "
        "figures on a secondary claim. Check them against the primary payer's remittance and "
        "resend."
    ),
    # --- Duplicates and timing -------------------------------------------------------------
    "18": (
        "The payer already has this claim or line and treats this one as a duplicate. Check the "
        "first claim's status; send a replacement claim rather than a second original."
    ),
    "B13": (
        "The payer says it may already have paid this in an earlier payment. Check earlier "
        "remittances before sending the claim again."
    ),
    "29": (
        "The claim reached the payer after its filing deadline (one year from the date of "
        "service for Medicare). Only proof of a timely first submission, such as a clearinghouse "
        "acceptance report, gets it reopened."
    ),
    "286": (
        "An appeal was not filed the way the payer requires, or was filed too late. Check the "
        "payer's appeal steps and deadlines before trying again."
    ),
    # --- Coverage, eligibility and the right payer -----------------------------------------
    "26": (
        "The visit was before the patient's coverage started. Verify eligibility dates, then bill "
        "the plan that covered the patient on that day, or the patient."
    ),
    "27": (
        "The visit was after the patient's coverage ended. Ask the patient for their new "
        "insurance and bill that plan, or bill the patient."
    ),
    "109": (
        "This payer is not the right one for this claim, for example a Medicare Advantage member "
        "billed to original Medicare. Find the patient's current plan and bill it."
    ),
    "204": (
        "The patient's current plan does not include this service, for example a plan without "
        "outpatient therapy benefits. Verify benefits; the patient owes it only if they agreed "
        "in advance."
    ),
    "94": (
        "The payer processed more than was charged (usually because of what another payer "
        "paid); this adjustment brings the total back in line and needs no action."
    ),
    "96": (
        "The payer does not cover this service, and the remark code usually says why. Bill the "
        "patient only if the group code is PR or they signed a notice beforehand (an ABN for "
        "Medicare)."
    ),
    "167": (
        "The payer does not cover treatment for this diagnosis. Check whether a more accurate "
        "treating diagnosis applies; otherwise the patient may be billed only if they agreed in "
        "advance."
    ),
    "35": (
        "The patient has used up the lifetime maximum their plan pays for this kind of care. The "
        "balance is the patient's unless another insurance covers it."
    ),
    "119": (
        "The patient reached the plan's limit for the period, such as a yearly visit cap. For "
        "Medicare it often means a visit above the yearly therapy threshold went without the KX "
        "modifier; add it when the notes show the care is still needed."
    ),
    "B9": (
        "The patient is in hospice, which covers care related to the terminal illness. If the "
        "therapy treated an unrelated condition, rebill with the GW modifier; otherwise the "
        "hospice is responsible."
    ),
    "190": (
        "Paid as part of a covered skilled nursing facility stay: the facility, not the clinic, "
        "is paid for the patient's therapy. Bill the facility under your arrangement with it."
    ),
    # --- Another insurance pays first ------------------------------------------------------
    "22": (
        "The payer thinks another insurance is primary for this patient. Ask the patient which "
        "plan is primary, update the order of insurances, and bill the primary first."
    ),
    "23": (
        "The amount the primary payer already paid or adjusted, shown on a secondary payer's "
        "remittance. Post it as it is; it is not a loss."
    ),
    "19": (
        "The payer says this is a work injury, so workers' compensation should pay. Bill the "
        "employer's workers' compensation insurer with its claim number."
    ),
    "20": (
        "The payer says another party's liability insurance, for example after an accident, "
        "should pay first. Get the liability carrier's details from the patient and bill them."
    ),
    "21": (
        "The payer says the patient's auto insurance (no-fault or personal injury protection) "
        "pays first. Bill the auto insurer, then send its explanation of benefits here."
    ),
    "209": (
        "By rule or agreement the clinic may not collect this from the patient, though a later "
        "payer such as Medicaid may pay it. Refund the patient if they paid it, and bill the "
        "next payer."
    ),
    "276": (
        "This payer does not cover a service that the primary payer denied. Resolve the primary "
        "payer's denial first."
    ),
    # --- Medical necessity and documentation -----------------------------------------------
    "50": (
        "The payer decided the service was not medically necessary. Check that the note states "
        "why the visit needed a therapist's skill; appeal with the documentation."
    ),
    "55": (
        "The payer considers this treatment experimental or unproven, as some plans do for dry "
        "needling. Check the payer's policy; appeal with published evidence, or get the "
        "patient's written agreement to pay before further visits."
    ),
    "150": (
        "The payer thinks the notes do not support the level billed, for example a "
        "high-complexity evaluation (97163) whose note reads as low complexity. Appeal with the "
        "evaluation, or rebill at the supported level."
    ),
    "151": (
        "The payer thinks the notes do not support this many units or visits. Check the minutes "
        "against the 8-minute rule, the daily unit limits (MUEs) and the plan's frequency; appeal "
        "with the notes if the units were right."
    ),
    "272": (
        "The service did not meet the plan's coverage rules, such as its therapy guidelines on "
        "measurable goals and progress. Appeal with notes that show the rules were met."
    ),
    "273": (
        "The service went past what the plan's coverage rules allow, such as more visits than "
        "its guideline expects for the condition. Appeal with notes showing why more care was "
        "needed."
    ),
    "252": (
        "The payer needs documents to decide, such as the plan of care, the evaluation or daily "
        "notes. Send them with the claim number, and the claim is then reprocessed."
    ),
    "251": (
        "The records the clinic sent were incomplete or not what the payer asked for. Send the "
        "missing parts, such as the signed plan of care certification, and ask for a reprocess."
    ),
    "226": (
        "The payer asked the clinic for records or answers and did not get them, or not in time. "
        "Send what was requested and ask for the claim to be reprocessed."
    ),
    "227": (
        "The payer asked the patient for information, often an accident or other-insurance "
        "questionnaire, and did not get it. Ask the patient to call the payer, then have the "
        "claim reprocessed."
    ),
    # --- Coding edits: bundling, edit pairs, diagnosis fit ---------------------------------
    "11": (
        "The diagnosis on the line does not support the treatment billed. Point the line to the "
        "diagnosis the treatment addresses (the treating diagnosis) and resubmit."
    ),
    "97": (
        "Paid as part of another service on the same day (bundled), so this line gets nothing "
        "extra. If the two were truly separate, in distinct time blocks, add modifier 59 or XU "
        "where the edit allows one and send a corrected claim."
    ),
    "236": (
        "The two codes form an NCCI edit pair on the same day, such as 97530 with 97140. If they "
        "were separate and documented in distinct time blocks, bill with modifier 59 or XU; "
        "otherwise the column two code is not paid."
    ),
    "231": (
        "The two codes cannot both be done in one session (they exclude each other). Bill only "
        "the one that was performed, or document why both were distinct."
    ),
    "234": (
        "This code is never paid on its own; its value is inside another payment. Write it off "
        "unless a different code should have been billed."
    ),
    "B15": (
        "This code needs a qualifying service the payer has not paid, such as an add-on code "
        "billed without its main code. Bill the qualifying service on the same claim or first."
    ),
    "B20": (
        "The payer says another provider already furnished all or part of this service, for "
        "example a home health agency treating the patient in the same period. Find out who "
        "else was treating the patient."
    ),
    # --- Authorization and referral --------------------------------------------------------
    "197": (
        "The payer required prior authorization or notice for this care and has none on file. "
        "Get the authorization, add its number to the claim and ask the payer to reconsider; "
        "some grant it after the fact."
    ),
    "198": (
        "The visits or units went past what the authorization approved. Ask the payer to extend "
        "the authorization, then send the claim again."
    ),
    "288": (
        "The plan requires a referral for therapy and none is on file. Get the referral from "
        "the patient's physician, add it to the claim and resubmit."
    ),
    "243": (
        "The patient's primary care provider or network did not authorize this care. Get their "
        "referral or authorization and resubmit."
    ),
    "242": (
        "The care came from a provider outside the patient's plan network. Check the clinic's "
        "network status; the patient may owe more, or the plan may grant a network exception."
    ),
    # --- Who gave or billed the care -------------------------------------------------------
    "8": (
        "The payer does not accept this code from the clinic's provider type or specialty. Check "
        "that the claim names the therapist with a physical therapy taxonomy code."
    ),
    "170": (
        "The payer does not pay this service when this type of provider bills it, for example "
        "therapy codes billed by a chiropractor under Medicare. Bill it under a therapist the "
        "payer accepts, if one gave the care."
    ),
    "183": (
        "The payer does not accept the referring provider on the claim, often because they are "
        "not enrolled with Medicare. Check the referring NPI and name, or get a referral from an "
        "enrolled physician."
    ),
    "184": (
        "The payer does not accept the provider who ordered or certified the therapy, often "
        "because they are not enrolled with the payer. Check the ordering NPI, or have an "
        "enrolled provider sign the plan of care."
    ),
    "185": (
        "The therapist named as rendering provider may not bill this service, for example a "
        "therapist not yet credentialed with the plan. Bill under a credentialed therapist who "
        "supervised the care, where the payer allows it."
    ),
    "B7": (
        "The provider was not certified or enrolled to be paid for this service on that date, "
        "for example a therapist whose Medicare enrollment started later. Rebill once the "
        "enrollment covers the date, or appeal with proof that it did."
    ),
}

RARC: dict[str, str] = {
    # --- Appeal rights and alerts ----------------------------------------------------------
    "MA01": (
        "A notice of the clinic's right to appeal: if you disagree with the payment, ask for a "
        "review within the deadline on the remittance (120 days for a Medicare redetermination)."
    ),
    "N1": (
        "A notice that the clinic may appeal this decision in writing, within the time allowed by "
        "the contract, the plan's documents or the law."
    ),
    "N211": ("This decision cannot be appealed; correct the claim or accept the result."),
    "MA13": (
        "A warning: the clinic may be penalised if it bills the patient for any amount not shown "
        "as patient responsibility (group PR)."
    ),
    "MA18": (
        "The claim was sent on to the patient's supplemental insurer (a crossover). Wait for "
        "that payment before billing the patient for the rest."
    ),
    "MA07": (
        "The claim was sent on to Medicaid as well. Wait for Medicaid's payment before billing "
        "the patient for anything."
    ),
    "N781": (
        "The patient is a Qualified Medicare Beneficiary, so the clinic may not collect the "
        "Medicare deductible from them. Refund it if collected, and bill Medicaid instead."
    ),
    "N782": (
        "The patient is a Qualified Medicare Beneficiary, so the clinic may not collect the "
        "Medicare coinsurance from them. Refund it if collected, and bill Medicaid instead."
    ),
    "N381": (
        "The clinic's contract with the payer sets the terms for these charges. Check the "
        "contract for the limits or payment rules that applied."
    ),
    "N130": (
        "The plan's benefit documents restrict this service. Check the patient's benefits and "
        "limits with the payer before further visits."
    ),
    # --- Coverage policies and reviews -----------------------------------------------------
    "N115": (
        "The decision follows the Medicare contractor's local coverage determination (LCD), its "
        "policy on when a service is covered. Read the LCD for this code and check the notes "
        "meet it."
    ),
    "N386": (
        "The decision follows a Medicare national coverage determination (NCD). Read the NCD and "
        "check that the care and the notes meet it."
    ),
    "N432": (
        "This adjustment comes from a Recovery Audit Contractor's review of past claims. Check "
        "the audit letter; the finding can be appealed."
    ),
    "N10": (
        "The payment was set after a review by the payer's medical reviewers. Ask for the "
        "reviewer's reasons, and appeal with the documentation if the clinic disagrees."
    ),
    "N30": (
        "The patient is not eligible for this service under their plan. Check eligibility and "
        "benefits before the next visit."
    ),
    "N640": (
        "More visits or units than allowed in the period, such as the plan's weekly or yearly "
        "limit. Check the authorization and benefit limits; appeal with the notes if needed."
    ),
    "N362": (
        "More units were billed on one day than the payer accepts for this code (Medicare's MUE "
        "limits). Check the units against the minutes and bill only what the notes support."
    ),
    "M86": (
        "Denied because the payer already paid the same or a similar service within its time "
        "limit, such as a second evaluation soon after the first. Check whether a re-evaluation "
        "fits."
    ),
    "N54": (
        "The claim does not match what the authorization approved (codes, dates, visits or "
        "provider). Compare the claim with the authorization and correct it."
    ),
    "M62": (
        "The authorization number is missing or wrong on the claim. Add the number the payer "
        "gave and resubmit."
    ),
    # --- Bundling and edit pairs -----------------------------------------------------------
    "M15": (
        "Services billed separately were combined as parts of one procedure, so only one is "
        "paid. Check the edit pair before billing the parts separately again."
    ),
    "M80": (
        "Not paid because it was done in the same session or on the same day as a service "
        "already processed for the patient. Check whether both were really distinct before "
        "appealing."
    ),
    "N19": (
        "The payer counts this code as incidental to the main procedure and pays it as part of "
        "that. Write it off unless the notes show it was a separate service."
    ),
    "N20": (
        "Not payable together with another service on the same date. Check the edit pair and "
        "whether a modifier such as 59 or XU properly applies."
    ),
    "N122": (
        "An add-on code was billed without the main code it must go with. Bill the main code on "
        "the same claim."
    ),
    # --- Codes, modifiers and units --------------------------------------------------------
    "M20": (
        "The HCPCS code on the line is absent or not one the payer recognises. Correct it and "
        "send a new claim."
    ),
    "M51": (
        "A procedure code on the claim is absent or not one the payer recognises. Fix the CPT "
        "code on the line and resubmit."
    ),
    "N56": (
        "The code billed does not match the service described, or was not valid on that date. "
        "Choose the right code and resubmit."
    ),
    "N657": (
        "The payer wants this service billed with a different, more fitting code. Rebill with "
        "the code that matches what was done."
    ),
    "N822": (
        "A required modifier is missing from the line, such as GP on therapy codes or CQ for "
        "care given in part by a PTA. Add it and send a corrected claim."
    ),
    "N823": (
        "A modifier on the line is incomplete or not valid for the code. Correct the modifier "
        "and resubmit."
    ),
    "N519": (
        "The modifiers on the line cannot be used together, for example GP with the occupational "
        "therapy modifier GO. Fix the combination and resubmit."
    ),
    "M53": (
        "The days or units of service are missing or not valid. Enter the units worked out from "
        "the minutes and resubmit."
    ),
    # --- Diagnoses, place of service, providers --------------------------------------------
    "M76": (
        "A diagnosis code is missing or not valid, often one without all its characters (such "
        "as the seventh character of an injury code). Add the complete ICD-10-CM code and "
        "resubmit."
    ),
    "M81": (
        "The diagnosis is not coded as specifically as it can be (side, episode of care, seventh "
        "character). Recode to the most specific code and resubmit."
    ),
    "M77": (
        "The place of service is missing or not right for this service. Correct the place of "
        "service code and resubmit."
    ),
    "N290": (
        "The rendering provider's NPI is missing or not valid. Put the treating therapist's own "
        "NPI on the claim and resubmit."
    ),
    "N286": (
        "The referring provider's NPI is missing or not valid. Add the referring physician's "
        "name and NPI and resubmit."
    ),
    "N265": (
        "The ordering provider's NPI is missing or not valid. Add the NPI of the physician who "
        "ordered the therapy or certified the plan of care, and resubmit."
    ),
    "N95": (
        "The payer does not let this type of provider or specialty bill this service. Check the "
        "rendering provider and taxonomy code on the claim."
    ),
    # --- Records, other payers and resubmitting --------------------------------------------
    "M127": (
        "The payer needs the patient's record for this service, such as the evaluation, plan of "
        "care or daily note. Send it and ask for the claim to be reprocessed."
    ),
    "N4": (
        "The payer needs the prior insurer's explanation of benefits and does not have it. Send "
        "it with the claim."
    ),
    "N479": (
        "Another insurance pays first, and the payer needs that payer's explanation of benefits "
        "to process the claim. Send the claim again with it attached."
    ),
    "MA04": (
        "As the secondary payer, this payer needs the primary payer's payment details before it "
        "can pay. Send the claim with the primary payer's adjudication."
    ),
    "N522": (
        "This claim duplicates one that was, or will be, passed on automatically from Medicare "
        "as a crossover. Do not bill the secondary payer separately; wait for the crossover."
    ),
    "N179": (
        "The payer asked the patient for more information. Ask the patient to answer the payer "
        "so the claim can be processed."
    ),
    "MA130": (
        "The claim could not be processed because information was missing or wrong, so there is "
        "nothing to appeal. Correct it and send a new claim."
    ),
    "N517": ("Send a new claim that includes the information the payer asked for."),
}


def _normalise(code: str) -> str:
    # Codes arrive from parsed segments, form fields and URLs: spaces and lower case both occur.
    return code.strip().upper()


def _unknown(kind: str, code: str) -> str:
    if not code:
        return f"The remittance gave no {kind}."
    return (
        f"We have no plain explanation for {kind} {code} yet; the payer's official code list "
        "gives its meaning."
    )


def describe_group(code: str) -> str:
    """The claim adjustment group code (CAS01) in plain words: who bears the amount."""
    key = _normalise(code)
    return GROUPS.get(key) or _unknown("group code", key)


def describe_carc(code: str) -> str:
    """A Claim Adjustment Reason Code (CAS02, 05, …) in plain words, with what the clinic
    usually does about it."""
    key = _normalise(code)
    return CARC.get(key) or _unknown("reason code", key)


def describe_rarc(code: str) -> str:
    """A Remittance Advice Remark Code (LQ*HE, MOA, MIA) in plain words."""
    key = _normalise(code)
    return RARC.get(key) or _unknown("remark code", key)


def adjustment_label(group: str, reason: str) -> str:
    """The way billers write an adjustment: group and reason joined by a hyphen ("CO-50")."""
    return f"{_normalise(group)}-{_normalise(reason)}"
