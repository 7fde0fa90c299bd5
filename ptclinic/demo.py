"""Demo data: synthetic people only. `seed()` is idempotent: running it twice changes nothing
that a person would notice (passwords are reset to the published one)."""

from django.utils import timezone

from ptclinic.models import Clinic, Credential, Role
from ptclinic.services import (
    charge_set,
    clinic_get_or_create,
    clinic_update_billing,
    clinic_update_settings,
    membership_ensure,
    user_ensure,
)
from ptclinic.two_factor import authenticator_ensure, two_factor_required

DEMO_PASSWORD = "ptclinic-demo"
DEMO_CLINIC = "Riverbend Physical Therapy (demo)"
OTHER_DEMO_CLINIC = "Summit Rehab (demo)"

# The demo's two-factor secret, published like its password (the demo is seeded only with
# DEBUG on): base 32 "OB2G G3DJ NZUW GLLE MVWW 6LJS MZQS 223F", for an authenticator app, or
# `manage.py demo_code` prints the code it shows now. The demo users whose role must sign in
# with two factors (ptclinic.two_factor) have it.
DEMO_TOTP_KEY = b"ptclinic-demo-2fa-ke".hex()

DEMO_USERS_HELP = (
    ("demo-pt", "Dana Reyes, PT — enters treatment sessions"),
    ("demo-pta", "Sam Okafor, PTA — enters sessions furnished as an assistant"),
    ("demo-owner", "Morgan Lee — clinic owner: reviews claims (member of two clinics)"),
    ("demo-admin", "Alex Kim — platform admin: the code tables every clinic shares"),
    ("demo-clinic-admin", "Jo Park — the clinic's admin: its settings, charges, payers, users"),
)


def seed() -> list[str]:
    clinic = clinic_get_or_create(name=DEMO_CLINIC, npi="1245319599")
    if not clinic.medicare_mac:
        # The demo clinic bills Medicare in Sacramento (CMS locality 01112-63): its Medicare
        # amounts are that locality's, not the national ones (billing-rules §10.13).
        clinic_update_settings(
            clinic=clinic,
            name=clinic.name,
            npi=clinic.npi,
            locality="01112-63",
            qualifying_apm=False,
        )
    if not clinic.legal_name:
        _billing_provider(clinic)
    other = clinic_get_or_create(name=OTHER_DEMO_CLINIC)
    pt = user_ensure(
        username="demo-pt", password=DEMO_PASSWORD, first_name="Dana", last_name="Reyes"
    )
    pta = user_ensure(
        username="demo-pta", password=DEMO_PASSWORD, first_name="Sam", last_name="Okafor"
    )
    owner = user_ensure(
        username="demo-owner", password=DEMO_PASSWORD, first_name="Morgan", last_name="Lee"
    )
    admin = user_ensure(
        username="demo-admin",
        password=DEMO_PASSWORD,
        first_name="Alex",
        last_name="Kim",
        is_staff=True,
    )
    clinic_admin = user_ensure(
        username="demo-clinic-admin", password=DEMO_PASSWORD, first_name="Jo", last_name="Park"
    )
    pt_member = membership_ensure(
        user=pt, clinic=clinic, role=Role.THERAPIST, credential=Credential.PT, npi="1679576722"
    )
    pta_member = membership_ensure(
        user=pta, clinic=clinic, role=Role.THERAPIST, credential=Credential.PTA
    )
    pta_member.supervisor = pt_member  # the assistant's claims carry the PT's NPI (§11.1)
    pta_member.save(update_fields=["supervisor"])
    membership_ensure(user=owner, clinic=clinic, role=Role.OWNER)
    membership_ensure(user=owner, clinic=other, role=Role.OWNER)
    membership_ensure(user=admin, clinic=clinic, role=Role.ADMIN)
    membership_ensure(user=clinic_admin, clinic=clinic, role=Role.ADMIN)
    two_factor_users = [u for u in (pt, pta, owner, admin, clinic_admin) if two_factor_required(u)]
    for user in two_factor_users:
        authenticator_ensure(user, DEMO_TOTP_KEY)
    from claims.demo import seed_clinic  # the clinical demo data builds on the users above

    clinical = seed_clinic(clinic=clinic, pt=pt_member, pta=pta_member, owner=owner)
    return [
        f"Clinics: {clinic.name}; {other.name}",
        "Users: " + ", ".join(u for u, _ in DEMO_USERS_HELP),
        "Two-factor code for "
        + ", ".join(u.username for u in two_factor_users)
        + ": manage.py demo_code",
        *clinical,
    ]


DEMO_PAYER_IDS = {  # made-up clearinghouse ids for the demo payers (Medicare uses the MAC)
    "Demo Medicare Advantage": "DEMOMA001",
    "Demo State Medicaid": "DEMOMCD01",
    "Demo Commercial PPO": "DEMOPPO01",
    "Demo Commercial HMO": "DEMOHMO01",
}


def _billing_provider(clinic: Clinic) -> None:
    """The demo clinic as billing provider, its demo clearinghouse, the demo payers' ids and a
    charge master at about one and a half times the highest allowed amount (billing-rules §11)."""
    import datetime as dt
    from decimal import ROUND_CEILING, Decimal

    from claims.facts import charge_table
    from coding.models import Payer

    clinic_update_billing(
        clinic=clinic,
        legal_name="Riverbend Physical Therapy LLC",
        tax_id="91-2345678",
        address_line1="2150 J Street",
        address_line2="Suite 200",
        city="Sacramento",
        state="CA",
        zip_code="95816-1234",
        phone="916-555-0142",
        submitter_id="RIVERBEND01",
        submitter_contact="Morgan Lee",
        submitter_phone="916-555-0142",
        receiver_id="DEMOCLEARHOUSE",
        receiver_name="Demo Clearinghouse (test files only)",
    )
    for name, payer_id in DEMO_PAYER_IDS.items():
        Payer.objects.filter(name=name, payer_id="").update(payer_id=payer_id)
    start = dt.date(timezone.localdate().year - 1, 1, 1)
    for row in charge_table(clinic_id=clinic.pk, day=timezone.localdate()):
        base = row.highest_allowed or Decimal(60)
        charge = (base * Decimal("1.5")).quantize(Decimal(1), rounding=ROUND_CEILING)
        charge_set(clinic=clinic, code=row.code, effective=start, charge=charge)
