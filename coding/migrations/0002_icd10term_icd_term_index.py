"""An index on (icd, term) for the ICD-10-CM word search: with several words, the rarest word's
range of the (term, icd) index drives the query, and each other word is checked per code by a
seek on this index, without touching the table (bench/icd10_search.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("coding", "0001_code_tables")]

    operations = [
        migrations.AddIndex(
            model_name="icd10term",
            index=models.Index(fields=["icd", "term"], name="icd10term_icd_term"),
        ),
    ]
