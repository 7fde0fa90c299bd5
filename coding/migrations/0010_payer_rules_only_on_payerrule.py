import datetime

from django.db import migrations, models

MOVED_FIELDS = (
    "unit_method",
    "daily_timed_unit_cap",
    "kx_applies",
    "applies_mppr",
    "applies_cq_reduction",
    "timely_filing_days",
)


def rules_for_every_payer(apps, schema_editor):
    """A payer added since 0006 (by the reference loader, which then still wrote the settings on
    the payer) gets its first dated rules from its settings, as 0006 gave the others, before the
    settings leave the payer: the rules then live in one place only."""
    Payer = apps.get_model("coding", "Payer")
    PayerRule = apps.get_model("coding", "PayerRule")
    for payer in Payer.objects.filter(rules__isnull=True):
        PayerRule.objects.create(
            payer=payer,
            effective=datetime.date(2000, 1, 1),
            **{name: getattr(payer, name) for name in MOVED_FIELDS},
            requires_plan_of_care=payer.kind != "self_pay",
            progress_report_visits=10 if payer.kind == "medicare" else None,
            certification_days=90 if payer.kind == "medicare" else None,
            source="Copied from the payer's settings when the rules moved to dated rows",
        )


def settings_from_rules(apps, schema_editor):
    """Going back: each payer's settings from its rules in force today (else its first)."""
    Payer = apps.get_model("coding", "Payer")
    today = datetime.date.today()
    for payer in Payer.objects.all():
        rules = list(payer.rules.order_by("effective"))
        if not rules:
            continue
        in_force = [r for r in rules if r.effective <= today] or rules[:1]
        for name in MOVED_FIELDS:
            setattr(payer, name, getattr(in_force[-1], name))
        payer.save(update_fields=list(MOVED_FIELDS))


# Defaults only so that the removal can be undone (the re-added columns need a value).
WITH_DEFAULTS = {
    "unit_method": models.CharField(default="cms", max_length=3),
    "kx_applies": models.BooleanField(default=False),
    "applies_mppr": models.BooleanField(default=False),
    "applies_cq_reduction": models.BooleanField(default=False),
}


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0009_locality_names_up_to_200"),
    ]

    operations = [
        migrations.RunPython(rules_for_every_payer, settings_from_rules),
        *(
            migrations.AlterField(model_name=model, name=name, field=field)
            for model in ("payer", "historicalpayer")
            for name, field in WITH_DEFAULTS.items()
        ),
        *(
            migrations.RemoveField(model_name=model, name=name)
            for model in ("payer", "historicalpayer")
            for name in MOVED_FIELDS
        ),
    ]
