"""Cases h-k of compare.py: derivatives computed as batches.

  h  jacfwd and jacrev of tanh(A @ x), n = 1000 and n = 100 (the whole basis in one batch)
  i  hessian of sum(tanh(A @ x) ** 2), n = 100
  j  per-example gradients, vmap(grad(loss), in_axes=(None, 0, 0)), of case f's MLP,
     against the plain grad of the mean loss over the batch
  k  sparse_jacobian of a tridiagonal stencil and sparse_hessian of a chained
     Rosenbrock function, n = 100,000 (dualrev alone: the peers need third-party packages)

Every case times NumPy running the function forward in the same interleaved
rounds and reports each system as a ratio to it.  Each system's result is
checked against a reference written by hand in NumPy before it is timed.

The workloads (problems, functions, references) are plain module-level
functions, shared with the asv suite (bench_vectorize.py); nothing here is
named time_*/track_*/mem_*/peakmem_* and nothing runs at import.
"""
import math
import time
import traceback

import numpy as np

from ._common import traced_memory
from .compare import (LABELS, SYSTEMS, _agrees, _fmt, _rows_from, interleaved, log,
                      make_mlp_loss, mlp_logits, mlp_problem, numpy_mlp_forward)

JAC_SIZES = (1000, 100)          # case h
JAC_MODES = ("jacfwd", "jacrev")
JAC_PEER = {1000: ("jax-jit", 1.0), 100: ("torch", 2.0)}   # the target: dualrev ≤ factor × peer
HESS_SIZE = 100                  # case i
SPARSE_SIZE = 100_000            # case k
SPARSE_SMALL = 2_000             # case k: dense jacfwd / hessian beside the sparse ones
SPARSE_MEM_SIZES = (10_000, 100_000)
SEED = 0

HOW = {   # how each system computes the derivative, in the tables
    "jacfwd": "jacfwd", "jacrev": "jacrev", "autograd-jacrev": "jacobian (reverse)",
    "hessian": "hessian", "grad": "grad, batch mean", "vmap": "vmap(grad), per example",
    "forward": "forward only", "by-hand": "per-example grads by hand",
}


# ----------------------------------------------------------------------------- workloads

def tanh_problem(n, seed=SEED):
    """``(A, x)``: A (n, n) standard normal / sqrt(n), x standard normal (n,)."""
    rng = np.random.default_rng([seed, n])
    return rng.standard_normal((n, n)) / math.sqrt(n), rng.standard_normal(n)


def make_tanh_map(tanh, A):
    """Case h: ``x -> tanh(A @ x)`` with ``tanh`` of the system (A in the system's arrays)."""
    def tanh_map(x):
        return tanh(A @ x)
    return tanh_map


def make_tanh_energy(tanh, total, A):
    """Case i: ``x -> sum(tanh(A @ x) ** 2)``."""
    def tanh_energy(x):
        return total(tanh(A @ x) ** 2)
    return tanh_energy


def tanh_map_jacobian(A, x):
    """The Jacobian of tanh(A @ x), by hand: diag(1 - t²) A."""
    t = np.tanh(A @ x)
    return (1.0 - t * t)[:, None] * A


def tanh_energy_hessian(A, x):
    """The Hessian of sum(tanh(A @ x) ** 2), by hand: Aᵀ diag(2 (1 - t²)(1 - 3t²)) A."""
    t = np.tanh(A @ x)
    return A.T @ ((2.0 * (1.0 - t * t) * (1.0 - 3.0 * t * t))[:, None] * A)


def make_example_loss(xp, stop=None):
    """Case j: the MLP's cross-entropy for ONE example ``x`` (features,) with a one-hot label.

    ``xp`` gives tanh, max, exp, log and sum (full reductions); ``stop`` keeps
    the max out of the derivative.  The label is a one-hot vector rather than
    an index, so that vmap batches it as data.
    """
    stop = stop or (lambda v: v)

    def example_loss(params, x, onehot):
        h = mlp_logits(xp.tanh, params, x)
        m = stop(xp.max(h))
        logp = h - (xp.log(xp.sum(xp.exp(h - m))) + m)
        return -xp.sum(logp * onehot)
    return example_loss


def make_torch_batch_loss(torch):
    """Case j, PyTorch: the mean cross-entropy over the batch, as make_mlp_loss (dim=, keepdim=)."""
    def batch_loss(params, X, y):
        h = mlp_logits(torch.tanh, params, X)
        m = torch.amax(h, dim=1, keepdim=True).detach()
        logp = h - (torch.log(torch.sum(torch.exp(h - m), dim=1, keepdim=True)) + m)
        return -torch.mean(logp[torch.arange(X.shape[0]), y])
    return batch_loss


def one_hot(y, classes):
    out = np.zeros((len(y), classes))
    out[np.arange(len(y)), y] = 1.0
    return out


def per_example_problem():
    """``(X, y, onehot, params)``: case f's data and initial weights, with one-hot labels."""
    X, y, params = mlp_problem()
    return X, y, one_hot(y, params[-1][0].shape[0]), params


def numpy_per_example_grads(params, X, y):
    """The gradient of every example's loss, by hand: [(gW (batch, out, in), gb (batch, out)), ...]."""
    acts = [X]
    h = X
    last = len(params) - 1
    for i, (W, b) in enumerate(params):
        h = h @ W.T + b
        if i < last:
            h = np.tanh(h)
            acts.append(h)
    e = np.exp(h - np.max(h, axis=1, keepdims=True))
    delta = e / np.sum(e, axis=1, keepdims=True)
    delta[np.arange(X.shape[0]), y] -= 1.0       # softmax - onehot, per example
    grads = [None] * len(params)
    for i in range(last, -1, -1):
        a = acts[i]
        grads[i] = (delta[:, :, None] * a[:, None, :], delta.copy())
        if i:
            delta = (delta @ params[i][0]) * (1.0 - a * a)
    return grads


def make_stencil(sin, concatenate):
    """Case k: ``x -> L x + sin(x)``, L the 1-D Laplacian (-2 on the diagonal, 1 beside it),
    written with slicing and concatenate: a tridiagonal Jacobian."""
    def stencil(x):
        inner = x[:-2] - 2.0 * x[1:-1] + x[2:]
        return concatenate([x[1:2] - 2.0 * x[:1], inner, x[-2:-1] - 2.0 * x[-1:]]) + sin(x)
    return stencil


def stencil_diagonals(x):
    """The stencil's Jacobian as (sub-, main, super-diagonal)."""
    off = np.ones(x.size - 1)
    return off, np.cos(x) - 2.0, off


def make_rosenbrock(total):
    """Case k: ``x -> sum((x[1:] - x[:-1] ** 2) ** 2)``: a tridiagonal Hessian."""
    def rosenbrock(x):
        return total((x[1:] - x[:-1] ** 2) ** 2)
    return rosenbrock


def rosenbrock_diagonals(x):
    """The Hessian of make_rosenbrock's function as (sub-, main, super-diagonal), by hand."""
    r = x[1:] - x[:-1] ** 2
    main = np.zeros_like(x)
    main[:-1] += 8.0 * x[:-1] ** 2 - 4.0 * r
    main[1:] += 2.0
    off = -4.0 * x[:-1]
    return off, main, off


def sparse_input(n):
    return np.linspace(-1.5, 1.5, n)


def sparse_api(dualrev):
    """``(sparse_jacobian, sparse_hessian)`` from dualrev, or dualrev.sparsity before it is exported."""
    sj, sh = getattr(dualrev, "sparse_jacobian", None), getattr(dualrev, "sparse_hessian", None)
    if sj is None or sh is None:
        from dualrev import sparsity
        sj, sh = sparsity.sparse_jacobian, sparsity.sparse_hessian
    return sj, sh


SPARSE_FORMAT = "coo"             # (rows, cols, values): what the compressed passes give
SPARSE_FORMATS = ("coo", "csr")   # csr: the same, assembled into a scipy.sparse.csr_array


def sparse_setup_info(fn):
    """What a sparse_jacobian/sparse_hessian function caches: setup time and colors (None if absent)."""
    secs = getattr(fn, "setup_seconds", None)
    colors = getattr(fn, "colors", None)
    if colors is not None and not isinstance(colors, (int, np.integer)):
        colors = int(np.max(colors)) + 1 if np.size(colors) else 0   # a coloring, not a count
    return (None if secs is None else float(secs)), (None if colors is None else int(colors))


def sparse_plan_info(fn):
    """The plan's own figures (detection and coloring seconds, mode, nnz), where it has them."""
    plan = getattr(fn, "plan", None)
    out = {}
    for k in ("detect_seconds", "color_seconds", "mode", "nnz"):
        v = getattr(plan, k, None)
        if v is not None:
            out[k] = v if isinstance(v, str) else float(v)
    return out


def tridiagonal_error(M, diagonals):
    """Largest error of a sparse (scipy) or dense matrix against the given three diagonals,
    relative to the largest entry, and whether nothing lies off them (None if M is neither)."""
    sub, main, sup = diagonals
    n = main.size
    if isinstance(M, tuple) and len(M) == 3:     # format="coo": (rows, cols, values)
        rows, cols, vals = (np.asarray(a) for a in M)
        if rows.size and (rows.max() >= n or cols.max() >= n):
            return math.inf, False
        dist = cols - rows
        off_band = bool(np.any(vals[np.abs(dist) > 1] != 0))
        got = []
        for k, d in ((-1, sub), (0, main), (1, sup)):
            g = np.zeros(n - abs(k))
            sel = dist == k
            np.add.at(g, np.minimum(rows[sel], cols[sel]), vals[sel])
            got.append(g)
    elif hasattr(M, "tocoo"):
        c = M.tocoo()
        if c.shape != (n, n):
            return math.inf, False
        off_band = bool(np.any(np.abs(c.row - c.col) > 1) and
                        np.any(c.data[np.abs(c.row - c.col) > 1] != 0))
        got = [M.diagonal(-1), M.diagonal(0), M.diagonal(1)]
    else:
        M = np.asarray(M)
        if M.shape != (n, n):
            return math.inf, False
        got = [np.diagonal(M, -1), np.diagonal(M), np.diagonal(M, 1)]
        band = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= 1
        off_band = bool(np.any(M[~band] != 0))
    scale = max(float(np.max(np.abs(d))) for d in diagonals)
    err = max(float(np.max(np.abs(np.asarray(g) - d))) for g, d in zip(got, diagonals)) / scale
    return err, not off_band


# ----------------------------------------------------------------------------- builders

def build_jacobian(systems, name, mode, A):
    """``x -> the Jacobian of tanh(A @ x)`` by ``mode`` ('jacfwd' or 'jacrev'), as the
    system's own array (converted for the check); NumPy: the forward value."""
    if name == "numpy":
        return make_tanh_map(np.tanh, A)
    m = systems.mods[name]
    if name == "dualrev":
        dualrev, dnp = m
        return getattr(dualrev, mode)(make_tanh_map(dnp.tanh, A))
    if name == "autograd":   # reverse only: one vjp per row of the Jacobian
        autograd, anp = m
        return autograd.jacobian(make_tanh_map(anp.tanh, A))
    if name == "torch":
        torch = m
        J = getattr(torch.func, mode)(make_tanh_map(torch.tanh, torch.from_numpy(A)))
        return lambda x: J(torch.from_numpy(x))
    jax, jnp = m
    J = getattr(jax, mode)(make_tanh_map(jnp.tanh, jnp.asarray(A)))
    if name == "jax-jit":
        J = jax.jit(J)
    return lambda x: J(x).block_until_ready()


def build_hessian(systems, name, A):
    """``x -> the Hessian of sum(tanh(A @ x) ** 2)``; NumPy: the forward value."""
    if name == "numpy":
        return make_tanh_energy(np.tanh, np.sum, A)
    m = systems.mods[name]
    if name == "dualrev":
        dualrev, dnp = m
        return dualrev.hessian(make_tanh_energy(dnp.tanh, dnp.sum, A))
    if name == "autograd":
        autograd, anp = m
        return autograd.hessian(make_tanh_energy(anp.tanh, anp.sum, A))
    if name == "torch":
        torch = m
        H = torch.func.hessian(make_tanh_energy(torch.tanh, torch.sum, torch.from_numpy(A)))
        return lambda x: H(torch.from_numpy(x))
    jax, jnp = m
    H = jax.hessian(make_tanh_energy(jnp.tanh, jnp.sum, jnp.asarray(A)))
    if name == "jax-jit":
        H = jax.jit(H)
    return lambda x: H(x).block_until_ready()


def build_per_example(systems, name, how, X, y, onehot, params):
    """Case j: ``(fn, args)``; ``how`` is 'grad' (the plain grad of the mean loss over the
    batch) or 'vmap' (vmap(grad(example loss), in_axes=(None, 0, 0))); fn returns the
    gradients as a pytree of the system's arrays."""
    if name == "numpy":
        return numpy_mlp_forward, (params, X, y)
    m = systems.mods[name]
    if name == "dualrev":
        dualrev, dnp = m
        if how == "grad":
            return dualrev.grad(make_mlp_loss(dnp, dualrev.stop_gradient)), (params, X, y)
        g = dualrev.vmap(dualrev.grad(make_example_loss(dnp, dualrev.stop_gradient)),
                         in_axes=(None, 0, 0))
        return g, (params, X, onehot)
    if name == "torch":
        torch = m
        p = tuple((torch.from_numpy(W), torch.from_numpy(b)) for W, b in params)
        if how == "grad":
            return torch.func.grad(make_torch_batch_loss(torch)), (p, torch.from_numpy(X),
                                                                   torch.from_numpy(y))
        g = torch.func.vmap(torch.func.grad(make_example_loss(torch, lambda v: v.detach())),
                            in_dims=(None, 0, 0))
        return g, (p, torch.from_numpy(X), torch.from_numpy(onehot))
    jax, jnp = m
    p = [(jnp.asarray(W), jnp.asarray(b)) for W, b in params]
    if how == "grad":
        g, args = jax.grad(make_mlp_loss(jnp, jax.lax.stop_gradient)), (p, jnp.asarray(X),
                                                                         jnp.asarray(y))
    else:
        g = jax.vmap(jax.grad(make_example_loss(jnp, jax.lax.stop_gradient)),
                     in_axes=(None, 0, 0))
        args = (p, jnp.asarray(X), jnp.asarray(onehot))
    if name == "jax-jit":
        g = jax.jit(g)
    return (lambda *a: jax.block_until_ready(g(*a))), args


def _leaves(tree):
    """The arrays of a gradient pytree (lists and tuples), as NumPy arrays, in order."""
    if isinstance(tree, (list, tuple)):
        return [a for t in tree for a in _leaves(t)]
    if hasattr(tree, "detach"):   # torch
        return [tree.detach().numpy()]
    return [np.asarray(tree)]


def _to_numpy(a):
    return a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)


# ----------------------------------------------------------------------------- running

class Spec:
    """One timed entry: ``key`` (unique in the case), the system, how it computes,
    ``make() -> (fn, args)`` (run inside a try: a failure skips the entry) and
    ``check(out) -> dict`` (must hold ``agrees``) run on the first call's result."""

    def __init__(self, key, system, how, make, check=None):
        self.key, self.system, self.how, self.make, self.check = key, system, how, make, check


def _time_specs(case_key, specs, rounds, min_time, base="numpy"):
    """Build, first-call, check and then time the specs interleaved.

    Returns ``(rows, samples, skipped, failed)``: rows as compare._rows_from's with the
    system, how, first_call_s and the check's fields added; ``failed`` names the
    dualrev entries that raised (they count as missed targets, not as skipped).
    """
    entries, extra, skipped, failed = [], {}, {}, {}
    for s in specs:
        try:
            fn, args = s.make()
            t0 = time.perf_counter()
            out = fn(*args)     # first call: warm-up, compile for jit, the check
            first = time.perf_counter() - t0
            info = {"system": s.system, "how": s.how, "first_call_s": first}
            if s.check is not None:
                info.update(s.check(out))
            del out
        except Exception as e:  # a peer that cannot run this is skipped, not fatal
            why = f"{type(e).__name__}: {e}".strip().splitlines()[0][:300]
            log(f"  [{case_key}] {s.key}: FAILED ({why})")
            if s.system == "dualrev":
                failed[s.key] = why
                log(traceback.format_exc())
            skipped[s.key] = f"failed: {why}"
            continue
        extra[s.key] = info
        entries.append((s.key, fn, args))
        note = "" if info.get("agrees", True) else "  WRONG RESULT"
        log(f"  [{case_key}] {s.key}: ready (first call {first * 1e3:.1f} ms){note}")
    samples = interleaved(entries, rounds, min_time)
    rows = _rows_from(samples, base, {k: 1 for k in samples})
    for k, info in extra.items():
        rows[k].update(info)
    return rows, samples, skipped, failed


def paired_ratio(samples, a, b):
    """Median over rounds of a's time / b's time (the two measured in the same rounds)."""
    if a not in samples or b not in samples:
        return None
    return float(np.median([x / y for x, y in zip(samples[a][1], samples[b][1])]))


def _wanted(systems, names=SYSTEMS):
    return [s for s in names if s in systems]


def case_jacobian(systems, n, rounds, min_time):
    """Case h at one n: jacfwd and jacrev of tanh(A @ x) by every system."""
    A, x = tanh_problem(n)
    ref = tanh_map_jacobian(A, x)

    def check(out):
        J = _to_numpy(out)
        return {"agrees": _agrees(J, ref, rtol=1e-9, atol=1e-12),
                "max_abs_err": float(np.max(np.abs(J - ref))) if J.shape == ref.shape else None}

    specs = [Spec("numpy", "numpy", "forward", lambda: (build_jacobian(systems, "numpy", None, A),
                                                        (x,)))]
    for name in _wanted(systems, SYSTEMS[1:]):
        for mode in (("jacrev",) if name == "autograd" else JAC_MODES):
            how = "autograd-jacrev" if name == "autograd" else mode
            specs.append(Spec(f"{name}/{mode}", name, how,
                              lambda name=name, mode=mode: (build_jacobian(systems, name, mode, A),
                                                            (x,)), check))
    rows, samples, skipped, failed = _time_specs(f"h n={n}", specs, rounds, min_time)
    peer, factor = JAC_PEER[n]
    targets = []
    for mode in JAC_MODES:
        d, p = f"dualrev/{mode}", f"{peer}/{mode}"
        r = paired_ratio(samples, d, p)
        if d in rows:
            rows[d].update(vs_peer=p, vs_peer_ratio=r)
        detail = (f"dualrev {_fmt(rows[d]['ratio'])}× NumPy, {LABELS[peer]} {_fmt(rows[p]['ratio'])}×"
                  if d in rows and p in rows else
                  (f"dualrev failed: {failed[d]}" if d in failed else f"{LABELS[peer]} not run"))
        targets.append((f"h{n}_{mode}", r, detail, d in failed))
    return {"title": f"h. jacfwd / jacrev of tanh(A @ x), A ({n:,}, {n:,}) / sqrt(n), "
                     f"the {n:,}-row Jacobian in one call",
            "n": n, "baseline": "numpy forward", "rows": rows, "skipped": skipped,
            "autograd_note": "HIPS autograd has reverse mode only (autograd.jacobian: one vjp "
                             "per output); it is reported in the jacrev rows",
            "target_values": targets}


def case_hessian(systems, rounds, min_time, n=HESS_SIZE):
    """Case i: hessian of sum(tanh(A @ x) ** 2) by every system."""
    A, x = tanh_problem(n)
    ref = tanh_energy_hessian(A, x)

    def check(out):
        H = _to_numpy(out)
        return {"agrees": _agrees(H, ref, rtol=1e-8, atol=1e-12)}

    specs = [Spec("numpy", "numpy", "forward",
                  lambda: (build_hessian(systems, "numpy", A), (x,)))]
    for name in _wanted(systems, SYSTEMS[1:]):
        specs.append(Spec(f"{name}/hessian", name, "hessian",
                          lambda name=name: (build_hessian(systems, name, A), (x,)), check))
    rows, samples, skipped, failed = _time_specs("i", specs, rounds, min_time)
    r = paired_ratio(samples, "dualrev/hessian", "torch/hessian")
    if "dualrev/hessian" in rows:
        rows["dualrev/hessian"].update(vs_peer="torch/hessian", vs_peer_ratio=r)
    detail = (f"dualrev {_fmt(rows['dualrev/hessian']['ratio'])}× NumPy, torch.func "
              f"{_fmt(rows['torch/hessian']['ratio'])}×"
              if r is not None else failed.get("dualrev/hessian", "PyTorch not run"))
    return {"title": f"i. hessian of sum(tanh(A @ x) ** 2), n = {n}",
            "n": n, "baseline": "numpy forward", "rows": rows, "skipped": skipped,
            "target_values": [("i", r, detail, "dualrev/hessian" in failed)]}


def case_per_example(systems, rounds, min_time):
    """Case j: per-example gradients (vmap of grad) beside each system's plain batched grad."""
    X, y, onehot, params = per_example_problem()
    ref = numpy_per_example_grads(params, X, y)
    ref_each = [a for layer in ref for a in layer]
    ref_mean = [a.mean(axis=0) for a in ref_each]
    del ref
    batch_grads = {}

    def err(got, want):
        if [a.shape for a in got] != [a.shape for a in want]:
            return math.inf
        return max(float(np.max(np.abs(a - b))) for a, b in zip(got, want)) / \
            max(float(np.max(np.abs(b))) for b in want)

    def check_grad(name):
        def check(out):
            got = _leaves(out)
            batch_grads[name] = got
            e = err(got, ref_mean)
            return {"agrees": bool(e <= 1e-9), "rel_err": e}
        return check

    def check_vmap(name):
        def check(out):
            got = _leaves(out)
            e = err(got, ref_each)
            res = {"agrees": bool(e <= 1e-9), "rel_err": e}
            if name in batch_grads:   # the per-example gradients' mean is the batch's gradient
                res["mean_vs_grad_err"] = err([a.mean(axis=0) for a in got], batch_grads[name])
                res["agrees"] = res["agrees"] and res["mean_vs_grad_err"] <= 1e-9
            return res
        return check

    specs = [Spec("numpy", "numpy", "forward",
                  lambda: build_per_example(systems, "numpy", None, X, y, onehot, params)),
             # the arithmetic of per-example gradients alone: the outer products write
             # batch × (all weights) numbers, ~128× the batch gradient's
             Spec("numpy/by-hand", "numpy", "by-hand",
                  lambda: (numpy_per_example_grads, (params, X, y)))]
    skipped = {}
    for name in _wanted(systems, SYSTEMS[1:]):
        if name in ("autograd", "jax"):
            skipped[name] = ("no vmap" if name == "autograd" else
                             "this case runs JAX under jit only")
            continue
        for how, check in (("grad", check_grad(name)), ("vmap", check_vmap(name))):
            specs.append(Spec(f"{name}/{how}", name, how,
                              lambda name=name, how=how: build_per_example(
                                  systems, name, how, X, y, onehot, params), check))
    rows, samples, skipped2, failed = _time_specs("j", specs, rounds, min_time)
    batch_grads.clear()
    skipped.update(skipped2)
    for name in ("dualrev", "torch", "jax-jit"):
        r = paired_ratio(samples, f"{name}/vmap", f"{name}/grad")
        if r is not None:
            rows[f"{name}/vmap"].update(vs_peer=f"{name}/grad", vs_peer_ratio=r)
    r = paired_ratio(samples, "dualrev/vmap", "dualrev/grad")
    detail = (f"vmap(grad) {_fmt(rows['dualrev/vmap']['median_s'] * 1e3)} ms, "
              f"grad {_fmt(rows['dualrev/grad']['median_s'] * 1e3)} ms"
              if r is not None else "; ".join(failed.values()) or "not run")
    floor = paired_ratio(samples, "dualrev/vmap", "numpy/by-hand")
    if floor is not None:
        rows["dualrev/vmap"]["vs_by_hand_ratio"] = floor
        hand = paired_ratio(samples, "numpy/by-hand", "dualrev/grad")
        detail += (f"; NumPy's per-example grads by hand {_fmt(hand)}× dualrev's grad, "
                   f"dualrev's vmap(grad) {_fmt(floor)}× them")
    batch, sizes = X.shape[0], "-".join(str(s) for s in [params[0][0].shape[1]]
                                         + [W.shape[0] for W, _ in params])
    return {"title": f"j. per-example gradients of the {sizes} tanh MLP's loss, batch {batch}: "
                     "vmap(grad(loss), in_axes=(None, 0, 0)) beside grad of the batch's mean loss",
            "layers": sizes, "size": batch, "baseline": "numpy forward + loss (the batch)",
            "rows": rows, "skipped": skipped,
            "target_values": [("j", r, detail, bool(failed))]}


def sparse_memory(make, f, n):
    """Peak memory (tracemalloc, bytes) of a fresh sparse function's first call and of a
    later call, at size n; with the setup info it reports."""
    x = sparse_input(n)
    fn = make(f)
    first = traced_memory(fn, x)
    later = traced_memory(fn, x)
    secs, colors = sparse_setup_info(fn)
    return {"n": n, "first_peak_bytes": first["peak"], "call_peak_bytes": later["peak"],
            "first_peak_arrays": first["peak"] / (8 * n), "call_peak_arrays": later["peak"] / (8 * n),
            "colors": colors}


def case_sparse(systems, rounds, min_time, n=SPARSE_SIZE, n_small=SPARSE_SMALL,
                mem_sizes=SPARSE_MEM_SIZES):
    """Case k: sparse_jacobian of the stencil and sparse_hessian of the Rosenbrock chain at n,
    each against NumPy's forward of the same function; dense jacfwd / hessian at n_small."""
    skipped = {name: "no sparse Jacobian of its own; it takes a third-party package "
                     "(e.g. sparsejac for JAX)" for name in SYSTEMS[2:] if name in systems}
    if "dualrev" not in systems:
        return None
    dualrev, dnp = systems.mods["dualrev"]
    try:
        sparse_jacobian, sparse_hessian = sparse_api(dualrev)
    except Exception as e:
        why = f"dualrev has no sparse_jacobian/sparse_hessian yet ({type(e).__name__}: {e})"
        log(f"  [k] {why}")
        skipped["dualrev"] = why
        t = [("k_jac", None, why, True), ("k_hess", None, why, True)]
        return {"k": {"title": "k. sparse Jacobian and Hessian", "n": n, "rows": {},
                      "skipped": skipped, "target_values": t}}

    def make_sj(f, format=SPARSE_FORMAT):
        return sparse_jacobian(f, format=format)

    def make_sh(f, format=SPARSE_FORMAT):
        return sparse_hessian(f, format=format)

    stencil_np, stencil = make_stencil(np.sin, np.concatenate), make_stencil(dnp.sin, dnp.concatenate)
    rosen_np, rosen = make_rosenbrock(np.sum), make_rosenbrock(dnp.sum)
    setup = {}

    def checker(diagonals, x, key):
        def check(out):
            e, in_band = tridiagonal_error(out, diagonals(x))
            nnz = len(out[0]) if isinstance(out, tuple) else getattr(out, "nnz", None)
            return {"agrees": bool(e <= 1e-10 and in_band), "rel_err": e,
                    "only_tridiagonal": in_band, "nnz": None if nnz is None else int(nnz)}
        return check

    def sparse_spec(key, how, make, f, diagonals, x, format=SPARSE_FORMAT):
        def build():
            fn = make(f, format)
            setup[key] = fn
            return fn, (x,)
        return Spec(key, "dualrev", how, build, checker(diagonals, x, key))

    out = {}
    for size, tag in ((n, "k"), (n_small, "k_small")):
        x = sparse_input(size)
        specs = [Spec("numpy", "numpy", "forward (stencil)", lambda x=x: (stencil_np, (x,))),
                 Spec("numpy-rosen", "numpy", "forward (rosenbrock)", lambda x=x: (rosen_np, (x,))),
                 sparse_spec("dualrev/sparse_jacobian", "sparse_jacobian", make_sj, stencil,
                             stencil_diagonals, x),
                 sparse_spec("dualrev/sparse_hessian", "sparse_hessian", make_sh, rosen,
                             rosenbrock_diagonals, x)]
        for fmt in SPARSE_FORMATS:
            if fmt != SPARSE_FORMAT:
                specs += [sparse_spec(f"dualrev/sparse_jacobian/{fmt}", f"sparse_jacobian, {fmt}",
                                      make_sj, stencil, stencil_diagonals, x, fmt),
                          sparse_spec(f"dualrev/sparse_hessian/{fmt}", f"sparse_hessian, {fmt}",
                                      make_sh, rosen, rosenbrock_diagonals, x, fmt)]
        if tag == "k_small":
            specs += [Spec("dualrev/jacfwd", "dualrev", "jacfwd (dense)",
                           lambda: (dualrev.jacfwd(stencil), (x,)),
                           checker(stencil_diagonals, x, "jacfwd")),
                      Spec("dualrev/hessian", "dualrev", "hessian (dense)",
                           lambda: (dualrev.hessian(rosen), (x,)),
                           checker(rosenbrock_diagonals, x, "hessian"))]
        setup.clear()
        rows, samples, sk, failed = _time_specs(f"{tag} n={size:,}", specs, rounds, min_time)
        # the Hessian's rows are ratios to NumPy's forward of the Rosenbrock chain
        hess_keys = [k for k in samples if "hessian" in k or k == "numpy-rosen"]
        rows.update(_merge(rows, _rows_from({k: samples[k] for k in hess_keys}, "numpy-rosen",
                                            {k: 1 for k in hess_keys})))
        for key, fn in setup.items():
            if key in rows:
                secs, colors = sparse_setup_info(fn)
                rows[key].update(setup_s=secs, colors=colors, **sparse_plan_info(fn))
        for k in rows:
            rows[k]["n"] = size
            rows[k]["baseline"] = "numpy-rosen" if k in hess_keys else "numpy"
        case = {"title": (f"k. sparse_jacobian of a tridiagonal stencil (slicing, concatenate, "
                          f"sin) and sparse_hessian of sum((x[1:] - x[:-1]**2)**2), n = {size:,}"
                          + (", beside dense jacfwd / hessian" if tag == "k_small" else "")),
                "n": size, "format": SPARSE_FORMAT, "baseline": "numpy forward of the same function",
                "rows": rows, "skipped": dict(skipped, **sk) if tag == "k" else sk}
        if tag == "k":
            t = []
            for tkey, key in (("k_jac", "dualrev/sparse_jacobian"), ("k_hess", "dualrev/sparse_hessian")):
                r = rows.get(key)
                detail = (f"format={SPARSE_FORMAT}, {_fmt(r['median_s'] * 1e3)} ms per call, "
                          f"first call {_fmt(r['first_call_s'] * 1e3)} ms (setup "
                          f"{_fmt((r.get('setup_s') or 0) * 1e3)} ms), {r.get('colors')} colors"
                          if r else failed.get(key, "not run"))
                csr = rows.get(f"{key}/csr")
                if csr:
                    detail += f"; format=csr {_fmt(csr['ratio'])}×"
                t.append((tkey, r["ratio"] if r else None, detail, key in failed))
            case["target_values"] = t
            mem = {}
            for name, make, f in (("sparse_jacobian", make_sj, stencil),
                                  ("sparse_hessian", make_sh, rosen)):
                if f"dualrev/{name}" in failed:
                    continue
                mem[name] = []
                for m_n in mem_sizes:
                    r = sparse_memory(make, f, m_n)
                    mem[name].append(r)
                    log(f"  [k] {name} n={m_n:,}: peak {r['first_peak_bytes'] / 1e6:.1f} MB first "
                        f"call, {r['call_peak_bytes'] / 1e6:.1f} MB later "
                        f"({r['call_peak_arrays']:.1f} arrays of n float64)")
            case["memory"] = mem
        out[tag] = case
    return out


def _merge(rows, new):
    """rows with the fields of new's rows (ratio and the like) replacing theirs."""
    return {k: dict(rows[k], **v) for k, v in new.items() if k in rows}


# ----------------------------------------------------------------------------- report

def vector_tables(cases, table, out):
    """Tables of cases h-k, through compare.print_tables's ``table``; notes appended to ``out``."""
    for key in [k for k in cases if k.startswith(("h", "i", "j", "k", "l", "m", "n"))]:
        c = cases[key]
        if not c.get("rows"):
            continue
        lines = []
        for k, r in c["rows"].items():
            label = LABELS.get(r["system"], r["system"])
            how = HOW.get(r["how"], r["how"])
            note = "" if r.get("agrees", True) else "  WRONG RESULT"
            vs = ""
            if r.get("vs_peer_ratio") is not None:
                sys_, how_ = r["vs_peer"].split("/")
                vs = f"{_fmt(r['vs_peer_ratio'])}× " + ("own grad" if how_ == "grad" else
                                                        f"{LABELS.get(sys_, sys_)} {how_}")
            extra = ""
            if r.get("setup_s") is not None or r.get("colors") is not None:
                extra = f"setup {_fmt(r.get('setup_s'), 3)} s"
                if r.get("detect_seconds") is not None:
                    extra += (f" (detect {_fmt(r['detect_seconds'], 3)}, color "
                              f"{_fmt(r['color_seconds'], 3)})")
                extra += f", {r.get('colors')} colors"
                if r.get("mode"):
                    extra += f", {r['mode']}"
            base = "" if r.get("baseline", "numpy") == "numpy" or k.startswith("numpy") else " (R)"
            lines.append([f"{label}, {how}", _fmt(r["median_s"] * 1e3, 3),
                          _fmt(r["ratio"]) + base, f"±{100 * r['iqr_rel']:.0f}%",
                          _fmt(r["ratio_min"]), _fmt(r["first_call_s"] * 1e3, 1), vs, extra + note])
        table(c["title"], ["system", "ms/call", "× NumPy fwd", "IQR", "× (min)", "1st call ms",
                           "vs", ""], lines)
        if c.get("autograd_note") and any(r["system"] == "autograd" for r in c["rows"].values()):
            out.append(f"  note: {c['autograd_note']}")
        if any(r.get("baseline") == "numpy-rosen" for r in c["rows"].values()):
            out.append("  (R): ratio to NumPy's forward of the Rosenbrock chain; the others to the "
                       "stencil's")
        for name, rs in c.get("memory", {}).items():
            for r in rs:
                out.append(f"  memory, {name} n={r['n']:,} (tracemalloc peak): first call "
                           f"{r['first_peak_bytes'] / 1e6:.1f} MB ({r['first_peak_arrays']:.1f} "
                           f"arrays of n float64), later calls {r['call_peak_bytes'] / 1e6:.1f} MB "
                           f"({r['call_peak_arrays']:.1f} arrays); dense: n arrays "
                           f"= {8 * r['n'] ** 2 / 1e9:.1f} GB")
