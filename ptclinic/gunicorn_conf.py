"""gunicorn's settings for ptclinic: `gunicorn -c python:ptclinic.gunicorn_conf ptclinic.wsgi`.

Options on the command line (--bind, --workers) still win over these.

No `Server` header: gunicorn names itself and its version in every answer, which tells an
attacker what to try; the app controls this part of the stack, so it says nothing. (The TLS
proxy in front has its own: nginx's `server_tokens off;`.) gunicorn has no setting for it, so
the one method that writes the header line is wrapped to leave it out.
"""

from typing import Any

from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _without_server(self: Any) -> list[str]:
    return [line for line in _default_headers(self) if not line.startswith("Server:")]


wsgi.Response.default_headers = _without_server  # see above

worker_class = "sync"
timeout = 30
# The client's address for the access log is the one the proxy forwards (TRUSTED_PROXY_COUNT
# decides which part the app believes for lockouts).
forwarded_allow_ips = "127.0.0.1,::1"
