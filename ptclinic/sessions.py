"""Session store: Django's database sessions, remembering when the stored session expires, so
that `ptclinic.middleware.SessionRenewalMiddleware` saves a session again only when it is due."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.sessions.backends import db


class SessionStore(db.SessionStore):
    stored_expiry: dt.datetime | None = None

    def _get_session_from_db(self) -> Any:
        session = super()._get_session_from_db()  # type: ignore[misc]  # private, not in the stubs
        self.stored_expiry = session.expire_date if session is not None else None
        return session
