"""The words a PT clinic uses for a diagnosis, and the ICD-10-CM codes they mean (§7).

ICD-10-CM titles use the classification's words ("Cerebral infarction", "Adhesive capsulitis of
shoulder", "Presence of artificial knee joint"); a therapist types "stroke", "frozen shoulder",
"TKA". Each phrase below points to code prefixes (a prefix stands for the code and every code
below it); the search lists those codes first, then the codes whose titles hold the words
(`coding.models.Icd10QuerySet.search`, `coding.filters.Icd10Query`).

Where a mapping comes from: "Index" is an entry of the ICD-10-CM Alphabetic Index (main term,
subterm → code) of the FY2025/FY2026 release; "title" means the code's tabular title says the
same thing in other words (the abbreviation or lay term is the clinic's, the code is the title's).
Plain data, standard library only: `tests/coding/test_icd10_synonyms.py` checks that each code
is in a loaded set and that each phrase finds its codes first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SYNONYMS: dict[str, tuple[str, ...]] = {
    # Index: Stroke (apoplectic) (ischemic) … I63.9; Sequelae (of), stroke NOS I69.30. Outpatient
    # PT treats the sequelae (I69.3-) first, the acute infarction (I63) after.
    "stroke": ("I69.3", "I63"),
    "cva": ("I69.3", "I63"),  # cerebrovascular accident: the same Index entries as "stroke"
    # Index: Frozen, shoulder M75.0-; title "Adhesive capsulitis of shoulder".
    "frozen shoulder": ("M75.0",),
    # Index: Pain, low back M54.50; Lumbago M54.50 (M54.5 has children since FY2022).
    "low back pain": ("M54.5",),
    "lbp": ("M54.5",),
    "lumbago": ("M54.5", "M54.4"),  # Index: Lumbago M54.50; with sciatica M54.4-
    # Index: Pain, back (postural) M54.9; low back M54.5-; thoracic spine M54.6.
    "back pain": ("M54.5", "M54.6", "M54.9"),
    # Index: Sprain, knee, cruciate, anterior S83.51-; title "Sprain of anterior cruciate
    # ligament of knee".
    "acl": ("S83.51",),
    "pcl": ("S83.52",),  # title "Sprain of posterior cruciate ligament of knee"
    "mcl": ("S83.41",),  # title "Sprain of medial collateral ligament of knee"
    # Index: Presence, knee-joint implant (prosthesis) Z96.65-; Aftercare, following surgery,
    # joint replacement Z47.1. TKA: total knee arthroplasty.
    "tka": ("Z96.65", "Z47.1"),
    "total knee": ("Z96.65", "Z47.1"),
    "knee replacement": ("Z96.65", "Z47.1"),
    # Index: Presence, hip-joint implant (prosthesis) Z96.64-; Aftercare … Z47.1. THA: total hip
    # arthroplasty.
    "tha": ("Z96.64", "Z47.1"),
    "total hip": ("Z96.64", "Z47.1"),
    "hip replacement": ("Z96.64", "Z47.1"),
    # Index: Tear, rotator cuff (nontraumatic) M75.10-; traumatic S46.01-; Syndrome, rotator
    # cuff, shoulder M75.1-.
    "rotator cuff": ("M75.1", "S46.0"),
    "shoulder impingement": ("M75.4",),  # title "Impingement syndrome of shoulder"
    # Index: Sciatica M54.3-; with lumbago M54.4-.
    "sciatica": ("M54.3", "M54.4"),
    # Index: Fasciitis, plantar M72.2 (FY2025, FY2026); FY2027 moves plantar fasciitis to its own
    # subcategory M67.A- (order-file addenda), and M72.2 becomes plantar fascial fibromatosis.
    "plantar fasciitis": ("M72.2", "M67.A"),
    # Index: Pain, neck NEC M54.2; title "Cervicalgia".
    "neck pain": ("M54.2",),
    "cervicalgia": ("M54.2",),
    # Index: Pain, joint, knee M25.56-; shoulder M25.51-; hip M25.55-; ankle M25.57-; elbow
    # M25.52-; wrist M25.53-.
    "knee pain": ("M25.56",),
    "shoulder pain": ("M25.51",),
    "hip pain": ("M25.55",),
    "ankle pain": ("M25.57",),
    "elbow pain": ("M25.52",),
    "wrist pain": ("M25.53",),
    # Index: Abnormal, gait R26.9; Difficulty, walking R26.2; Unsteadiness on feet R26.81.
    "gait": ("R26",),
    "walking": ("R26.2", "R26"),
    "balance": ("R26.81", "R26.89"),  # title "Unsteadiness on feet", "Other abnormalities of gait"
    # Index: Fall, falling (repeated) R29.6; History, personal, fall Z91.81.
    "falls": ("R29.6", "Z91.81"),
    "fall risk": ("Z91.81", "R29.6"),
    # Index: Parkinsonism (idiopathic) (primary) G20.-; Disease, Parkinson's G20.-.
    "parkinson": ("G20",),
    "parkinsons": ("G20",),
    # Index: Sclerosis, multiple G35 (G35.A–G35.D from FY2026).
    "ms": ("G35",),
    "multiple sclerosis": ("G35",),
    # Index: Sprain, ankle S93.40-.
    "ankle sprain": ("S93.4",),
    "sprained ankle": ("S93.4",),
    # Index: Syndrome, carpal tunnel G56.0-.
    "carpal tunnel": ("G56.0",),
    "cts": ("G56.0",),
    # Index: Tennis elbow — see Epicondylitis, lateral M77.1-; Golfers' elbow — see
    # Epicondylitis, medial M77.0-.
    "tennis elbow": ("M77.1",),
    "golfers elbow": ("M77.0",),
    # Index: Tear, meniscus (knee) (current injury) S83.20-; old M23.2-.
    "meniscus tear": ("S83.2", "M23.2"),
    "torn meniscus": ("S83.2", "M23.2"),
    # Index: Whiplash injury S13.4.
    "whiplash": ("S13.4",),
    # Index: Vertigo, benign paroxysmal (positional) H81.1-; Dizziness R42.
    "bppv": ("H81.1",),
    "dizziness": ("R42", "H81.1"),
    # Index: Weakness, muscle (generalized) M62.81; Weakness (generalized) R53.1.
    "weakness": ("M62.81", "R53.1"),
    # Index: Displacement, intervertebral disc, lumbar region M51.26; cervical M50.2-
    # (herniation of a disc is indexed as displacement).
    "herniated disc": ("M51.2", "M50.2"),
    "disc herniation": ("M51.2", "M50.2"),
    "spinal stenosis": ("M48.0",),  # Index: Stenosis, spinal M48.0-
    # Index: Syndrome, patellofemoral M22.2-; iliotibial band M76.3-.
    "patellofemoral": ("M22.2",),
    "pfps": ("M22.2",),
    "it band": ("M76.3",),
    "itbs": ("M76.3",),
    "shin splints": ("S86.89",),  # Index: Shin splints S86.89-
    "achilles tendonitis": ("M76.6",),  # title "Achilles tendinitis" (other spelling)
    # Index: Osteoarthritis, knee M17.-; hip M16.-.
    "knee oa": ("M17",),
    "knee arthritis": ("M17",),
    "hip oa": ("M16",),
    "hip arthritis": ("M16",),
    # Index: Absence, leg, below knee Z89.51-; above knee Z89.61-.
    "below knee amputation": ("Z89.51",),
    "bka": ("Z89.51",),
    "above knee amputation": ("Z89.61",),
}

_WORD = re.compile(r"[a-z0-9]+")
# Words a phrase never needs (as in the titles' word index) and possessives ("golfer's").
_SKIP = frozenset("a an and as at by for from in into of on or the to with s".split())  # noqa: SIM905
# A typed word shorter than this must be the whole phrase word; a longer one may be its start
# (the search runs while the user types: "frozen sho").
PREFIX_MIN = 3


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower().replace("'", "")) if w not in _SKIP]


_PHRASES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = tuple(
    # Longer phrases first: "low back pain" ranks before "back pain".
    sorted(
        ((tuple(_words(phrase)), prefixes) for phrase, prefixes in SYNONYMS.items()),
        key=lambda item: -len(item[0]),
    )
)


@dataclass(frozen=True)
class SynonymMatch:
    """The code prefixes the typed words mean, in rank order, and the typed words no phrase
    took (they narrow the codes: "right knee pain" → the right-knee codes of M25.56-)."""

    prefixes: tuple[str, ...] = ()
    other_words: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.prefixes)


def _matches(typed: str, word: str) -> bool:
    return typed == word or (len(typed) >= PREFIX_MIN and word.startswith(typed))


def synonym_match(text: str) -> SynonymMatch:
    """The phrases of `SYNONYMS` whose every word is typed (in any order; a typed word may be
    the start of a phrase word), with their code prefixes. A typed word serves one phrase, the
    longest: "low back pain" is not also "back pain"."""
    typed = _words(text)
    prefixes: list[str] = []
    used: set[int] = set()
    for phrase, codes in _PHRASES:
        taken: list[int] = []
        for word in phrase:
            position = next(
                (
                    i
                    for i, t in enumerate(typed)
                    if i not in taken and i not in used and _matches(t, word)
                ),
                None,
            )
            if position is None:
                break
            taken.append(position)
        else:
            used.update(taken)
            prefixes += [p for p in codes if p not in prefixes]
    other = tuple(t for i, t in enumerate(typed) if i not in used and len(t) > 1)
    return SynonymMatch(tuple(prefixes), other if prefixes else ())
