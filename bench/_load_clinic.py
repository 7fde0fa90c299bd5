"""The setup `batch_837p.py` and `post_835.py` share: the database in DATABASE_URL (default: a
throwaway SQLite file under var/bench/), migrated, with the reference data and, when it has no
load data yet, one load clinic from `manage.py generate_load_data` (realistic sessions and
claims; old ones approved). Not a benchmark itself (`make bench` skips files starting with _)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def load_clinic(*, lines: int) -> tuple[Any, Any]:
    """Django set up on the bench database; (the first load clinic, its owner's membership)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ptclinic.settings")
    if "DATABASE_URL" not in os.environ:
        (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'batch.sqlite3'}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)

    from ptclinic.models import Clinic, Membership, Role

    if not Clinic.objects.filter(name__startswith="Load clinic").exists():
        call_command(
            "generate_load_data",
            clinics=1,
            therapists=8,
            patients=400,
            lines=lines,
            verbosity=0,
        )
    clinic = Clinic.objects.filter(name__startswith="Load clinic").order_by("pk").first()
    assert clinic is not None
    owner = Membership.objects.filter(clinic=clinic, role=Role.OWNER).first()
    assert owner is not None
    return clinic, owner
