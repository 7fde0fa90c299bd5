"""The version stamp of the cached code tables (see `coding.models.ReferenceVersion`).

`bump()` runs after every save or delete of a cached table (signals, connected in
`CodingConfig.ready`), and bulk writers that bypass `save()` call it themselves. `current()` is
the one cheap read a request makes to know whether its process's copy is still good.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

CACHED_MODELS = (
    "BillingCode",
    "EditPair",
    "UnitLimit",
    "Payer",
    "PayerRule",  # a payer's dated rules: an admin's edit is seen on the next request
    "FeeYear",
    "FeeScheduleEntry",
    "Gpci",
    "RelativeValue",
    "Icd10Release",
    "ptclinic.Clinic",  # a clinic's Medicare locality prices its claims
    "ChargeMasterEntry",  # a clinic's charges are on every claim line
)


def current() -> str | None:
    """The stamp now (None before the first write: nothing may be cached then)."""
    from coding.models import ReferenceVersion

    return ReferenceVersion.objects.values_list("token", flat=True).filter(pk=1).first()


def bump() -> str:
    """Give the tables a new stamp (inside the caller's transaction: a rollback undoes it)."""
    from coding.models import ReferenceVersion

    token = uuid.uuid4().hex
    with transaction.atomic():
        updated = ReferenceVersion.objects.filter(pk=1).update(token=token)
        if not updated:
            ReferenceVersion.objects.update_or_create(pk=1, defaults={"token": token})
    return token


def _on_write(sender: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):  # loaddata: the fixture's own rows
        return
    bump()


def connect_signals() -> None:
    from django.apps import apps

    for name in CACHED_MODELS:
        model = apps.get_model(name) if "." in name else apps.get_model("coding", name)
        post_save.connect(_on_write, sender=model, dispatch_uid=f"refcache-save-{name}")
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"refcache-delete-{name}")
