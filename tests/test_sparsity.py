"""Sparse Jacobians and Hessians (dualrev.sparsity): detected patterns against the
nonzeros of JAX's and dualrev's dense derivatives, the colorings against checkers
(and the checkers against planted bugs), compressed results against the dense ones,
formats, caching and errors."""
import itertools
import sys

import numpy as np
import pytest

import dualrev.sparsity as sparsity
from dualrev.core import Primitive, bind, registry
from dualrev.numpy._shape import set_item
from dualrev.sparsity import (check_distance2_coloring, check_star_coloring, distance2_coloring,
                              hessian_sparsity, jacobian_sparsity, sparse_hessian,
                              sparse_jacobian, star_coloring)
from helpers import assert_tree_close, dnp, dualrev, jax, jnp, seed_for
from test_primitives import TABLE

RNG = np.random.default_rng(seed_for("test_sparsity"))


def flat_jacobian(jac, m):
    """A Jacobian in jacfwd's layout for one output array and argnums tuple, as (m, n)."""
    return np.hstack([np.asarray(j).reshape(m, -1) for j in jac])


def nonzeros(a):
    return np.abs(np.asarray(a)) > 0


def flat_output(f):
    """f with its output leaves raveled and concatenated (dualrev or JAX, by the leaves)."""
    def g(*args):
        leaves = jax.tree_util.tree_leaves(f(*args))
        m = jnp if any(isinstance(o, jax.Array) for o in leaves) else dnp
        return m.concatenate([m.ravel(o) for o in leaves])
    return g


# ============================================================================ every primitive

def test_a_primitive_without_a_rule_of_its_own_gets_the_dense_pattern():
    cumsum_p = Primitive("cumsum_for_test", np.cumsum, jvp=None, vjp=None, register=False)
    assert sparsity.rule_for(cumsum_p) is sparsity._every_input
    P = jacobian_sparsity(lambda x: bind(cumsum_p, (x[1:] * 2.0,)))(np.ones(3))
    np.testing.assert_array_equal(P, [[False, True, True]] * 2)


def test_a_rule_attached_by_pattern_rule_is_used():
    def impl(x):
        return np.cumsum(x)
    cumsum_p = Primitive("cumsum_for_test", impl, jvp=None, vjp=None, register=False)
    registry["cumsum_for_test"] = cumsum_p
    try:
        @sparsity.pattern_rule("cumsum_for_test")
        def _cumsum(prim, ans, pats, primals, params):
            n = np.size(ans)
            rows, cols = np.tril_indices(n)
            return sparsity._compose(pats[0], rows, cols, n)
    finally:
        del registry["cumsum_for_test"]
    assert sparsity.rule_for(cumsum_p) is _cumsum
    P = jacobian_sparsity(lambda x: bind(cumsum_p, (x[::-1],)))(np.ones(3))
    np.testing.assert_array_equal(P, np.tril(np.ones((3, 3), bool))[:, ::-1])


def test_escaped_value_and_printing():
    kept = []

    def f(x):
        y = dnp.sin(x)
        kept.append(y)
        assert repr(y).startswith("Deps(shape=(3,), nnz=3")
        return y
    jacobian_sparsity(f)(np.ones(3))
    with pytest.raises(dualrev.EscapedTracerError):
        kept[0] * 2.0


def test_nested_transformations_inside():
    """A Jacobian, a vmap and a gradient computed inside the function are traced through."""
    g = lambda x: dnp.sin(x) * x[::-1]   # noqa: E731
    x = RNG.uniform(0.5, 1.5, size=4)
    for f in (lambda x: dnp.ravel(dualrev.jacfwd(g)(x)),
              lambda x: dnp.ravel(dualrev.jacrev(g)(x)),
              lambda x: dualrev.vmap(lambda r: dnp.sum(r ** 2))(dnp.reshape(x, (2, 2))),
              lambda x: dualrev.grad(lambda x: dnp.sum(g(x) ** 2))(x)):
        J = dualrev.jacfwd(f)(x)
        assert not (nonzeros(J) & ~jacobian_sparsity(f)(x)).any()
        assert_tree_close(sparse_jacobian(f)(x), J)
    np.testing.assert_array_equal(
        jacobian_sparsity(lambda x: dualrev.vmap(dnp.sum)(dnp.reshape(x, (2, 2))))(x),
        np.kron(np.eye(2, dtype=bool), np.ones((1, 2), bool)))


CASES = [c for name in sorted(TABLE) for c in TABLE[name]]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_primitive_table_pattern_and_values(case):
    """For every case of the primitive table: the detected pattern holds every nonzero
    of dualrev's dense Jacobian (itself checked against JAX), and the sparse Jacobian
    (forward and reverse) equals it."""
    args = case.inputs()
    f = case.restricted(dnp, args)
    d = case.diff_args(args)
    an = case.argnums()
    m = np.size(f(*d))
    J = flat_jacobian(dualrev.jacfwd(flat_output(f), an)(*d), m)
    P = jacobian_sparsity(f, an)(*d)
    assert P.shape == J.shape
    assert not (nonzeros(J) & ~P).any(), f"{case.id}: the pattern misses nonzeros"
    for mode in ("forward", "reverse"):
        rows, cols, vals = sparse_jacobian(f, an, mode=mode, format="coo")(*d)
        got = np.zeros(J.shape, vals.dtype)
        got[rows, cols] = vals
        np.testing.assert_allclose(got, J, rtol=1e-6 if got.dtype == np.float32 else 1e-12,
                                   atol=1e-6 if got.dtype == np.float32 else 1e-12,
                                   err_msg=f"{case.id} {mode}")


# ============================================================================ against JAX

def _stencil(m, x):
    return m.concatenate([x[:1] * -2 + x[1:2], x[:-2] - 2 * x[1:-1] + x[2:],
                          x[-2:-1] - 2 * x[-1:]])


def _sparse_matrix(shape, density, rng):
    a = rng.normal(size=shape)
    return a * (rng.uniform(size=shape) < density)


A_SPARSE = _sparse_matrix((7, 6), 0.3, RNG)
B_SPARSE = _sparse_matrix((4, 5), 0.4, RNG)
BLOCKS = RNG.normal(size=(4, 3, 3))
_IDX = np.array([2, 0, 0, 3])


def _set(m, x, idx, v):
    return x.at[idx].set(v) if m is jnp else set_item(x, idx, v)


# name -> (fn(m, x), input shape): the pattern is exact (equal to the nonzeros of
# JAX's Jacobian at a random point) for each of these.
EXACT = {
    "unary_chain": (lambda m, x: m.exp(m.sin(x)) * m.cos(x) + m.tanh(x) ** 2 - m.sqrt(x * x + 1),
                    (2, 3)),
    "binary_broadcast": (lambda m, x: x * x[:1] + x[:, :1] / (2 + x[1:2, 2:3] ** 2)
                         - m.power(x, 3.0) + m.remainder(x, 0.7), (3, 4)),
    "sum_axes": (lambda m, x: m.concatenate([m.ravel(m.sum(x ** 2, axis=1)),
                                             m.ravel(m.sum(x, axis=(0, 2), keepdims=True))]),
                 (2, 3, 4)),
    "prod_axis": (lambda m, x: m.prod(x, axis=0) + m.mean(x, axis=0), (3, 4)),
    "shape_ops": (lambda m, x: m.transpose(m.reshape(x, (4, 3)))[_IDX[:3] % 3, 1:] * 2.0,
                  (3, 4)),
    "getitem_int_arrays": (lambda m, x: x[_IDX, ::-1] + x[::2][np.array([1, 1, 0])].sum(), (4, 3)),
    "concatenate_set_item": (lambda m, x: _set(m, m.concatenate([x, m.sin(x[:2])]),
                                               (slice(1, 3), 0), x[3, :1] * 5.0), (4, 3)),
    "matmul_const_sparse": (lambda m, x: A_SPARSE @ x, (6,)),
    "matmul_const_sparse_right": (lambda m, x: m.sin(x) @ B_SPARSE, (3, 4)),
    "einsum_const_sparse": (lambda m, x: m.einsum("ij,jk->ik", x, B_SPARSE), (3, 4)),
    "einsum_diag_and_products": (lambda m, x: m.einsum("ii->i", x) * m.einsum("ij,ij->i", x, x),
                                 (3, 3)),
    "tridiagonal_stencil": (lambda m, x: m.sin(x) + _stencil(m, x), (9,)),
    "arrowhead": (lambda m, x: m.concatenate([m.sum(x ** 2)[None], x[1:] * x[0]]), (8,)),
    "dense_row": (lambda m, x: m.concatenate([m.sum(m.sin(x))[None], x[1:] ** 2]), (8,)),
    "dense_column": (lambda m, x: m.exp(x) * x[0], (8,)),
    "block_diagonal": (lambda m, x: m.ravel(m.einsum("kij,kj->ki", BLOCKS,
                                                     m.reshape(x, (4, 3)) ** 2)), (12,)),
}


@pytest.mark.parametrize("name", sorted(EXACT))
def test_pattern_exact_and_jacobian_against_jax(name):
    fn, shape = EXACT[name]
    x = RNG.uniform(0.5, 1.5, size=shape)
    expected = np.asarray(jax.jit(jax.jacfwd(lambda x: fn(jnp, x)))(x))
    m = int(np.size(fn(np, x)))
    P = jacobian_sparsity(lambda x: fn(dnp, x))(x)
    np.testing.assert_array_equal(P, nonzeros(expected).reshape(m, -1), err_msg=name)
    for mode in ("auto", "forward", "reverse"):
        got = sparse_jacobian(lambda x: fn(dnp, x), mode=mode)(x)
        assert_tree_close(got, expected, err=f"{name} {mode}")
    assert_tree_close(got, dualrev.jacfwd(lambda x: fn(dnp, x))(x), err=name)


def test_pattern_does_not_depend_on_values():
    """where takes both branches, max every element, a product with a zero constant
    keeps the dependence: the pattern is the same at every point."""
    c = np.array([0.0, 1.0, 0.0, 2.0])

    def f(x):
        return dnp.concatenate([dnp.where(x > 0, dnp.sin(x), x[::-1] ** 2),
                                dnp.max(x[:2])[None], c * x, dnp.maximum(x, 0.0)])
    pats = [jacobian_sparsity(f)(x) for x in (np.ones(4), -np.ones(4), np.array([1, -1, 2, -2.0]))]
    for p in pats[1:]:
        np.testing.assert_array_equal(p, pats[0])
    assert pats[0][:4].sum() == 8 and pats[0][4, :2].all() and pats[0][5:9].trace() == 4


def test_stop_gradient_and_comparisons_drop_the_dependence():
    f = lambda x: x * dualrev.stop_gradient(x)[::-1] + (x > 0) * 1.0   # noqa: E731
    np.testing.assert_array_equal(jacobian_sparsity(f)(np.arange(1.0, 4.0)), np.eye(3, dtype=bool))


def test_two_arguments_and_pytrees():
    def f(m, x, y):
        return {"a": x[:, None] * y[None, :2], "b": m.sin(y) * x.sum()}
    x, y = RNG.normal(size=3), RNG.normal(size=4)
    expected = jax.jit(jax.jacfwd(lambda x, y: f(jnp, x, y), argnums=(0, 1)))(x, y)
    for mode in ("forward", "reverse"):
        got = sparse_jacobian(lambda x, y: f(dnp, x, y), argnums=(0, 1), mode=mode)(x, y)
        assert sorted(got) == ["a", "b"]
        for k in got:
            assert_tree_close(got[k], tuple(map(np.asarray, expected[k])), err=f"{mode} {k}")
    P = jacobian_sparsity(lambda x, y: f(dnp, x, y), argnums=(0, 1))(x, y)
    assert P.shape == (6 + 4, 7)
    # A dict argument, and argnums naming the second argument only.
    g = lambda c, p: p["w"] * dnp.sum(p["v"]) + c   # noqa: E731
    p = {"w": RNG.normal(size=3), "v": RNG.normal(size=2)}
    got, expected = sparse_jacobian(g, argnums=1)(1.0, p), dualrev.jacfwd(g, argnums=1)(1.0, p)
    assert sorted(got) == sorted(expected) == ["v", "w"]
    for k in got:
        assert_tree_close(got[k], expected[k], err=k)


def test_large_tridiagonal_in_coo():
    n = 20_000
    x = RNG.normal(size=n)
    f = lambda x: dnp.sin(x) + _stencil(dnp, x)   # noqa: E731
    rows, cols = jacobian_sparsity(f, format="coo")(x)
    assert len(rows) == 3 * n - 2 and (np.abs(rows - cols) <= 1).all()
    jac = sparse_jacobian(f, format="coo")
    rows, cols, vals = jac(x)
    assert jac.colors == 3 and jac.plan.mode == "forward"
    expected = np.where(rows == cols, np.cos(x)[rows] - 2.0, 1.0)
    np.testing.assert_allclose(vals, expected, rtol=1e-13)


# ============================================================================ mode choice

@pytest.mark.parametrize("name, mode, colors", [
    ("dense_row", "reverse", 2), ("dense_column", "forward", 2), ("arrowhead", "forward", 8),
    ("tridiagonal_stencil", "forward", 3), ("block_diagonal", "forward", 3)])
def test_auto_mode_picks_fewer_colors(name, mode, colors):
    fn, shape = EXACT[name]
    jac = sparse_jacobian(lambda x: fn(dnp, x))
    jac(RNG.uniform(0.5, 1.5, size=shape))
    assert (jac.plan.mode, jac.colors) == (mode, colors)


# ============================================================================ Hessians

def _rosen(m, x):
    return m.sum((x[1:] - x[:-1] ** 2) ** 2)


A_HESS = _sparse_matrix((6, 7), 0.3, RNG)
HESSIANS = {
    "rosenbrock_like": (_rosen, 10, 3),
    "chain_products": (lambda m, x: m.sum(x[:-1] * x[1:]) + m.sum(m.exp(x)), 6, 3),
    "arrowhead": (lambda m, x: x[0] * m.sum(x ** 2) + m.sum(m.sin(x)), 9, 2),
    "sparse_least_squares": (lambda m, x: m.sum(m.tanh(A_HESS @ x) ** 2), 7, None),
    "separable": (lambda m, x: m.sum(m.cos(x) * x), 5, 1),
}


@pytest.mark.parametrize("name", sorted(HESSIANS))
def test_hessian_against_jax(name):
    fn, n, colors = HESSIANS[name]
    x = RNG.uniform(0.5, 1.5, size=n)
    expected = np.asarray(jax.jit(jax.hessian(lambda x: fn(jnp, x)))(x))
    P = hessian_sparsity(lambda x: fn(dnp, x))(x)
    np.testing.assert_array_equal(P, nonzeros(expected), err_msg=name)
    np.testing.assert_array_equal(P, jacobian_sparsity(dualrev.grad(lambda x: fn(dnp, x)))(x))
    hess = sparse_hessian(lambda x: fn(dnp, x))
    assert_tree_close(hess(x), expected, err=name)
    assert check_star_coloring(*np.nonzero(P), hess.plan.coloring)
    if colors is not None:
        assert hess.colors == colors


def test_hessian_of_two_arguments():
    def f(m, x, y):
        return m.sum(x[1:] * y[:-1] ** 2) + m.sum(m.sin(x))
    x, y = RNG.normal(size=4), RNG.normal(size=4)
    expected = jax.jit(jax.hessian(lambda x, y: f(jnp, x, y), argnums=(0, 1)))(x, y)
    got = sparse_hessian(lambda x, y: f(dnp, x, y), argnums=(0, 1))(x, y)
    assert_tree_close(got, jax.tree_util.tree_map(np.asarray, expected))
    assert_tree_close(got, dualrev.hessian(lambda x, y: f(dnp, x, y), argnums=(0, 1))(x, y))


# ============================================================================ colorings

def random_pattern(m, n, density, rng):
    rows, cols = np.nonzero(rng.uniform(size=(m, n)) < density)
    return rows, cols


def _p4_ok(rows, cols, colors):
    """Brute force: every path a-b-c-d on four distinct vertices uses at least three colors."""
    adj = {}
    for i, j in zip(rows.tolist(), cols.tolist()):
        if i != j:
            adj.setdefault(i, set()).add(j)
            adj.setdefault(j, set()).add(i)
    for b, nb in adj.items():
        for c in nb:
            for a in nb - {c}:
                for d in adj[c] - {b, a}:
                    if len({colors[a], colors[b], colors[c], colors[d]}) < 3:
                        return False
    return True


def _distance1_greedy(rows, cols, n):
    """A planted bug for the star checker: a plain (distance-1) greedy coloring."""
    color = np.full(n, -1)
    for v in range(n):
        taken = {color[u] for u in cols[rows == v].tolist() + rows[cols == v].tolist() if u != v}
        color[v] = next(c for c in itertools.count() if c not in taken)
    return color


@pytest.mark.parametrize("trial", range(12))
def test_distance2_coloring_on_random_patterns(trial):
    rng = np.random.default_rng(trial)
    m, n = rng.integers(1, 30, size=2)
    rows, cols = random_pattern(m, n, rng.uniform(0.02, 0.5), rng)
    for side in ("columns", "rows"):
        colors = distance2_coloring(rows, cols, (m, n), side)
        assert check_distance2_coloring(rows, cols, colors, side)
        lines = cols if side == "columns" else rows
        assert ((colors >= 0) == np.isin(np.arange(len(colors)), lines)).all()
        if colors.max(initial=-1) >= 1:   # planted bug: merge two colors
            bad = np.where(colors == 1, 0, colors)
            other = rows if side == "columns" else cols
            shares = np.isin(other[colors[lines] == 0], other[colors[lines] == 1]).any()
            assert check_distance2_coloring(rows, cols, bad, side) == (not shares)


@pytest.mark.parametrize("trial", range(20))
def test_star_coloring_on_random_graphs(trial):
    rng = np.random.default_rng(100 + trial)
    n = int(rng.integers(2, 25))
    rows, cols = random_pattern(n, n, rng.uniform(0.05, 0.4), rng)
    sym_r, sym_c = np.concatenate([rows, cols]), np.concatenate([cols, rows])
    present = np.isin(np.arange(n), sym_r)
    colors = star_coloring(rows, cols, n)
    assert ((colors >= 0) == present).all()
    assert check_star_coloring(rows, cols, colors)
    assert _p4_ok(sym_r, sym_c, colors)
    # On a plain distance-1 coloring (often not a star coloring) the checker and brute
    # force agree.
    bad = np.where(present, _distance1_greedy(sym_r, sym_c, n), -1)
    assert check_star_coloring(rows, cols, bad) == _p4_ok(sym_r, sym_c, bad)


def _star_triple_loop(rows, cols, n):
    """Gebremedhin, Manne & Pothen's greedy star coloring as the paper writes it (the
    triple loop over w, x and y), in the same vertex order (largest degree first)."""
    sym = np.zeros((n, n), bool)
    sym[rows, cols] = sym[cols, rows] = True
    present = sym.any(axis=1)
    np.fill_diagonal(sym, False)
    adj = [np.flatnonzero(r).tolist() for r in sym]
    deg = sym.sum(axis=1)
    order = [v for v in np.argsort(-deg, kind="stable").tolist() if present[v]]
    color = [-1] * n
    for v in order:
        forbidden = set()
        for w in adj[v]:
            if color[w] >= 0:
                forbidden.add(color[w])
            for x in adj[w]:
                if color[x] < 0 or x == v:
                    continue
                if color[w] < 0 or any(y != w and color[y] == color[w] for y in adj[x]):
                    forbidden.add(color[x])
        color[v] = next(c for c in itertools.count() if c not in forbidden)
    return np.array(color)


@pytest.mark.parametrize("trial", range(30))
def test_star_coloring_matches_the_papers_triple_loop(trial):
    rng = np.random.default_rng(500 + trial)
    n = int(rng.integers(2, 40))
    rows, cols = random_pattern(n, n, rng.uniform(0.02, 0.5), rng)
    np.testing.assert_array_equal(star_coloring(rows, cols, n), _star_triple_loop(rows, cols, n))


def test_planted_bug_star_checker_and_recovery_fail():
    """On a path, a distance-1 coloring alternates two colors: a two-colored path on four
    vertices.  The checker rejects it, and a Hessian recovered with it is wrong."""
    n = 6
    rows, cols = np.arange(n - 1), np.arange(1, n)
    bad = _distance1_greedy(np.concatenate([rows, cols]), np.concatenate([cols, rows]), n)
    assert set(bad.tolist()) == {0, 1}
    assert not check_star_coloring(rows, cols, bad)
    assert not _p4_ok(np.concatenate([rows, cols]), np.concatenate([cols, rows]), bad)
    good = star_coloring(rows, cols, n)
    assert check_star_coloring(rows, cols, good) and good.max() == 2

    x = RNG.uniform(0.5, 1.5, size=n)
    expected = np.asarray(jax.jit(jax.hessian(lambda x: _rosen(jnp, x)))(x))
    f = lambda x: _rosen(dnp, x)   # noqa: E731
    sparsity.star_coloring, original = (lambda r, c, k: _distance1_greedy(r, c, k)), star_coloring
    try:
        wrong = sparse_hessian(f)(x)
    finally:
        sparsity.star_coloring = original
    assert not np.allclose(wrong, expected)
    np.testing.assert_allclose(sparse_hessian(f)(x), expected, rtol=1e-12)


def test_arrowhead_hessian_needs_two_colors_at_any_hub_position():
    for hub in (0, 5, 9):
        f = lambda x, h=hub: x[h] * dnp.sum(x ** 3)   # noqa: E731
        hess = sparse_hessian(f)
        x = RNG.uniform(0.5, 1.5, size=10)
        expected = jax.jit(jax.hessian(lambda x, h=hub: x[h] * jnp.sum(x ** 3)))(x)
        assert_tree_close(hess(x), np.asarray(expected))
        assert hess.colors == 2


# ============================================================================ formats, caching

def test_formats_agree():
    fn, shape = EXACT["tridiagonal_stencil"]
    x = RNG.normal(size=shape)
    f = lambda x: fn(dnp, x)   # noqa: E731
    dense = sparse_jacobian(f)(x)
    rows, cols, vals = sparse_jacobian(f, format="coo")(x)
    csr = sparse_jacobian(f, format="csr")(x)
    assert csr.shape == dense.shape and (csr.toarray() == dense).all()
    rebuilt = np.zeros_like(dense)
    rebuilt[rows, cols] = vals
    np.testing.assert_array_equal(rebuilt, dense)
    P = jacobian_sparsity(f)(x)
    r, c = jacobian_sparsity(f, format="coo")(x)
    np.testing.assert_array_equal(P, nonzeros(dense))
    np.testing.assert_array_equal((r, c), np.nonzero(P))
    assert (jacobian_sparsity(f, format="csr")(x).toarray() == P).all()
    H = sparse_hessian(lambda x: _rosen(dnp, x), format="coo")(x)
    Hd = sparse_hessian(lambda x: _rosen(dnp, x))(x)
    np.testing.assert_array_equal(np.nonzero(nonzeros(Hd)), H[:2])
    assert (sparse_hessian(lambda x: _rosen(dnp, x), format="csr")(x).toarray() == Hd).all()


def test_csr_without_scipy_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.sparse", None)
    with pytest.raises(ImportError, match="SciPy"):
        sparse_jacobian(dnp.sin, format="csr")(np.ones(3))
    with pytest.raises(ImportError, match="SciPy"):
        jacobian_sparsity(dnp.sin, format="csr")(np.ones(3))


def test_detection_and_coloring_run_once_per_signature(monkeypatch):
    calls = []
    detect = sparsity._detect

    def spy(*args):
        calls.append(1)
        return detect(*args)
    monkeypatch.setattr(sparsity, "_detect", spy)
    fn, _ = EXACT["tridiagonal_stencil"]
    jac = sparse_jacobian(lambda x: fn(dnp, x))
    assert jac.plan is None and jac.colors is None
    x = RNG.normal(size=9)
    first = jac(x)
    assert len(calls) == 1 and jac.colors == 3 and jac.setup_seconds >= 0
    second = jac(x + 1.0)
    assert len(calls) == 1
    assert_tree_close(second, dualrev.jacfwd(lambda x: fn(dnp, x))(x + 1.0))
    assert not np.allclose(first, second)
    jac(RNG.normal(size=11))                # another shape: detected again
    jac(RNG.normal(size=9).astype(np.float32))   # another dtype
    assert len(calls) == 3 and len(jac.cache) == 3
    jac.cache_clear()
    jac(x)
    assert len(calls) == 4
    hess = sparse_hessian(lambda x: _rosen(dnp, x))
    hess(x), hess(x * 2)
    assert len(calls) == 5
    rows, cols = jac.sparsity
    assert len(rows) == 3 * 9 - 2


@pytest.mark.parametrize("chunk_size", [1, 2, 5])
def test_chunks_give_the_same_result(chunk_size):
    x = RNG.normal(size=10)
    fn, _ = EXACT["tridiagonal_stencil"]
    for mode in ("forward", "reverse"):
        got = sparse_jacobian(lambda x: fn(dnp, x), mode=mode, chunk_size=chunk_size)(x)
        assert_tree_close(got, dualrev.jacfwd(lambda x: fn(dnp, x))(x))
    got = sparse_hessian(lambda x: _rosen(dnp, x), chunk_size=chunk_size)(x)
    assert_tree_close(got, dualrev.hessian(lambda x: _rosen(dnp, x))(x))


def test_float32_and_complex_outputs():
    x = RNG.normal(size=5).astype(np.float32)
    f = lambda x: dnp.sin(x[1:] * x[:-1])   # noqa: E731
    got = sparse_jacobian(f)(x)
    assert got.dtype == np.float32
    assert_tree_close(got, dualrev.jacfwd(f)(x))
    g = lambda x: dnp.exp(1j * x[::-1])   # noqa: E731
    x = x.astype(float)
    jac = sparse_jacobian(g)
    assert_tree_close(jac(x), dualrev.jacfwd(g)(x))
    assert jac.plan.mode == "forward"
    with pytest.raises(TypeError, match="reverse"):
        sparse_jacobian(g, mode="reverse")(x)


def test_constant_output_and_no_dependence():
    jac = sparse_jacobian(lambda x: np.arange(3.0) + 0 * dualrev.stop_gradient(x)[:3])
    J = jac(np.ones(4))
    assert J.shape == (3, 4) and not J.any() and jac.colors == 0


# ========================================================================= given patterns, errors

def test_given_sparsity_is_used_and_a_missing_entry_pollutes():
    f = lambda x: dnp.stack([x[0] + 2 * x[1], 3 * x[1]])   # noqa: E731
    x = np.ones(2)
    full = np.array([[True, True], [False, True]])
    assert_tree_close(sparse_jacobian(f, sparsity=full)(x), np.array([[1.0, 2.0], [0.0, 3.0]]))
    # Missing (0, 1): columns 0 and 1 then share a color; J[0, 1] is dropped and J[0, 0]
    # reads the sum x0 + 2 x1 of its row over both columns.
    wrong = sparse_jacobian(f, sparsity=np.eye(2, dtype=bool), mode="forward")
    np.testing.assert_array_equal(wrong(x), np.array([[3.0, 0.0], [0.0, 3.0]]))
    assert wrong.colors == 1
    with pytest.raises(ValueError, match=r"misses 1 nonzero.*\(0, 1\)"):
        sparse_jacobian(f, sparsity=np.eye(2, dtype=bool), check=True)(x)
    sparse_jacobian(f, sparsity=full, check=True)(x)    # a superset passes
    sp = pytest.importorskip("scipy.sparse")
    assert_tree_close(sparse_jacobian(f, sparsity=sp.csr_array(full))(x),
                      np.array([[1.0, 2.0], [0.0, 3.0]]))
    # Hessians: a given pattern is symmetrized, and checked as well.
    h = lambda x: dnp.sum(x[1:] * x[:-1]) + dnp.sum(x ** 3)   # noqa: E731
    upper = np.triu(np.ones((4, 4), bool)) & ~np.triu(np.ones((4, 4), bool), 2)
    assert_tree_close(sparse_hessian(h, sparsity=upper, check=True)(np.ones(4)),
                      dualrev.hessian(h)(np.ones(4)))
    with pytest.raises(ValueError, match="misses"):
        sparse_hessian(h, sparsity=np.eye(4, dtype=bool), check=True)(np.ones(4))


def test_bad_arguments():
    f = lambda x: x[1:] * x[:-1]   # noqa: E731
    x = np.ones(4)
    with pytest.raises(ValueError, match=r"sparsity must have shape \(m, n\) = \(3, 4\).*\(4, 4\)"):
        sparse_jacobian(f, sparsity=np.ones((4, 4), bool))(x)
    with pytest.raises(ValueError, match=r"sparsity.*\(3, 4\).*\(12,\)"):
        sparse_jacobian(f, sparsity=np.ones(12, bool))(x)
    with pytest.raises(TypeError, match="boolean"):
        sparse_jacobian(f, sparsity=np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"sparsity must have shape \(m, n\) = \(4, 4\)"):
        sparse_hessian(dnp.sum, sparsity=np.ones((3, 4), bool))(x)
    with pytest.raises(ValueError, match="'detect'"):
        sparse_jacobian(f, sparsity="auto")
    with pytest.raises(ValueError, match="'auto', 'forward', 'reverse'"):
        sparse_jacobian(f, mode="bidirectional")
    with pytest.raises(ValueError, match="'dense', 'coo', 'csr'"):
        sparse_jacobian(f, format="csc")
    with pytest.raises(ValueError, match="'dense', 'coo', 'csr'"):
        sparse_hessian(f, format="bsr")
    with pytest.raises(ValueError, match="'dense', 'coo', 'csr'"):
        jacobian_sparsity(f, format="lil")
    with pytest.raises(ValueError, match="chunk_size"):
        sparse_jacobian(f, chunk_size=0)
    with pytest.raises(TypeError, match="int64"):
        sparse_jacobian(f)(np.arange(4))
    with pytest.raises(TypeError, match="scalar"):
        sparse_hessian(f)(x)
    with pytest.raises(TypeError, match="argnums"):
        sparse_jacobian(f, argnums=3)(x)
