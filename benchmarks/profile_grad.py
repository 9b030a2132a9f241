#!/usr/bin/env python
"""Where the time of dualrev.grad goes, on benchmark case a (or b with --long).

    python benchmarks/profile_grad.py            # 200-op chain, 16 elements
    python benchmarks/profile_grad.py --long     # 100,000-op chain, 0-d array

Prints two things:

1. A phase breakdown from plain timings (no profiler overhead): NumPy's
   forward, the same arithmetic a hand-written backward needs (the floor
   for any reverse mode that calls NumPy once per operation), and dualrev's
   phases timed one by one: recording the forward pass (dualrev.vjp), the
   backward sweep (calling its pullback), dropping the tape, and the whole
   dualrev.grad (which frees the tape during its sweep).
2. cProfile's table, by own time.  NumPy ufuncs are not Python functions
   and are not profiled on their own: their time is counted in the own
   time of the function that calls them (Tape.process for the forward
   pass, the VJP rule lambdas for the backward pass).

Import-safe: asv imports this module when it collects the suite.
"""
import os
import sys

if __name__ == "__main__":
    for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_v] = "1"

import argparse  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks._common import CHAIN_OPS, CHAIN_SIZE, LONG_OPS, chain_input, make_chain  # noqa: E402


def _backward_arithmetic(n_ops):
    """The NumPy calls a reverse sweep of the chain makes, on saved values, as one function."""
    reps = n_ops // 4

    def sweep(saved):
        g = np.float64(1.0) if saved[0][0].ndim == 0 else np.ones_like(saved[0][0])
        for x_in, t in reversed(saved):
            g = g * (1 - t * t)        # tanh: g·(1 − ans²)
            g = g * 1.01               # ×1.01
            g = g * np.cos(x_in)       # sin: g·cos(x)
        return g

    def saved_of(x):
        out = []
        for _ in range(reps):
            s = np.sin(x)
            t = np.tanh(s * 1.01 + 0.5)
            out.append((x, t))
            x = t
        return out
    return sweep, saved_of


def _best(fn, args, number, repeat):
    t = timeit.Timer(lambda: fn(*args))
    return min(t.repeat(repeat=repeat, number=number)) / number


def _phase_times(f_dnp, x, number, repeat):
    """Best-of-repeat seconds per call of: recording (vjp), the pullback call, dropping the tape."""
    import dualrev
    best = [float("inf")] * 3
    for _ in range(repeat):
        tot = [0.0, 0.0, 0.0]
        for _ in range(number):
            t0 = time.perf_counter()
            out, pull = dualrev.vjp(f_dnp, x)
            t1 = time.perf_counter()
            pull(1.0)
            t2 = time.perf_counter()
            del pull
            t3 = time.perf_counter()
            tot[0] += t1 - t0
            tot[1] += t2 - t1
            tot[2] += t3 - t2
        best = [min(b, t / number) for b, t in zip(best, tot)]
    return best


def phases(n_ops, size, number, repeat):
    import dualrev
    import dualrev.numpy as dnp
    x = chain_input(size)
    f_np = make_chain(np.sin, np.tanh, np.sum, n_ops)
    f_dnp = make_chain(dnp.sin, dnp.tanh, dnp.sum, n_ops)
    grad = dualrev.grad(f_dnp)
    sweep, saved_of = _backward_arithmetic(n_ops)
    saved = saved_of(x)
    grad(x)
    rec, back, drop = _phase_times(f_dnp, x, number, repeat)
    rows = [
        ("NumPy forward (the baseline)", _best(f_np, (x,), number, repeat)),
        ("NumPy backward arithmetic alone (hand-written sweep)", _best(sweep, (saved,), number, repeat)),
        ("dualrev: record the forward pass (vjp)", rec),
        ("dualrev: backward sweep (calling the pullback)", back),
        ("dualrev: dropping the recorded tape", drop),
        ("dualrev.grad, all of it", _best(grad, (x,), number, repeat)),
    ]
    base = rows[0][1]
    rows.append(("=> NumPy arithmetic floor (forward + backward)", rows[0][1] + rows[1][1]))
    print(f"\nphases, {n_ops:,}-op chain, size {size or '0-d'} (best of {repeat} × {number}):")
    for name, t in rows:
        print(f"  {name:<55} {t * 1e6:>12.1f} µs  {t * 1e6 / n_ops:7.3f} µs/op  {t / base:6.2f}× NumPy")
    reps = max(2, repeat // 2)
    gc_on = _best(grad, (x,), 1, reps)
    gc.disable()
    try:
        gc_off = _best(grad, (x,), 1, reps)
    finally:
        gc.enable()
    print(f"  dualrev.grad with the cyclic GC off: {gc_off * 1e6:.1f} µs "
          f"(on: {gc_on * 1e6:.1f} µs; best of {reps} single calls)")


def profile(n_ops, size, calls, top):
    import dualrev
    import dualrev.numpy as dnp
    x = chain_input(size)
    grad = dualrev.grad(make_chain(dnp.sin, dnp.tanh, dnp.sum, n_ops))
    grad(x)
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(calls):
        grad(x)
    pr.disable()
    s = io.StringIO()
    pstats.Stats(pr, stream=s).strip_dirs().sort_stats("tottime").print_stats(top)
    print(f"\ncProfile of {calls} × dualrev.grad, by own time (ufunc time is in the caller's):")
    print(s.getvalue())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--long", action="store_true", help="case b: 100,000-op chain on a 0-d array")
    p.add_argument("--top", type=int, default=20, help="rows of the cProfile table")
    args = p.parse_args(argv)
    if args.long:
        phases(LONG_OPS, 0, number=1, repeat=3)
        profile(LONG_OPS, 0, calls=1, top=args.top)
    else:
        phases(CHAIN_OPS, CHAIN_SIZE, number=200, repeat=7)
        profile(CHAIN_OPS, CHAIN_SIZE, calls=500, top=args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
