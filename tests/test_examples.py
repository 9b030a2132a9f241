"""The examples run to completion and report what they promise."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(script, *args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    return subprocess.run([sys.executable, str(ROOT / "examples" / script), *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)


def test_seed_walkthrough_matches_every_step():
    r = run("seed_walkthrough.py")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "MISMATCH" not in r.stdout
    assert "Every step matches the walkthrough." in r.stdout
    for n in range(1, 12):
        assert f"\n{n}. " in r.stdout, f"step {n} missing from the walkthrough's output"


@pytest.mark.parametrize("script", ["quickstart.py"])
def test_quickstart_runs(script):
    r = run(script)
    assert r.returncode == 0, r.stdout + r.stderr


def test_train_mlp_reaches_95_percent():
    r = run("train_mlp.py")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("epoch")]
    assert len(lines) == 30, "one progress line per epoch"
    acc = float(r.stdout.split("final test accuracy")[1].strip().rstrip("%"))
    assert acc > 95.0


def test_distributed_least_squares_fits_the_model():
    pytest.importorskip("dask.distributed")
    r = run("distributed_least_squares.py", "--rows", "100000", "--chunk", "25000",
            "--steps", "3")
    assert r.returncode == 0, r.stdout + r.stderr
    steps = [ln for ln in r.stdout.splitlines() if ln.startswith("step")]
    assert len(steps) == 3, "one progress line per step"
    assert "in 4 chunks" in r.stdout
    assert float(r.stdout.split("largest error:")[1]) < 0.01
