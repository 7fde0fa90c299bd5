"""Is an 837P file one a clearinghouse accepts? pyx12 against the 005010X222A1 map, plus ours.

`validate_837p` runs pyx12 (the X12 syntax, the TR3's segments, loops, element lengths and code
lists) and turns everything it found into sentences naming the segment: its number in the file
(the line number in files `claims.submission.x12` writes, one segment a line) and its id.
`validate_batch` adds `claims.submission.checks.check_batch`, the payer rules pyx12 does not
know.

pyx12 4.0 ships one 837P map, 005010X222A1 (the version HIPAA adopted). A file declaring another
837P version (005010X222, 005010X222A2) is reported as not validated, never passed.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from typing import Any

import pyx12.params
import pyx12.x12n_document

from claims.submission.checks import check_batch
from claims.submission.document import BatchDocument

VERSION = "005010X222A1"
ISA_LENGTH = 106  # the fixed-width ISA, its segment terminator included

# pyx12 logs every error it finds as well as returning it; without a handler Python prints them
# on stderr. The report carries them, so the log stays quiet unless the project routes it.
logging.getLogger("pyx12").addHandler(logging.NullHandler())


@dataclass(frozen=True)
class ValidationReport:
    valid: bool
    errors: tuple[str, ...]


def validate_837p(text: str) -> ValidationReport:
    """pyx12's verdict on one interchange, each error a sentence naming the segment."""
    text = text.removeprefix("\ufeff").lstrip()
    problems = _envelope_problems(text)
    if not problems:
        problems = _pyx12_problems(text, terminator=text[ISA_LENGTH - 1])
    return ValidationReport(valid=not problems, errors=tuple(problems))


def validate_batch(batch: BatchDocument, text: str) -> ValidationReport:
    """Our payer checks on the document, then pyx12 on the file written from it."""
    problems = [*check_batch(batch), *validate_837p(text).errors]
    return ValidationReport(valid=not problems, errors=tuple(problems))


def _envelope_problems(text: str) -> list[str]:
    """What stops pyx12 from choosing a map: not X12, or an 837P version it has no map for."""
    if not text.startswith("ISA") or len(text) < ISA_LENGTH:
        return ["The file does not start with an ISA interchange header, so it is not X12."]
    element, terminator = text[3], text[ISA_LENGTH - 1]
    if terminator.isalnum() or terminator == element:
        return [
            f"The ISA header is not 106 characters long (character 106 is {terminator!r}, "
            "where the segment terminator belongs); pad ISA06 and ISA08 to 15 characters."
        ]
    problems: list[str] = []
    groups = 0
    for segment in (part.strip() for part in text.split(terminator)):
        elements = segment.split(element)
        if elements[0] == "GS":
            groups += 1
            code = _element(elements, 1)
            version = _element(elements, 8)
            if code != "HC":
                problems.append(
                    f"Functional group {_element(elements, 6)} is {code!r}, not HC (health "
                    "care claim); this validator checks 837P claim files only."
                )
            elif version != VERSION:
                problems.append(
                    f"Functional group {_element(elements, 6)} declares version {version!r}; "
                    f"pyx12 has no map for it (it has {VERSION}, the 837P version HIPAA "
                    "adopted), so the file was not validated. Send it as "
                    f"{VERSION}, or check it with a validator that knows {version}."
                )
    if not groups:
        problems.append("The file has no GS functional group; an 837P needs one.")
    return problems


def pyx12_problems(text: str) -> list[str]:
    """pyx12's findings on any X12 file it has a map for (an 835 as well as an 837P), as
    sentences naming the segment."""
    text = text.removeprefix("\ufeff").lstrip()
    return _pyx12_problems(text, terminator=text[ISA_LENGTH - 1])


def _pyx12_problems(text: str, *, terminator: str) -> list[str]:
    done = [0]  # segments of the file pyx12 has finished

    def follow(segment: Any, source: Any, node: Any, valid: bool) -> None:
        # Remember where pyx12 got to, so a crash inside it can name the segment.
        done[0] = source.get_cur_line()

    errors = io.StringIO()
    try:
        accepted = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), None, None, fd_json=errors, callback=follow
        )
    except Exception as error:  # pyx12 raises IndexError etc. on some malformed segments
        segments = [part.strip() for part in text.split(terminator) if part.strip()]
        culprit = segments[done[0]] if done[0] < len(segments) else "the end of the file"
        return [
            f"Segment {done[0] + 1} of the file ({culprit[:80]}): pyx12 stopped reading "
            f"({type(error).__name__}: {error}); check that segment's elements and "
            "components against the 837P guide."
        ]
    problems = _sentences(errors.getvalue())
    if not accepted and not problems:
        problems.append("pyx12 rejected the file without naming an error; read it by hand.")
    return problems


def _sentences(report: str) -> list[str]:
    """pyx12's JSON error tree (interchange → group → transaction → segment → element) as
    sentences, in file order, each once."""
    if not report:
        return []
    sentences: list[str] = []
    for interchange in json.loads(report)["interchanges"]:
        where = f"Interchange {interchange['isa_trn_set_id']}"
        sentences += [_sentence(where, error) for error in interchange["errors"]]
        for group in interchange["groups"]:
            where = f"Functional group {group['gs_control_num']}"
            sentences += [_sentence(where, error) for error in group["errors"]]
            for transaction in group["transactions"]:
                where = f"Transaction set {transaction['trn_set_control_num']}"
                sentences += [_sentence(where, error) for error in transaction["errors"]]
                for segment in transaction["segments"]:
                    where = (
                        f"Segment {segment['cur_line']} of the file ({segment['seg_id']}; "
                        f"{segment['seg_count']} of the transaction set)"
                    )
                    sentences += [_sentence(where, error) for error in segment["errors"]]
                    for element in segment["elements"]:
                        sentences += [_sentence(where, error) for error in element["errors"]]
    return list(dict.fromkeys(sentences))


def _sentence(where: str, error: dict[str, Any]) -> str:
    message = " ".join(str(error["err_str"]).split())
    if not message.endswith("."):
        message += "."
    return f"{where}: {message}"


def _element(elements: list[str], position: int) -> str:
    return elements[position] if position < len(elements) else ""
