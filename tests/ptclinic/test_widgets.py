"""FastSelect draws the same <select> as Django's template-rendered Select."""

from typing import Any

import pytest
from django import forms
from django.utils.safestring import mark_safe

from ptclinic.widgets import FastSelect

CHOICES: list[Any] = [
    ("", "Any"),
    ("a", "Alpha & <b>"),
    ("b", 'Quote "b"'),
    ("Group", [("c", "Gamma"), ("d", "Delta")]),
    (7, "Seven"),
    ("s", mark_safe("<i>already safe</i>")),
    ("<&>", "odd value"),
]


@pytest.mark.parametrize(
    ("value", "attrs"),
    [
        (None, None),
        ("b", {"class": "form-select", "required": True, "aria-invalid": False}),
        ("c", {"id": "id_x", "data-x": 'a"b&c'}),
        ("<&>", {"hx-get": "/x/?a=1&b=2"}),
        (7, None),
    ],
)
def test_fast_select_writes_what_the_django_templates_write(value: Any, attrs: Any) -> None:
    expected = forms.Select(choices=CHOICES).render("x", value, attrs)
    assert FastSelect(choices=CHOICES).render("x", value, attrs) == expected


def test_fast_select_marks_several_selected_options_like_django() -> None:
    class Multi(FastSelect):
        allow_multiple_selected = True

    expected = forms.SelectMultiple(choices=CHOICES).render("x", ["a", "d"])
    assert Multi(choices=CHOICES).render("x", ["a", "d"]) == expected
