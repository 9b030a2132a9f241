"""dualrev.lax against jax.lax: values, derivatives in both modes, vmap, bad input."""
import numpy as np
import pytest

from helpers import AD, dnp, dualrev, jax, jnp

RNG = np.random.default_rng(11)


def _close(a, b, tol=1e-10):
    al, bl = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    assert len(al) == len(bl)
    for x, y in zip(al, bl):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=tol, atol=tol)


def _scan_loss(m, reverse=False, checkpoints=None):
    lax = AD[m].lax

    def body(carry, x):
        h, s = carry
        h = m.tanh(h * x["a"] + x["b"]) + 0.1 * h
        return (h, s + m.sum(h ** 2)), {"y": h * 2.0, "z": m.sin(s)}

    def loss(h0, a, b):
        kw = {} if checkpoints is None else {"checkpoints": checkpoints}
        (h, s), ys = lax.scan(body, (h0, 0.0), {"a": a, "b": b}, reverse=reverse, **kw)
        return m.sum(h) + s + m.sum(ys["y"] ** 2) + m.sum(ys["z"])
    return loss


H0 = RNG.standard_normal(3)
A = RNG.standard_normal((6, 3)) * 0.5
B = RNG.standard_normal((6, 3)) * 0.5


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_against_jax(reverse):
    ours, theirs = _scan_loss(dnp, reverse), _scan_loss(jnp, reverse)
    args = (H0, A, B)
    _close(ours(*args), theirs(*args))
    _close(dualrev.grad(ours, (0, 1, 2))(*args), jax.grad(theirs, (0, 1, 2))(*args))
    _close(dualrev.jacfwd(ours, (0, 1))(*args), jax.jacfwd(theirs, (0, 1))(*args))
    _close(dualrev.hessian(ours)(*args), jax.hessian(theirs)(*args), 1e-9)
    hs = np.stack([H0, H0 * 0.5])
    _close(dualrev.vmap(dualrev.grad(ours), (0, None, None))(hs, A, B),
           jax.vmap(jax.grad(theirs), (0, None, None))(hs, A, B))


@pytest.mark.parametrize("k", [1, 2, 3, 5, 6, 50])
def test_scan_checkpoints_give_the_same_derivatives(k):
    plain, ck = _scan_loss(dnp), _scan_loss(dnp, checkpoints=k)
    args = (H0, A, B)
    g = dualrev.grad(plain, (0, 1, 2))(*args)
    gk = dualrev.grad(ck, (0, 1, 2))(*args)
    for a, b in zip(g, gk):
        np.testing.assert_array_equal(a, b)     # the same operations, replayed
    _close(gk, jax.grad(_scan_loss(jnp), (0, 1, 2))(*args))
    # second order and vmap through the replay
    _close(dualrev.hessian(ck)(*args), dualrev.hessian(plain)(*args), 1e-12)
    _close(dualrev.jacrev(dualrev.grad(ck))(*args), dualrev.hessian(plain)(*args), 1e-12)
    hs = np.stack([H0, -H0])
    _close(dualrev.vmap(dualrev.grad(ck), (0, None, None))(hs, A, B),
           dualrev.vmap(dualrev.grad(plain), (0, None, None))(hs, A, B), 1e-12)
    # the pullback can be used twice
    out, pull = dualrev.vjp(ck, *args)
    _close(pull(1.0), pull(1.0), 0)
    _close(pull(2.0)[0], 2 * g[0], 1e-12)


def test_scan_length_without_xs_and_map():
    for m in (dnp, jnp):
        lax = AD[m].lax
        c, ys = lax.scan(lambda c, _: (c * 1.5, c), 1.0, None, length=4)
        _close(c, 1.5 ** 4)
        _close(ys, np.array([1.0, 1.5, 2.25, 3.375]))
    f = lambda m: (lambda x: m.sum(AD[m].lax.map(lambda r: m.sin(r) * r, x)))
    x = RNG.standard_normal((4, 2))
    _close(dualrev.grad(f(dnp))(x), jax.grad(f(jnp))(x))


def test_fori_loop_against_jax():
    def f(m):
        return lambda x: m.sum(AD[m].lax.fori_loop(0, 5, lambda i, v: m.sin(v) * (i + 1.0), x))
    x = RNG.standard_normal(3)
    _close(dualrev.grad(f(dnp))(x), jax.grad(f(jnp))(x))
    _close(dualrev.jvp(f(dnp), (x,), (x,)), jax.jvp(f(jnp), (x,), (x,)))


def _while(m):
    def f(x):
        return AD[m].lax.while_loop(lambda v: v[1] < 4.0,
                                    lambda v: (v[0] * m.cos(v[0]) + 1.0, v[1] + 1.0),
                                    (x, 0.0))[0]
    return f


def test_while_loop_forward_mode_and_reverse_error():
    x = np.array([0.3, -0.7])
    _close(_while(dnp)(x), _while(jnp)(x))
    _close(dualrev.jvp(_while(dnp), (x,), (np.ones(2),)),
           jax.jvp(_while(jnp), (x,), (np.ones(2),)))
    _close(dualrev.jacfwd(_while(dnp))(x), jax.jacfwd(_while(jnp))(x))
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work for "
                                         "lax.while_loop"):
        dualrev.grad(lambda x: dnp.sum(_while(dnp)(x)))(x)
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work"):
        dualrev.jacrev(_while(dnp))(x)
    # a tape reached only through the body's closure is caught too
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work"):
        dualrev.grad(lambda w: dualrev.lax.while_loop(lambda v: v < 3.0, lambda v: v + w,
                                                      0.0))(1.0)


def test_while_loop_under_vmap_with_per_example_predicates():
    def f(m):
        return lambda x, n: AD[m].lax.while_loop(lambda v: v[1] < n,
                                                 lambda v: (v[0] * 1.5 + 1.0, v[1] + 1.0),
                                                 (x, 0.0))
    xs, ns = np.array([1.0, 2.0, 3.0]), np.array([0.0, 2.0, 5.0])
    _close(dualrev.vmap(f(dnp))(xs, ns), jax.vmap(f(jnp))(xs, ns))
    _close(dualrev.vmap(lambda x, n: dualrev.jvp(lambda x: f(dnp)(x, n), (x,), (1.0,)))(xs, ns),
           jax.vmap(lambda x, n: jax.jvp(lambda x: f(jnp)(x, n), (x,), (1.0,)))(xs, ns))


def test_cond_and_switch_against_jax():
    def c(m):
        lax = AD[m].lax
        return lambda x: lax.cond(m.sum(x) > 0, lambda a: m.sin(a) * 2.0,
                                  lambda a: m.exp(a), x)
    for x in (np.array([0.5, 0.2]), np.array([-0.5, 0.1])):
        _close(dualrev.grad(lambda x: dnp.sum(c(dnp)(x)))(x),
               jax.grad(lambda x: jnp.sum(c(jnp)(x)))(x))
    xs = np.array([[0.5, 0.2], [-0.5, 0.1], [1.0, -3.0]])
    _close(dualrev.vmap(c(dnp))(xs), jax.vmap(c(jnp))(xs))
    _close(dualrev.jacrev(dualrev.vmap(c(dnp)))(xs), jax.jacrev(jax.vmap(c(jnp)))(xs))

    def s(m):
        branches = [lambda a: a * 2.0, lambda a: m.sin(a), lambda a: a ** 3]
        return lambda i, x: AD[m].lax.switch(i, branches, x)
    x = np.array([0.3, 1.2])
    for i in (-4, 0, 1, 2, 7):      # out of range clamps, as JAX
        _close(s(dnp)(i, x), s(jnp)(i, x))
        _close(dualrev.jacfwd(lambda x: s(dnp)(i, x))(x), jax.jacfwd(lambda x: s(jnp)(i, x))(x))
    idx = np.array([0, 1, 2, 5, -1])
    xs = RNG.standard_normal((5, 2))
    _close(dualrev.vmap(s(dnp))(idx, xs), jax.vmap(s(jnp))(idx, xs))
    _close(dualrev.grad(lambda xs: dnp.sum(dualrev.vmap(s(dnp))(idx, xs)))(xs),
           jax.grad(lambda xs: jnp.sum(jax.vmap(s(jnp))(idx, xs)))(xs))


def test_stop_gradient():
    f = lambda m: (lambda x: m.sum(x * AD[m].lax.stop_gradient(x)))
    x = np.array([1.0, 2.0])
    _close(dualrev.grad(f(dnp))(x), jax.grad(f(jnp))(x))


def test_bad_input():
    lax = dualrev.lax
    with pytest.raises(TypeError, match="carry input and carry output must have the same "
                                        "pytree structure"):
        lax.scan(lambda c, x: ((c, c), x), 0.0, np.ones(3))
    with pytest.raises(TypeError, match=r"must have equal types .* float64\[2\] .* "
                                        r"float64\[3\], so the shapes do not match"):
        lax.scan(lambda c, x: (dnp.concatenate([c, x[None]]), x), np.zeros(2), np.ones(3))
    with pytest.raises(TypeError, match="so the dtypes do not match"):
        lax.scan(lambda c, x: (c.astype(np.float32), x), np.zeros(2), np.ones(3))
    with pytest.raises(TypeError, match="same pytree structure"):
        lax.fori_loop(0, 2, lambda i, v: [v], 1.0)
    with pytest.raises(ValueError, match="checkpoints must be a positive int"):
        lax.scan(lambda c, x: (c, x), 0.0, np.ones(3), checkpoints=0)
    with pytest.raises(ValueError, match="different leading axis sizes"):
        lax.scan(lambda c, x: (c, x), 0.0, (np.ones(3), np.ones(4)))
    with pytest.raises(TypeError, match="lower must be a concrete int"):
        lax.fori_loop(0.5, 2, lambda i, v: v, 1.0)


def test_scan_finite_differences_and_adjoint_identity():
    loss = _scan_loss(dnp, checkpoints=2)
    f = lambda h: loss(h, A, B)
    g = dualrev.grad(f)(H0)
    eps = 1e-6
    for i in range(3):
        e = np.zeros(3)
        e[i] = eps
        assert g[i] == pytest.approx((f(H0 + e) - f(H0 - e)) / (2 * eps), rel=1e-6, abs=1e-8)
    # <jvp(v), w> = <v, vjp(w)> through a checkpointed scan with vector output
    step = lambda c, x: (dnp.sin(c) * x["a"] + x["b"], c * 2.0)
    h = lambda c: dualrev.lax.scan(step, c, {"a": A, "b": B}, checkpoints=3)[1]
    for seed in range(3):
        rng = np.random.default_rng(seed)
        v, w = rng.standard_normal(3), rng.standard_normal((6, 3))
        _, t = dualrev.jvp(h, (H0,), (v,))
        _, pull = dualrev.vjp(h, H0)
        assert np.sum(t * w) == pytest.approx(np.sum(v * pull(w)[0]), rel=1e-12)
