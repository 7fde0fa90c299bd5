"""Template helpers of the code reference pages."""

import re
from collections.abc import Collection, Mapping
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from coding.sources import source_plain

register = template.Library()

_CODE = re.compile(r"\b([0-9A-Z][0-9]{3}[0-9A-Z])\b")


@register.filter(needs_autoescape=True)
def link_codes(text: str, known: Collection[str], autoescape: bool = True) -> SafeString:
    """Escape `text` and link every billing code in it that is in `known` to its page."""
    esc = conditional_escape if autoescape else (lambda s: s)
    parts = []
    last = 0
    for match in _CODE.finditer(text):
        code = match.group(1)
        if code not in known:
            continue
        parts.append(esc(text[last : match.start()]))
        parts.append(
            format_html(
                '<a href="{}" class="code-mono">{}</a>', reverse("code-detail", args=[code]), code
            )
        )
        last = match.end()
    parts.append(esc(text[last:]))
    return mark_safe("".join(str(p) for p in parts))  # every part is escaped above


@register.filter
def plain_source(text: str) -> str:
    """A reference row's source as users read it: no section of our own document, the CMS
    manuals by name (`coding.sources.source_plain`)."""
    return source_plain(text or "")


@register.filter
def item(mapping: Mapping[Any, Any] | None, key: object) -> Any:
    """``mapping[key]``, or None when it has no such key (a code's price on /codes/)."""
    return mapping.get(key) if mapping else None


@register.filter
def money(value: object) -> str:
    return f"${value:,.2f}"
