"""The Medicare amount of every shipped code at a clinic's locality is the CMS formula on the
sourced figures (docs/billing-rules.md §8, §10.13): (work RVU x work GPCI + PE RVU x PE GPCI +
MP RVU x MP GPCI) x conversion factor, rounded to cents. The expected values are worked out here
from the shared CMS figures themselves, not from the app's tables."""

import csv
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from claims.facts import ReferenceFacts
from coding.models import Payer, PayerKind
from ptclinic.models import Clinic
from tests.conftest import make_clinic, shared_path

DAY = dt.date(2026, 6, 15)
LOCALITIES = [
    ("01112", "05"),  # San Francisco, CA: high PE GPCI
    ("02102", "01"),  # Alaska: work GPCI floor 1.5
    ("10112", "00"),  # Alabama
    ("13202", "01"),  # Manhattan, NY: high MP GPCI
    ("03202", "01"),  # Montana: PE floor 1.0
]


def _csv(name: str) -> list[dict[str, str]]:
    with shared_path("domain", "data", name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _expected(rvu: dict[str, str], gpci: dict[str, str], cf: Decimal) -> Decimal:
    total = (
        Decimal(rvu["work_rvu"]) * Decimal(gpci["work_gpci"])
        + Decimal(rvu["pe_nonfac_rvu"]) * Decimal(gpci["pe_gpci"])
        + Decimal(rvu["mp_rvu"]) * Decimal(gpci["mp_gpci"])
    )
    return (total * cf).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _clinic_at(mac: str, locality: str, **fields: Any) -> Clinic:
    return make_clinic(
        name=f"Clinic {mac}-{locality}", medicare_mac=mac, medicare_locality=locality, **fields
    )


@pytest.mark.parametrize(("mac", "locality"), LOCALITIES)
def test_every_code_at_the_clinics_locality_is_the_cms_formula(
    reference: None, mac: str, locality: str
) -> None:
    gpci = next(g for g in _csv("gpci_2026.csv") if (g["mac"], g["locality"]) == (mac, locality))
    cf = Decimal("33.4009")
    clinic = _clinic_at(mac, locality)
    medicare = Payer.objects.get(kind=PayerKind.MEDICARE)
    rvus = _csv("rvu_2026.csv")
    prices = ReferenceFacts.load().prices(
        medicare.pk, DAY, [r["code"] for r in rvus], clinic_id=clinic.pk
    )
    checked = 0
    for rvu in rvus:
        price = prices[rvu["code"]]
        if rvu["status"] in {"A", "R", "T"}:
            assert price.fee == _expected(rvu, gpci, cf), rvu["code"]
            assert f"locality {mac}-{locality}" in price.basis
            checked += 1
        else:  # bundled, not valid or carrier priced: no amount of its own
            assert price.fee is None, rvu["code"]
            assert f"status {rvu['status']}" in price.basis
    assert checked >= 55


def test_a_clinic_without_a_locality_gets_the_national_amounts_of_billing_rules(
    reference: None,
) -> None:
    medicare = Payer.objects.get(kind=PayerKind.MEDICARE)
    prices = ReferenceFacts.load().prices(
        medicare.pk, DAY, ["97110", "97112", "97530", "97161", "97164", "97150", "97010"]
    )
    fees = {code: p.fee for code, p in prices.items()}
    assert fees == {
        "97110": Decimal("29.06"),
        "97112": Decimal("32.73"),
        "97530": Decimal("35.07"),
        "97161": Decimal("97.86"),
        "97164": Decimal("67.47"),
        "97150": Decimal("18.04"),
        "97010": None,  # bundled (status B)
    }
    assert "national: the clinic has no Medicare locality set" in prices["97110"].basis


def test_a_qualifying_apm_clinic_is_paid_with_the_higher_conversion_factor(
    reference: None,
) -> None:
    gpci = next(g for g in _csv("gpci_2026.csv") if g["mac"] == "01112" and g["locality"] == "05")
    rvu = next(r for r in _csv("rvu_2026.csv") if r["code"] == "97110")
    clinic = _clinic_at("01112", "05", qualifying_apm=True)
    medicare = Payer.objects.get(kind=PayerKind.MEDICARE)
    price = ReferenceFacts.load().prices(medicare.pk, DAY, ["97110"], clinic_id=clinic.pk)["97110"]
    assert price.fee == _expected(rvu, gpci, Decimal("33.5675"))
    assert "33.5675" in price.basis
    assert "qualifying APM" in price.basis


def test_a_2025_visit_is_priced_with_the_2025_figures(reference: None) -> None:
    rvu = next(r for r in _csv("rvu_2025.csv") if r["code"] == "97110")
    medicare = Payer.objects.get(kind=PayerKind.MEDICARE)
    price = ReferenceFacts.load().prices(medicare.pk, dt.date(2025, 3, 3), ["97110"])["97110"]
    national = {"work_gpci": "1", "pe_gpci": "1", "mp_gpci": "1"}
    assert price.fee == _expected(rvu, national, Decimal("32.3465"))
    assert "RVU25D" in price.basis


def test_a_year_without_figures_has_no_amount_and_says_so(reference: None) -> None:
    from claims.facts import missing_reference

    ref = ReferenceFacts.load()
    medicare = Payer.objects.get(kind=PayerKind.MEDICARE)
    day = dt.date(2027, 2, 1)
    assert ref.prices(medicare.pk, day, ["97110"])["97110"].fee is None
    missing = missing_reference(ref, ref.payer(medicare.pk, day), day, diagnoses=False, fees=True)
    assert any("2027 Medicare relative values" in m for m in missing)


def test_the_locality_pe_share_drives_mppr(reference: None) -> None:
    """MPPR takes half of the practice-expense part of the locality amount (§6.9): the PE share
    is the locality's, not the national one and not an assumed 45%."""
    clinic = _clinic_at("01112", "05")
    medicare = Payer.objects.get(kind=PayerKind.MEDICARE)
    rvu = (
        ReferenceFacts.load().prices(medicare.pk, DAY, ["97110"], clinic_id=clinic.pk)["97110"].rvu
    )
    assert rvu is not None
    gpci = next(g for g in _csv("gpci_2026.csv") if g["mac"] == "01112" and g["locality"] == "05")
    pe = Decimal("0.41") * Decimal(gpci["pe_gpci"])
    total = (
        Decimal("0.45") * Decimal(gpci["work_gpci"])
        + pe
        + Decimal("0.01") * Decimal(gpci["mp_gpci"])
    )
    assert rvu.pe_share == pe / total
