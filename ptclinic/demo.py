"""Demo data: synthetic people only. `seed()` is idempotent: running it twice changes nothing
that a person would notice (passwords are reset to the published one)."""

from ptclinic.models import Credential, Role
from ptclinic.services import (
    clinic_get_or_create,
    clinic_update_settings,
    membership_ensure,
    user_ensure,
)

DEMO_PASSWORD = "ptclinic-demo"
DEMO_CLINIC = "Riverbend Physical Therapy (demo)"
OTHER_DEMO_CLINIC = "Summit Rehab (demo)"

DEMO_USERS_HELP = (
    ("demo-pt", "Dana Reyes, PT — enters treatment sessions"),
    ("demo-pta", "Sam Okafor, PTA — enters sessions furnished as an assistant"),
    ("demo-owner", "Morgan Lee — clinic owner: reviews claims (member of two clinics)"),
    ("demo-admin", "Alex Kim — edits the code tables"),
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
        username="demo-admin", password=DEMO_PASSWORD, first_name="Alex", last_name="Kim"
    )
    pt_member = membership_ensure(
        user=pt, clinic=clinic, role=Role.THERAPIST, credential=Credential.PT, npi="1679576722"
    )
    pta_member = membership_ensure(
        user=pta, clinic=clinic, role=Role.THERAPIST, credential=Credential.PTA
    )
    membership_ensure(user=owner, clinic=clinic, role=Role.OWNER)
    membership_ensure(user=owner, clinic=other, role=Role.OWNER)
    membership_ensure(user=admin, clinic=clinic, role=Role.ADMIN)
    from claims.demo import seed_clinic  # the clinical demo data builds on the users above

    clinical = seed_clinic(clinic=clinic, pt=pt_member, pta=pta_member, owner=owner)
    return [
        f"Clinics: {clinic.name}; {other.name}",
        "Users: " + ", ".join(u for u, _ in DEMO_USERS_HELP),
        *clinical,
    ]
