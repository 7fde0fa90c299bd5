"""Every `# type: ignore` names the mypy error it silences and says why, on the same line:
`# type: ignore[attr-defined]  # simple_history reads it at save()`. A bare ignore hides any
error on its line, and an unexplained one cannot be judged when the code or the stubs change.
(In the app code mypy's warn_unused_ignores reports the ones no longer needed.)"""

import io
import re
import tokenize
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CODE_DIRS = ("ptclinic", "coding", "claims", "bench", "tests")
IGNORE = re.compile(r"type:\s*ignore")
# The whole comment: the ignore with its codes in brackets, then a second comment, the reason.
EXPLAINED = re.compile(r"^#\s*type:\s*ignore\[[^\]]+\]\s+#\s*\S")


def unexplained_ignores(source: str) -> list[int]:
    """The line numbers of the comments in `source` holding an ignore without codes or reason.

    Only real comments count (tokenize), not strings that mention an ignore."""
    lines = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        comment = token.string if token.type == tokenize.COMMENT else ""
        if IGNORE.search(comment) and not EXPLAINED.match(comment):
            lines.append(token.start[0])
    return lines


def test_the_check_tells_an_explained_ignore_from_the_others() -> None:
    source = (
        "a = 1  # type: ignore[attr-defined]  # simple_history reads it\n"
        "b = 2  # type: ignore\n"
        "c = 3  # type: ignore[attr-defined]\n"
        "d = 4  # type: ignore  # no code\n"
        "e = 5  # type: ignore[misc] #\n"
        "f = '# type: ignore'\n"
    )
    assert unexplained_ignores(source) == [2, 3, 4, 5]


def test_every_type_ignore_names_its_error_code_and_a_reason() -> None:
    found = []
    for folder in CODE_DIRS:
        for path in sorted((REPO / folder).rglob("*.py")):
            for line in unexplained_ignores(path.read_text()):
                found.append(f"{path.relative_to(REPO)}:{line}")
    where = "\n".join(found)
    assert not found, f"Write `# type: ignore[code]  # why` (or fix the type) at:\n{where}"
