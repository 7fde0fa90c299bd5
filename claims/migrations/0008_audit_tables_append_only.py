"""The access log, the claims' status moves and every kept history of a clinic record take
new rows only: on PostgreSQL a trigger refuses an UPDATE or DELETE of any row
(ptclinic/append_only.py)."""

from django.db import migrations

from ptclinic.append_only import append_only_operation

TABLES = [
    "claims_accessevent",
    "claims_claimevent",
    "claims_historicalpatient",
    "claims_historicalplanofcare",
    "claims_historicalauthorization",
    "claims_historicaltherapyamountused",
    "claims_historicaltreatmentsession",
    "claims_historicalsessionservice",
    "claims_historicalclaim",
    "claims_historicalclaimline",
    "claims_historicalclaimflag",
]


class Migration(migrations.Migration):
    dependencies = [("claims", "0007_remittances_payments_adjustments")]

    operations = [append_only_operation(*TABLES)]
