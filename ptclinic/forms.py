from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    """Django's login form with the username's length checked.

    AuthenticationForm sets the username's max_length after building the field, so the length is
    never validated: a 30,000-character username reached authenticate(), and django-axes' record of
    the failed login (a 255-character column) was a 500 on PostgreSQL."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))  # type: ignore[attr-defined]
