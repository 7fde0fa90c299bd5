"""The kinds of job there are: each app declares its own in its `jobs` module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import autodiscover_modules

if TYPE_CHECKING:
    from ptclinic.jobs.runner import JobContext


@dataclass(frozen=True)
class Outcome:
    """What a job's work came to: a sentence for the people who look, figures for the record,
    the page of what it made. `waiting`: the work was fanned out to child jobs, which finish
    the job when the last of them is done."""

    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    url: str = ""
    waiting: bool = False


class JobRefused(Exception):
    """A failure that trying again cannot mend (a payer's file that cannot be read): the job is
    failed at once, not retried, and its message is this exception's text, for the person who
    started it."""


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str
    run: Callable[[JobContext], Outcome]
    # A chunk of a fanned-out job adds its count to its parent's progress and finishes it last.
    chunk: bool = False
    # A fanned-out job's result, from its chunks' count and its seconds.
    summary: Callable[[int, float], str] = lambda count, seconds: f"{count:,} done."


_KINDS: dict[str, JobKind] = {}
_discovered = False


def job_kind(
    name: str,
    *,
    label: str,
    chunk: bool = False,
    summary: Callable[[int, float], str] | None = None,
) -> Callable[[Callable[[JobContext], Outcome]], Callable[[JobContext], Outcome]]:
    def register(run: Callable[[JobContext], Outcome]) -> Callable[[JobContext], Outcome]:
        extra = {"summary": summary} if summary else {}
        _KINDS[name] = JobKind(name=name, label=label, run=run, chunk=chunk, **extra)
        return run

    return register


def _discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("jobs")
        _discovered = True


def kind(name: str) -> JobKind:
    _discover()
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"No job kind {name!r}") from None


def kind_label(name: str) -> str:
    _discover()
    found = _KINDS.get(name)
    return found.label if found else name.replace("_", " ").capitalize()


def kinds() -> list[JobKind]:
    _discover()
    return sorted(_KINDS.values(), key=lambda k: k.label)
