"""Cases l-n of compare.py: gradients of models built from linalg, fft and scipy.special.

  l  grad of a Gaussian-process negative log marginal likelihood in its
     hyperparameters: squared-exponential kernel with one lengthscale per input
     dimension, cholesky, two triangular solves, log-determinant; n = 200
  m  grad of a spectral loss through rfft / irfft on 2^16 samples: a weighted power
     spectrum plus the squared error of a filtered reconstruction
  n  grad of a Gaussian-mixture log-likelihood on 1e5 points in 2-D, K = 8 isotropic
     components, through logsumexp (means, log scales and logits)

Every case times NumPy running the loss forward in the same interleaved rounds and
reports each system as a ratio to it; the target is dualrev within 1.5x PyTorch eager
(the median over rounds of the paired ratio).  Each system's gradient is checked
against JAX's (jit) before it is timed.
"""
import math

import numpy as np

from .compare import _fmt
from .vectorize import Spec, _leaves, _time_specs, _wanted, paired_ratio

GP_N, GP_D = 200, 3
SPEC_N = 2 ** 16
MIX_N, MIX_D, MIX_K = 100_000, 2, 8
SEED = 0
PEER, FACTOR = "torch", 1.5


# ----------------------------------------------------------------------------- workloads

def gp_problem(n=GP_N, d=GP_D, seed=SEED):
    """``(theta, X, y)``: theta = (log lengthscales (d,), log signal std, log noise std)
    as one vector, X (n, d) uniform, y a smooth function of X plus noise."""
    rng = np.random.default_rng([seed, n])
    X = rng.uniform(-2.0, 2.0, (n, d))
    y = np.sin(X @ np.arange(1.0, d + 1)) + 0.1 * rng.standard_normal(n)
    theta = np.concatenate([np.zeros(d), [0.0, math.log(0.3)]])
    return theta, X, y


def make_gp_nll(xp, cholesky, solve_triangular, d=GP_D):
    """``theta -> -log p(y | X, theta)`` in the namespace xp (exp, sum, log, diagonal, eye)."""
    def nll(theta, X, y):
        inv_ls = xp.exp(-theta[:d])
        Z = X * inv_ls
        sq = xp.sum(Z * Z, axis=1)
        D2 = sq[:, None] + sq[None, :] - 2.0 * (Z @ Z.T)
        n = X.shape[0]
        K = xp.exp(2.0 * theta[d]) * xp.exp(-0.5 * D2) + \
            (xp.exp(2.0 * theta[d + 1]) + 1e-8) * xp.eye(n, dtype=X.dtype)
        L = cholesky(K)
        alpha = solve_triangular(L, y)
        return 0.5 * xp.sum(alpha * alpha) + xp.sum(xp.log(xp.diagonal(L, 0, -1, -2))) + \
            0.5 * n * math.log(2.0 * math.pi)
    return nll


def spectral_problem(n=SPEC_N, seed=SEED):
    """``(x, weights, transfer, target)``: a signal, per-bin weights of its power spectrum,
    a low-pass transfer function and the target of the filtered reconstruction."""
    rng = np.random.default_rng([seed, n])
    x = rng.standard_normal(n)
    bins = n // 2 + 1
    f = np.arange(bins) / bins
    weights = 1.0 / (1.0 + (f / 0.05) ** 2) / n
    transfer = np.exp(-(f / 0.1) ** 2)
    target = np.convolve(rng.standard_normal(n), np.ones(16) / 16, mode="same")
    return x, weights, transfer, target


def make_spectral_loss(xp, rfft, irfft, n=SPEC_N):
    def loss(x, weights, transfer, target):
        X = rfft(x)
        power = xp.real(X * xp.conj(X))
        r = irfft(X * transfer, n) - target
        return xp.sum(weights * power) + xp.sum(r * r) / n
    return loss


def mixture_problem(n=MIX_N, d=MIX_D, k=MIX_K, seed=SEED):
    """``(means, log_scales, logits, X)``: X drawn from a K-component mixture, parameters
    perturbed away from the truth."""
    rng = np.random.default_rng([seed, n])
    centers = rng.uniform(-4.0, 4.0, (k, d))
    X = centers[rng.integers(0, k, n)] + rng.standard_normal((n, d))
    return centers + 0.3 * rng.standard_normal((k, d)), np.full(k, 0.1), np.zeros(k), X


def make_mixture_nll(xp, logsumexp, d=MIX_D):
    """``(means, log_scales, logits, X) -> -mean log-likelihood`` of isotropic Gaussians."""
    def nll(means, log_scales, logits, X):
        sq = xp.sum(X * X, axis=1)[:, None] - 2.0 * (X @ means.T) + xp.sum(means * means, axis=1)
        log_w = logits - logsumexp(logits)
        comp = (log_w - d * log_scales - 0.5 * d * math.log(2.0 * math.pi)
                - 0.5 * sq * xp.exp(-2.0 * log_scales))
        return -xp.mean(logsumexp(comp, axis=1))
    return nll


# ----------------------------------------------------------------------------- per system

def _numpy_solve_lower(L, b):
    from numpy.linalg import solve
    return solve(L, b)


def _parts(systems, name):
    """The namespace and the cholesky, lower triangular solve, rfft, irfft and logsumexp of
    a system (NumPy: its own functions, for the forward baseline)."""
    if name == "numpy":
        def lse(a, axis=None):
            m = np.max(a, axis=axis, keepdims=True)
            out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
            return np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
        return np, np.linalg.cholesky, _numpy_solve_lower, np.fft.rfft, np.fft.irfft, lse
    m = systems.mods[name]
    if name == "dualrev":
        dualrev, dnp = m
        from dualrev.scipy import linalg as sla
        from dualrev.scipy import special
        return (dnp, dnp.linalg.cholesky, lambda L, b: sla.solve_triangular(L, b, lower=True),
                lambda a: dnp.fft.rfft(a), lambda a, n: dnp.fft.irfft(a, n),
                special.logsumexp)
    if name == "autograd":
        autograd, anp = m
        import autograd.scipy.linalg as asla
        import autograd.scipy.special as asp
        return (anp, anp.linalg.cholesky, lambda L, b: asla.solve_triangular(L, b, lower=True),
                anp.fft.rfft, anp.fft.irfft, asp.logsumexp)
    if name == "torch":
        torch = m

        def solve(L, b):
            return torch.linalg.solve_triangular(L, b[:, None], upper=False)[:, 0]

        class T:   # the few names the workloads use, under torch's
            exp, log, real, conj, mean = torch.exp, torch.log, torch.real, torch.conj, torch.mean
            diagonal = staticmethod(torch.diagonal)
            eye = staticmethod(lambda n, dtype=None: torch.eye(n, dtype=dtype))
            sum = staticmethod(lambda a, axis=None: torch.sum(a) if axis is None
                               else torch.sum(a, dim=axis))
        return (T, torch.linalg.cholesky, solve, torch.fft.rfft,
                lambda a, n: torch.fft.irfft(a, n),
                lambda a, axis=None: torch.logsumexp(a, dim=axis if axis is not None else 0))
    jax, jnp = m
    import jax.scipy.linalg as jsla
    import jax.scipy.special as jsp
    return (jnp, jnp.linalg.cholesky, lambda L, b: jsla.solve_triangular(L, b, lower=True),
            jnp.fft.rfft, jnp.fft.irfft, jsp.logsumexp)


def _loss(systems, name, case):
    xp, chol, solve, rfft, irfft, lse = _parts(systems, name)
    if case == "l":
        return make_gp_nll(xp, chol, solve)
    if case == "m":
        return make_spectral_loss(xp, rfft, irfft)
    return make_mixture_nll(xp, lse)


_PROBLEMS = {"l": gp_problem, "m": spectral_problem, "n": mixture_problem}
_WRT = {"l": (0,), "m": (0,), "n": (0, 1, 2)}


def build(systems, name, case):
    """``(fn, args)``: the gradient of the case's loss with respect to its parameters, as
    the system's arrays (NumPy: the loss forward)."""
    args = _PROBLEMS[case]()
    wrt = _WRT[case]
    loss = _loss(systems, name, case)
    if name == "numpy":
        return loss, args
    m = systems.mods[name]
    if name == "dualrev":
        dualrev, _ = m
        return dualrev.grad(loss, wrt), args
    if name == "autograd":
        autograd, _ = m
        return autograd.grad(lambda *a: loss(*a), wrt) if len(wrt) == 1 else \
            _autograd_multi(autograd, loss, wrt), args
    if name == "torch":
        torch = m
        targs = tuple(torch.from_numpy(np.asarray(a)) for a in args)
        return torch.func.grad(loss, wrt), targs
    jax, jnp = m
    g = jax.grad(loss, wrt)
    if name == "jax-jit":
        g = jax.jit(g)
    jargs = tuple(jnp.asarray(a) for a in args)
    return (lambda *a: jax.block_until_ready(g(*a))), jargs


def _autograd_multi(autograd, loss, wrt):
    g = autograd.grad(lambda ps, *rest: loss(*ps, *rest))

    def grads(*args):
        k = len(wrt)
        return g(tuple(args[:k]), *args[k:])
    return grads


def reference(systems, case):
    """JAX jit's gradient (NumPy arrays), the check of every system."""
    fn, args = build(systems, "jax-jit", case)
    out = fn(*args)
    return [np.asarray(a) for a in _leaves(list(out) if isinstance(out, tuple) else [out])]


TITLES = {
    "l": f"l. grad of a Gaussian-process negative log marginal likelihood (cholesky, "
         f"solve_triangular, log det), n = {GP_N}, {GP_D + 2} hyperparameters",
    "m": f"m. grad of a spectral loss through rfft / irfft, {SPEC_N:,} samples",
    "n": f"n. grad of a {MIX_K}-component Gaussian-mixture log-likelihood (logsumexp), "
         f"{MIX_N:,} points in {MIX_D}-D",
}


def case_model(systems, case, rounds, min_time):
    """One of cases l-n: every system's gradient, checked against JAX jit's, then timed."""
    ref = reference(systems, case)

    def check(out):
        got = _leaves(list(out) if isinstance(out, tuple) else [out])
        ok = len(got) == len(ref) and all(
            g.shape == r.shape and np.allclose(g, r, rtol=1e-6, atol=1e-9) for g, r in zip(got, ref))
        return {"agrees": bool(ok)}

    specs = [Spec("numpy", "numpy", "forward", lambda: build(systems, "numpy", case))]
    for name in _wanted(systems)[1:]:
        specs.append(Spec(f"{name}/grad", name, "grad of the loss",
                          lambda name=name: build(systems, name, case), check))
    rows, samples, skipped, failed = _time_specs(case, specs, rounds, min_time)
    d, p = "dualrev/grad", f"{PEER}/grad"
    r = paired_ratio(samples, d, p)
    if d in rows:
        rows[d].update(vs_peer=p, vs_peer_ratio=r)
    detail = (f"dualrev {_fmt(rows[d]['ratio'])}× NumPy, PyTorch eager {_fmt(rows[p]['ratio'])}×"
              if d in rows and p in rows else failed.get(d, "PyTorch not run"))
    return {"title": TITLES[case], "baseline": "numpy forward", "rows": rows,
            "skipped": skipped, "target_values": [(case, r, detail, d in failed)]}
