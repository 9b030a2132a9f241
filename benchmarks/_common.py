"""The benchmark workloads, shared by the asv suite and benchmarks/compare.py.

Every workload is one function built from a system's own ``sin``, ``tanh``
and ``sum`` plus the Python operators ``*`` and ``+``, so NumPy, dualrev,
autograd, PyTorch and JAX all run exactly the same code.  Nothing here is
named ``time_*``/``track_*``/``mem_*``/``peakmem_*``: asv imports every module
of this package and would treat such names as benchmarks.
"""
import numpy as np

#: One cycle of the elementwise chain: sin, ×1.01, +0.5, tanh (4 ops).
CYCLE = ("sin", "mul 1.01", "add 0.5", "tanh")
CYCLE_LEN = len(CYCLE)

# The workload sizes named in the benchmark plan.
CHAIN_OPS = 200           # cases a and e
CHAIN_SIZE = 16
LONG_OPS = 100_000        # case b, on a 0-d array
MEM_OPS = 1_000           # case d
MEM_SIZE = 100_000


def make_chain(sin, tanh, total, n_ops):
    """``f(x) = total(cycle^(n_ops/4)(x))`` with the given sin/tanh/sum.

    The loop body is the 4-op cycle written out, so the per-op Python
    overhead of the benchmark itself is one bytecode-level assignment, the
    same for every system.  The final reduction is not counted in n_ops.
    """
    if n_ops % CYCLE_LEN:
        raise ValueError(f"n_ops must be a multiple of {CYCLE_LEN}, got {n_ops}")
    reps = n_ops // CYCLE_LEN

    def chain(x):
        for _ in range(reps):
            x = sin(x)
            x = x * 1.01
            x = x + 0.5
            x = tanh(x)
        return total(x)
    chain.__name__ = f"chain{n_ops}"
    return chain


def chain_input(size):
    """The float64 input: a 0-d array for size 0, else a ramp in [-1, 1]."""
    if size == 0:
        return np.array(0.3)
    return np.linspace(-1.0, 1.0, size)


def reference_grad(x, n_ops, xp=np):
    """Gradient of the chain (ending in a sum) by hand, in plain NumPy (or the array
    namespace ``xp``: CuPy on a GPU)."""
    reps = n_ops // CYCLE_LEN
    saved = []
    for _ in range(reps):
        s = xp.sin(x)
        t = xp.tanh((s * 1.01) + 0.5)
        saved.append((x, t))
        x = t
    g = xp.ones_like(x)
    for x_in, t in reversed(saved):
        g = g * (1.0 - t * t) * 1.01 * xp.cos(x_in)
    return g


def reference_jvp(x, v, n_ops):
    """``(f(x), f'(x)·v)`` of the chain by hand, in plain NumPy."""
    reps = n_ops // CYCLE_LEN
    for _ in range(reps):
        v = v * np.cos(x) * 1.01
        x = np.tanh(np.sin(x) * 1.01 + 0.5)
        v = v * (1.0 - x * x)
    return np.sum(x), np.sum(v)


def traced_memory(fn, *args):
    """Run ``fn(*args)`` under tracemalloc; sizes in bytes, relative to the start.

    NumPy reports its data buffers to tracemalloc, so for NumPy-based code
    this counts arrays as well as Python objects.  Returns a dict:
    ``peak`` (the most alive at once during the call), ``after`` (alive when
    the call has returned, its result still referenced), ``after_drop``
    (alive once the result is dropped too, before any gc.collect()) and
    ``after_gc`` (after a gc.collect(); a difference from ``after_drop``
    means reference cycles kept memory alive).
    """
    import gc
    import tracemalloc
    gc.collect()
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = fn(*args)
        cur, peak = tracemalloc.get_traced_memory()
        del out
        drop = tracemalloc.get_traced_memory()[0]
        gc.collect()
        after_gc = tracemalloc.get_traced_memory()[0]
    finally:
        if started:
            tracemalloc.stop()
    return {"peak": peak - base, "after": cur - base, "after_drop": drop - base,
            "after_gc": after_gc - base}
