"""checkpoint/remat, its policies and names, and the revolve schedule of scan(checkpoints=k):
identical derivatives, what the tape keeps, and how often the steps run again."""
import functools

import numpy as np
import pytest

import jax.ad_checkpoint

from helpers import AD, dnp, dualrev, jax, jnp
from dualrev import checkpointing
from dualrev.core import Primitive

RNG = np.random.default_rng(5)
W = RNG.standard_normal((4, 4)) * 0.6
X0 = RNG.standard_normal(4)


def _close(a, b, tol=1e-12):
    al, bl = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    assert len(al) == len(bl)
    for x, y in zip(al, bl):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=tol, atol=tol)


def _loss(m, policy=None, closure=False, remat=True):
    ad = AD[m]

    name = dualrev.checkpoint_name if m is dnp else jax.ad_checkpoint.checkpoint_name

    def layer(W, x):
        return m.tanh(W @ x) * 1.1 + m.sin(name(x, "x"))

    def loss(W):
        if closure:
            f = (lambda x: layer(W, x))
            f = ad.checkpoint(f, policy=policy) if remat else f
            step = f
        else:
            g = ad.checkpoint(layer, policy=policy) if remat else layer
            step = functools.partial(g, W)
        x = X0
        for _ in range(3):
            x = step(x)
        return m.sum(x ** 2)
    return loss


POLICIES = ["none", "everything_saveable", "nothing_saveable", "dots_saveable", "names"]


def _policy(ad, name):
    if name == "none":
        return None
    if name == "names":
        return ad.checkpoint_policies.save_only_these_names("x")
    return getattr(ad.checkpoint_policies, name)


@pytest.mark.parametrize("closure", [False, True])
@pytest.mark.parametrize("policy", POLICIES)
def test_same_derivatives_as_without_and_as_jax(policy, closure):
    ours = _loss(dnp, _policy(dualrev, policy), closure)
    plain = _loss(dnp, remat=False)
    theirs = _loss(jnp, _policy(jax, policy), closure)
    np.testing.assert_array_equal(dualrev.grad(ours)(W), dualrev.grad(plain)(W))
    _close(dualrev.grad(ours)(W), jax.grad(theirs)(W), 1e-10)
    flat = lambda f: (lambda w: f(w.reshape(4, 4)))
    _close(dualrev.hessian(flat(ours))(W.ravel()), jax.hessian(flat(theirs))(W.ravel()), 1e-9)
    _close(dualrev.jacrev(dualrev.grad(flat(ours)))(W.ravel()),
           dualrev.hessian(flat(plain))(W.ravel()), 1e-11)
    _close(dualrev.jvp(ours, (W,), (W,)), dualrev.jvp(plain, (W,), (W,)))
    Ws = np.stack([W, -W])
    _close(dualrev.vmap(dualrev.grad(ours))(Ws), dualrev.vmap(dualrev.grad(plain))(Ws))
    _close(dualrev.grad(lambda Ws: dnp.sum(dualrev.vmap(ours)(Ws)))(Ws),
           dualrev.grad(lambda Ws: dnp.sum(dualrev.vmap(plain)(Ws)))(Ws))


def _counting(name, fn, d):
    """A primitive computing fn that counts its calls in calls[name]."""
    calls = {"n": 0}

    def impl(x):
        calls["n"] += 1
        return fn(x)
    p = Primitive(name, impl, jvp=(lambda t, ans, x: t * d(x),),
                  vjp=(lambda g, ans, x: g * d(x),), elementwise=True, register=False)
    return p, calls


def test_policies_decide_what_is_computed_again():
    sin_p, sins = _counting("sin", np.sin, dnp.cos)
    mat_p, mats = _counting("matmul", lambda x: x @ W.T, lambda x: 1.0)   # a "dot"
    from dualrev.core import bind

    def f(x):
        a = bind(mat_p, (x,))
        b = dualrev.checkpoint_name(bind(sin_p, (a,)), "b")
        return dnp.sum(dnp.tanh(b) * b)

    expected = {None: (2, 2), "everything_saveable": (1, 1), "dots_saveable": (1, 2),
                "names": (2, 1)}
    for name, (n_mat, n_sin) in expected.items():
        sins["n"] = mats["n"] = 0
        pol = (None if name is None else _policy(dualrev, name) if name != "names" else
               dualrev.checkpoint_policies.save_only_these_names("b"))
        dualrev.grad(dualrev.checkpoint(f, policy=pol))(X0)
        assert (mats["n"], sins["n"]) == (n_mat, n_sin), name
    # what the tape keeps: no residuals inside the segment under the default policy
    tape = dualrev.make_tape(dualrev.checkpoint(lambda x: dnp.sin(dnp.exp(x)) * x))(X0).tape
    inside = [e for e in tape.entries[1:]]
    assert inside and all(e[3] is None for e in inside)
    assert all(a is None for e in inside for a, k in zip(e[2], e[1]) if k >= 1)


def test_revolve_cost_is_the_binomial_optimum():
    @functools.lru_cache(None)
    def best(n, s):          # the optimum by exhaustive search over every first split
        if n <= 1:
            return 0
        if s <= 1:
            return n * (n - 1) // 2
        return min(m + best(n - m, s - 1) + best(m, s) for m in range(1, n))
    for n in range(1, 60):
        for s in range(1, 7):
            assert checkpointing.cost(n, s) == best(n, s)
            assert checkpointing.forward_steps(n, s) == best(n, s)
    assert checkpointing.repetitions(10_000, 100) == 3
    assert checkpointing.cost(10_000, 100) == 3 * 10_000 - 5253


@pytest.mark.parametrize("n,k", [(12, 1), (12, 2), (12, 3), (40, 4), (7, 7), (30, 30)])
def test_scan_runs_each_step_again_as_revolve_says(n, k):
    sin_p, calls = _counting("sin", np.sin, dnp.cos)
    from dualrev.core import bind

    def loss(c):
        c, _ = dualrev.lax.scan(lambda c, x: (bind(sin_p, (c,)) * 0.9 + 0.1, None), c, None,
                                length=n, checkpoints=k)
        return dnp.sum(c)
    calls["n"] = 0
    out, pull = dualrev.vjp(loss, X0)
    assert calls["n"] == n                      # the forward pass
    calls["n"] = 0
    g = pull(1.0)[0]
    kept = checkpointing.first_states(n, k)
    # the steps run again: revolve's count, less those the forward pass kept states for
    assert calls["n"] == checkpointing.cost(n, k) - (kept[-1] if kept else 0)
    assert len(kept) <= k - 1
    ref = dualrev.grad(lambda c: dnp.sum(dualrev.lax.scan(
        lambda c, x: (dnp.sin(c) * 0.9 + 0.1, None), c, None, length=n)[0]))(X0)
    _close(g, ref)


def test_scan_body_passing_values_outside_its_carry_is_refused():
    stash = []

    def body(c, x):
        if stash:
            c = c + stash[-1]
        stash.append(dnp.sin(c))
        return c * x, None

    def loss(c):
        stash.clear()
        return dnp.sum(dualrev.lax.scan(body, c, np.ones(6), checkpoints=2)[0])
    with pytest.raises(RuntimeError, match="part of the carry"):
        dualrev.grad(loss)(X0)


def test_checkpoint_bad_input():
    with pytest.raises(TypeError, match="fun must be callable"):
        dualrev.checkpoint(3)
    with pytest.raises(TypeError, match="policy must be callable"):
        dualrev.checkpoint(dnp.sin, policy="dots")
    with pytest.raises(TypeError, match="name must be a str"):
        dualrev.checkpoint_name(X0, 3)
    assert dualrev.remat is dualrev.checkpoint
