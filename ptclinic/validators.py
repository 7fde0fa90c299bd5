"""National Provider Identifier check: ten digits, the last a Luhn check digit computed over the
first nine with the card-issuer prefix 80840 (CMS, "NPI check digit")."""

from django.core.exceptions import ValidationError


def npi_is_valid(npi: str) -> bool:
    if len(npi) != 10 or not (npi.isascii() and npi.isdigit()):  # int("²") fails
        return False
    total = 24  # the Luhn contribution of the constant prefix 80840
    for position, char in enumerate(reversed(npi[:9])):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def validate_npi(value: str) -> None:
    if not npi_is_valid(value):
        raise ValidationError(
            "%(value)s is not a valid NPI: it must be 10 digits with a correct check digit.",
            code="invalid_npi",
            params={"value": value},
        )


def validate_ein(value: str) -> None:
    """An employer identification number: nine digits (a dash after the second is allowed)."""
    from stdnum.us import ein

    if not ein.is_valid(value):
        raise ValidationError(
            "%(value)s is not a valid EIN: nine digits, e.g. 12-3456789.",
            code="invalid_ein",
            params={"value": value},
        )


def digits(value: str) -> str:
    return "".join(c for c in value if c.isascii() and c.isdigit())


def validate_zip(value: str) -> None:
    if len(digits(value)) not in (5, 9) or not all(c.isdigit() or c in " -" for c in value):
        raise ValidationError("A ZIP code is 5 digits or ZIP+4 (nine digits).", code="invalid_zip")


def validate_phone(value: str) -> None:
    if len(digits(value)) != 10 or not all(c.isdigit() or c in " ()-.+" for c in value):
        raise ValidationError(
            "A phone number is ten digits with its area code.", code="invalid_phone"
        )


US_STATES = frozenset(
    {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "PR", "VI", "GU", "AS", "MP",
    }
)  # fmt: skip


def validate_state(value: str) -> None:
    if value.upper() not in US_STATES:
        raise ValidationError(
            "%(value)s is not a US state: use its two letters (e.g. CA).",
            code="invalid_state",
            params={"value": value},
        )


def validate_taxonomy(value: str) -> None:
    if len(value) != 10 or not value[:9].isalnum() or value[-1] != "X" or not value.isascii():
        raise ValidationError(
            "A provider taxonomy code is ten characters ending in X (e.g. 225100000X).",
            code="invalid_taxonomy",
        )
