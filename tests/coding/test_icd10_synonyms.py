"""The words a PT clinic uses for a diagnosis (coding/icd10_synonyms.py): each finds the codes it
means first, in the ICD-10-CM search page and in the diagnosis suggestions, before codes whose
titles merely hold the word; other words typed narrow them."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from coding.icd10_sets import read_set, shipped_sets
from coding.icd10_synonyms import SYNONYMS, synonym_match
from coding.models import Icd10Code, Icd10Term, code_key
from tests.conftest import make_clinic, make_member, sign_in

HTMX = {"HTTP_HX_REQUEST": "true"}
FIRST = 5  # "among the first results"

# A typed query, the code prefix its first result has, and other prefixes among the first.
QUERIES = [
    ("stroke", "I69.3", ["I63"]),
    ("CVA", "I69.3", ["I63"]),
    ("frozen shoulder", "M75.0", []),
    ("low back pain", "M54.5", []),
    ("ACL", "S83.5", []),
    ("acl sprain right", "S83.511", []),
    ("TKA", "Z96.65", []),
    ("knee replacement", "Z96.65", []),
    ("right TKA", "Z96.651", []),
    ("THA", "Z96.64", []),
    ("hip replacement", "Z96.64", []),
    ("rotator cuff", "M75.1", ["S46.0"]),
    ("sciatica", "M54.3", []),
    ("plantar fasciitis", "M72.2", []),
    ("neck pain", "M54.2", []),
    ("knee pain", "M25.56", []),
    ("right knee pain", "M25.561", []),
    ("shoulder pain", "M25.51", []),
    ("gait", "R26", []),
    ("falls", "R29.6", ["Z91.81"]),
    ("Parkinson", "G20", []),
    ("parkinson's", "G20", []),
    ("MS", "G35", []),
    ("ankle sprain", "S93.4", []),
    ("sprained ankle", "S93.4", []),
    ("carpal tunnel", "G56.0", []),
    ("frozen sho", "M75.0", []),  # while typing
]


@pytest.fixture
def reader(db: None) -> Client:
    return sign_in(Client(), make_member(make_clinic(name="Synonym PT")))


def search_page(client: Client, q: str, **headers: Any) -> list[str]:
    html = client.get(reverse("icd10-search"), {"q": q}, **headers).content.decode()
    return re.findall(r'<td class="code-mono text-nowrap">([^<]+)</td>', html)


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize(("q", "first", "among"), QUERIES, ids=[q for q, _, _ in QUERIES])
def test_a_clinics_words_find_their_codes_first_on_the_search_page(
    reader: Client, q: str, first: str, among: list[str]
) -> None:
    codes = search_page(reader, q, **HTMX)
    assert codes and codes[0].startswith(first), codes[:FIRST]
    shown = codes[:FIRST] if not among else codes
    for prefix in among:
        assert any(c.startswith(prefix) for c in shown), (prefix, codes)


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize(("q", "first", "among"), QUERIES, ids=[q for q, _, _ in QUERIES])
def test_a_clinics_words_find_their_codes_first_in_the_diagnosis_suggestions(
    q: str, first: str, among: list[str]
) -> None:
    found = list(Icd10Code.objects.search(q).filter(billable=True)[:20])
    assert found and found[0].code.startswith(first), [c.code for c in found[:FIRST]]


@pytest.mark.usefixtures("reference")
def test_meant_codes_rank_before_codes_whose_title_merely_has_the_word(reader: Client) -> None:
    made_up = Icd10Code.objects.create(
        code="U99.1", key="u991", title="Stroke of luck (made up)", billable=True, chapter="22"
    )
    Icd10Term.objects.bulk_create(Icd10Term(term=t, icd=made_up) for t in ("stroke", "luck"))
    codes = search_page(reader, "stroke")  # the full page
    assert "U99.1" in codes
    meant = [c for c in codes if c.startswith(("I69.3", "I63"))]
    assert meant and codes.index("U99.1") > max(codes.index(c) for c in meant)
    suggestions = [c.code for c in Icd10Code.objects.search("stroke").filter(billable=True)]
    assert suggestions[-1] == "U99.1"


@pytest.mark.usefixtures("reference")
def test_the_plan_forms_suggestions_list_the_meant_codes(reader: Client) -> None:
    clinic = make_clinic(name="Suggest PT")
    therapist = sign_in(Client(), make_member(clinic))
    page = therapist.get(reverse("dx-options"), {"q": "frozen shoulder"}, **HTMX)
    options = re.findall(r'<option value="([^"]+)"', page.content.decode())
    assert options and all(o.startswith("M75.0") for o in options[:4])


@pytest.mark.usefixtures("reference")
def test_the_words_of_titles_still_work_as_before(reader: Client) -> None:
    assert search_page(reader, "vertebrogenic back", **HTMX) == ["M54.51"]
    assert search_page(reader, "pain right knee", **HTMX) == ["M25.561"]


# ---- the table and its matching (no database) ----------------------------------------------


def test_every_code_of_the_table_is_in_a_shipped_set() -> None:
    known = {code_key(c) for s in shipped_sets() for c in read_set(s)}
    later = {"M67.A"}  # plantar fasciitis from FY2027 (order-file addenda)
    missing = [
        (phrase, prefix)
        for phrase, prefixes in SYNONYMS.items()
        for prefix in prefixes
        if code_key(prefix) not in known and prefix not in later
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("typed", "prefixes", "other"),
    [
        ("low back pain", ("M54.5",), ()),  # not also "back pain"
        ("back pain", ("M54.5", "M54.6", "M54.9"), ()),
        ("pain knee", ("M25.56",), ()),  # any order
        ("right knee pain", ("M25.56",), ("right",)),
        ("kne pai", ("M25.56",), ()),  # each word may be the start of the phrase's word
        ("frozen", (), ()),  # every word of the phrase is needed
        ("m", (), ()),
        ("ms", ("G35",), ()),
        ("golfer's elbow", ("M77.0",), ()),
        ("Xylophone", (), ()),
    ],
)
def test_phrases_match_whole_or_started_words_in_any_order(
    typed: str, prefixes: tuple[str, ...], other: tuple[str, ...]
) -> None:
    found = synonym_match(typed)
    assert (found.prefixes, found.other_words) == (prefixes, other)
