#!/usr/bin/env python
"""Side-by-side timings and memory of dualrev, plain NumPy and other AD systems.

    python benchmarks/compare.py            # full run (a few minutes)
    python benchmarks/compare.py --quick    # smoke run (well under a minute)

Everything runs in float64 on one thread.  Within one case the systems are
interleaved: each round times every system once (the starting system
rotates from round to round) and the reported figure is the median over
rounds.  Ratios are taken to plain NumPy running the same function, measured
in the same rounds: the ratio of each round's pair, then the median.

Cases (see papers/performance.md):
  a  grad of a 200-op elementwise chain on 16-element arrays, ending in a sum
  b  grad of a 100,000-op chain on a 0-d array (µs per op)
  c  a dualrev.numpy call on plain NumPy arrays, nothing traced
  d  memory of grad of a 1,000-op chain on 1e5-element arrays (subprocesses)
  e  jvp of the 200-op chain
  f  one training step (forward, backward, SGD update) of a 784-256-256-10 tanh MLP,
     batch 128, against NumPy running the forward pass and loss alone
  g  grad of sum(abs(exp(1j * x) * x) ** 2) on 1e5 float64 elements: a real input
     through complex intermediates
  h  jacfwd and jacrev of tanh(A @ x), n = 1000 and n = 100
  i  hessian of sum(tanh(A @ x) ** 2), n = 100
  j  per-example gradients (vmap of grad) of case f's MLP beside the batch's grad
  k  sparse_jacobian / sparse_hessian of tridiagonal problems, n = 100,000 (dualrev alone)
  l  grad of a Gaussian-process negative log marginal likelihood (cholesky,
     solve_triangular, log det), n = 200
  m  grad of a spectral loss through rfft / irfft on 2^16 samples
  n  grad of a logsumexp Gaussian-mixture log-likelihood on 1e5 points
  (h-k are built in benchmarks/vectorize.py, l-n in benchmarks/models.py)

Results are printed as tables and written as JSON (--out); papers/make_tables.py
turns that JSON into the tables of papers/performance.md.

This module is imported (not run) when asv collects the benchmarks package,
so everything that does work lives in functions.
"""
import os
import sys

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
_XLA_ONE_THREAD = ("--xla_cpu_multi_thread_eigen=false", "intra_op_parallelism_threads=1")


def _pin_environment():
    """One thread everywhere, float64 JAX on the CPU.  Must run before numpy is imported."""
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    flags = os.environ.get("XLA_FLAGS", "").split()
    for f in _XLA_ONE_THREAD:
        if not any(g.split("=")[0] == f.split("=")[0] for g in flags):
            flags.append(f)
    os.environ["XLA_FLAGS"] = " ".join(flags)
    os.environ["JAX_PLATFORMS"] = "cpu"
    os.environ["JAX_ENABLE_X64"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


if __name__ == "__main__":
    _pin_environment()
    # benchmarks.vectorize imports this module's helpers: let it find this one, not a second copy
    sys.modules.setdefault("benchmarks.compare", sys.modules[__name__])

import argparse  # noqa: E402
import gc  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks._common import (CHAIN_OPS, CHAIN_SIZE, LONG_OPS, MEM_OPS, MEM_SIZE,  # noqa: E402
                                chain_input, make_chain, reference_grad, reference_jvp)

SYSTEMS = ("numpy", "dualrev", "autograd", "torch", "jax", "jax-jit")
LABELS = {
    "numpy": "NumPy",
    "dualrev": "dualrev",
    "autograd": "HIPS autograd",
    "torch": "PyTorch eager",
    "jax": "JAX eager",
    "jax-jit": "JAX jit",
    # case f only
    "numpy-step": "NumPy, hand-written step",
    "dualrev-functional": "dualrev functional",
}
DEFAULT_OUT = os.path.join(ROOT, "papers", "data", "compare.json")
QUICK_OUT = os.path.join(ROOT, "papers", "data", "compare-quick.json")  # smoke runs never overwrite the full results

# Targets for dualrev, from the benchmark plan: (metric, limit, description).
TARGETS = {
    "a": ("ratio", 5.0, "grad of the {n:,}-op chain ≤ 5× NumPy forward"),
    "b": ("us_per_op", 3.0, "grad of the {n:,}-op chain on a 0-d array ≤ 3 µs per op"),
    "c": ("ratio", 1.5, "dnp call on untraced arrays ≤ 1.5× the bare NumPy call (worst op)"),
    "d": ("peak_arrays", 300.0, "grad of the {n:,}-op chain on {size:,}-element arrays: "
                                "≤ ~300 arrays alive at the peak (target set for 1,000 ops)"),
    "d_freed": ("retained_arrays", 2.0, "tape freed: ≤ 2 arrays alive once grad returns "
                                        "(the gradient itself is 1)"),
    "e": ("ratio", 4.0, "jvp of the {n:,}-op chain ≤ 4× NumPy forward"),
    "f": ("ratio", 2.5, "MLP training step (nn + optim.SGD, {layers}, batch {size}) "
                        "≤ 2.5× NumPy forward"),
    # cases h-k (benchmarks/vectorize.py); "× peer": the median over rounds of dualrev's time
    # over the peer's, both measured in the same rounds (= the ratio of their ratios to NumPy)
    "h1000_jacfwd": ("× peer", 1.0, "jacfwd of tanh(A @ x), n = {n:,}: ≤ JAX jit's jacfwd"),
    "h1000_jacrev": ("× peer", 1.0, "jacrev of tanh(A @ x), n = {n:,}: ≤ JAX jit's jacrev"),
    "h100_jacfwd": ("× peer", 2.0, "jacfwd of tanh(A @ x), n = {n:,}: ≤ 2× torch.func.jacfwd"),
    "h100_jacrev": ("× peer", 2.0, "jacrev of tanh(A @ x), n = {n:,}: ≤ 2× torch.func.jacrev"),
    "i": ("× peer", 1.0, "hessian of sum(tanh(A @ x) ** 2), n = {n:,}: ≤ torch.func.hessian"),
    "j": ("× own grad", 3.0, "per-example grads, vmap(grad) ({layers}, batch {size}) "
                             "≤ 3× grad of the batch's mean loss"),
    "k_jac": ("ratio", 30.0, "sparse_jacobian of the tridiagonal stencil, n = {n:,}, "
                             "later calls ≤ 30× NumPy forward"),
    "k_hess": ("ratio", 30.0, "sparse_hessian of the Rosenbrock chain, n = {n:,}, "
                              "later calls ≤ 30× NumPy forward"),
    # cases l-n (benchmarks/models.py): "× peer" as above, the peer PyTorch eager
    "l": ("× peer", 1.5, "grad of a Gaussian-process NLL (cholesky, solve_triangular), "
                         "n = 200: ≤ 1.5× PyTorch eager"),
    "m": ("× peer", 1.5, "grad of a spectral loss through rfft/irfft, 2^16 samples: "
                         "≤ 1.5× PyTorch eager"),
    "n": ("× peer", 1.5, "grad of a Gaussian-mixture log-likelihood (logsumexp), 1e5 points: "
                         "≤ 1.5× PyTorch eager"),
}
VECTOR_CASES = "hijk"
MODEL_CASES = "lmn"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- systems

class Systems:
    """The importable systems, their modules and versions; the rest with a reason."""

    def __init__(self, wanted):
        self.mods = {}
        self.versions = {"numpy": np.__version__}
        self.skipped = {}
        for name in wanted:
            try:
                self._load(name)
            except Exception as e:  # a missing or broken peer is skipped, not fatal
                self.skipped[name] = f"not importable ({type(e).__name__}: {e})".strip()

    def _load(self, name):
        if name == "numpy":
            self.mods[name] = np
        elif name == "dualrev":
            import dualrev
            import dualrev.numpy as dnp
            self.mods[name] = (dualrev, dnp)
            self.versions[name] = getattr(dualrev, "__version__", "?")
        elif name == "autograd":
            import autograd
            import autograd.numpy as anp
            self.mods[name] = (autograd, anp)
            self.versions[name] = _dist_version("autograd")
        elif name == "torch":
            import torch
            import torch.func  # noqa: F401
            torch.set_num_threads(1)
            try:
                torch.set_num_interop_threads(1)
            except RuntimeError:  # already fixed by earlier parallel work
                pass
            self.mods[name] = torch
            self.versions[name] = torch.__version__
        elif name in ("jax", "jax-jit"):
            import jax
            import jax.numpy as jnp
            jax.config.update("jax_enable_x64", True)
            platform_ = jax.devices()[0].platform
            if platform_ != "cpu":
                raise RuntimeError(f"JAX runs on {platform_}, not the CPU")
            self.mods[name] = (jax, jnp)
            self.versions[name] = jax.__version__
        else:
            raise ValueError(f"unknown system {name!r}")

    def __contains__(self, name):
        return name in self.mods


def _dist_version(name):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:
        return "?"


def build_grad(systems, name, n_ops):
    """A function x -> gradient (a NumPy array) of the n_ops chain; NumPy: the forward value."""
    m = systems.mods[name]
    if name == "numpy":
        return make_chain(np.sin, np.tanh, np.sum, n_ops)
    if name == "dualrev":
        dualrev, dnp = m
        return dualrev.grad(make_chain(dnp.sin, dnp.tanh, dnp.sum, n_ops))
    if name == "autograd":
        autograd, anp = m
        return autograd.grad(make_chain(anp.sin, anp.tanh, anp.sum, n_ops))
    if name == "torch":
        torch = m
        f = make_chain(torch.sin, torch.tanh, torch.sum, n_ops)

        def torch_grad(x):
            xt = torch.from_numpy(x).requires_grad_(True)
            (g,) = torch.autograd.grad(f(xt), xt)
            return g.numpy()
        return torch_grad
    jax, jnp = m
    g = jax.grad(make_chain(jnp.sin, jnp.tanh, jnp.sum, n_ops))
    if name == "jax-jit":
        g = jax.jit(g)
    return lambda x: np.asarray(g(x))


def build_jvp(systems, name, n_ops):
    """A function (x, v) -> (f(x), f'(x)·v) as NumPy values; NumPy: the forward value."""
    m = systems.mods[name]
    if name == "numpy":
        return make_chain(np.sin, np.tanh, np.sum, n_ops)
    if name == "dualrev":
        dualrev, dnp = m
        f = make_chain(dnp.sin, dnp.tanh, dnp.sum, n_ops)
        return lambda x, v: dualrev.jvp(f, (x,), (v,))
    if name == "autograd":
        autograd, anp = m
        fj = autograd.make_jvp(make_chain(anp.sin, anp.tanh, anp.sum, n_ops))
        return lambda x, v: fj(x)(v)
    if name == "torch":
        torch = m
        f = make_chain(torch.sin, torch.tanh, torch.sum, n_ops)

        def torch_jvp(x, v):
            out, t = torch.func.jvp(f, (torch.from_numpy(x),), (torch.from_numpy(v),))
            return out.numpy(), t.numpy()
        return torch_jvp
    jax, jnp = m
    f = make_chain(jnp.sin, jnp.tanh, jnp.sum, n_ops)

    def jax_jvp(x, v):
        return jax.jvp(f, (x,), (v,))
    if name == "jax-jit":
        jax_jvp = jax.jit(jax_jvp)
    return lambda x, v: tuple(np.asarray(r) for r in jax_jvp(x, v))


def untraced_calls(systems, name):
    """{op: (function, args)} for case c: sin, add and sum on 16-element arrays."""
    if name == "numpy":
        mod = np
    elif name == "dualrev":
        mod = systems.mods[name][1]
    elif name == "autograd":
        mod = systems.mods[name][1]
    else:
        return None
    x = chain_input(CHAIN_SIZE)
    y = x + 1.0
    return {"sin": (mod.sin, (x,)), "add": (mod.add, (x, y)), "sum": (mod.sum, (x,))}


COMPLEX_SIZE = 100_000


def complex_loss(exp, abs_, total):
    """Case g: a real loss of a real input through complex intermediates (= sum(x²))."""
    def loss(x):
        return total(abs_(exp(1j * x) * x) ** 2)
    return loss


def build_complex(systems, name):
    """A function x -> the gradient of complex_loss (NumPy: the loss alone)."""
    m = systems.mods[name]
    if name == "numpy":
        return complex_loss(np.exp, np.abs, np.sum)
    if name == "dualrev":
        dualrev, dnp = m
        return dualrev.grad(complex_loss(dnp.exp, dnp.abs, dnp.sum))
    if name == "autograd":
        autograd, anp = m
        return autograd.grad(complex_loss(anp.exp, anp.abs, anp.sum))
    if name == "torch":
        torch = m
        f = complex_loss(torch.exp, torch.abs, torch.sum)

        def torch_grad(x):
            xt = torch.from_numpy(x).requires_grad_(True)
            (g,) = torch.autograd.grad(f(xt), xt)
            return g.numpy()
        return torch_grad
    jax, jnp = m
    g = jax.grad(complex_loss(jnp.exp, jnp.abs, jnp.sum))
    if name == "jax-jit":
        g = jax.jit(g)
    return lambda x: np.asarray(g(x))


def case_complex(systems, rounds, min_time):
    """Case g: every system's gradient must be 2x before it is timed."""
    x = np.linspace(-2.0, 2.0, COMPLEX_SIZE)
    entries, checks, extra = [], {}, {}
    for name in SYSTEMS:
        if name not in systems:
            continue
        fn = build_complex(systems, name)
        t0 = time.perf_counter()
        out = fn(x)
        first = time.perf_counter() - t0
        if name != "numpy":
            checks[name] = _agrees(out, 2 * x, rtol=1e-9, atol=1e-12)
        if name == "jax-jit":
            extra[name] = {"first_call_s": first}
        entries.append((name, fn, (x,)))
        log(f"  [g] {name}: ready (first call {first * 1e3:.1f} ms)")
    rows = _rows_from(interleaved(entries, rounds, min_time), "numpy", {k: 1 for k, _, _ in entries})
    for name, ok in checks.items():
        rows[name]["agrees"] = ok
    for name, e in extra.items():
        rows[name].update(e)
    return rows, {}


# ----------------------------------------------------------------------------- timing

def _timer(fn, args):
    """A timeit.Timer calling fn(*args) with the arguments bound as names (no *-unpacking).

    The garbage collector stays on during timing, as in a normal program;
    it is run between samples so that one system's garbage is not collected
    on another's time.
    """
    names = [f"a{i}" for i in range(len(args))]
    env = dict(zip(names, args), fn=fn)
    return timeit.Timer(f"fn({', '.join(names)})", setup="import gc; gc.enable()", globals=env)


def _calibrate(timer, min_time, fixed=None):
    """Calls per sample so that one sample takes about min_time seconds."""
    if fixed:
        return fixed
    n = 1
    while True:
        dt = timer.timeit(n)
        if dt >= min_time / 5 or n >= 10 ** 7:
            return max(1, int(math.ceil(n * min_time / max(dt, 1e-9))))
        n *= 10


def interleaved(entries, rounds, min_time, fixed_number=None):
    """Time every entry once per round, rotating the starting entry each round.

    ``entries`` is a list of (key, fn, args).  Returns {key: (number, [seconds per call per round])}.
    """
    timers = [(k, _timer(fn, args)) for k, fn, args in entries]
    numbers = {k: _calibrate(t, min_time, fixed_number) for k, t in timers}
    samples = {k: [] for k, _ in timers}
    for r in range(rounds):
        shift = r % len(timers)
        for k, t in timers[shift:] + timers[:shift]:
            gc.collect()
            samples[k].append(t.timeit(numbers[k]) / numbers[k])
    return {k: (numbers[k], samples[k]) for k, _ in timers}


def _summary(samples):
    s = np.asarray(samples)
    q1, med, q3 = np.percentile(s, [25, 50, 75])
    return {"median_s": float(med), "min_s": float(s.min()),
            "iqr_rel": float((q3 - q1) / med) if med > 0 else 0.0, "rounds": len(s)}


def _rows_from(samples, base_key, per_op):
    """Rows with medians, µs per op and paired ratios to the baseline entry."""
    _, base = samples[base_key]
    rows = {}
    for key, (number, s) in samples.items():
        ops = per_op[key]
        ratios = [(a / ops) / (b / per_op[base_key]) for a, b in zip(s, base)]
        row = _summary(s)
        row.update(number=number, n_ops=ops, us_per_op=row["median_s"] * 1e6 / ops,
                   ratio=float(np.median(ratios)),
                   ratio_min=float((min(s) / ops) / (min(base) / per_op[base_key])),
                   samples_s=[float(v) for v in s])
        rows[key] = row
    return rows


def _agrees(a, b, rtol=1e-6, atol=1e-12):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return bool(a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol))


def case_grad(systems, key, n_ops, size, rounds, min_time, fixed_number=None, n_override=None,
              exclude=None):
    """Cases a and b: grad of the chain, NumPy forward as the baseline."""
    exclude = exclude or {}
    x = chain_input(size)
    skipped = {}
    entries, per_op, checks, extra = [], {}, {}, {}
    ref_cache = {}
    for name in SYSTEMS:
        if name not in systems:
            continue
        if name in exclude:
            skipped[name] = exclude[name]
            continue
        n = (n_override or {}).get(name, n_ops)
        fn = build_grad(systems, name, n)
        t0 = time.perf_counter()
        out = fn(x)  # first call: warm-up, compile for jit, correctness check
        first = time.perf_counter() - t0
        if name != "numpy":
            if n not in ref_cache:
                ref_cache[n] = reference_grad(x, n)
            checks[name] = _agrees(out, ref_cache[n])
            if name == "jax-jit":
                extra[name] = {"first_call_s": first}
        entries.append((name, fn, (x,)))
        per_op[name] = n
        log(f"  [{key}] {name}: ready (first call {first * 1e3:.1f} ms)")
    samples = interleaved(entries, rounds, min_time, fixed_number)
    rows = _rows_from(samples, "numpy", per_op)
    for name, ok in checks.items():
        rows[name]["agrees"] = ok
    for name, e in extra.items():
        rows[name].update(e)
    return rows, skipped


def case_jvp(systems, n_ops, size, rounds, min_time):
    """Case e: jvp of the chain, NumPy forward as the baseline."""
    x = chain_input(size)
    v = np.ones_like(x)
    ref = reference_jvp(x, v, n_ops)
    entries, per_op, checks, extra = [], {}, {}, {}
    for name in SYSTEMS:
        if name not in systems:
            continue
        fn = build_jvp(systems, name, n_ops)
        t0 = time.perf_counter()
        if name == "numpy":
            fn(x)
            entries.append((name, fn, (x,)))
        else:
            out = fn(x, v)
            checks[name] = _agrees(out[0], ref[0]) and _agrees(out[1], ref[1])
            entries.append((name, fn, (x, v)))
        first = time.perf_counter() - t0
        if name == "jax-jit":
            extra[name] = {"first_call_s": first}
        per_op[name] = n_ops
        log(f"  [e] {name}: ready (first call {first * 1e3:.1f} ms)")
    rows = _rows_from(interleaved(entries, rounds, min_time), "numpy", per_op)
    for name, ok in checks.items():
        rows[name]["agrees"] = ok
    for name, e in extra.items():
        rows[name].update(e)
    return rows, {}


def case_untraced(systems, rounds, min_time):
    """Case c: dnp (and autograd.numpy) on plain arrays vs the bare NumPy call."""
    calls, skipped = {}, {}
    for name in SYSTEMS:
        if name not in systems:
            continue
        c = untraced_calls(systems, name)
        if c is None:
            skipped[name] = "not applicable (no NumPy-compatible namespace for NumPy arrays)"
        else:
            calls[name] = c
    entries = []
    for op in calls["numpy"]:
        for name, c in calls.items():
            fn, args = c[op]
            entries.append(((name, op), fn, args))
    samples = interleaved(entries, rounds, min_time)
    rows = {}
    for op in calls["numpy"]:
        sub = {name: samples[(name, op)] for name in calls}
        for name, row in _rows_from(sub, "numpy", {n: 1 for n in calls}).items():
            row["ns_per_call"] = row["median_s"] * 1e9
            rows.setdefault(name, {})[op] = row
    for name, per in rows.items():
        rs = [r["ratio"] for r in per.values()]
        per["geomean_ratio"] = float(np.exp(np.mean(np.log(rs))))
        per["max_ratio"] = float(max(rs))
    return rows, skipped


# ----------------------------------------------------------------------------- MLP step (case f)
#
# One training step of a tanh MLP, written the way each system's users write
# it.  The functions are module-level (none named time_*), so the asv suite
# (bench_mlp.py) runs exactly the same workload.

MLP_SIZES = (784, 256, 256, 10)   # Linear, tanh, Linear, tanh, Linear
MLP_BATCH = 128
MLP_LR = 0.01
MLP_SEED = 0
MLP_SYSTEMS = ("numpy", "numpy-step", "dualrev", "dualrev-functional", "autograd", "torch",
               "jax-jit")


def mlp_problem(seed=MLP_SEED, sizes=MLP_SIZES, batch=MLP_BATCH):
    """``(X, y, params)``: float64 inputs (batch, sizes[0]), int64 labels, and
    ``params = [(W, b), ...]`` with W of shape (out, in), initialised as
    PyTorch's Linear (uniform on ±1/sqrt(in)).  Every system starts from copies."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, sizes[0]))
    y = rng.integers(0, sizes[-1], batch)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / math.sqrt(fan_in)
        params.append((rng.uniform(-bound, bound, (fan_out, fan_in)),
                       rng.uniform(-bound, bound, fan_out)))
    return X, y, params


def _copy_params(params):
    return [(W.copy(), b.copy()) for W, b in params]


def _flat(params):
    return [a for layer in params for a in layer]


def mlp_logits(tanh, params, h):
    """The MLP's logits for inputs h: affine layers with ``tanh`` between them."""
    last = len(params) - 1
    for i, (W, b) in enumerate(params):
        h = h @ W.T + b
        if i < last:
            h = tanh(h)
    return h


def make_mlp_loss(xp, stop=None):
    """``loss(params, X, y)``: the MLP's mean softmax cross-entropy, with ``xp``'s
    tanh/max/exp/log/sum/mean; ``stop`` keeps the max of the stable log-softmax
    out of the derivative (as the systems' own logsumexp do)."""
    stop = stop or (lambda v: v)

    def mlp_loss(params, X, y):
        h = mlp_logits(xp.tanh, params, X)
        m = stop(xp.max(h, axis=1, keepdims=True))
        logp = h - (xp.log(xp.sum(xp.exp(h - m), axis=1, keepdims=True)) + m)
        return -xp.mean(logp[xp.arange(X.shape[0]), y])
    return mlp_loss


numpy_mlp_forward = make_mlp_loss(np)


def numpy_mlp_step(params, X, y, lr=MLP_LR):
    """One SGD step by hand in NumPy: forward, backward, update in place; returns the loss.

    The arithmetic alone: no gradient with respect to X, the softmax
    reused from the forward pass.
    """
    acts = [X]
    h = X
    last = len(params) - 1
    for i, (W, b) in enumerate(params):
        h = h @ W.T + b
        if i < last:
            h = np.tanh(h)
            acts.append(h)
    m = np.max(h, axis=1, keepdims=True)
    e = np.exp(h - m)
    s = np.sum(e, axis=1, keepdims=True)
    logp = h - (np.log(s) + m)
    rows = np.arange(X.shape[0])
    loss = -np.mean(logp[rows, y])
    g = e / s                          # d loss / d logits: (softmax - onehot) / n
    g[rows, y] -= 1.0
    g /= X.shape[0]
    for i in range(last, -1, -1):
        W, b = params[i]
        a = acts[i]
        gW = g.T @ a
        gb = np.sum(g, axis=0)
        if i:
            g = (g @ W) * (1.0 - a * a)   # through the tanh that made a
        W -= lr * gW
        b -= lr * gb
    return loss


class MLPRun:
    """One system's MLP workload: ``fn(*args)`` is timed; ``loss(out)`` is the
    loss it returned as a float; ``weights()`` the current parameters as NumPy
    arrays in the order W1, b1, W2, b2, ... (None for the forward pass)."""

    def __init__(self, fn, args, loss=float, weights=None):
        self.fn, self.args, self.loss, self.weights = fn, args, loss, weights


def dualrev_mlp(dualrev, X, y, params, lr=MLP_LR, device="cpu"):
    """dualrev's imperative layer, as a PyTorch user writes the step (on ``device``)."""
    nn, F = dualrev.nn, dualrev.nn.functional
    sizes = [params[0][0].shape[1]] + [W.shape[0] for W, _ in params]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [nn.Linear(n_in, n_out)] + ([nn.Tanh()] if i < len(params) - 1 else [])
    model = nn.Sequential(*layers).double()
    model.load_state_dict({f"{2 * i}.{k}": dualrev.tensor(a)
                           for i, (W, b) in enumerate(params) for k, a in (("weight", W), ("bias", b))})
    if device != "cpu":
        model.to(device)
        opt = dualrev.optim.SGD(model.parameters(), lr=lr)
        run = _imperative_run(model, opt, F, dualrev.tensor(X, device=device),
                              dualrev.tensor(y, device=device))
        run.weights = lambda: [p.detach().cpu().numpy().copy() for p in model.parameters()]
        return run
    opt = dualrev.optim.SGD(model.parameters(), lr=lr)
    return _imperative_run(model, opt, F, dualrev.from_numpy(X), dualrev.from_numpy(y))


def _imperative_run(model, opt, F, X, y):
    """The PyTorch-style step: the same code runs dualrev's imperative layer and PyTorch."""
    def step(X, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
        return loss

    return MLPRun(step, (X, y), lambda out: out.item(),
                  lambda: [p.detach().numpy().copy() for p in model.parameters()])


def dualrev_functional_mlp(dualrev, dnp, X, y, params, lr=MLP_LR):
    """dualrev.value_and_grad of a dualrev.numpy loss; the update in NumPy, in place."""
    return _functional_sgd(dualrev.value_and_grad(make_mlp_loss(dnp, dualrev.stop_gradient)),
                           X, y, params, lr)


def _autograd_mlp(m, X, y, params, lr):
    autograd, anp = m
    from autograd.tracer import getval
    return _functional_sgd(autograd.value_and_grad(make_mlp_loss(anp, getval)),
                           X, y, params, lr)


def _functional_sgd(vg, X, y, params, lr):
    """A step of a functional system: vg gives (loss, grads); the update in NumPy, in place."""
    p = _copy_params(params)

    def step(X, y):
        loss, grads = vg(p, X, y)
        for (W, b), (gW, gb) in zip(p, grads):
            W -= lr * gW
            b -= lr * gb
        return loss

    return MLPRun(step, (X, y), float, lambda: [a.copy() for a in _flat(p)])


def _torch_mlp(torch, X, y, params, lr, device="cpu"):
    """The step in PyTorch eager, its model and data on ``device``."""
    nn = torch.nn
    layers = []
    for i, (W, b) in enumerate(params):
        layers += [nn.Linear(W.shape[1], W.shape[0])] + ([nn.Tanh()] if i < len(params) - 1 else [])
    model = nn.Sequential(*layers).double()
    with torch.no_grad():
        for i, (W, b) in enumerate(params):
            model[2 * i].weight.copy_(torch.from_numpy(W))
            model[2 * i].bias.copy_(torch.from_numpy(b))
    model.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    run = _imperative_run(model, opt, torch.nn.functional, torch.from_numpy(X).to(device),
                          torch.from_numpy(y).to(device))
    run.weights = lambda: [p.detach().cpu().numpy().copy() for p in model.parameters()]
    return run


def _jax_jit_mlp(m, X, y, params, lr):
    jax, jnp = m
    loss_fn = make_mlp_loss(jnp, jax.lax.stop_gradient)

    @jax.jit
    def update(p, X, y):
        loss, grads = jax.value_and_grad(loss_fn)(p, X, y)
        return jax.tree_util.tree_map(lambda a, g: a - lr * g, p, grads), loss

    state = [[(jnp.asarray(W), jnp.asarray(b)) for W, b in params]]

    def step(X, y):
        state[0], loss = update(state[0], X, y)
        return loss.block_until_ready()

    return MLPRun(step, (jnp.asarray(X), jnp.asarray(y)), float,
                  lambda: [np.array(a) for a in _flat(state[0])])


def build_mlp(systems, name, X, y, params, lr=MLP_LR):
    """The MLPRun of one case-f system, from copies of params."""
    if name == "numpy":
        p = _copy_params(params)
        return MLPRun(lambda X, y: numpy_mlp_forward(p, X, y), (X, y))
    if name == "numpy-step":
        p = _copy_params(params)
        return MLPRun(lambda X, y: numpy_mlp_step(p, X, y, lr), (X, y), float,
                      lambda: [a.copy() for a in _flat(p)])
    if name == "dualrev":
        return dualrev_mlp(systems.mods["dualrev"][0], X, y, params, lr)
    if name == "dualrev-functional":
        return dualrev_functional_mlp(*systems.mods["dualrev"], X, y, params, lr)
    if name == "autograd":
        return _autograd_mlp(systems.mods[name], X, y, params, lr)
    if name == "torch":
        return _torch_mlp(systems.mods[name], X, y, params, lr)
    if name == "jax-jit":
        return _jax_jit_mlp(systems.mods[name], X, y, params, lr)
    raise ValueError(f"unknown case-f system {name!r}")


def _update_error(before, after, ref_before, ref_after):
    """Largest difference between two systems' one-step updates, relative to the largest update."""
    d = [np.asarray(a1, float) - np.asarray(a0, float) for a0, a1 in zip(before, after)]
    r = [np.asarray(a1, float) - np.asarray(a0, float) for a0, a1 in zip(ref_before, ref_after)]
    if [x.shape for x in d] != [x.shape for x in r]:
        return math.inf
    scale = max(float(np.max(np.abs(x))) for x in r)
    return max(float(np.max(np.abs(a - b))) for a, b in zip(d, r)) / scale


def case_mlp(systems, rounds, min_time, loss_rtol=1e-9, update_rtol=1e-6):
    """Case f: one MLP training step per system; NumPy forward + loss as the baseline.

    Before timing, every system's first step (from the same initial weights)
    must return NumPy's loss, and the one-step update of dualrev (both APIs)
    must match the hand-written NumPy step; peers that disagree on the update
    are flagged, not fatal.
    """
    X, y, params = mlp_problem()
    w0 = _flat(params)
    ref_loss = float(numpy_mlp_forward(params, X, y))
    ref_after = None
    entries, extra, skipped = [], {}, {}
    wanted = {"numpy": "numpy", "numpy-step": "numpy", "dualrev": "dualrev",
              "dualrev-functional": "dualrev", "autograd": "autograd", "torch": "torch",
              "jax-jit": "jax-jit"}
    if "jax" in systems:
        skipped["jax"] = "this case runs JAX under jit only"
    lines = []
    for name in MLP_SYSTEMS:
        if wanted[name] not in systems:
            continue
        run = build_mlp(systems, name, X, y, params)
        t0 = time.perf_counter()
        out = run.fn(*run.args)  # first step: warm-up, compile for jit, the checks
        first = time.perf_counter() - t0
        loss = run.loss(out)
        row = {"loss0": loss, "loss_rel_err": abs(loss - ref_loss) / abs(ref_loss)}
        if not math.isclose(loss, ref_loss, rel_tol=loss_rtol):
            raise AssertionError(f"case f: {name} computes loss {loss!r} at the initial weights, "
                                 f"NumPy {ref_loss!r}: the benchmark does not run the same model")
        msg = f"loss at the initial weights {loss:.12f} (rel. diff. {row['loss_rel_err']:.1e})"
        if run.weights is not None:
            after = run.weights()
            if name == "numpy-step":
                ref_after = after
                row["update_rel_err"] = 0.0
            elif ref_after is not None:
                err = _update_error(w0, after, w0, ref_after)
                row["update_rel_err"] = err
                row["agrees"] = bool(err <= update_rtol)
                msg += f"; one-step update vs NumPy step: rel. diff. {err:.1e}"
                if err > update_rtol:
                    if name.startswith("dualrev"):
                        raise AssertionError(
                            f"case f: {name}'s one-step update differs from the hand-written "
                            f"NumPy step by {err:.2e} (relative to the largest update)")
                    msg += "  WRONG UPDATE"
        if name == "jax-jit":
            row["first_call_s"] = first
        extra[name] = row
        entries.append((name, run.fn, run.args))
        lines.append(f"  [f] {name}: {msg}")
        log(f"  [f] {name}: ready (first step {first * 1e3:.1f} ms)")
    print("case f, check of the benchmark (same initial weights, lr "
          f"{MLP_LR}; after one step):\n" + "\n".join(lines), flush=True)
    samples = interleaved(entries, rounds, min_time)
    rows = _rows_from(samples, "numpy", {k: 1 for k in samples})
    for name, e in extra.items():
        rows[name].update(e)
    return rows, skipped


# ----------------------------------------------------------------------------- memory (case d)

def _proc_status():
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                k, v = line.split(":")
                out[k] = int(v.split()[0]) * 1024
    return out


def _reset_hwm():
    """Reset the kernel's peak-RSS counter (Linux: write 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def memory_worker(system, n_ops, size):
    """Measure one system's memory in this (fresh) process; returns a dict in bytes.

    Run with MALLOC_MMAP_THRESHOLD_ set (see run_memory) so that every array
    buffer is its own mmap and goes back to the OS when freed: resident
    memory then follows the bytes alive.
    """
    import tracemalloc
    systems = Systems([system])
    if system not in systems:
        return {"skipped": systems.skipped[system]}
    x = chain_input(size)
    fn = build_grad(systems, system, n_ops)
    out = fn(x)  # warm-up (and the compile for jit)
    ok = True if system == "numpy" else _agrees(out, reference_grad(x, n_ops))
    del out
    gc.collect()
    res = {"agrees": ok, "array_bytes": x.nbytes}

    # 1. resident set size: peak during grad, and after it returns
    have_hwm = _reset_hwm()
    r0 = _proc_status()["VmRSS"]
    out = fn(x)
    st = _proc_status()
    res["rss_peak"] = st["VmHWM"] - r0 if have_hwm else None
    res["rss_after"] = st["VmRSS"] - r0
    del out
    gc.collect()
    res["rss_after_drop"] = _proc_status()["VmRSS"] - r0

    # 2. tracemalloc, for systems whose arrays are NumPy's
    if system in ("numpy", "dualrev", "autograd"):
        from benchmarks._common import traced_memory
        tm = traced_memory(fn, x)
        res.update({"tm_" + k: v for k, v in tm.items()})

    # 3. what the recorded forward pass holds for the backward sweep (residuals)
    if system == "dualrev":
        dualrev, dnp = systems.mods[system]
        f = make_chain(dnp.sin, dnp.tanh, dnp.sum, n_ops)
        res["residual"] = _held_by_pullback(lambda: dualrev.vjp(f, x)[1])
    elif system == "autograd":
        autograd, anp = systems.mods[system]
        f = make_chain(anp.sin, anp.tanh, anp.sum, n_ops)
        res["residual"] = _held_by_pullback(lambda: autograd.make_vjp(f)(x)[0])
    elif system == "torch":
        res["residual"] = _torch_saved_bytes(systems.mods[system], n_ops, x)
    return res


def _held_by_pullback(record):
    """Bytes alive (tracemalloc) while only the pullback of a recorded forward pass is kept."""
    import tracemalloc
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        pull = record()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - base
        del pull
    finally:
        tracemalloc.stop()
    return held


def _torch_saved_bytes(torch, n_ops, x):
    """Bytes of the distinct storages the autograd graph saves, the input's excluded.

    Counted with torch.autograd.graph.saved_tensors_hooks: the pack hook sees
    every tensor saved for backward; storages are told apart by data pointer.
    """
    f = make_chain(torch.sin, torch.tanh, torch.sum, n_ops)
    seen = {}

    def pack(t):
        s = t.untyped_storage()
        seen[s.data_ptr()] = s.nbytes()
        return t

    xt = torch.from_numpy(x).requires_grad_(True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = f(xt)
    torch.autograd.grad(y, xt)
    seen.pop(x.ctypes.data, None)
    return sum(seen.values())


def run_memory(wanted, n_ops, size, timeout, jobs):
    """Case d: one fresh subprocess per system; sizes converted to arrays (size × 8 bytes).

    Each worker's figures are its own process's, so up to ``jobs`` workers
    run at once.
    """
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
    arr = size * 8
    pending = [name for name in SYSTEMS if name in wanted]
    running, results, skipped = {}, {}, {}
    while pending or running:
        while pending and len(running) < jobs:
            name = pending.pop(0)
            cmd = [sys.executable, os.path.abspath(__file__), "--mem-worker", name,
                   "--mem-ops", str(n_ops), "--mem-size", str(size)]
            running[name] = (subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                              text=True, env=env), time.perf_counter())
        time.sleep(0.05)
        for name, (proc, t0) in list(running.items()):
            if proc.poll() is None:
                if time.perf_counter() - t0 > timeout:
                    proc.kill()
                    proc.communicate()
                    skipped[name] = f"timed out after {timeout} s"
                    del running[name]
                continue
            out, err = proc.communicate()
            del running[name]
            if proc.returncode != 0:
                skipped[name] = "worker failed: " + (err.strip().splitlines() or ["?"])[-1]
                continue
            r = json.loads(out.strip().splitlines()[-1])
            if "skipped" in r:
                skipped[name] = r["skipped"]
                continue
            results[name] = (r, time.perf_counter() - t0)
    rows = {}
    for name in SYSTEMS:
        if name not in results:
            continue
        r, wall = results[name]
        row = {"agrees": r["agrees"], "worker_s": wall}
        for k, v in r.items():
            if k not in ("agrees", "array_bytes") and v is not None:
                row[k + "_arrays"] = v / arr
        if "tm_peak" in r:
            row["peak_arrays"] = row["tm_peak_arrays"]
            row["retained_arrays"] = row["tm_after_arrays"]
            row["method"] = "tracemalloc"
        else:
            row["peak_arrays"] = row.get("rss_peak_arrays")
            row["retained_arrays"] = row["rss_after_arrays"]
            row["method"] = "RSS (VmHWM)"
        if name == "torch":
            row["residual_method"] = "saved_tensors_hooks"
        elif "residual" in r:
            row["residual_method"] = "tracemalloc, vjp pullback held"
        rows[name] = row
        log(f"  [d] {name}: peak {_fmt(row['peak_arrays'], 1)} arrays ({row['method']}), "
            f"{row['worker_s']:.1f} s")
    return rows, skipped


# ----------------------------------------------------------------------------- report

def _fmt(v, nd=2):
    if v is None:
        return "—"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.{nd}f}"


def print_tables(res):
    cases = res["cases"]
    out = [f"\n{res['meta']['machine_note']}"]
    if res["meta"].get("blas"):
        out.append(f"NumPy BLAS: {_blas_line(res['meta']['blas'])}")

    def table(title, header, lines):
        out.append(f"\n{title}")
        widths = [max(len(str(r[i])) for r in [header] + lines) for i in range(len(header))]
        for r in [header] + lines:
            out.append("  " + "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                        for i, (c, w) in enumerate(zip(r, widths))))

    for key in ("a", "b", "e"):
        if key not in cases:
            continue
        c = cases[key]
        lines = []
        for name, r in c["rows"].items():
            note = "" if r.get("agrees", True) else "  WRONG RESULT"
            label = "NumPy, forward only" if name == "numpy" else LABELS[name]
            lines.append([label + (f" (n={r['n_ops']})" if r["n_ops"] != c["n_ops"] else ""),
                          _fmt(r["median_s"] * 1e6), _fmt(r["us_per_op"], 3), _fmt(r["ratio"]),
                          f"±{100 * r['iqr_rel']:.0f}%", _fmt(r["ratio_min"]) + note])
        table(c["title"], ["system", "µs/call", "µs/op", "× NumPy", "IQR", "× (min)"], lines)
    if "c" in cases:
        c = cases["c"]
        ops = [k for k in next(iter(c["rows"].values())) if k not in ("geomean_ratio", "max_ratio")]
        lines = []
        for name, per in c["rows"].items():
            lines.append([LABELS[name]] + [f"{per[op]['ns_per_call']:.0f} ns / {per[op]['ratio']:.2f}×"
                                           for op in ops] + [_fmt(per["geomean_ratio"])])
        table(c["title"], ["system"] + ops + ["geomean ×"], lines)
    if "d" in cases:
        c = cases["d"]
        lines = []
        for name, r in c["rows"].items():
            label = "NumPy, forward only" if name == "numpy" else LABELS[name]
            lines.append([label, _fmt(r["peak_arrays"], 1), r["method"],
                          _fmt(r.get("rss_peak_arrays"), 1), _fmt(r["retained_arrays"], 2),
                          _fmt(r.get("residual_arrays"), 1)])
        table(c["title"], ["system", "peak", "method", "RSS peak", "after grad", "residuals"], lines)
    for key, unit, baseline, wrong in (("f", "ms/step", "NumPy, forward + loss only", "UPDATE"),
                                       ("g", "ms/call", "NumPy, forward only", "RESULT")):
        if key not in cases:
            continue
        c = cases[key]
        lines = []
        for name, r in c["rows"].items():
            note = "" if r.get("agrees", True) else f"  WRONG {wrong}"
            label = baseline if name == "numpy" else LABELS[name]
            lines.append([label, _fmt(r["median_s"] * 1e3, 3), _fmt(r["ratio"]),
                          f"±{100 * r['iqr_rel']:.0f}%", _fmt(r["ratio_min"]) + note])
        table(c["title"], ["system", unit, "× NumPy fwd", "IQR", "× (min)"], lines)
    if any(k[0] in VECTOR_CASES + MODEL_CASES for k in cases):
        from benchmarks.vectorize import vector_tables
        vector_tables(cases, table, out)
    for key, c in cases.items():
        for name, why in c.get("skipped", {}).items():
            out.append(f"  note: case {key}: {LABELS.get(name, name)} skipped: {why}")
    if res.get("targets"):
        out.append("\ndualrev targets")
        for t in res["targets"]:
            status = {True: "PASS", False: "FAIL", None: "SKIP"}[t["pass"]]
            line = f"  [{status}] {t['what']}: measured {_fmt(t['measured'])}"
            if t.get("detail"):
                line += f" ({t['detail']})"
            out.append(line)
    print("\n".join(out))


def check_targets(cases):
    got = []

    def add(key, case, measured, detail=None, failed=True):
        metric, limit, what = TARGETS[key]
        what = what.format(n=case.get("n_ops", case.get("n", 0)), size=case.get("size", 0),
                           layers=case.get("layers", ""))
        t = {"case": key, "metric": metric, "limit": limit, "what": what,
             "measured": None if measured is None else float(measured),
             # not measured: a failure of dualrev's, or a peer missing (None: not judged)
             "pass": bool(measured <= limit) if measured is not None else (False if failed else None)}
        if detail:
            t["detail"] = detail
        got.append(t)
    for key, case in cases.items():
        for tkey, measured, detail, failed in case.get("target_values", ()):
            add(tkey, case, measured, detail, failed)
        row = case["rows"].get("dualrev")
        if row is None:
            continue
        if key in ("a", "e", "f"):
            add(key, case, row["ratio"])
        elif key == "b":
            add(key, case, row["us_per_op"])
        elif key == "c":
            add(key, case, row["max_ratio"])
        elif key == "d":
            add("d", case, row["peak_arrays"])
            add("d_freed", case, row["retained_arrays"])
    return got


def blas_info():
    """NumPy's BLAS as threadpoolctl sees it (library, version, architecture, threads)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"note": "threadpoolctl not installed"}]
    keep = ("internal_api", "version", "num_threads", "architecture", "threading_layer", "filepath")
    libs = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    mine = [i for i in libs if "numpy" in i.get("filepath", "")] or libs
    return [{k: i.get(k) for k in keep} for i in mine]


def _blas_line(blas):
    return "; ".join(f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture')}, "
                     f"{b.get('threading_layer')}), {b.get('num_threads')} thread(s), "
                     f"{os.path.basename(b.get('filepath') or '?')}" if "note" not in b else b["note"]
                     for b in blas) or "none found"


def meta(args, systems):
    def git(*a):
        try:
            return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except Exception:
            return ""
    src = hashlib.sha1()
    pkg = os.path.join(ROOT, "dualrev")
    for dirpath, _, files in sorted(os.walk(pkg)):
        for fname in sorted(files):
            if fname.endswith(".py"):
                with open(os.path.join(dirpath, fname), "rb") as fh:
                    src.update(fh.read())
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((l.split(":", 1)[1].strip() for l in fh if l.startswith("model name")), cpu)
    except OSError:
        pass
    ncpu = os.cpu_count()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "mode": "quick" if args.quick else "full",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": ncpu,
        "machine_note": f"{cpu}, {ncpu} cores{f' ({args.note})' if args.note else ''}, float64, one thread",
        "note": args.note,
        "versions": systems.versions,
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "dualrev_dirty": bool(git("status", "--porcelain", "--", "dualrev")),
        "dualrev_source_sha1": src.hexdigest()[:12],
        "threads": {v: os.environ.get(v) for v in _THREAD_VARS},
        "xla_flags": os.environ.get("XLA_FLAGS"),
        "torch_threads": (systems.mods["torch"].get_num_threads() if "torch" in systems else None),
        "blas": blas_info(),
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")},
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smoke run: fewer rounds, shorter chains")
    p.add_argument("--out", help=f"JSON results file (default {os.path.relpath(DEFAULT_OUT, ROOT)}; "
                                 f"with --quick {os.path.relpath(QUICK_OUT, ROOT)})")
    p.add_argument("--cases", default="abcdefg" + VECTOR_CASES + MODEL_CASES,
                   help="which cases to run, e.g. 'ae' (default all)")
    p.add_argument("--systems", default=",".join(SYSTEMS),
                   help="comma-separated systems (default %(default)s); numpy is always run")
    p.add_argument("--note", default="", help="a remark on the machine, kept in the JSON "
                                               "(e.g. 'shared, noisy')")
    p.add_argument("--rounds", type=int, help="rounds for cases a, c, e, f-k (default 25, f: 30, "
                                              "h-k: 30; quick 3)")
    p.add_argument("--mem-worker", help=argparse.SUPPRESS)
    p.add_argument("--mem-ops", type=int, default=MEM_OPS, help=argparse.SUPPRESS)
    p.add_argument("--mem-size", type=int, default=MEM_SIZE, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.mem_worker:
        print(json.dumps(memory_worker(args.mem_worker, args.mem_ops, args.mem_size)))
        return 0

    wanted = ["numpy"] + [s for s in args.systems.split(",") if s and s != "numpy"]
    unknown = [s for s in wanted if s not in SYSTEMS]
    if unknown:
        p.error(f"unknown systems {unknown}; choose from {', '.join(SYSTEMS)}")
    q = args.quick
    out_path = args.out or (QUICK_OUT if q else DEFAULT_OUT)
    rounds = args.rounds or (3 if q else 25)
    mlp_rounds = args.rounds or (3 if q else 30)
    mlp_min_time = 0.01 if q else 0.05
    min_time = 0.005 if q else 0.02
    long_ops = 5_000 if q else LONG_OPS
    long_rounds = 1 if q else 3
    mem_ops = 200 if q else MEM_OPS
    mem_size = 20_000 if q else MEM_SIZE
    jax_long = 200 if q else 1_000

    t_start = time.perf_counter()
    systems = Systems(wanted)
    # Move everything the imports made out of the collector's view: a full
    # collection between samples then costs microseconds, not ~0.1 s.
    gc.collect()
    gc.freeze()
    res = {"meta": meta(args, systems), "labels": LABELS, "cases": {}}
    for name, why in systems.skipped.items():
        log(f"note: {LABELS[name]} skipped: {why}")
    log(res["meta"]["machine_note"])

    def run_case(key, describe, body):
        if key not in args.cases:
            return
        log(describe)
        t0 = time.perf_counter()
        case = body()
        case["wall_s"] = time.perf_counter() - t0
        res["cases"][key] = case

    def case_a():
        rows, skipped = case_grad(systems, "a", CHAIN_OPS, CHAIN_SIZE, rounds, min_time)
        return {"title": f"a. grad of a {CHAIN_OPS}-op chain on {CHAIN_SIZE}-element arrays",
                "n_ops": CHAIN_OPS, "size": CHAIN_SIZE, "baseline": "numpy forward",
                "rows": rows, "skipped": skipped}

    def case_b():
        exclude = {"jax-jit": "not run: compiling a program of this length takes far longer "
                              "than running it"}
        rows, skipped = case_grad(systems, "b", long_ops, 0, long_rounds, 0, fixed_number=1,
                                  n_override={"jax": jax_long}, exclude=exclude)
        return {"title": f"b. grad of a {long_ops:,}-op chain on a 0-d array",
                "n_ops": long_ops, "size": 0, "baseline": "numpy forward",
                "rows": rows, "skipped": skipped,
                "note": (f"JAX eager runs a {jax_long:,}-op chain (at its speed the full chain "
                         f"would take minutes); per-op figures and ratios are per op.")}

    def case_c():
        rows, skipped = case_untraced(systems, rounds, min_time / 4)
        return {"title": f"c. one call on untraced {CHAIN_SIZE}-element arrays "
                         "(ns per call / × the bare NumPy call)",
                "size": CHAIN_SIZE, "baseline": "the bare numpy call",
                "rows": rows, "skipped": skipped}

    def case_e():
        rows, skipped = case_jvp(systems, CHAIN_OPS, CHAIN_SIZE, rounds, min_time)
        return {"title": f"e. jvp of the {CHAIN_OPS}-op chain on {CHAIN_SIZE}-element arrays",
                "n_ops": CHAIN_OPS, "size": CHAIN_SIZE, "baseline": "numpy forward",
                "rows": rows, "skipped": skipped}

    def case_d():
        rows, skipped = run_memory(wanted, mem_ops, mem_size, timeout=120 if q else 300,
                                   jobs=max(1, min(2, os.cpu_count() or 1)))
        return {"title": f"d. memory of grad, {mem_ops:,}-op chain on {mem_size:,}-element arrays "
                         f"(in arrays of {mem_size * 8 / 1e3:.0f} kB, beyond the input)",
                "n_ops": mem_ops, "size": mem_size, "array_bytes": mem_size * 8,
                "rows": rows, "skipped": skipped}

    run_case("a", f"case a: grad, {CHAIN_OPS}-op chain, {CHAIN_SIZE} elements", case_a)
    run_case("b", f"case b: grad, {long_ops}-op chain, 0-d array", case_b)
    run_case("c", f"case c: dnp on untraced {CHAIN_SIZE}-element arrays", case_c)
    run_case("e", f"case e: jvp, {CHAIN_OPS}-op chain, {CHAIN_SIZE} elements", case_e)
    def case_f():
        rows, skipped = case_mlp(systems, mlp_rounds, mlp_min_time)
        layers = "-".join(map(str, MLP_SIZES))
        return {"title": f"f. one training step of a {layers} tanh MLP, batch {MLP_BATCH}, "
                         f"float64 (forward, backward, SGD lr {MLP_LR})",
                "layers": layers, "size": MLP_BATCH, "lr": MLP_LR,
                "baseline": "numpy forward + loss", "rows": rows, "skipped": skipped}

    run_case("f", f"case f: MLP training step, {'-'.join(map(str, MLP_SIZES))}, "
                  f"batch {MLP_BATCH}", case_f)
    def case_g():
        rows, skipped = case_complex(systems, rounds, min_time)
        return {"title": f"g. grad of sum(abs(exp(1j * x) * x) ** 2), {COMPLEX_SIZE:,} float64 "
                         "elements (complex intermediates)",
                "size": COMPLEX_SIZE, "baseline": "numpy forward", "rows": rows,
                "skipped": skipped}

    run_case("g", f"case g: grad through complex intermediates, {COMPLEX_SIZE:,} elements", case_g)
    vec_rounds = args.rounds or (3 if q else 30)
    vec_min_time = 0.005 if q else 0.05

    def run_cases(key, describe, body):
        """A case of several tables (several sizes): body returns {case key: case}."""
        if key not in args.cases:
            return
        log(describe)
        t0 = time.perf_counter()
        got = body()
        for k, case in got.items():
            case["wall_s"] = time.perf_counter() - t0
            res["cases"][k] = case

    if any(k in args.cases for k in VECTOR_CASES):
        from benchmarks import vectorize as vec
        run_cases("h", f"case h: jacfwd / jacrev of tanh(A @ x), n = {vec.JAC_SIZES}",
                  lambda: {f"h{n}": vec.case_jacobian(systems, n, vec_rounds, vec_min_time)
                           for n in vec.JAC_SIZES})
        run_case("i", f"case i: hessian of sum(tanh(A @ x) ** 2), n = {vec.HESS_SIZE}",
                 lambda: vec.case_hessian(systems, vec_rounds, vec_min_time))
        run_case("j", "case j: per-example gradients, vmap(grad) of the MLP loss",
                 lambda: vec.case_per_example(systems, vec_rounds, vec_min_time))
        run_cases("k", f"case k: sparse_jacobian / sparse_hessian, n = {vec.SPARSE_SIZE:,}",
                  lambda: vec.case_sparse(systems, vec_rounds, vec_min_time) or {})
    if any(k in args.cases for k in MODEL_CASES):
        from benchmarks import models
        for key in MODEL_CASES:
            if key in args.cases:
                run_case(key, f"case {key}: {models.TITLES[key]}",
                         lambda key=key: models.case_model(systems, key, vec_rounds,
                                                           vec_min_time))
    run_case("d", f"case d: memory, grad of a {mem_ops}-op chain on {mem_size:,}-element arrays "
                  "(one subprocess per system)", case_d)
    for c in res["cases"].values():
        for name, why in systems.skipped.items():
            c["skipped"].setdefault(name, why)
    res["targets"] = check_targets(res["cases"])
    res["meta"]["wall_s"] = time.perf_counter() - t_start

    print_tables(res)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as fh:
        json.dump(res, fh, indent=1)
    print(f"\nwrote {os.path.relpath(out_path)} ({res['meta']['wall_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
