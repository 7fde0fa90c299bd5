"""Filters and searches of the code reference pages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import django_filters
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from coding.icd10_synonyms import synonym_match
from coding.models import (
    BillingCode,
    BillingCodeQuerySet,
    Category,
    Icd10Code,
    Icd10Term,
    code_key,
    next_prefix,
    title_terms,
)


class BillingCodeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="search")
    category = django_filters.ChoiceFilter(choices=Category.choices, empty_label="Any category")
    timed = django_filters.ChoiceFilter(
        label="Timed",
        choices=[("yes", "Timed (per 15 min)"), ("no", "Untimed")],
        empty_label="Timed or untimed",
        method="filter_timed",
    )

    class Meta:
        model = BillingCode
        fields = ["q", "category", "timed"]

    def search(self, queryset: BillingCodeQuerySet, name: str, value: str) -> BillingCodeQuerySet:
        """See `BillingCodeQuerySet.search`."""
        return queryset.search(value)

    def filter_timed(
        self, queryset: QuerySet[BillingCode], name: str, value: str
    ) -> QuerySet[BillingCode]:
        return queryset.filter(timed=value == "yes") if value in ("yes", "no") else queryset


# ---- ICD-10-CM search -----------------------------------------------------------------------

# An ICD-10-CM code as typed: a letter, a digit, then letters, digits or a dot ("M54", "s83.5").
ICD_CODE = re.compile(r"^[A-Za-z][0-9][0-9A-Za-z.]*$")
# Above this many title words starting with a prefix, the prefix counts as "common".
_COMMON = 2000


@dataclass
class Icd10Query:
    """A search of the ICD-10-CM table: code prefixes ("M54", "s83.5") and words of the title,
    each word a prefix of a title word ("knee pain", "frac fem"). Words a clinic uses for a
    diagnosis ("stroke", "TKA": `coding.icd10_synonyms`) bring the codes they mean first;
    ``synonyms`` are those codes' prefixes, narrowed by the ``other_words`` typed."""

    codes: list[str]
    words: list[str]
    synonyms: tuple[str, ...] = ()
    other_words: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Icd10Query:
        tokens = text.split()
        codes = [t for t in tokens if ICD_CODE.match(t)]
        plain = " ".join(t for t in tokens if not ICD_CODE.match(t))
        # The same words the index holds: lowercase, no stopwords, at least two characters.
        words = title_terms(plain)
        meant = synonym_match(plain)
        return cls(
            codes=codes,
            words=words,
            synonyms=meant.prefixes,
            other_words=title_terms(" ".join(meant.other_words)),
        )

    def __bool__(self) -> bool:
        return bool(self.codes or self.words)

    def matches(self, limit: int) -> tuple[list[Icd10Code], bool]:
        """Up to `limit` codes: first those the clinic's words mean (in the table's order of
        prefixes, then by code), then the codes whose titles hold the words; and whether more
        codes match. One range query per meant prefix, then the title-word search."""
        found: dict[int, Icd10Code] = {}
        for prefix in self.synonyms:
            if len(found) > limit:
                break
            codes = Icd10Code.objects.code_prefix(prefix)
            for code in self.codes:
                codes = codes.code_prefix(code)
            for word in self.other_words:
                codes = codes.filter(
                    Exists(_term_prefix(Icd10Term.objects.filter(icd=OuterRef("pk")), word))
                )
            for icd in codes.order_by("key")[: limit + 1 - len(found)]:
                found.setdefault(icd.pk, icd)
        if len(found) > limit:
            return list(found.values())[:limit], True
        by_words, more = self.title_matches(limit)
        for icd in by_words:
            found.setdefault(icd.pk, icd)
        ranked = list(found.values())
        return ranked[:limit], more or len(ranked) > limit

    def title_matches(self, limit: int) -> tuple[list[Icd10Code], bool]:
        """Up to `limit` matching codes in code order, and whether more codes match.

        Codes alone: a range on the key index, in code order. With words: the rarest word's
        range of the term index drives the query and every other word is checked per code
        through the (icd, term) index, so a common word ("unspecified", 29,000 codes) is never
        collected in full. When more than `limit` codes match, the ones returned are the first
        in that word's index order (by word, then code set order), sorted by code.
        """
        if not self.words:
            codes = Icd10Code.objects.all()
            for prefix in self.codes:
                codes = codes.code_prefix(prefix)
            found = list(codes.order_by("key")[: limit + 1])
            return found[:limit], len(found) > limit
        driver, *others = _rarest_first(self.words)
        terms = _term_prefix(Icd10Term.objects.all(), driver)
        for word in others:
            terms = terms.filter(
                Exists(_term_prefix(Icd10Term.objects.filter(icd=OuterRef("icd")), word))
            )
        for prefix in self.codes:
            key = code_key(prefix)
            terms = terms.filter(icd__key__gte=key, icd__key__lt=next_prefix(key))
        rows = list(terms.select_related("icd").order_by("term", "icd_id")[: limit + 1])
        by_icd = {row.icd_id: row.icd for row in rows}  # a title may hold two words of a prefix
        return sorted(list(by_icd.values())[:limit], key=lambda c: c.key), len(rows) > limit


def _term_prefix(terms: QuerySet[Icd10Term], word: str) -> QuerySet[Icd10Term]:
    return terms.filter(term__gte=word, term__lt=next_prefix(word))


def _rarest_first(words: list[str]) -> list[str]:
    """The words, the one starting the fewest title words first (counted up to _COMMON, ties to
    the longer word), in one query."""
    if len(words) < 2:
        return words
    table = connection.ops.quote_name(Icd10Term._meta.db_table)
    counts_sql = ", ".join(
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE term >= %s AND term < %s "
        f"LIMIT %s) AS w{i})"
        for i in range(len(words))
    )
    params: list[str | int] = []
    for word in words:
        params += [word, next_prefix(word), _COMMON + 1]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts_sql}", params)
        counts = cursor.fetchone()
    return [w for _, _, w in sorted(zip(counts, [-len(w) for w in words], words, strict=True))]
