"""Payers' remittances (X12 835): reading, posting, and what their codes mean."""
