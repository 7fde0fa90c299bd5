"""The rules in plain words: `claims.rule_help`, the catalogue page /rules/ and the "Why?" link of
each flag on the claim page (`templates/claims/_finding.html`)."""

import re
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from claims.rule_help import GENERIC_HELP, RULE_HELP, Family, rule_catalogue, rule_help
from claims.scrubber import RULES
from ptclinic.models import Clinic

HTMX = {"HTTP_HX_REQUEST": "true"}
# Rules another engineer is adding to the scrubber; their help is written ahead of them.
COMING = {
    "pta-evaluation",
    "poc-before-start",
    "poc-discharged",
    "duplicate-claim",
    "same-day-claim-closed",
    "timely-filing-near",
    "timely-filing-passed",
    "reference-not-loaded",
    "necessity-template",
}
SECTION_OR_FILE = re.compile(r"§|\.md\b|\.py\b|billing-rules|/work/|shared/")


# ---- the help texts -------------------------------------------------------------------------


def test_every_rule_of_the_scrubber_has_plain_help() -> None:
    missing = sorted(set(RULES) - set(RULE_HELP))
    assert not missing, f"Add RuleHelp entries to claims/rule_help.py for: {missing}"


def test_the_rules_being_added_have_their_help_already() -> None:
    assert set(RULE_HELP) >= COMING


def test_help_texts_are_plain_words_without_sections_or_file_names() -> None:
    for rule_id, help_ in RULE_HELP.items():
        for text in (help_.explanation, help_.fix, help_.source_plain):
            assert text.strip(), rule_id
            assert not SECTION_OR_FILE.search(text), f"{rule_id}: {text!r}"
        assert help_.family is not Family.OTHER, rule_id


def test_an_unknown_rule_gets_the_generic_help() -> None:
    assert rule_help("no-such-rule") is GENERIC_HELP
    assert rule_help("necessity-thin") is RULE_HELP["necessity-thin"]


def test_the_catalogue_lists_every_rule_once_in_family_order() -> None:
    groups = rule_catalogue()
    ids = [entry.rule_id for group in groups for entry in group.entries]
    assert sorted(ids) == sorted(RULES)
    order = list(Family)
    assert [order.index(g.family) for g in groups] == sorted(order.index(g.family) for g in groups)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("necessity-thin", {"necessity-thin"}),
        ("#NECESSITY-THIN", {"necessity-thin"}),  # the anchor as pasted from a link
        ("8-minute overbilling", {"units-unsupported", "units-total-over"}),
        ("no such words at all", set()),
    ],
)
def test_the_catalogue_keeps_the_rules_matching_every_word(query: str, expected: set[str]) -> None:
    found = {e.rule_id for group in rule_catalogue(query) for e in group.entries}
    assert found == expected


# ---- /rules/ --------------------------------------------------------------------------------


@pytest.fixture
def pt_client(client_for: Any, pt: Any) -> Client:
    return client_for(pt)


def rules_page(client: Client, **params: str) -> str:
    response = client.get(reverse("rule-list"), params)
    assert response.status_code == 200
    return response.content.decode()


def shown_rules(html: str) -> list[str]:
    return re.findall(r'<article class="card mb-2" id="([a-z0-9-]+)" data-rule="\1"', html)


def test_the_rules_page_lists_every_rule_with_its_anchor(pt_client: Client) -> None:
    html = rules_page(pt_client)
    assert sorted(shown_rules(html)) == sorted(RULES)
    for rule_id, rule in RULES.items():
        assert f'id="{rule_id}"' in html and f'data-rule="{rule_id}"' in html
        assert rule.title.replace("'", "&#x27;") in html
    help_ = RULE_HELP["progress-report-due"]
    assert help_.explanation in html and help_.fix in html and help_.source_plain in html
    assert "§" not in html and "billing-rules" not in html


def test_the_rules_page_groups_the_rules_by_family(pt_client: Client) -> None:
    html = rules_page(pt_client)
    for family in (Family.NECESSITY, Family.PLAN_OF_CARE, Family.PROGRESS_REPORTS):
        assert f'<h2 id="{family.slug}"' in html and family.value in html
    necessity = html.index(f'id="{Family.NECESSITY.slug}"')
    plan = html.index(f'id="{Family.PLAN_OF_CARE.slug}"')
    assert necessity < html.index('id="necessity-thin"') < plan < html.index('id="poc-missing"')


def test_severity_is_a_word_not_only_a_colour(pt_client: Client) -> None:
    html = rules_page(pt_client, q="necessity-missing")
    assert "</span> Error</span>" in html
    html = rules_page(pt_client, q="dx-unspecified-laterality")
    assert "</span> Warning</span>" in html


def test_q_filters_the_rules_without_javascript(pt_client: Client) -> None:
    html = rules_page(pt_client, q="certified")
    shown = set(shown_rules(html))
    assert {"poc-cert-late", "poc-cert-pending"} <= shown
    assert "necessity-missing" not in shown
    assert 'value="certified"' in html
    assert f"of {len(RULES)} rules match" in html


def test_a_filter_that_matches_nothing_says_so(pt_client: Client) -> None:
    html = rules_page(pt_client, q="zzz-nothing")
    assert shown_rules(html) == []
    assert 'data-testid="rule-empty"' in html


def test_the_htmx_request_gets_only_the_results(pt_client: Client) -> None:
    response = pt_client.get(reverse("rule-list"), {"q": "KX"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<form" not in html
    assert 'data-rule="kx-missing"' in html
    assert "HX-Request" in response["Vary"]


def test_the_rules_page_is_under_reference_in_the_navbar(pt_client: Client) -> None:
    html = rules_page(pt_client)
    url = reverse("rule-list")
    assert f'aria-current="page" href="{url}">Claim rules</a>' in html
    assert re.search(r'nav-link active" href="/codes/" aria-current="page">Reference<', html)


def test_a_user_without_a_clinic_may_read_the_rules(client_for: Any, db: None) -> None:
    from tests.conftest import make_user

    assert shown_rules(rules_page(client_for(make_user())))


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_login(client: Client) -> None:
    response = client.get(reverse("rule-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_rules_page_only_answers_get(pt_client: Client) -> None:
    assert pt_client.post(reverse("rule-list")).status_code == 405


# ---- the finding partial and the claim page -------------------------------------------------


def test_the_finding_partial_shows_severity_message_fix_and_why() -> None:
    html = render_to_string(
        "claims/_finding.html",
        {
            "rule_id": "necessity-thin",
            "severity": "warning",
            "message": "Too short.",
            "fix": "Say more.",
        },
    )
    assert 'data-rule="necessity-thin"' in html
    assert "</span> Warning</span>" in html
    assert "Too short." in html and "<strong>Fix:</strong> Say more." in html
    assert f'href="{reverse("rule-list")}#necessity-thin"' in html


@pytest.mark.usefixtures("reference")
def test_the_claim_page_marks_each_flag_and_links_to_its_rule(
    client_for: Any, owner: Any, clinic: Clinic, pt: Any
) -> None:
    from tests.claims.test_review import make_claim

    claim = make_claim(clinic, pt, necessity="", certified=False)
    html = client_for(owner).get(reverse("claim-detail", args=[claim.pk])).content.decode()
    flags = html[html.index('data-testid="flags"') :]
    flags = flags[: flags.index("</ul>")]
    rule_ids = set(claim.flags.values_list("rule_id", flat=True))
    assert {"necessity-missing", "poc-cert-pending"} <= rule_ids
    for rule_id in rule_ids:
        assert flags.count(f'data-rule="{rule_id}"') == 1
        assert f'href="{reverse("rule-list")}#{rule_id}"' in flags
    # The plain source is on /rules/; the flags show no section numbers or file names.
    assert "billing-rules" not in flags and "§" not in flags
    flag = claim.flags.get(rule_id="necessity-missing")
    assert reverse("flag-settle", args=[claim.pk, flag.pk]) in html  # Resolve / Waive stay
