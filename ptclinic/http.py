"""Small request helpers shared by the apps' views."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The POSTed `next` when it is a path on this site, else `fallback`.

    Only paths: `redirect()` would take "home" or "1" for a view name (a 500), and a full URL
    could send the user to another site."""
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return fallback
