"""Mutation scores of the pure rule modules, with "message mutants" counted apart.

Run after `mutmut run` (see docs/mutation-testing.md):

    .venv/bin/python scripts/mutation_report.py              # the table
    .venv/bin/python scripts/mutation_report.py --survivors  # and every surviving mutant's diff

A *message mutant* only changes the text of a message or explanation: a finding's message or
fix, a warning's or note's message, an explanation step, a rule source citation, or a helper that
only formats text (`_plural`, `_money`, ...). They are classified from the mutation's place in
the code (see `is_message`), not by running them. Every other mutant changes what the rules
decide; the target is to kill at least 90% of those per module.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from difflib import unified_diff
from pathlib import Path

import libcst as cst

ROOT = Path(__file__).resolve().parents[1]
MODULES = (
    "coding/units.py",
    "coding/modifiers.py",
    "coding/pricing.py",
    "coding/code_groups.py",
    "claims/scrubber.py",
    "claims/pipeline.py",
    "claims/lifecycle.py",
    "claims/submission/readiness.py",
    "claims/remittance/posting.py",
)
# Functions whose only output is text for a message or explanation.
FORMATTERS = {
    "coding/units.py": {"_plural", "_average", "minutes_range", "xǁ_Collectorǁstep"},
    "coding/pricing.py": {"_money", "_exact", "_percent", "_units"},
    "claims/scrubber.py": {"_n", "_clip", "_claim_names"},
    "claims/pipeline.py": {"_describe"},
}
# Calls whose arguments at these positions (or with these keywords) are message text.
MESSAGE_ARGS: dict[str, tuple[set[int], set[str]]] = {
    "ctx.add": ({1, 2}, {"message", "fix"}),
    "out.warn": ({2, 3}, {"message", "rule"}),
    "out.step": ({0, 1}, {"text", "rule"}),
    "self.step": ({0, 1}, {"text", "rule"}),
    "Step": ({0, 1}, {"text", "rule"}),
    "Note": ({1, 2}, {"message", "rule"}),
    "Finding": (set(), {"message", "fix", "source"}),
    "UnitsWarning": (set(), {"message", "rule"}),
    "steps.append": ({0}, set()),
    "out.steps.append": ({0}, set()),
}
# Local variables that only feed a message (per function).
MESSAGE_LOCALS: dict[str, set[str]] = {
    "x__check_necessity": {"problems", "quoted"},
    "x__check_diagnoses": {"kind"},
    "x__check_pt_only": {"who"},
    "x__check_units": {"method", "share", "context"},
    "x__check_gp": {"what", "others"},
    "x__check_cq": {"fix", "minutes", "pta"},
    "x__check_kx": {"amounts"},
    "x__check_timely_filing": {"window"},
    "x__check_same_day_claims": {"names"},
    "x__check_copied": {"how"},
    "x__check_kept_off": set(),
    "x__settle_tie": {"who", "step"},
    "x__allocate_cms": {"parts", "equation", "blocks", "rule", "given"},
    "x__allocate_untimed": {"minutes_note"},
    "x__warn_zero_units": {"message"},
    "x_compute_expected_amount": {"sum_text"},
    "x__validate_request": {"label"},
    "x__check_plan_of_care": {"late"},
}


@dataclass
class Mutant:
    module: str
    name: str
    status: str
    message: bool
    diff: str


def call_name(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{call_name(node.value)}.{node.attr.value}"
    return ""


def first_difference(
    a: cst.CSTNode, b: cst.CSTNode, path: tuple[cst.CSTNode, ...] = ()
) -> tuple[cst.CSTNode, cst.CSTNode, tuple[cst.CSTNode, ...]]:
    """The smallest node of `a` that differs from `b`, with its ancestors."""
    ac, bc = a.children, b.children
    if type(a) is not type(b) or len(ac) != len(bc):
        return a, b, path
    differing = [(x, y) for x, y in zip(ac, bc, strict=True) if not x.deep_equals(y)]
    if len(differing) != 1:
        return a, b, path
    return first_difference(*differing[0], (*path, a))


def arg_position(call: cst.Call, arg: cst.CSTNode) -> tuple[int, str | None]:
    for i, candidate in enumerate(call.args):
        if candidate is arg:
            return i, candidate.keyword.value if candidate.keyword else None
    return -1, None


def removed_position(orig: cst.Call, mutant: cst.Call) -> int:
    for i, (x, y) in enumerate(zip(orig.args, mutant.args, strict=False)):
        if not x.value.deep_equals(y.value):
            return i
    return len(mutant.args)


def in_message_call(node: cst.CSTNode, mutant: cst.CSTNode, path: tuple[cst.CSTNode, ...]) -> bool:
    chain = (*path, node)
    for i, ancestor in enumerate(chain):
        if not isinstance(ancestor, cst.Call):
            continue
        positions, keywords = MESSAGE_ARGS.get(call_name(ancestor.func), (None, None))
        if positions is None or keywords is None:
            continue
        if ancestor is node:  # the call itself changed: an argument was removed
            return isinstance(mutant, cst.Call) and removed_position(ancestor, mutant) in positions
        child = chain[i + 1]
        if isinstance(child, cst.Arg):
            index, keyword = arg_position(ancestor, child)
            if keyword in keywords or (keyword is None and index in positions):
                return True
    return False


def assigns_message_local(path: tuple[cst.CSTNode, ...], function: str) -> bool:
    names = MESSAGE_LOCALS.get(function, set())
    for ancestor in path:
        if isinstance(ancestor, cst.Assign | cst.AnnAssign | cst.AugAssign):
            targets = (
                [t.target for t in ancestor.targets]
                if isinstance(ancestor, cst.Assign)
                else [ancestor.target]
            )
            if any(isinstance(t, cst.Name) and t.value in names for t in targets):
                return True
    return False


def is_message(
    module: str,
    function: str,
    orig: cst.CSTNode,
    mutant: cst.CSTNode,
    path: tuple[cst.CSTNode, ...],
) -> bool:
    if function.removeprefix("x_") in FORMATTERS.get(module, set()):
        return True
    if any(isinstance(p, cst.FormattedString) for p in (*path, orig)):
        # pipeline's line key f"{code}-CQ" is data, not text
        return not any(
            isinstance(p, cst.Assign)
            and any(isinstance(t.target, cst.Name) and t.target.value == "key" for t in p.targets)
            for p in path
        )
    if in_message_call(orig, mutant, path):
        return True
    if assigns_message_local(path, function):
        return True
    if isinstance(orig, cst.SimpleString):
        text = orig.evaluated_value
        in_concat = any(isinstance(p, cst.ConcatenatedString) for p in path)
        return isinstance(text, str) and " " in text.strip() and (in_concat or len(text) > 12)
    return False


def load(module: str) -> list[Mutant]:
    meta = json.loads((ROOT / "mutants" / f"{module}.meta").read_text())
    tree = cst.parse_module((ROOT / "mutants" / module).read_text())
    functions: dict[str, cst.FunctionDef] = {}
    for node in tree.body:
        if isinstance(node, cst.FunctionDef):
            functions[node.name.value] = node
        elif isinstance(node, cst.ClassDef) and isinstance(node.body, cst.IndentedBlock):
            for method in node.body.body:
                if isinstance(method, cst.FunctionDef):
                    functions[method.name.value] = method
    found = []
    for key, code in meta["exit_code_by_key"].items():
        local = key.rpartition(".")[2]
        base = local.rpartition("__mutmut_")[0]
        orig_fn, mutant_fn = functions[f"{base}__mutmut_orig"], functions[local]
        mutant_fn = mutant_fn.with_changes(name=orig_fn.name)
        orig_node, mutant_node, path = first_difference(orig_fn, mutant_fn)
        diff = "\n".join(
            line
            for line in unified_diff(
                cst.Module([orig_fn]).code.splitlines(),
                cst.Module([mutant_fn]).code.splitlines(),
                lineterm="",
                n=0,
            )
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        )
        found.append(
            Mutant(
                module=module,
                name=key,
                status=STATUS.get(code, "suspicious"),
                message=is_message(module, base, orig_node, mutant_node, path),
                diff=diff,
            )
        )
    return found


STATUS = {
    1: "killed",
    3: "killed",
    0: "survived",
    None: "not checked",
    5: "no tests",
    33: "no tests",
}
STATUS |= {24: "timeout", -24: "timeout", 36: "timeout", 152: "timeout", 255: "timeout"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true", help="print each survivor's diff")
    args = parser.parse_args()
    if not (ROOT / "mutants").is_dir():
        print("No mutants/ directory: run `mutmut run` first.", file=sys.stderr)
        return 1
    print(
        f"{'module':<22} {'killed/total':>14} {'%':>6} {'message':>8} "
        f"{'killed/non-message':>19} {'%':>6} {'not run':>8}"
    )
    survivors: list[Mutant] = []
    for module in MODULES:
        mutants = load(module)
        killed = [m for m in mutants if m.status in ("killed", "timeout")]
        other = [m for m in mutants if not m.message]
        other_killed = [m for m in killed if not m.message]
        not_run = sum(1 for m in mutants if m.status == "not checked")
        print(
            f"{module:<22} {len(killed):>6}/{len(mutants):<7} {pct(killed, mutants):>6} "
            f"{len(mutants) - len(other):>8} {len(other_killed):>9}/{len(other):<9} "
            f"{pct(other_killed, other):>6} {not_run:>8}"
        )
        survivors += [m for m in mutants if m.status in ("survived", "no tests", "suspicious")]
    if args.survivors:
        for m in sorted(survivors, key=lambda m: (m.module, m.message, m.name)):
            kind = "message" if m.message else "NON-MESSAGE"
            print(f"\n# {m.name} ({m.status}, {kind})\n{m.diff}")
    return 0


def pct(part: list[Mutant], whole: list[Mutant]) -> str:
    return f"{100 * len(part) / len(whole):.1f}" if whole else "-"


if __name__ == "__main__":
    raise SystemExit(main())
