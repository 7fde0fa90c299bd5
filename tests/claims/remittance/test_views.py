"""The owner's pages for money back: posting an 835, a remittance, the worklist, the denial
report, and what the claim page shows of its payments."""

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from claims.models import AccessEvent, AccessKind, ClaimPayment, ClaimStatus, RemittanceFile
from claims.remittance.answers import Denial
from tests.claims.remittance.test_posting_services import PAID_ON, era_file, post, sent
from tests.claims.remittance.test_posting_services import sender as sender
from tests.conftest import make_member

pytestmark = pytest.mark.usefixtures("reference")

PERIOD = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture
def boss(client_for: Any, sender: Any) -> Client:
    client: Client = client_for(sender)
    return client


def upload(client: Client, content: bytes, name: str = "era.835") -> Any:
    return client.post(
        reverse("remittance-list"), {"file": SimpleUploadedFile(name, content)}, follow=True
    )


def test_posting_a_file_opens_its_remittance_with_the_claims_it_paid(
    boss: Client, clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender)
    response = upload(boss, era_file(clinic, [claim]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Posted 1 of 1 payments." in page
    assert f'href="{reverse("claim-detail", args=[claim.pk])}"' in page
    upload_row = RemittanceFile.objects.get()
    assert response.redirect_chain[-1][0] == reverse("remittance-detail", args=[upload_row.pk])
    event = AccessEvent.objects.get(kind=AccessKind.REMITTANCE)
    assert (event.patient_id, event.object_id) == (claim.patient_id, claim.pk)


def test_the_same_file_again_says_it_was_posted_and_posts_nothing(
    boss: Client, clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender)
    content = era_file(clinic, [claim])
    upload(boss, content)
    response = upload(boss, content, "copy.835")
    assert "already posted" in response.content.decode()
    assert RemittanceFile.objects.count() == 1
    assert ClaimPayment.objects.count() == 1


def test_a_file_that_is_not_an_835_is_refused_with_the_reason_and_a_400(
    boss: Client, clinic: Any
) -> None:
    response = boss.post(
        reverse("remittance-list"),
        {"file": SimpleUploadedFile("notes.txt", b"Dear clinic, your payment is on its way.")},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was posted" in page and "not an X12 file" in page
    assert not RemittanceFile.objects.exists()


def test_a_file_with_a_nul_byte_or_latin1_text_is_an_error_not_a_crash(
    boss: Client, clinic: Any
) -> None:
    response = boss.post(
        reverse("remittance-list"), {"file": SimpleUploadedFile("x.835", b"ISA\x00\xe9\xff~")}
    )
    assert response.status_code == 400


def test_the_claim_page_shows_the_payment_the_denial_and_the_rule_behind_it(
    boss: Client, clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender, rows=(("97110", 30), ("97140", 15)))
    post(clinic, sender, era_file(clinic, [claim], denials={"97140": Denial("97", remark="M80")}))
    page = boss.get(reverse("claim-detail", args=[claim.pk])).content.decode()
    assert 'data-testid="claim-payments"' in page
    assert "partly paid" in page
    assert "Denied (CO-97)." in page
    assert "Paid as part of another service" in page  # the reason in plain words
    assert "No rule caught this" in page
    assert "Correct and resubmit" in page
    assert "M80" in page
    assert f'href="{reverse("adjustment-codes")}#code-97"' in page  # the code's full entry


def test_the_worklist_posts_a_payment_to_the_claim_the_owner_names(
    boss: Client, clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender)
    content = era_file(clinic, [claim]).replace(
        f"CLP*{claim.control_number}*".encode(), b"CLP*LOST42*"
    )
    post(clinic, sender, content)
    page = boss.get(reverse("remittance-worklist")).content.decode()
    assert "LOST42" in page
    waiting = ClaimPayment.objects.get()
    url = reverse("payment-match", args=[waiting.pk])
    response = boss.post(url, {"claim": "PTC999999", "note": "x"}, follow=True)
    assert "No claim of this clinic has that number." in response.content.decode()
    response = boss.post(url, {"claim": f"{claim.pk}", "note": "Payer typo"}, follow=True)
    assert f"posted to claim #{claim.pk}" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert "Nothing waits" in boss.get(reverse("remittance-worklist")).content.decode()


def test_the_worklist_dismisses_a_payment_only_with_a_reason(
    boss: Client, clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender)
    post(
        clinic,
        sender,
        era_file(clinic, [claim]).replace(f"CLP*{claim.control_number}*".encode(), b"CLP*Z1*"),
    )
    waiting = ClaimPayment.objects.get()
    url = reverse("payment-dismiss", args=[waiting.pk])
    boss.post(url, {"note": ""})
    assert ClaimPayment.objects.unmatched().count() == 1
    boss.post(url, {"note": "Not our patient"})
    assert ClaimPayment.objects.unmatched().count() == 0


def test_the_denial_report_groups_denials_and_opens_the_lines_of_a_reason(
    boss: Client, clinic: Any, pt: Any, sender: Any
) -> None:
    one = sent(clinic, pt, sender)
    two = sent(clinic, pt, sender, rows=(("97110", 30), ("97140", 15)))
    post(clinic, sender, era_file(clinic, [one], denials={"97110": Denial("50")}))
    post(clinic, sender, era_file(clinic, [two], trace="EFT2", denials={"97140": Denial("97")}))
    response = boss.get(reverse("denial-report"), PERIOD)
    report = response.context["report"]
    assert (report.lines, report.denied, report.uncaught) == (3, 2, 2)
    assert {row.key: row.lines for row in report.by_reason} == {"CO-50": 1, "CO-97": 1}
    billed = [row.billed for row in report.by_reason]
    assert billed == sorted(billed, reverse=True)  # the costliest reason first
    assert {row.label for row in report.families_uncaught} == {"Medical necessity", "Edit pairs"}
    response = boss.get(reverse("denial-report"), {**PERIOD, "reason": "CO-97"})
    lines = response.context["lines"]
    assert [line.payment.claim_id for line in lines] == [two.pk]
    assert f"#{two.pk}" in response.content.decode()
    opened = AccessEvent.objects.filter(kind=AccessKind.CLAIM).values_list("object_id", flat=True)
    assert list(opened) == [two.pk]  # the list shows a patient: the access log says so


def test_the_denial_report_outside_the_payment_dates_is_empty_and_says_so(
    boss: Client, clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender)
    post(clinic, sender, era_file(clinic, [claim], denials={"97110": Denial("50")}))
    before = PAID_ON - dt.timedelta(days=60)
    response = boss.get(
        reverse("denial-report"),
        {"start": before.isoformat(), "end": (before + dt.timedelta(days=10)).isoformat()},
    )
    assert response.context["report"].denied == 0
    assert 'data-testid="no-denials"' in response.content.decode()


def test_a_bad_period_is_a_message_not_an_error(boss: Client) -> None:
    response = boss.get(reverse("denial-report"), {"start": "2026-12-01", "end": "2026-01-01"})
    assert response.status_code == 200
    assert "before it starts" in response.content.decode()


@pytest.mark.parametrize("name", ["remittance-list", "remittance-worklist", "denial-report"])
def test_money_pages_are_for_owners(client_for: Any, clinic: Any, pt: Any, name: str) -> None:
    assert client_for(pt).get(reverse(name)).status_code == 403


def test_the_remittance_list_reads_a_fixed_number_of_queries(
    boss: Client, clinic: Any, pt: Any, sender: Any, django_assert_max_num_queries: Any
) -> None:
    claims = [sent(clinic, pt, sender) for _ in range(3)]
    for number, claim in enumerate(claims):
        post(clinic, sender, era_file(clinic, [claim], trace=f"T{number}"), f"{number}.835")
    with django_assert_max_num_queries(12):
        assert boss.get(reverse("remittance-list")).status_code == 200
    with django_assert_max_num_queries(14):
        assert boss.get(reverse("denial-report"), PERIOD).status_code == 200


def test_the_command_posts_files_and_reports_one_it_cannot_read(
    clinic: Any, pt: Any, sender: Any, tmp_path: Path
) -> None:
    claim = sent(clinic, pt, sender)
    good = tmp_path / "good.835"
    good.write_bytes(era_file(clinic, [claim]))
    bad = tmp_path / "bad.835"
    bad.write_bytes(b"not x12")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command(
            "post_835",
            str(good),
            str(bad),
            clinic=str(clinic.pk),
            user=sender.username,
            stdout=out,
            stderr=err,
        )
    assert "1 of 1 payments posted" in out.getvalue()
    assert "bad.835: nothing posted" in err.getvalue()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID


def test_another_clinics_owner_cannot_post_to_this_clinics_worklist(
    client_for: Any, clinic: Any, other_clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender)
    post(
        clinic,
        sender,
        era_file(clinic, [claim]).replace(f"CLP*{claim.control_number}*".encode(), b"CLP*Q*"),
    )
    stranger = client_for(make_member(other_clinic, "owner"))
    waiting = ClaimPayment.objects.get()
    response = stranger.post(
        reverse("payment-match", args=[waiting.pk]), {"claim": str(claim.pk), "note": "mine"}
    )
    assert response.status_code == 404
    assert ClaimPayment.objects.unmatched().count() == 1


def test_everyone_can_look_up_a_payment_code_in_plain_words(client_for: Any, pt: Any) -> None:
    client = client_for(pt)
    page = client.get(reverse("adjustment-codes")).content.decode()
    assert 'id="code-50"' in page and 'id="code-N115"' in page and 'id="code-CO"' in page
    found = client.get(reverse("adjustment-codes"), {"q": "bundled"}).content.decode()
    assert 'id="code-97"' in found and 'id="code-50"' not in found
    nothing = client.get(reverse("adjustment-codes"), {"q": "zzzz\x00"})
    assert nothing.status_code == 200 and "No code matches" in nothing.content.decode()
