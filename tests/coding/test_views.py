"""The code reference pages: /codes/, /codes/<code>/, /icd10/, /modifiers/, /payers/."""

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from claims.facts import fee_table
from coding.models import (
    BillingCode,
    EditPair,
    FeeScheduleEntry,
    FeeYear,
    Gpci,
    Icd10Code,
    Pairing,
    Payer,
    RelativeValue,
    code_key,
)
from tests.conftest import make_user

pytestmark = pytest.mark.usefixtures("reference")

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def pt_client(client_for: Any, pt: Any) -> Client:
    return client_for(pt)


def page(client: Client, url: str, data: dict[str, str] | None = None, **headers: str) -> str:
    response = client.get(url, data or {}, **headers)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def row_codes(html: str) -> list[str]:
    """The billing codes of the /codes/ table, in order."""
    return re.findall(r'<td class="code-mono"><a href="/codes/([0-9A-Z]{5})/"', html)


def icd_codes(html: str) -> list[str]:
    return re.findall(r'<td class="code-mono text-nowrap">([^<]+)</td>', html)


def make_code(code: str, **fields: Any) -> BillingCode:
    defaults: dict[str, Any] = {
        "system": "CPT",
        "short_name": f"Test code {code}",
        "description": "A code made up for a test.",
        "category": "other",
        "timed": False,
        "always_therapy": False,
        "unit_basis": "per_service",
    }
    return BillingCode.objects.create(code=code, **{**defaults, **fields})


# ---- /codes/ --------------------------------------------------------------------------------


def test_the_code_list_is_a_full_page_with_every_code_linked(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-list"))
    assert "<html" in html
    assert 'data-testid="code-table"' in html
    assert row_codes(html)[:3] == ["97110", "97112", "97116"]  # the most-used codes first
    assert len(row_codes(html)) == 25  # first page
    assert "59 codes" in html
    assert 'href="/codes/20560/"' in html


def test_the_code_list_partial_is_only_the_table_for_htmx(pt_client: Client) -> None:
    response = pt_client.get(reverse("code-list"), {"q": "gait"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert row_codes(html) == ["97116"]
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_request_gets_the_full_page(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-list"), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in html


def test_the_search_box_is_live_and_still_a_plain_form(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-list"))
    search = re.search(r'<input type="search" name="q"[^>]*>', html, re.S)
    assert search is not None
    assert 'hx-trigger="input changed delay:300ms, search"' in search.group(0)
    assert 'hx-get="/codes/"' in search.group(0)
    form = re.search(r"<form [^>]*role=\"search\"[^>]*>", html, re.S)
    assert form is not None
    assert 'method="get"' in form.group(0) and 'action="/codes/"' in form.group(0)
    assert 'hx-push-url="true"' in form.group(0)
    assert '<button type="submit"' in html


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("gait", ["97116"]),
        ("GAIT training", ["97116"]),
        ("manual therapy", ["97140"]),
        ("9711", ["97110", "97112", "97116", "97113"]),  # most-used first, then by code
        ("g02", ["G0283"]),
        ("stair", ["97116"]),  # a word of the description only
    ],
)
def test_the_search_matches_a_code_prefix_or_every_word(
    pt_client: Client, q: str, expected: list[str]
) -> None:
    assert row_codes(page(pt_client, reverse("code-list"), {"q": q}, **HTMX)) == expected


def test_the_filters_narrow_by_category_and_timed(pt_client: Client) -> None:
    evaluations = row_codes(page(pt_client, reverse("code-list"), {"category": "evaluation"}))
    assert evaluations == ["97161", "97162", "97163", "97164", "97165", "97166", "97167", "97168"]
    untimed_evals = row_codes(
        page(pt_client, reverse("code-list"), {"category": "evaluation", "timed": "yes"})
    )
    assert untimed_evals == []
    timed = row_codes(page(pt_client, reverse("code-list"), {"timed": "yes", "q": "97"}))
    assert "97110" in timed and "97161" not in timed
    untimed = row_codes(page(pt_client, reverse("code-list"), {"timed": "no", "q": "971"}))
    assert "97161" in untimed and "97110" not in untimed


def test_the_list_shows_this_years_medicare_fee_and_a_badge_for_timed(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-list"), {"q": "97116"})
    assert f"Medicare {dt.date.today().year}" in html
    assert "$29.06" in html
    assert '<span class="badge text-bg-primary">timed</span>' in html


def medicare_column(html: str) -> list[tuple[str, Decimal | None]]:
    """Each row's code and its Medicare amount ("—": none), in order."""
    rows = re.findall(
        r'<td class="code-mono"><a href="/codes/([0-9A-Z]{5})/".*?'
        r'<td class="text-end text-nowrap">(.*?)</td>',
        html,
        re.S,
    )
    found = []
    for code, cell in rows:
        amount = re.search(r"\$([0-9,]+\.[0-9]{2})", re.sub(r"<[^>]+>", "", cell))
        found.append((code, Decimal(amount.group(1).replace(",", "")) if amount else None))
    return found


def assert_sorted_by_amount(rows: list[tuple[str, Decimal | None]], *, descending: bool) -> None:
    amounts = [a for _, a in rows]
    priced = [a for a in amounts if a is not None]
    assert priced and amounts[: len(priced)] == priced, "codes without an amount go last"
    assert priced == sorted(priced, reverse=descending)


def test_sorting_by_the_medicare_amount_keeps_the_search_and_puts_codes_without_one_last(
    pt_client: Client,
) -> None:
    data = {"q": "97", "sort": "-medicare_fee", "per_page": "100"}
    rows = medicare_column(page(pt_client, reverse("code-list"), data, **HTMX))
    assert len(rows) > 30
    assert_sorted_by_amount(rows, descending=True)
    codes = [code for code, _ in rows]
    # 97010 is bundled (status B) and 97014 not valid for Medicare: neither has an amount.
    assert dict(rows)["97010"] is None and dict(rows)["97014"] is None
    assert codes.index("97161") < codes.index("97110")  # $97.86 before $29.06
    html = page(pt_client, reverse("code-list"), {**data, "sort": "medicare_fee"}, **HTMX)
    ascending = medicare_column(html)
    assert_sorted_by_amount(ascending, descending=False)
    assert {code for code, a in ascending if a is None} == {code for code, a in rows if a is None}
    # The column headers link to the same search, sorted.
    assert 'href="?q=97&amp;sort=-medicare_fee&amp;per_page=100"' in html


def test_the_list_shows_the_clinics_locality_amount_and_sorts_by_it(
    client_for: Any, pt: Any, clinic: Any
) -> None:
    """At a locality whose GPCIs weigh practice expense far above work, the order by amount
    is not the national one: the sort uses the locality's GPCIs, as the amounts do."""
    year = dt.date.today().year
    Gpci.objects.create(
        year=year, mac="99999", locality="01", name="TEST LOCALITY", state="ZZ",
        work_gpci=Decimal("0.300"), pe_gpci=Decimal("3.000"), mp_gpci=Decimal("1.000"),
    )  # fmt: skip
    data = {"sort": "-medicare_fee", "per_page": "100"}
    national = medicare_column(page(client_for(pt), reverse("code-list"), data, **HTMX))
    clinic.medicare_mac, clinic.medicare_locality = "99999", "01"
    clinic.save()
    client = client_for(pt)
    html = page(client, reverse("code-list"), data)
    local = medicare_column(html)
    assert "Test Locality, ZZ (locality 99999-01)" in html
    assert_sorted_by_amount(national, descending=True)
    assert_sorted_by_amount(local, descending=True)
    assert [c for c, _ in local] != [c for c, _ in national]
    prices = fee_table(codes=["97110"], day=dt.date.today(), clinic_id=clinic.pk)
    medicare = Payer.objects.get(name="Medicare Part B")
    assert dict(local)["97110"] == prices[medicare.pk]["97110"].fee != dict(national)["97110"]


def test_pagination_links_keep_the_filters(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-list"), {"timed": "no"})
    assert 'href="?timed=no&amp;page=2"' in html
    second = page(pt_client, reverse("code-list"), {"timed": "no", "page": "2"}, **HTMX)
    assert row_codes(second) and set(row_codes(second)).isdisjoint(row_codes(html))


def test_the_table_region_is_boosted_so_sorting_and_paging_swap_the_table(
    pt_client: Client,
) -> None:
    html = page(pt_client, reverse("code-list"))
    region = re.search(r'<div id="code-results"[^>]*>', html)
    assert region is not None
    assert 'hx-boost="true"' in region.group(0) and 'hx-target="#code-results"' in region.group(0)
    # A code's own page is a different page: its link is not boosted into the table region.
    assert '<a href="/codes/97110/" hx-boost="false">97110</a>' in html


def test_no_match_says_so_with_a_link_to_clear(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-list"), {"q": "zzz"}, **HTMX)
    assert "No codes match &ldquo;zzz&rdquo;" in html
    assert '<a href="/codes/" hx-boost="false">clear the search</a>' in html


def test_a_diagnosis_code_typed_in_the_code_search_is_pointed_to_icd10(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-list"), {"q": "M54.5"}, **HTMX)
    assert 'href="/icd10/?q=M54.5" hx-boost="false"' in html  # another page: no swap


def test_the_code_list_query_count_does_not_grow_with_rows(
    pt_client: Client, django_assert_max_num_queries: Any
) -> None:
    url = reverse("code-list")
    pt_client.get(url)  # this process reads the code tables once, then only their stamp
    # (each request also reads the session, its user, second factor and memberships)
    with django_assert_max_num_queries(10) as few:
        pt_client.get(url, {"timed": "no"})
    few_queries = len(few)  # the log is cleared when the next request starts
    today = dt.date.today()
    for n in range(40):
        code = make_code(f"X{n:04d}")
        RelativeValue.objects.create(
            billing_code=code, year=today.year, effective=dt.date(today.year, 1, 1),
            work_rvu=Decimal("0.50"), pe_rvu=Decimal("0.40"), mp_rvu=Decimal("0.02"), status="A",
        )  # fmt: skip
    pt_client.get(url)
    with django_assert_max_num_queries(few_queries):
        response = pt_client.get(url, {"timed": "no", "sort": "-medicare_fee"})
    assert len(row_codes(response.content.decode())) == 25
    assert "$" in response.content.decode()  # the new codes are priced from their RVUs


def test_a_cold_code_list_reads_the_code_tables_in_a_fixed_number_of_queries(
    pt_client: Client, django_assert_max_num_queries: Any
) -> None:
    from coding import refcache

    refcache.bump()  # as after an admin's edit: the next request reads the tables again
    with django_assert_max_num_queries(30) as cold:
        pt_client.get(reverse("code-list"))
    cold_queries = len(cold)
    for n in range(40):
        make_code(f"X{n:04d}")
    refcache.bump()
    with django_assert_max_num_queries(cold_queries):
        pt_client.get(reverse("code-list"), {"per_page": "100"})


def test_the_navbar_marks_reference_as_the_current_section(pt_client: Client) -> None:
    for url in ("/codes/", "/codes/97110/", "/icd10/", "/modifiers/", "/payers/"):
        html = page(pt_client, url)
        assert re.search(r'class="nav-link active" href="/codes/" aria-current="page"', html), url


def test_a_user_without_a_clinic_may_read_the_reference(client_for: Any) -> None:
    reader = client_for(make_user())
    for url in ("/codes/", "/codes/97110/", "/icd10/?q=knee", "/modifiers/", "/payers/"):
        assert reader.get(url).status_code == 200, url


# ---- /codes/<code>/ -------------------------------------------------------------------------


def test_a_timed_code_shows_the_8_minute_unit_table(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-detail", args=["97116"]))
    assert "Timed · per 15 minutes" in html
    table = re.search(r'<table[^>]*data-testid="unit-table".*?</table>', html, re.S)
    assert table is not None
    rows = re.findall(r"<tr><td>(\d+)–(\d+)</td><td[^>]*>(\d+)</td></tr>", table.group(0))
    assert rows[0] == ("0", "7", "0")
    assert rows[1] == ("8", "22", "1")
    assert rows[3] == ("38", "52", "3")
    assert rows[-1] == ("113", "127", "8")
    assert len(rows) == 9


def test_an_untimed_code_bills_1_unit_whatever_the_minutes(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-detail", args=["97161"]))
    assert "Untimed code:</strong> 1 unit per day, whatever the minutes." in html
    assert 'data-testid="unit-table"' not in html
    assert "20 minutes" in html  # typical minutes


def test_the_detail_page_offers_the_modifiers_that_apply(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-detail", args=["97116"]))
    assert 'data-testid="modifier-GP"' in html
    assert 'href="/modifiers/#modifier-GP"' in html
    assert 'data-testid="modifier-CQ"' in html
    assert 'data-testid="modifier-KX"' in html
    kx = FeeYear.objects.filter(year=dt.date.today().year).first()
    if kx is not None:
        assert f"(${kx.kx_threshold:,.0f} in {kx.year})" in html
    # No edit pair with indicator 1 in force involves 97116 (97530/97116 ended 2019-12-31):
    # no distinct-service modifier.
    assert 'data-testid="modifier-59"' not in html
    evaluation = page(pt_client, reverse("code-detail", args=["97161"]))
    assert 'data-testid="modifier-59"' not in evaluation  # its edits in force have indicator 0
    assert "the physical therapist must furnish this service" in evaluation
    # An imported quarterly file brings a bypassable edit: the page offers 59/X at once.
    EditPair.objects.create(
        column1_id="97530", column2_id="97116", effective=dt.date(2026, 1, 1),
        modifier_indicator=1, source="tests: an imported PTP row",
    )  # fmt: skip
    html = page(pt_client, reverse("code-detail", args=["97116"]))
    assert 'data-testid="modifier-59"' in html


def test_edit_pairs_show_the_other_code_and_whether_a_modifier_bypasses_them(
    pt_client: Client,
) -> None:
    html = page(pt_client, reverse("code-detail", args=["97161"]))
    pairs = html[html.index('data-testid="edit-pairs"') :]
    assert "In force today" in pairs
    assert 'href="/codes/97162/"' in pairs
    assert "Modifier bypass: Never: no modifier bypasses it." in pairs
    assert "Modifier bypass: With 59 or XE/XS/XP/XU" not in pairs  # none with indicator 1
    deleted = page(pt_client, reverse("code-detail", args=["97116"]))
    pairs = deleted[deleted.index('data-testid="edit-pairs"') :]
    assert "In force today" not in pairs
    assert "Deleted 2019-12-31" in pairs
    assert 'href="/codes/97530/"' in pairs


def test_the_detail_page_shows_the_unit_limit(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-detail", args=["97116"]))
    assert "At most <strong>4 units</strong> per patient per day" in html
    html = page(pt_client, reverse("code-detail", args=["98985"]))
    assert "No medically unlikely edit on file" in html  # none found for this 2026 code


def test_fees_are_listed_per_payer_with_demo_amounts_labelled(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-detail", args=["97116"]))
    fees = html[html.index('data-testid="fees"') :]
    medicare = re.search(r'data-testid="fee-medicare-part-b".*?</tr>', fees, re.S)
    assert medicare is not None
    assert "$29.06" in medicare.group(0) and "demo" not in medicare.group(0)
    ppo = re.search(r'data-testid="fee-demo-commercial-ppo".*?</tr>', fees, re.S)
    assert ppo is not None
    assert "$34.87" in ppo.group(0) and ">demo</span>" in ppo.group(0)
    assert "made-up demo figures, not real fees" in fees
    assert fees.index("fee-medicare-part-b") < fees.index("fee-demo-commercial-hmo")


def test_a_code_without_fees_says_no_fee_on_file(pt_client: Client) -> None:
    from coding.models import RelativeValue

    FeeScheduleEntry.objects.filter(billing_code="97032").delete()
    RelativeValue.objects.filter(billing_code="97032").delete()
    html = page(pt_client, reverse("code-detail", args=["97032"]))
    assert f"No fee on file for {dt.date.today().year} for any payer." in html


def test_a_payer_without_a_fee_for_the_code_says_so(pt_client: Client) -> None:
    FeeScheduleEntry.objects.filter(payer__name="Self-pay", billing_code="97116").delete()
    html = page(pt_client, reverse("code-detail", args=["97116"]))
    selfpay = re.search(r'data-testid="fee-self-pay".*?</tr>', html, re.S)
    assert selfpay is not None and "no fee on file" in selfpay.group(0)


def test_a_code_invalid_for_medicare_links_its_replacement(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-detail", args=["97014"]))
    assert "Not valid for Medicare." in html
    assert 'href="/codes/G0283/">G0283</a> instead' in html


def test_a_bundled_code_is_explained(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-detail", args=["97010"]))
    assert "Medicare pays it as part of other services and never separately" in html


def test_a_billable_pairing_is_ticked(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-detail", args=["97140"]))
    pairing = re.search(r'data-testid="pairing-M75.00".*?</li>', html, re.S)
    assert pairing is not None
    assert "✓ billable" in pairing.group(0)
    assert "Adhesive capsulitis of unspecified shoulder" in pairing.group(0)


def test_a_header_pairing_is_not_billable_and_offers_its_billable_children(
    pt_client: Client,
) -> None:
    html = page(pt_client, reverse("code-detail", args=["97140"]))
    pairing = re.search(r'data-testid="pairing-M54.5".*?</li>\s*</ul>', html, re.S)
    assert pairing is not None
    text = pairing.group(0)
    assert "not billable: category header" in text
    for child in ("M54.50", "M54.51", "M54.59"):
        assert f'<span class="code-mono">{child}</span>' in text
    html = page(pt_client, reverse("code-detail", args=["97530"]))
    pairing = re.search(r'data-testid="pairing-Z96.64".*?</li>\s*</ul>', html, re.S)
    assert pairing is not None
    assert "not billable: category header" in pairing.group(0)
    assert "Z96.641" in pairing.group(0) and "Z96.649" in pairing.group(0)


def test_a_deeper_header_pairing_offers_the_billable_leaves_below_it(pt_client: Client) -> None:
    Pairing.objects.create(billing_code_id="97110", icd10_code="S83.51")
    html = page(pt_client, reverse("code-detail", args=["97110"]))
    pairing = re.search(r'data-testid="pairing-S83.51".*?</li>\s*</ul>', html, re.S)
    assert pairing is not None
    text = pairing.group(0)
    assert '<span class="code-mono">S83.511A</span>' in text
    assert '<span class="code-mono">S83.511</span>' not in text  # itself a header


def test_a_header_with_many_codes_below_links_to_all_of_them(pt_client: Client) -> None:
    Pairing.objects.create(billing_code_id="97750", icd10_code="S72.00")
    html = page(pt_client, reverse("code-detail", args=["97750"]))
    pairing = re.search(r'data-testid="pairing-S72.00".*?All codes under S72.00</a>', html, re.S)
    assert pairing is not None
    assert len(re.findall(r'<li><span class="code-mono">S72[.]00', pairing.group(0))) == 12
    assert 'href="/icd10/?q=S72.00"' in pairing.group(0)


def test_a_pairing_outside_the_code_set_is_flagged(pt_client: Client) -> None:
    Pairing.objects.create(billing_code_id="97116", icd10_code="M99.99X")
    html = page(pt_client, reverse("code-detail", args=["97116"]))
    pairing = re.search(r'data-testid="pairing-M99.99X".*?</li>', html, re.S)
    assert pairing is not None
    assert "not in the FY2026 code set" in pairing.group(0)


def test_an_initial_encounter_injury_code_suggests_the_subsequent_one(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-detail", args=["97110"]))
    pairing = re.search(r'data-testid="pairing-S83.519A".*?</li>', html, re.S)
    assert pairing is not None
    text = pairing.group(0)
    assert "Outpatient PT usually codes <strong>D</strong>" in text
    assert "S83.519D" in text


def test_billing_notes_link_the_codes_they_mention(pt_client: Client) -> None:
    html = page(pt_client, reverse("code-detail", args=["97116"]))
    assert 'The old NCCI edit with <a href="/codes/97530/" class="code-mono">97530</a>' in html


def test_billing_notes_are_escaped(pt_client: Client) -> None:
    BillingCode.objects.filter(code="97116").update(billing_notes="<b>bold</b> see 97530")
    html = page(pt_client, reverse("code-detail", args=["97116"]))
    assert "&lt;b&gt;bold&lt;/b&gt; see <a href=" in html


def test_an_unknown_code_is_a_404(pt_client: Client) -> None:
    assert pt_client.get(reverse("code-detail", args=["99999"])).status_code == 404


def test_a_lowercase_code_redirects_to_its_page(pt_client: Client) -> None:
    response = pt_client.get("/codes/g0283/")
    assert response.status_code == 301
    assert response["Location"] == "/codes/G0283/"


# ---- /icd10/ --------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["M545", "m54.5", "M54.5", " m545 "])
def test_the_icd10_search_finds_a_code_prefix_with_or_without_the_dot(
    pt_client: Client, q: str
) -> None:
    html = page(pt_client, reverse("icd10-search"), {"q": q}, **HTMX)
    assert icd_codes(html) == ["M54.5", "M54.50", "M54.51", "M54.59"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("knee pain", ["M25.56", "M25.561", "M25.562", "M25.569"]),
        ("pain right knee", ["M25.561"]),
        ("kne pai unspec", ["M25.569"]),  # every word a prefix
        ("low back pain", ["M54.5", "M54.50", "M54.51", "M54.59"]),
        ("vertebrogenic back", ["M54.51"]),
        ("Pain in the knee", ["M25.56", "M25.561", "M25.562", "M25.569"]),  # stopwords
    ],
)
def test_the_icd10_search_matches_every_word_as_a_prefix(
    pt_client: Client, q: str, expected: list[str]
) -> None:
    html = page(pt_client, reverse("icd10-search"), {"q": q}, **HTMX)
    assert icd_codes(html) == expected


def test_a_code_prefix_and_words_combine(pt_client: Client) -> None:
    html = page(pt_client, reverse("icd10-search"), {"q": "M25 left knee"}, **HTMX)
    assert icd_codes(html) == ["M25.562"]


def test_icd10_results_badge_billable_codes_and_count_codes_below_a_header(
    pt_client: Client,
) -> None:
    html = page(pt_client, reverse("icd10-search"), {"q": "M54.5"})
    assert "<html" in html
    assert "✓ billable" in html
    assert '<a href="/icd10/?parent=M54.5" class="small">3 billable codes below</a>' in html
    deep = page(pt_client, reverse("icd10-search"), {"q": "S83.51"}, **HTMX)
    below = Icd10Code.objects.code_prefix("S83.51").filter(billable=True).count()
    assert below == 9
    assert f'href="/icd10/?parent=S83.51" class="small">{below} billable codes below' in deep


def test_icd10_badges_say_billable_in_the_set_in_force_today(pt_client: Client) -> None:
    full = page(pt_client, reverse("icd10-search"), {"q": "G35"})
    sets = re.search(r'data-testid="icd10-sets">([^<]*)<', full)
    assert sets is not None and "FY2025, FY2026" in sets.group(1)
    html = page(pt_client, reverse("icd10-search"), {"q": "G35"}, **HTMX)
    g35 = re.search(r">G35</td>.*?</tr>", html, re.S)
    assert g35 is not None  # billable in FY2025 only: a header now
    assert "header" in g35.group(0) and "billable through 2025-09-30" in g35.group(0)
    g35a = re.search(r">G35.A</td>.*?</tr>", html, re.S)
    assert g35a is not None and "✓ billable" in g35a.group(0)
    # A set loaded ahead of its fiscal year does not make its new codes billable today.
    Icd10Code.objects.filter(code="G35.A").update(first_valid=dt.date(2099, 1, 1))
    html = page(pt_client, reverse("icd10-search"), {"q": "G35.A"}, **HTMX)
    assert "not billable today" in html and "billable from 2099-01-01" in html


def test_a_header_lists_its_children(pt_client: Client) -> None:
    html = page(pt_client, reverse("icd10-search"), {"parent": "M54.5"}, **HTMX)
    assert "<html" not in html
    assert "Codes under" in html
    assert icd_codes(html) == ["M54.50", "M54.51", "M54.59"]
    assert 'href="/icd10/?parent=M54"' in html  # up one level


def test_more_than_50_results_are_cut_and_said_so(pt_client: Client) -> None:
    Icd10Code.objects.bulk_create(
        Icd10Code(
            code=f"U99.{n:02d}",
            key=code_key(f"U99.{n:02d}"),
            title=f"Made-up code {n}",
            billable=True,
            parent="U99",
            chapter="22",
        )
        for n in range(60)
    )
    html = page(pt_client, reverse("icd10-search"), {"q": "U99"}, **HTMX)
    assert len(icd_codes(html)) == 50
    assert "More than 50 codes match" in html
    exact = page(pt_client, reverse("icd10-search"), {"q": "U99.0"}, **HTMX)
    assert len(icd_codes(exact)) == 10 and "More than" not in exact


def test_an_icd10_search_with_no_match_says_so(pt_client: Client) -> None:
    html = page(pt_client, reverse("icd10-search"), {"q": "xylophone"}, **HTMX)
    assert "No ICD-10-CM codes match &ldquo;xylophone&rdquo;" in html


def test_the_icd10_page_without_a_search_gives_a_hint(pt_client: Client) -> None:
    html = page(pt_client, reverse("icd10-search"))
    assert 'data-testid="icd10-hint-box"' in html
    assert 'hx-trigger="input changed delay:300ms, search"' in html
    html = page(pt_client, reverse("icd10-search"), {"q": "a"}, **HTMX)
    assert "Type at least two letters" in html


def test_an_unknown_parent_is_reported(pt_client: Client) -> None:
    html = page(pt_client, reverse("icd10-search"), {"parent": "Q00.0"}, **HTMX)
    assert "Q00.0 is not in the loaded ICD-10-CM code sets" in html


def test_the_icd10_query_count_does_not_grow_with_results(
    pt_client: Client, django_assert_max_num_queries: Any
) -> None:
    url = reverse("icd10-search")
    # "knee pain" is also a clinic's phrase (M25.56-): its codes cost one query more.
    with django_assert_max_num_queries(12) as one_word:
        pt_client.get(url, {"q": "knee pain"}, **HTMX)
    for q in ("S83", "M25.56", "fracture femur", "sprain ankle knee", "unspecified"):
        with django_assert_max_num_queries(len(one_word.captured_queries)):
            pt_client.get(url, {"q": q}, **HTMX)


# ---- /modifiers/ and /payers/ ---------------------------------------------------------------


def test_the_modifier_list_has_an_anchor_per_modifier(pt_client: Client) -> None:
    html = page(pt_client, reverse("modifier-list"))
    for code in ("GP", "CQ", "KX", "59", "XU"):
        assert f'id="modifier-{code}"' in html
    assert "Medicare pays 85%" in html


def payer_card(html: str, name: str) -> str:
    found = re.search(
        rf'<section class="card h-100"[^>]*data-payer="{re.escape(name)}".*?</section>', html, re.S
    )
    assert found is not None, name
    return found.group(0)


def test_the_payer_list_explains_unit_methods_and_marks_demo_plans(pt_client: Client) -> None:
    html = page(pt_client, reverse("payer-list"))
    assert "pools the day's timed minutes" in html
    assert "converts each timed code on its own minutes" in html
    medicare = payer_card(html, "Medicare Part B")
    assert "demo" not in medicare.lower().replace("demo values", "")
    hmo = payer_card(html, "Demo Commercial HMO")
    assert "demo plan" in hmo and "At most 8 timed units a day" in hmo
    assert "Units: AMA per-code method, each timed code counted on its own minutes" in hmo
    # Real payers first.
    assert html.index('data-payer="Medicare Part B"') < html.index(
        'data-payer="Demo Commercial HMO"'
    )


def test_the_payer_list_says_each_payers_rules_in_force_in_plain_words(pt_client: Client) -> None:
    html = page(pt_client, reverse("payer-list"))
    medicare = payer_card(html, "Medicare Part B")
    for sentence in (
        "Units: CMS 8-minute rule, all timed minutes of the day pooled",
        "Claims must reach the payer within 365 days of the visit",
        "A progress report at least every 10 treatment days",
        "for at most 90 days at a time",
        "The yearly KX threshold applies",
        "Services a PT assistant furnished are paid at 85%",
        "no referral or prior authorization for outpatient therapy",
    ):
        assert sentence in medicare, sentence
    assert "Prior authorization required" not in medicare
    hmo = payer_card(html, "Demo Commercial HMO")
    for sentence in ("Prior authorization required", "A referral is required", "30 visits a year"):
        assert sentence in hmo, sentence
    assert "No plan of care is required for billing" in payer_card(html, "Self-pay")
    for name in ("unit_method", "requires_authorization", "payer_rules", ".csv", "§"):
        assert name not in html


def test_the_payer_list_shows_the_dated_history_of_a_payers_rules(pt_client: Client) -> None:
    from coding.models import PayerRule

    today = dt.date.today()
    ppo = Payer.objects.get(name="Demo Commercial PPO")
    PayerRule.objects.create(
        payer=ppo,
        effective=today - dt.timedelta(days=10),
        unit_method="cms",
        visit_limit_per_year=40,
        timely_filing_days=180,
    )
    PayerRule.objects.create(
        payer=ppo,
        effective=today + dt.timedelta(days=30),
        unit_method="cms",
        visit_limit_per_year=40,
        timely_filing_days=180,
        requires_authorization=True,
    )
    card = payer_card(page(pt_client, reverse("payer-list")), "Demo Commercial PPO")
    in_force = card[: card.index('data-testid="rule-history"')]
    assert "40 visits a year" in in_force and "60 visits a year" not in in_force
    assert "Prior authorization required" not in in_force
    history = card[card.index('data-testid="rule-history"') :]
    assert "Changes by date (3)" in history
    assert "the first rules on file" in history
    assert "Units: CMS 8-minute rule" in history and "No longer: 60 visits a year" in history
    assert "upcoming" in history and "Prior authorization required" in history


def test_the_payer_list_query_count_does_not_grow_with_rules(
    pt_client: Client, django_assert_max_num_queries: Any
) -> None:
    from coding.models import PayerRule

    page(pt_client, reverse("payer-list"))
    with django_assert_max_num_queries(8) as few:
        page(pt_client, reverse("payer-list"))
    for payer in Payer.objects.all():
        for year in range(2001, 2011):
            PayerRule.objects.create(payer=payer, effective=dt.date(year, 1, 1), unit_method="ama")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page(pt_client, reverse("payer-list"))


def test_the_payer_list_shows_the_kx_threshold_of_the_year(pt_client: Client) -> None:
    year = dt.date.today().year
    FeeYear.objects.update_or_create(
        year=year, defaults={"kx_threshold": Decimal("2480"), "kx_review_threshold": 3000}
    )
    assert f"$2,480 in {year}" in page(pt_client, reverse("payer-list"))


def test_a_chapter_sized_header_says_over_1000_codes_below(pt_client: Client) -> None:
    Icd10Code.objects.bulk_create(
        Icd10Code(
            code=f"U98.{n:03d}",
            key=code_key(f"U98.{n:03d}"),
            title=f"Made-up code {n}",
            billable=True,
            parent="U98",
            chapter="22",
        )
        for n in range(1001)
    )
    Icd10Code.objects.create(code="U98", key="u98", title="Made-up header", billable=False)
    html = page(pt_client, reverse("icd10-search"), {"q": "U98"}, **HTMX)
    assert "over 1,000 billable codes below" in html


def test_before_this_years_fees_are_imported_the_latest_year_is_shown(
    client_for: Any, pt: Any, settings: Any
) -> None:
    from coding.models import FeeScheduleEntry, RelativeValue

    this_year = dt.date.today().year
    FeeScheduleEntry.objects.filter(year=this_year).delete()
    RelativeValue.objects.filter(year=this_year).delete()
    page = client_for(pt).get(reverse("code-detail", args=["97110"])).content.decode()
    assert f"Fees {this_year - 1}" in page
    assert "not imported yet" in page
    assert "RVU25D" in page  # last year's Medicare amount, from last year's RVUs
