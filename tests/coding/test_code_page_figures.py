"""The code page shows the CMS figures in force: the Medicare status of the fee-schedule
release (docs/billing-rules.md §10.13) and what the unit limit's adjudication indicator means
(§10.9)."""

from typing import Any

from django.urls import reverse


def test_a_restricted_code_says_so_from_the_fee_schedule_release(
    client_for: Any, pt: Any, reference: None
) -> None:
    page = client_for(pt).get(reverse("code-detail", args=["97026"])).content.decode()
    assert "Restricted coverage (status R)" in page  # RVU26C gives 97026 status R
    active = client_for(pt).get(reverse("code-detail", args=["97110"])).content.decode()
    assert "Restricted coverage" not in active
    assert "Paid separately by Medicare" in active


def test_the_unit_limit_explains_its_adjudication_indicator(
    client_for: Any, pt: Any, reference: None
) -> None:
    page = client_for(pt).get(reverse("code-detail", args=["97161"])).content.decode()
    assert "MAI 2, an absolute per-day limit set by policy" in page
    page = client_for(pt).get(reverse("code-detail", args=["97010"])).content.decode()
    assert "<strong>No units</strong> are paid to a practitioner" in page  # MUE 0
