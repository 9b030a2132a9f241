"""custom_jvp and custom_vjp: against JAX where JAX has them, against the closed form
of the custom rule where dualrev goes beyond JAX (forward mode of custom_vjp), by finite
differences where the rule is the true derivative, and by the adjoint identity."""
import functools

import numpy as np
import pytest

from helpers import AD, dnp, dualrev, jax, jnp

RNG = np.random.default_rng(7)


# ----------------------------------------------------------------------------- the functions,
# each written once for both libraries (m is dualrev.numpy or jax.numpy)

def log1pexp(m):
    @AD[m].custom_jvp
    def f(x):
        return m.log1p(m.exp(x))

    @f.defjvp
    def f_jvp(primals, tangents):
        x, = primals
        x_dot, = tangents
        return f(x), x_dot * (1 - 1 / (1 + m.exp(x)))
    return f


def safe_hypot(m):
    @AD[m].custom_jvp
    def f(x, y):
        return m.sqrt(x ** 2 + y ** 2)
    f.defjvps(lambda x_dot, ans, x, y: x_dot * x / ans,
              lambda y_dot, ans, x, y: y_dot * y / ans)
    return f


def apply_fn(m):
    @functools.partial(AD[m].custom_jvp, nondiff_argnums=(0,))
    def app(g, x):
        return g(x)

    @app.defjvp
    def app_jvp(g, primals, tangents):
        x, = primals
        x_dot, = tangents
        return g(x), 2.0 * x_dot      # deliberately not g's derivative
    return lambda x: app(m.sin, x)


def tree_jvp(m):
    @AD[m].custom_jvp
    def f(d):
        return d["a"] * d["b"], m.sin(d["a"])

    @f.defjvp
    def f_jvp(primals, tangents):
        d, = primals
        t, = tangents
        out = f(d)
        return out, (t["a"] * d["b"] + d["a"] * t["b"], m.cos(d["a"]) * t["a"])
    return lambda a, b: sum(m.sum(o) for o in f({"a": a, "b": b}))


def sin_times(m, scale=1.0):
    """sin(x) * y, whose VJP is scale times the true one (a rule that differs from the
    function, so that a test can tell the rule was used)."""
    @AD[m].custom_vjp
    def f(x, y):
        return m.sin(x) * y

    def fwd(x, y):
        return f(x, y), {"c": m.cos(x), "s": m.sin(x), "y": y}

    def bwd(res, g):
        return scale * res["c"] * g * res["y"], scale * m.sum(res["s"] * g)
    f.defvjp(fwd, bwd)
    return f


def clip_gradient(m):
    @AD[m].custom_vjp
    def f(x):
        return x
    f.defvjp(lambda x: (x, None), lambda res, g: (m.clip(g, -1.0, 1.0),))
    return lambda x: m.sum(f(x) * 3.0)


def two_outputs(m):
    @AD[m].custom_vjp
    def f(x):
        return m.exp(x), m.sin(x)

    def fwd(x):
        e, s = m.exp(x), m.sin(x)
        return (e, s), (e, m.cos(x))

    def bwd(res, g):
        e, c = res
        ge, gs = g
        return (ge * e + gs * c,)
    f.defvjp(fwd, bwd)
    return f


def vjp_nondiff(m):
    @functools.partial(AD[m].custom_vjp, nondiff_argnums=(1,))
    def f(x, power):
        return x ** power

    def fwd(x, power):
        return f(x, power), x

    def bwd(power, x, g):
        return (power * x ** (power - 1) * g,)
    f.defvjp(fwd, bwd)
    return lambda x: m.sum(f(x, 3))


def vjp_tree_none(m):
    @AD[m].custom_vjp
    def f(d, z):
        return m.sum(d["w"] * z) + m.sum(d["v"])

    def fwd(d, z):
        return f(d, z), (d["w"], z)

    def bwd(res, g):
        w, z = res
        return {"w": g * z, "v": None}, g * w
    f.defvjp(fwd, bwd)
    return lambda w, v, z: f({"w": w, "v": v}, z)


X3 = np.array([-3.0, 0.5, 40.0])


def _both(make, fn_of):
    return [fn_of(dnp, make(dnp)), fn_of(jnp, make(jnp))]


def _close(a, b, tol=1e-10):
    al, bl = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    assert len(al) == len(bl)
    for x, y in zip(al, bl):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=tol, atol=tol)


# ----------------------------------------------------------------------------- against JAX

CASES_JVP = {
    "log1pexp": (log1pexp, lambda m, f: (lambda x: m.sum(f(x))), (X3,)),
    "safe_hypot": (safe_hypot, lambda m, f: (lambda x, y: m.sum(f(x, y))),
                   (np.array([3.0, 0.3]), np.array([4.0, -1.2]))),
    "nondiff_argnums": (apply_fn, lambda m, f: (lambda x: m.sum(f(x))), (X3[:2],)),
    "pytree": (tree_jvp, lambda m, f: f, (np.array([0.3, 1.1]), np.array([2.0, -0.5]))),
}
CASES_VJP = {
    "sin_times": (sin_times, lambda m, f: (lambda x, y: m.sum(f(x, y))),
                  (np.array([0.3, 1.1, 2.0]), 1.7)),
    "clip_gradient": (clip_gradient, lambda m, f: f, (np.array([0.5, -2.0]),)),
    "two_outputs_one_used": (two_outputs, lambda m, f: (lambda x: m.sum(f(x)[1])),
                             (np.array([0.2, 0.9]),)),
    "two_outputs": (two_outputs, lambda m, f: (lambda x: m.sum(f(x)[0] * f(x)[1])),
                    (np.array([0.2, 0.9]),)),
    "nondiff_argnums": (vjp_nondiff, lambda m, f: f, (np.array([0.5, 1.5]),)),
    "pytree_none": (vjp_tree_none, lambda m, f: f,
                    (np.array([1.0, 2.0]), np.array([3.0]), np.array([0.5, -1.0]))),
}


@pytest.mark.parametrize("name", sorted(CASES_JVP))
def test_custom_jvp_against_jax(name):
    make, wrap, args = CASES_JVP[name]
    ours, theirs = _both(make, wrap)
    argnums = tuple(range(len(args)))
    _close(ours(*args), theirs(*args))
    for tr in ("grad", "jacfwd", "jacrev", "hessian"):
        _close(getattr(dualrev, tr)(ours, argnums)(*args),
               getattr(jax, tr)(theirs, argnums)(*args), 1e-9)
    tangents = tuple(RNG.standard_normal(np.shape(a)) for a in args)
    _close(dualrev.jvp(ours, args, tangents), jax.jvp(theirs, args, tangents))
    if len(args) == 1:
        xs = np.stack([args[0], args[0] * 0.5])
        _close(dualrev.vmap(dualrev.grad(ours))(xs), jax.vmap(jax.grad(theirs))(xs))


@pytest.mark.parametrize("name", sorted(CASES_VJP))
def test_custom_vjp_against_jax(name):
    make, wrap, args = CASES_VJP[name]
    ours, theirs = _both(make, wrap)
    argnums = tuple(range(len(args)))
    _close(ours(*args), theirs(*args))
    _close(dualrev.grad(ours, argnums)(*args), jax.grad(theirs, argnums)(*args))
    _close(dualrev.jacrev(ours, argnums)(*args), jax.jacrev(theirs, argnums)(*args))
    if len(args) == 1:
        xs = np.stack([args[0], args[0] * 0.5])
        _close(dualrev.vmap(dualrev.grad(ours))(xs), jax.vmap(jax.grad(theirs))(xs))


def test_custom_jvp_second_order_through_the_rule():
    ours, theirs = _both(log1pexp, lambda m, f: f)
    for x in (-2.0, 0.3, 30.0):
        _close(dualrev.grad(dualrev.grad(ours))(x), jax.grad(jax.grad(theirs))(x))
        _close(dualrev.grad(dualrev.grad(dualrev.grad(ours)))(x),
               jax.grad(jax.grad(jax.grad(theirs)))(x), 1e-9)
    # the rule keeps the large-x derivative finite where the plain function overflows
    assert dualrev.grad(ours)(800.0) == 1.0
    assert np.isnan(dualrev.grad(lambda x: dnp.log1p(dnp.exp(x)))(800.0))


def test_custom_jvp_under_vmap_in_every_position():
    ours, theirs = _both(safe_hypot, lambda m, f: f)
    xs, ys = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    for in_axes in ((0, 0), (0, None), (None, 0)):
        y = ys if in_axes[1] == 0 else ys[0]
        x = xs if in_axes[0] == 0 else xs[0]

        def ours_loss(x, y):
            return dnp.sum(dualrev.vmap(ours, in_axes)(x, y))

        def theirs_loss(x, y):
            return jnp.sum(jax.vmap(theirs, in_axes)(x, y))
        _close(dualrev.grad(ours_loss, (0, 1))(x, y), jax.grad(theirs_loss, (0, 1))(x, y))
        _close(dualrev.jacfwd(ours_loss, (0, 1))(x, y), jax.jacfwd(theirs_loss, (0, 1))(x, y))


# ----------------------------------------------------------------------------- beyond JAX:
# forward mode of a custom_vjp function uses its rule

def test_forward_mode_of_custom_vjp_uses_the_rule():
    f = sin_times(dnp, scale=2.0)       # the rule is twice the true derivative
    x, y = np.array([0.3, 1.1, 2.0]), 1.7
    rule_dx = np.diag(2.0 * np.cos(x) * y)          # the rule's Jacobian, in closed form
    rule_dy = 2.0 * np.sin(x)
    jf = dualrev.jacfwd(f, (0, 1))(x, y)
    jr = dualrev.jacrev(f, (0, 1))(x, y)
    _close(jf, (rule_dx, rule_dy))
    _close(jr, (rule_dx, rule_dy))
    v, w = RNG.standard_normal(3), 0.7
    out, t = dualrev.jvp(f, (x, y), (v, w))
    _close(t, rule_dx @ v + rule_dy * w)
    _, f_lin = dualrev.linearize(f, x, y)
    _close(f_lin(v, w), t)
    # second order: the derivative of the rule (reverse over forward and forward over reverse)
    loss = lambda x: dnp.sum(f(x, y))
    _close(dualrev.hessian(loss)(x), np.diag(-2.0 * np.sin(x) * y))
    _close(dualrev.jacrev(dualrev.jacfwd(loss))(x), np.diag(-2.0 * np.sin(x) * y))
    # JAX refuses forward mode here
    g = sin_times(jnp, scale=2.0)
    with pytest.raises(TypeError, match="forward-mode"):
        jax.jvp(g, (x, y), (v, w))


def test_forward_mode_of_custom_vjp_with_pytrees_and_none():
    f = vjp_tree_none(dnp)
    w, v, z = np.array([1.0, 2.0]), np.array([3.0]), np.array([0.5, -1.0])
    # the rule gives no derivative for v (None): forward mode agrees with reverse
    jf = dualrev.jacfwd(f, (0, 1, 2))(w, v, z)
    jr = dualrev.jacrev(f, (0, 1, 2))(w, v, z)
    _close(jf, jr)
    _close(jf, (z, np.zeros(1), w))


def test_forward_mode_of_custom_vjp_under_vmap():
    f = two_outputs(dnp)
    xs = RNG.standard_normal((3, 2))
    t = RNG.standard_normal((3, 2))
    out, tout = dualrev.vmap(lambda x, v: dualrev.jvp(f, (x,), (v,)))(xs, t)
    _close(tout, (np.exp(xs) * t, np.cos(xs) * t))
    tout2 = dualrev.jvp(dualrev.vmap(f), (xs,), (t,))[1]
    _close(tout2, (np.exp(xs) * t, np.cos(xs) * t))


@pytest.mark.parametrize("kind", ["jvp", "vjp"])
def test_adjoint_identity(kind):
    f = safe_hypot(dnp) if kind == "jvp" else sin_times(dnp, scale=1.5)
    for seed in range(5):
        rng = np.random.default_rng(seed)
        x, y = rng.standard_normal(4), rng.standard_normal(4) + 2.0
        if kind == "vjp":
            y = float(y[0])
        v = (rng.standard_normal(4), rng.standard_normal(np.shape(y)))
        out, t = dualrev.jvp(f, (x, y), v)
        w = rng.standard_normal(np.shape(out))
        _, pull = dualrev.vjp(f, x, y)
        ct = pull(w)
        lhs = float(np.sum(t * w))
        rhs = float(sum(np.sum(a * b) for a, b in zip(v, ct)))
        assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


def test_rule_that_is_the_true_derivative_matches_finite_differences():
    f = log1pexp(dnp)
    for x in (-4.0, 0.1, 3.0):
        eps = 1e-6
        fd = (np.log1p(np.exp(x + eps)) - np.log1p(np.exp(x - eps))) / (2 * eps)
        assert dualrev.grad(f)(x) == pytest.approx(fd, rel=1e-8)
    g = sin_times(dnp)
    x, y = np.array([0.4, -1.0]), 0.8
    eps = 1e-6
    for i in range(2):
        e = np.zeros(2)
        e[i] = eps
        fd = (np.sum(np.sin(x + e) * y) - np.sum(np.sin(x - e) * y)) / (2 * eps)
        assert dualrev.jacfwd(lambda x: dnp.sum(g(x, y)))(x)[i] == pytest.approx(fd, rel=1e-8)


def test_grad_of_grad_of_custom_vjp():
    ours, theirs = _both(lambda m: sin_times(m, 1.0), lambda m, f: (lambda x: m.sum(f(x, 2.0))))
    x = np.array([0.3, 0.9])
    _close(dualrev.jacrev(dualrev.grad(ours))(x), jax.jacrev(jax.grad(theirs))(x))


def test_on_tensors():
    f = sin_times(dnp)
    x = dualrev.tensor([1.0, 2.0], dtype=dualrev.float64, requires_grad=True)
    y = dualrev.tensor(2.0, dtype=dualrev.float64, requires_grad=True)
    (f(x, y).sum() * 2).backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.cos([1.0, 2.0]))
    np.testing.assert_allclose(y.grad.numpy(), 2 * np.sin([1.0, 2.0]).sum())
    g = log1pexp(dnp)
    z = dualrev.tensor([800.0], dtype=dualrev.float64, requires_grad=True)
    g(z).sum().backward()
    assert z.grad.numpy()[0] == 1.0
    with dualrev.no_grad():
        assert not f(x, y).requires_grad


def test_tape_listing_shows_the_node():
    f = sin_times(dnp)
    text = str(dualrev.make_tape(lambda x: f(x, 2.0) * 2)(np.ones(2)))
    assert "f " in text and "f[0]" in text


# ----------------------------------------------------------------------------- bad input

def _jvp_fn(rule):
    f = dualrev.custom_jvp(lambda x: dnp.sin(x))
    f.defjvp(rule)
    return f


def _vjp_fn(bwd, fwd=None):
    f = dualrev.custom_vjp(lambda x, y: dnp.sin(x) * y)
    f.defvjp(fwd or (lambda x, y: (f(x, y), (x, y))), bwd)
    return f


def test_errors():
    x = np.array([0.1, 0.2])
    with pytest.raises(TypeError, match=r"pair \(primal_out, tangent_out\)"):
        dualrev.grad(lambda x: dnp.sum(_jvp_fn(lambda p, t: dnp.sin(p[0]))(x)))(x)
    with pytest.raises(ValueError, match=r"shape \(\) for output leaf 0, expected shape \(2,\)"):
        dualrev.jvp(_jvp_fn(lambda p, t: (dnp.sin(p[0]), dnp.sum(t[0]))), (x,), (x,))
    with pytest.raises(TypeError, match="structure"):
        dualrev.jvp(_jvp_fn(lambda p, t: (dnp.sin(p[0]), (t[0], t[0]))), (x,), (x,))
    with pytest.raises(TypeError, match=r"one cotangent per differentiable argument \(2\), "
                                        r"got a tuple of length 1"):
        dualrev.grad(lambda x: dnp.sum(_vjp_fn(lambda r, g: (g,))(x, 1.0)))(x)
    with pytest.raises(ValueError, match=r"shape \(2,\) for argument 1, expected shape \(\)"):
        dualrev.grad(lambda x: dnp.sum(_vjp_fn(lambda r, g: (g, g))(x, 1.0)))(x)
    with pytest.raises(TypeError, match="structure"):
        dualrev.grad(lambda x: dnp.sum(_vjp_fn(lambda r, g: ((g, g), 0.0))(x, 1.0)))(x)
    with pytest.raises(TypeError, match=r"pair \(primal_out, residuals\)"):
        dualrev.grad(lambda x: dnp.sum(_vjp_fn(lambda r, g: (g, 0.0), lambda x, y: x)(x, 1.0)))(x)
    f = dualrev.custom_jvp(dnp.sin)
    with pytest.raises(AttributeError, match="No JVP defined for custom_jvp function"):
        f(x)
    with pytest.raises(TypeError, match="custom_jvp function: define its rule with defjvp"):
        f.defvjp(lambda x: x, lambda r, g: g)
    g = dualrev.custom_vjp(dnp.sin)
    with pytest.raises(AttributeError, match="No VJP defined for custom_vjp function"):
        g(x)
    with pytest.raises(TypeError, match="custom_vjp function: define its rule with defvjp"):
        g.defjvp(lambda p, t: p)
    with pytest.raises(TypeError, match="nondiff_argnums names argument 2"):
        h = dualrev.custom_jvp(lambda x, y: x, nondiff_argnums=(2,))
        h.defjvp(lambda *a: a)
        h(1.0, 2.0)


def test_double_backward_on_tensors_differentiates_the_residuals():
    # create_graph records the backward sweep: the rule's residuals must carry their
    # derivatives (cos(x) in sin_times's VJP), else the second derivative would miss them
    x = dualrev.tensor([0.5, 1.0], dtype=dualrev.float64, requires_grad=True)
    g, = dualrev.autograd.grad(sin_times(dnp)(x, 2.0).sum(), x, create_graph=True)
    h, = dualrev.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), -2.0 * np.sin([0.5, 1.0]), rtol=1e-12)
    g, = dualrev.autograd.grad(log1pexp(dnp)(x).sum(), x, create_graph=True)
    h, = dualrev.autograd.grad(g.sum(), x)
    e = np.exp([0.5, 1.0])
    np.testing.assert_allclose(h.numpy(), e / (1 + e) ** 2, rtol=1e-12)
    y = sin_times(dnp)(x, 2.0).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
