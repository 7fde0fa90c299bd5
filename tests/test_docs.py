"""docs/billing-rules.md is the project's own statement of the rules: every scrubber rule has a
row in its "Rules → code → tests" table, and the code cites it rather than a file outside the
repository."""

import re
from pathlib import Path

from claims import scrubber
from claims.scrubber import RULES

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "billing-rules.md"
CODE_DIRS = ("ptclinic", "coding", "claims")
OUTSIDE_CITATIONS = ("/work/shared", "../shared")
# A table row: | `rule-id` | section | code | tests |
ROW = re.compile(r"^\| `([a-z0-9-]+)` \| ([^|]*) \| ([^|]*) \| ([^|]*) \|$", re.MULTILINE)


def table_rows() -> dict[str, tuple[str, str, str]]:
    text = DOC.read_text()
    table = text[text.index("## Rules → code → tests") :]
    return {m[1]: (m[2], m[3], m[4]) for m in ROW.finditer(table)}


def test_the_docs_keep_the_section_numbers_the_code_cites() -> None:
    headings = re.findall(r"^## (\d+)\. ", DOC.read_text(), re.MULTILINE)
    assert headings == [str(n) for n in range(1, 13)]


def test_every_scrubber_rule_has_a_row_in_the_rules_table() -> None:
    rows = table_rows()
    missing = sorted(set(RULES) - set(rows))
    assert not missing, f"Add rows to the 'Rules → code → tests' table of {DOC}: {missing}"
    stale = sorted(set(rows) - set(RULES))
    assert not stale, f"The table of {DOC} has rows for rules that no longer exist: {stale}"


def test_the_rules_table_names_functions_and_tests_that_exist() -> None:
    for rule_id, (section, code, tests) in table_rows().items():
        assert section.startswith("§"), rule_id
        names = re.findall(r"`(_?[a-z_]+)`", code)
        assert names, f"{rule_id}: no function named in {code!r}"
        for name in names:
            assert hasattr(scrubber, name), f"{rule_id}: claims/scrubber.py has no {name}"
        for cited in re.findall(r"CASES\[([a-z0-9-]+)\]", tests):
            assert cited == rule_id, f"{rule_id}: cites the cases of {cited}"
    text = DOC.read_text()
    cited_tests = set(re.findall(r"`(test_[a-z0-9_]+)`", text[text.index("## Rules → code") :]))
    defined = {
        name
        for path in (REPO / "tests").rglob("test_*.py")
        for name in re.findall(r"^def (test_[a-z0-9_]+)\(", path.read_text(), re.MULTILINE)
    }
    unknown = sorted(cited_tests - defined)
    assert not unknown, f"{DOC} names tests that do not exist: {unknown}"


def test_no_code_cites_the_shared_spec_outside_the_repository() -> None:
    citing = sorted(
        str(path.relative_to(REPO))
        for directory in CODE_DIRS
        for path in (REPO / directory).rglob("*.py")
        if any(old in path.read_text() for old in OUTSIDE_CITATIONS)
    )
    assert not citing, f"Cite docs/billing-rules.md instead of the shared spec in: {citing}"


def test_the_readme_lists_every_environment_variable_the_settings_read() -> None:
    settings_text = (REPO / "ptclinic" / "settings.py").read_text()
    calls = r'(?:os\.environ\.get|env_bool|env_list)\(\s*"([A-Z0-9_]+)"'
    names = set(re.findall(calls, settings_text))
    names |= set(re.findall(r'"([A-Z0-9_]+)" in os\.environ', settings_text))
    names.add("DATABASE_URL")  # read by dj_database_url
    readme = (REPO / "README.md").read_text()
    table = re.findall(r"^\| `([A-Z0-9_]+)`", readme, re.MULTILINE)
    assert len(names) > 15, names
    missing = sorted(names - set(table))
    assert not missing, f"Add these to the README's table of environment variables: {missing}"
