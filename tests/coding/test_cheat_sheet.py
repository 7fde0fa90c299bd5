"""The printable cheat sheet (/codes/cheat-sheet/): the most-used codes with the clinic's own
amounts, the 8-minute table, the paired diagnoses checked against the code set, and the tips
as the app's own rules."""

import datetime as dt
import html as html_lib
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from claims.facts import fee_table
from claims.scrubber import RULES
from coding import cheat_sheet
from coding.code_groups import MOST_USED
from coding.models import (
    BillingCode,
    FeeScheduleEntry,
    FeeYear,
    Gpci,
    Pairing,
    Payer,
    RelativeValue,
)
from coding.units import units_for_minutes
from tests.conftest import make_user

pytestmark = pytest.mark.usefixtures("reference")

URL = "/codes/cheat-sheet/"


@pytest.fixture
def sacramento(clinic: Any) -> Any:
    clinic.medicare_mac, clinic.medicare_locality = "01112", "63"
    clinic.save()
    return clinic


def sheet(client: Client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def row(html: str, code: str) -> str:
    start = html.index(f'data-testid="sheet-{code}"')
    return html[start : html.index("</tr>", start)]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def pairing(html: str, code: str, icd: str) -> str:
    """The words of one pairing's line."""
    start = html.index(f'data-testid="sheet-pairing-{code}-{icd}">')
    return text(html[html.index(">", start) + 1 : html.index("</li>", start)])


def cms_amount(code: str, gpci: Gpci, day: dt.date) -> Decimal:
    """The CMS formula, worked out here from the stored figures."""
    rvu = RelativeValue.objects.filter(billing_code=code, year=day.year).order_by("-effective")[0]
    cf = FeeYear.objects.get(year=day.year).conversion_factor
    total = rvu.work_rvu * gpci.work_gpci + rvu.pe_rvu * gpci.pe_gpci + rvu.mp_rvu * gpci.mp_gpci
    return (total * cf).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_the_url_is_the_cheat_sheet_not_a_code() -> None:
    assert reverse("code-cheat-sheet") == URL


def test_anonymous_users_are_sent_to_log_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_lists_the_most_used_codes_in_order_with_plain_names(client_for: Any, pt: Any) -> None:
    html = sheet(client_for(pt))
    assert "<html" in html
    codes = re.findall(r'data-testid="sheet-([0-9A-Z]{5})"', html)
    assert codes == list(MOST_USED)
    assert codes[:5] == ["97110", "97112", "97116", "97140", "97530"]
    first = row(html, "97110")
    assert "Therapeutic exercise" in first and "Timed (per 15 min)" in first
    assert "Untimed (1 per day)" in row(html, "97161")
    assert "Untimed (1 per session)" in row(html, "97150")


def test_a_licensed_descriptor_never_shows(client_for: Any, pt: Any) -> None:
    BillingCode.objects.filter(code="97110").update(
        official_descriptor="LICENSED DESCRIPTOR TEXT OF THE AMA"
    )
    assert "LICENSED DESCRIPTOR" not in sheet(client_for(pt))


def test_it_shows_the_clinics_locality_amount_and_says_for_whom_and_when(
    client_for: Any, pt: Any, sacramento: Any
) -> None:
    html = sheet(client_for(pt))
    today = dt.date.today()
    gpci = Gpci.objects.get(year=today.year, mac="01112", locality="63")
    about = text(html[html.index('data-testid="sheet-for"') :])
    assert "For Riverbend PT" in about
    assert "locality 01112-63" in about
    assert f"{today:%B} {today.year}" in about and str(today.day) in about
    for code in ("97110", "97161", "G0283"):
        amount = cms_amount(code, gpci, today)
        medicare = re.findall(r"\$[0-9,.]+", text(row(html, code)))[0]
        assert medicare == f"${amount:,.2f}", code


def test_each_payers_amount_is_the_fee_table_and_demo_amounts_are_marked(
    client_for: Any, pt: Any, sacramento: Any
) -> None:
    html = sheet(client_for(pt))
    prices = fee_table(codes=["97140"], day=dt.date.today(), clinic_id=sacramento.pk)
    payers = {p.name: p for p in Payer.objects.all()}
    header = html[html.index("<thead>") : html.index("</thead>")]
    cells = re.findall(
        r"<td class=\"text-end text-nowrap\"[^>]*>(.*?)</td>", row(html, "97140"), re.S
    )
    names = re.findall(r'<th scope="col" class="text-end amount-col">([^<]+)', header)
    assert len(names) == len(cells) == len(payers)
    assert names[0] == "Medicare Part B"  # the real fee first
    for name, cell in zip(names, cells, strict=True):
        price = prices[payers[name].pk]["97140"]
        assert price.fee is not None
        assert f"${price.fee:,.2f}" in cell, name
    # Demo plans: every amount of the column is made up, and its header says so.
    assert re.search(r"Demo Commercial PPO<span class=\"demo-mark\"[^>]*>demo</span>", header)
    assert not re.search(r"Medicare Part B<span class=\"demo-mark\"", header)
    assert "made-up amounts of demo plans, not real fees" in html


def test_a_payer_without_a_fee_says_no_amount_and_a_mixed_column_marks_each_demo_amount(
    client_for: Any, pt: Any
) -> None:
    year = dt.date.today().year
    self_pay = Payer.objects.get(name="Self-pay")
    FeeScheduleEntry.objects.filter(payer=self_pay, year=year, billing_code="97110").delete()
    FeeScheduleEntry.objects.filter(payer=self_pay, year=year, billing_code="97112").update(
        is_demo=False
    )
    html = sheet(client_for(pt))
    cells = re.findall(
        r"<td class=\"text-end text-nowrap\"[^>]*>(.*?)</td>", row(html, "97110"), re.S
    )
    assert "no amount" in cells[-1]  # Self-pay is the last column
    assert "no amount" not in "".join(cells[:-1])
    # Self-pay now has one real fee: its header no longer says demo, each demo cell does.
    assert not re.search(r"Self-pay<span class=\"demo-mark\"", html)
    real = re.findall(
        r"<td class=\"text-end text-nowrap\"[^>]*>(.*?)</td>", row(html, "97112"), re.S
    )
    assert "demo-mark" not in real[-1]
    demo = re.findall(
        r"<td class=\"text-end text-nowrap\"[^>]*>(.*?)</td>", row(html, "97116"), re.S
    )
    assert "demo-mark" in demo[-1]


def test_the_8_minute_table_is_the_unit_engines(client_for: Any, pt: Any) -> None:
    html = sheet(client_for(pt))
    table = html[html.index('data-testid="unit-table"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr><td>(\d+)–(\d+)</td><td[^>]*>(\d+)</td></tr>", table)
    assert rows[:3] == [("0", "7", "0"), ("8", "22", "1"), ("23", "37", "2")]
    assert rows[-1] == ("113", "127", "8")
    for low, high, units in rows:
        assert units_for_minutes(int(low)) == units_for_minutes(int(high)) == int(units)


def test_pairings_say_where_they_come_from_and_what_to_code(client_for: Any, pt: Any) -> None:
    html = sheet(client_for(pt))
    page = text(html)
    assert (
        "A widely shared cheat sheet lists M54.5 for low back pain; this code is not billable, "
        "use M54.50, M54.51 or M54.59." in page
    )
    assert "lists Z96.64 for a hip implant; this code is not billable, use Z96.641" in page
    injury = pairing(html, "97110", "S83.519A")
    assert "Its 7th character A is the initial encounter" in injury
    assert "subsequent encounter, S83.519D." in injury
    assert pairing(html, "97116", "R26.2").startswith("R26.2 billable Difficulty in walking")
    assert "seed" not in page.lower()


def test_a_pairing_outside_the_code_set_is_said_so(client_for: Any, pt: Any) -> None:
    Pairing.objects.create(billing_code_id="97110", icd10_code="Q99.99", note="A made-up code.")
    html = sheet(client_for(pt))
    assert pairing(html, "97110", "Q99.99") == (
        "Q99.99 not in the code set A made-up code; this code is not in the ICD-10-CM code set "
        "in force."
    )


def test_the_tips_are_the_apps_own_rules_linked_to_the_rule_page(client_for: Any, pt: Any) -> None:
    html = sheet(client_for(pt))
    tips = html[html.index('data-testid="sheet-tips"') :]
    linked = re.findall(r'<a href="/rules/#([a-z0-9-]+)">([^<]+)</a>', tips)
    ids = {rule_id for rule_id, _ in linked}
    assert {"ncci-needs-modifier", "necessity-missing", "daily-cap-exceeded", "dx-invalid"} <= ids
    assert {"kx-missing", "kx-premature"} <= ids
    for rule_id, title in linked:
        assert html_lib.unescape(title) == RULES[rule_id].title
    assert '<a href="/payers/">Each payer\'s rules</a>' in html_lib.unescape(tips)
    kx = FeeYear.objects.get(year=dt.date.today().year).kx_threshold
    assert f"(${kx:,.0f} in {dt.date.today().year})" in tips


def test_every_rule_a_tip_names_is_a_rule_of_the_scrubber() -> None:
    for _title, _text, rule_ids, _page in cheat_sheet._TIPS:
        assert set(rule_ids) <= set(RULES), rule_ids


def test_a_user_without_a_clinic_gets_national_amounts_and_is_told(client_for: Any) -> None:
    html = sheet(client_for(make_user()))
    about = text(html[html.index('data-testid="sheet-for"') :])
    assert "No clinic chosen" in about
    assert "national rates (you are not signed in to a clinic)" in about
    prices = fee_table(codes=["97110"], day=dt.date.today(), clinic_id=None)
    medicare = Payer.objects.get(name="Medicare Part B")
    assert f"${prices[medicare.pk]['97110'].fee:,.2f}" in row(html, "97110")


def test_a_clinic_without_a_locality_is_told_its_amounts_are_national(
    client_for: Any, pt: Any
) -> None:
    html = sheet(client_for(pt))
    assert "national rates (no Medicare locality is set for Riverbend PT)" in text(html)


def test_the_page_prints_and_offers_a_print_button_that_needs_no_inline_script(
    client_for: Any, pt: Any
) -> None:
    html = sheet(client_for(pt))
    assert '<link rel="stylesheet" href="/static/css/cheat_sheet.css">' in html
    assert '<script src="/static/js/cheat_sheet.js"></script>' in html
    # Shown by the script; without it the page says how to print.
    assert '<button type="button" class="btn btn-primary" data-print hidden>Print</button>' in html
    assert "Print it with your browser's Print command" in html
    assert "onclick" not in html
    assert 'href="/codes/cheat-sheet/"' in sheet_link(client_for(pt))


def sheet_link(client: Client) -> str:
    response = client.get(reverse("code-list"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_query_count_is_fixed(
    client_for: Any, pt: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for(pt)
    client.get(URL)  # the code tables are read once per process, then only their stamp
    # (and each request reads the session, its user and second factor, and memberships)
    with django_assert_max_num_queries(12) as warm:
        client.get(URL)
    warm_queries = len(warm)
    for code in ("97112", "97116", "97530", "97750", "G0283"):
        for icd in ("M54.5", "Z96.64", "S72.001A"):
            Pairing.objects.get_or_create(billing_code_id=code, icd10_code=icd)
    with django_assert_max_num_queries(warm_queries):
        html = sheet(client)
    assert 'data-testid="sheet-pairing-G0283-M54.5"' in html
