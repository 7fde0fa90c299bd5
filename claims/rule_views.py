"""The rule catalogue (`/rules/`): every check the scrubber makes, grouped by family, with what it
checks and why payers care, the fix and the source in plain words (`claims.rule_help`).

Any signed-in user may read it, with or without a clinic: it holds no clinic data. Each rule is
an anchor (`/rules/#<rule id>`), where the "Why?" link of every finding lands. `?q=` filters the
rules without JavaScript; the same URL answers an htmx request with the results partial.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from claims.rule_help import rule_catalogue
from claims.scrubber import RULES
from ptclinic.http import HtmxHttpRequest, wants_partial

QUERY_MAX = 100


@login_required
@require_GET
@vary_on_headers("HX-Request")
def rule_list(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:QUERY_MAX]
    groups = rule_catalogue(query)
    context = {
        "q": query,
        "groups": groups,
        "shown": sum(len(group.entries) for group in groups),
        "total": len(RULES),
    }
    template = "claims/rule_list.html"
    if wants_partial(request):
        template += "#rule-results"
    return render(request, template, context)
