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
