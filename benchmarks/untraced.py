#!/usr/bin/env python
"""The cost of dualrev's functions on untraced NumPy arrays, against NumPy's own.

    python benchmarks/untraced.py [--rounds 7] [--only linalg.] [--out papers/data/untraced.json]

Every case of the primitive table (tests/table.py) is written once over an array
namespace ``m``; called with ``m = numpy`` it is the bare NumPy (or SciPy) call that
the dualrev call with ``m = dualrev.numpy`` stands for.  Both run on the case's NumPy
inputs, nothing traced, interleaved round by round; the figure is the median over
rounds of the paired ratio.  A case whose function cannot be spelled with NumPy alone
(a transformation inside it, a dualrev-only helper) is left out and counted.  The
target: every function's untraced call within 1.5x NumPy's; the report lists each
function's worst case.
"""
import argparse
import json
import os
import sys
import timeit

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for p in (ROOT, os.path.join(ROOT, "tests")):
    if p not in sys.path:
        sys.path.insert(0, p)

TARGET = 1.5


def _same(a, b):
    if isinstance(a, (tuple, list)):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and all(map(_same, a, b))
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.allclose(a, b, equal_nan=True)


def _number(fn, min_time=2e-3):
    n = 1
    while True:
        t = timeit.timeit(fn, number=n)
        if t >= min_time or n >= 1 << 20:
            return n
        n *= 2 if t == 0 else max(2, int(min_time / t * 1.2))


def measure(case, rounds, np_ns, dnp):
    """(ratio, numpy seconds per call) for the case, or (None, why)."""
    args = case.inputs()
    try:
        want = case.fn(np_ns, *args)
        got = case.fn(dnp, *args)
    except Exception as e:  # noqa: BLE001 - a case NumPy alone cannot run
        return None, f"{type(e).__name__}: {str(e).splitlines()[0][:80]}"
    if not _same(got, want):
        return None, "NumPy's spelling of the case computes something else"
    calls = {"numpy": lambda: case.fn(np_ns, *args), "dualrev": lambda: case.fn(dnp, *args)}
    number = _number(calls["numpy"])
    samples = {k: [] for k in calls}
    for r in range(rounds):
        order = list(calls) if r % 2 == 0 else list(calls)[::-1]
        for k in order:
            samples[k].append(timeit.timeit(calls[k], number=number) / number)
    ratio = float(np.median([d / n for d, n in zip(samples["dualrev"], samples["numpy"])]))
    return ratio, float(np.median(samples["numpy"]))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--only", default="", help="registered names starting with this")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import dualrev.numpy as dnp
    import test_primitives  # noqa: F401  (loads every case of the table)
    from table import TABLE

    worst, skipped = {}, {}
    for name in sorted(TABLE):
        if not name.startswith(args.only):
            continue
        for case in TABLE[name]:
            ratio, info = measure(case, args.rounds, np, dnp)
            if ratio is None:
                skipped[case.id] = info
                continue
            if name not in worst or ratio > worst[name][0]:
                worst[name] = (ratio, info, case.name)
    print(f"{'function':28s} {'worst case':32s} {'NumPy µs':>9s} {'× NumPy':>8s}")
    for name, (ratio, t, cname) in sorted(worst.items(), key=lambda kv: -kv[1][0]):
        flag = "" if ratio <= TARGET else f"  > {TARGET}×"
        print(f"{name:28s} {cname:32s} {t * 1e6:9.2f} {ratio:8.2f}{flag}")
    over = sorted(n for n, (r, _, _) in worst.items() if r > TARGET)
    print(f"\n{len(worst)} functions timed, {len(skipped)} cases left out (not expressible "
          f"with NumPy alone); over {TARGET}×: {over or 'none'}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"worst": {k: {"ratio": v[0], "numpy_s": v[1], "case": v[2]}
                                 for k, v in worst.items()},
                       "skipped": skipped, "rounds": args.rounds}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
