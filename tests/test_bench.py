"""`make bench` runs every benchmark there is (it once called a script that did not exist)."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_make_bench_runs_every_benchmark_of_the_folder() -> None:
    spec = importlib.util.spec_from_file_location("run_all", BENCH / "run_all.py")
    assert spec is not None and spec.loader is not None
    run_all = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_all)
    listed = {script for script, _ in run_all.SCRIPTS}
    present = {p.name for p in BENCH.glob("*.py") if not p.name.startswith("_")} - {"run_all.py"}
    assert listed == present
    assert "bench/run_all.py" in (BENCH.parent / "Makefile").read_text()
