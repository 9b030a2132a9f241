#!/usr/bin/env python
"""Custom rules and checkpointed loops, side by side in one run.

    python -m benchmarks.control                       # both cases, the sizes below
    python -m benchmarks.control --cases s --steps 2000 --out /tmp/control.json

Case s: grad of a scan of STEPS steps whose carry holds CARRY floats and whose
body is the 4-op cycle of the other benchmarks (sin, ×1.01, +0.5, tanh): plain
(every step's residuals on the tape) against ``checkpoints=K`` (revolve), with
NumPy's forward loop and JAX's scan of ``jax.checkpoint(body)`` (jit) beside
them.  Times: median over interleaved rounds, as ratios to NumPy's forward.
Peak memory: each system's grad run once in a fresh process, measured by
tracemalloc (NumPy's arrays included) and by the growth of the process's
peak resident set (VmHWM) over the run, JAX's compilation included (the only
measure that sees JAX's buffers).

Case c: sin(x)·y as a custom_jvp function and as a custom_vjp function whose rules
compute what autodiff would, against the same computation written directly,
untraced and under grad, on 10,000 floats: the cost of the custom-rule machinery.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    from benchmarks.compare import _pin_environment
    _pin_environment()

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

STEPS, CARRY, K = 10_000, 10_000, 100


def _body(sin, tanh):
    def body(c, x):
        c = sin(c)
        c = c * 1.01
        c = c + 0.5
        return tanh(c), None
    return body


def scan_systems(steps, carry, k, only=None):
    """name -> zero-argument callable computing the case's result once (with ``only``,
    that system alone, JAX's not compiled yet: its first call compiles)."""
    import dualrev
    import dualrev.numpy as dnp
    c0 = np.linspace(-1.0, 1.0, carry)
    body_np = _body(np.sin, np.tanh)

    def numpy_forward():
        c = c0
        for _ in range(steps):
            c, _ = body_np(c, None)
        return np.sum(c)

    def loss(c, ck):
        c, _ = dualrev.lax.scan(_body(dnp.sin, dnp.tanh), c, None, length=steps,
                                checkpoints=ck)
        return dnp.sum(c)
    out = {"numpy forward": numpy_forward,
           "dualrev grad": lambda: dualrev.grad(loss)(c0, None),
           f"dualrev grad checkpoints={k}": lambda: dualrev.grad(loss)(c0, k)}
    name = "JAX jit grad, jax.checkpoint(body)"
    if only is not None and only != name:
        return {only: out[only]}
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return out
    jbody = jax.checkpoint(_body(jnp.sin, jnp.tanh))
    jgrad = jax.jit(jax.grad(lambda c: jnp.sum(jax.lax.scan(jbody, c, None, length=steps)[0])))
    jc0 = jnp.asarray(c0)
    if only is None:
        jgrad(jc0).block_until_ready()
    out[name] = lambda: jgrad(jc0).block_until_ready()
    return out if only is None else {name: out[name]}


def custom_systems(size=10_000):
    """f(x) = sum(sin(x) * y) three ways: written directly, as a custom_jvp function
    and as a custom_vjp function whose rules compute what autodiff would."""
    import dualrev
    import dualrev.numpy as dnp
    x, y = np.linspace(-3.0, 3.0, size), 2.0

    def direct(x, y):
        return dnp.sin(x) * y

    @dualrev.custom_jvp
    def by_jvp(x, y):
        return dnp.sin(x) * y

    @by_jvp.defjvp
    def _(primals, tangents):
        x, y = primals
        t, _ = tangents
        return by_jvp(x, y), t * (dnp.cos(x) * y)

    @dualrev.custom_vjp
    def by_vjp(x, y):
        return dnp.sin(x) * y
    by_vjp.defvjp(lambda x, y: (by_vjp(x, y), (dnp.cos(x), y)),
                  lambda r, g: (g * (r[0] * r[1]), None))
    out = {"numpy forward": lambda: np.sin(x) * y}
    for name, f in (("direct", direct), ("custom_jvp", by_jvp), ("custom_vjp", by_vjp)):
        out[f"{name} call"] = lambda f=f: f(x, y)
        out[f"{name} grad"] = lambda f=f: dualrev.grad(lambda x: dnp.sum(f(x, y)))(x)
    return out


def interleaved(systems, rounds, inner):
    """{name: median seconds per call}, the systems timed in rotating order each round."""
    names = list(systems)
    times = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            f = systems[n]
            t = time.perf_counter()
            for _ in range(inner):
                f()
            times[n].append((time.perf_counter() - t) / inner)
    return {n: float(np.median(v)) for n, v in times.items()}


_PEAK = r"""
import sys, tracemalloc, json

def hwm():      # this process's peak resident set, in kB (ru_maxrss would carry the parent's)
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))

sys.path.insert(0, {root!r})
from benchmarks.compare import _pin_environment
_pin_environment()
import numpy, dualrev
try:
    import jax
except ImportError:
    pass
from benchmarks.control import scan_systems
before = hwm()
f = scan_systems({steps}, {carry}, {k}, only={name!r})[{name!r}]
if {traced}:
    tracemalloc.start()
f()
if {traced}:
    print(json.dumps({{"tracemalloc_mb": tracemalloc.get_traced_memory()[1] / 2**20}}))
else:
    print(json.dumps({{"rss_peak_growth_mb": (hwm() - before) / 1024}}))
"""


def peak_memory(name, steps, carry, k):
    """Two fresh processes: one measures tracemalloc's peak, the other (without
    tracemalloc, whose own records would count) the growth of the peak resident set."""
    out = {}
    for traced in (True, False):
        code = _PEAK.format(root=ROOT, steps=steps, carry=carry, k=k, name=name,
                            traced=traced)
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout
        out.update(json.loads(res.strip().splitlines()[-1]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default="sc")
    ap.add_argument("--steps", type=int, default=STEPS)
    ap.add_argument("--carry", type=int, default=CARRY)
    ap.add_argument("--k", type=int, default=K)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out")
    a = ap.parse_args()
    report = {}
    if "s" in a.cases:
        systems = scan_systems(a.steps, a.carry, a.k)
        t = interleaved(systems, a.rounds, 1)
        base = t["numpy forward"]
        mem = {n: peak_memory(n, a.steps, a.carry, a.k) for n in systems}
        plain, ck = "dualrev grad", f"dualrev grad checkpoints={a.k}"
        report["scan"] = {
            "steps": a.steps, "carry": a.carry, "checkpoints": a.k,
            "seconds": t, "x numpy forward": {n: v / base for n, v in t.items()},
            "peak memory": mem,
            "time checkpointed / plain": t[ck] / t[plain],
            "tracemalloc peak checkpointed / plain":
                mem[ck]["tracemalloc_mb"] / mem[plain]["tracemalloc_mb"],
            "resident peak growth checkpointed / plain":
                mem[ck]["rss_peak_growth_mb"] / mem[plain]["rss_peak_growth_mb"]}
        print(json.dumps(report["scan"], indent=1))
    if "c" in a.cases:
        t = interleaved(custom_systems(), max(a.rounds, 15), 20)
        report["custom"] = {
            "seconds": t,
            "size": 10_000,
            **{f"{kind} / direct, {what}": t[f"{kind} {what}"] / t[f"direct {what}"]
               for kind in ("custom_jvp", "custom_vjp") for what in ("call", "grad")}}
        print(json.dumps(report["custom"], indent=1))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
