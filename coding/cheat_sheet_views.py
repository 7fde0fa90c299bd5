"""The printable cheat sheet (`/codes/cheat-sheet/`; `coding.cheat_sheet` builds it).

Any signed-in user may read it, with or without a clinic: it shows the active clinic's amounts
(its Medicare locality), or national Medicare amounts without one.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from coding.cheat_sheet import cheat_sheet_build
from coding.views import fee_day_shown, fee_year_shown
from ptclinic.http import HtmxHttpRequest


@login_required
@require_GET
def cheat_sheet(request: HtmxHttpRequest) -> HttpResponse:
    day = fee_day_shown(fee_year_shown())
    sheet = cheat_sheet_build(clinic=request.clinic, day=day)
    return render(request, "coding/cheat_sheet.html", {"sheet": sheet})
