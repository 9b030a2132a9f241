#!/usr/bin/env python
"""The working tree's dualrev against an older commit's, interleaved in one process.

    python benchmarks/old_vs_new.py --old c25c51f            # cases a c e f
    python benchmarks/old_vs_new.py --old HEAD~3 --cases af --rounds 40
    python benchmarks/old_vs_new.py --old HEAD~3 --cases bhik   # the 0-d chain, Jacobians,
                                                                # Hessian, sparse derivatives

The older package is extracted with ``git archive`` under the name
``dualrev_old`` (every import inside the package is relative, so both load
side by side).  Within one case, NumPy, the old and the new code are timed in
the same interleaved rounds (the starting system rotates), so machine noise
hits all three alike.  Reported per case: the median over rounds of each
version's ratio to NumPy, and the median of the paired new/old ratio.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    from benchmarks.compare import _pin_environment
    _pin_environment()

import argparse  # noqa: E402
import gc  # noqa: E402
import importlib  # noqa: E402
import subprocess  # noqa: E402
import tarfile  # noqa: E402
import tempfile  # noqa: E402
import io  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks import compare as C  # noqa: E402
from benchmarks import vectorize as V  # noqa: E402
from benchmarks._common import CHAIN_OPS, CHAIN_SIZE, chain_input  # noqa: E402

# Case b's 0-d chain, shorter than compare.py's 100,000 ops: the per-op cost is the same.
SHORT_LONG_OPS = 10_000
# Cases h and i at compare.py's small size; case k at a tenth of its n.
VECTOR_N, SPARSE_N = 100, 10_000


class _One:
    """The part of compare.Systems the builders read, for one dualrev package."""

    def __init__(self, pkg):
        self.mods = {"numpy": np, "dualrev": (pkg, importlib.import_module(pkg.__name__ + ".numpy"))}


def load_old(rev):
    """Import commit ``rev``'s dualrev as the package ``dualrev_old``."""
    tar = subprocess.run(["git", "archive", rev, "dualrev"], cwd=ROOT, capture_output=True,
                         check=True).stdout
    where = tempfile.mkdtemp(prefix="dualrev-old-")
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        t.extractall(where, filter="data")
    os.rename(os.path.join(where, "dualrev"), os.path.join(where, "dualrev_old"))
    sys.path.insert(0, where)
    return importlib.import_module("dualrev_old")


def _entries_for(key, systems):
    """(fn, args) of one case for one dualrev package (or NumPy's baseline)."""
    x = chain_input(CHAIN_SIZE)
    if key == "a":
        return {n: (C.build_grad(s, "dualrev", CHAIN_OPS), (x,)) for n, s in systems.items()}
    if key == "e":
        v = np.ones_like(x)
        return {n: (C.build_jvp(s, "dualrev", CHAIN_OPS), (x, v)) for n, s in systems.items()}
    if key == "g":
        xg = np.linspace(-2.0, 2.0, C.COMPLEX_SIZE)
        return {n: (C.build_complex(s, "dualrev"), (xg,)) for n, s in systems.items()}
    if key == "b":
        return {n: (C.build_grad(s, "dualrev", SHORT_LONG_OPS), (chain_input(0),))
                for n, s in systems.items()}
    if key in ("h jacfwd", "h jacrev"):
        A, xv = V.tanh_problem(VECTOR_N)
        return {n: (V.build_jacobian(s, "dualrev", key[2:], A), (xv,)) for n, s in systems.items()}
    if key == "i":
        A, xv = V.tanh_problem(VECTOR_N)
        return {n: (V.build_hessian(s, "dualrev", A), (xv,)) for n, s in systems.items()}
    if key in ("k jac", "k hess"):
        xk = V.sparse_input(SPARSE_N)
        out = {}
        for n, s in systems.items():
            dualrev, dnp = s.mods["dualrev"]
            sj, sh = V.sparse_api(dualrev)
            fn = (sj(V.make_stencil(dnp.sin, dnp.concatenate), format=V.SPARSE_FORMAT)
                  if key == "k jac" else sh(V.make_rosenbrock(dnp.sum), format=V.SPARSE_FORMAT))
            fn(xk)                                  # detection and coloring: the first call
            out[n] = (fn, (xk,))
        return out
    raise ValueError(key)


def _baseline(key):
    x = chain_input(CHAIN_SIZE)
    numpy_only = type("S", (), {"mods": {"numpy": np}})()
    if key in ("a", "e"):
        return C.build_grad(numpy_only, "numpy", CHAIN_OPS), (x,)
    if key == "b":
        return C.build_grad(numpy_only, "numpy", SHORT_LONG_OPS), (chain_input(0),)
    if key in ("h jacfwd", "h jacrev", "i"):
        A, xv = V.tanh_problem(VECTOR_N)
        f = V.make_tanh_map(np.tanh, A) if key != "i" else V.make_tanh_energy(np.tanh, np.sum, A)
        return f, (xv,)
    if key in ("k jac", "k hess"):
        f = (V.make_stencil(np.sin, np.concatenate) if key == "k jac"
             else V.make_rosenbrock(np.sum))
        return f, (V.sparse_input(SPARSE_N),)
    xg = np.linspace(-2.0, 2.0, C.COMPLEX_SIZE)
    return C.complex_loss(np.exp, np.abs, np.sum), (xg,)


def _paired(samples, a, b):
    return float(np.median([p / q for p, q in zip(samples[a][1], samples[b][1])]))


def run(key, systems, rounds, min_time):
    """{label: ratio} rows of one case."""
    rows = {}
    subcases = {"h": ("h jacfwd", "h jacrev"), "k": ("k jac", "k hess")}.get(key, (key,))
    if key in ("a", "b", "e", "g", "h", "i", "k"):
        for sub in subcases:
            entries = [("numpy",) + _baseline(sub)]
            entries += [(n, fn, args) for n, (fn, args) in _entries_for(sub, systems).items()]
            s = C.interleaved(entries, rounds, min_time)
            rows[sub] = {"old": _paired(s, "old", "numpy"), "new": _paired(s, "new", "numpy"),
                         "new/old": _paired(s, "new", "old")}
    elif key == "c":
        x = chain_input(CHAIN_SIZE)
        y = x + 1.0
        for op, args in (("sin", (x,)), ("add", (x, y)), ("sum", (x,))):
            entries = [("numpy", getattr(np, op), args)]
            entries += [(n, getattr(s.mods["dualrev"][1], op), args) for n, s in systems.items()]
            s = C.interleaved(entries, rounds, min_time / 4)
            rows[f"c {op}"] = {"old": _paired(s, "old", "numpy"), "new": _paired(s, "new", "numpy"),
                               "new/old": _paired(s, "new", "old")}
    elif key == "f":
        X, y, params = C.mlp_problem()
        base = C.build_mlp(None, "numpy", X, y, params)
        for flavour in ("dualrev", "dualrev-functional"):
            entries = [("numpy", base.fn, base.args)]
            for n, s in systems.items():
                r = C.build_mlp(s, flavour, X, y, params)
                r.fn(*r.args)
                entries.append((n, r.fn, r.args))
            s = C.interleaved(entries, rounds, min_time * 2.5)
            rows[f"f {flavour}"] = {"old": _paired(s, "old", "numpy"),
                                    "new": _paired(s, "new", "numpy"),
                                    "new/old": _paired(s, "new", "old")}
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--old", required=True, help="the commit to compare against")
    p.add_argument("--cases", default="acef", help="any of a b c e f g h i k (default acef)")
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--min-time", type=float, default=0.02)
    args = p.parse_args(argv)
    import dualrev
    systems = {"old": _One(load_old(args.old)), "new": _One(dualrev)}
    gc.collect()
    gc.freeze()
    print(f"old = {args.old}, new = working tree; ratios to NumPy, medians of "
          f"{args.rounds} interleaved rounds")
    print(f"  {'case':<22}{'old ×':>8}{'new ×':>8}{'new/old':>9}")
    for key in args.cases:
        for label, r in run(key, systems, args.rounds, args.min_time).items():
            print(f"  {label:<22}{r['old']:8.3f}{r['new']:8.3f}{r['new/old']:9.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
