"""Derivatives of functions of Dask arrays, computed on a dask.distributed cluster.

A ``LocalCluster`` of two worker processes is started for this module.  Every
transformation of a function of Dask arrays must build a Dask graph and compute
nothing.  That is checked two ways: with *poisoned* data, a Dask array whose
blocks raise when computed (had the engine computed anything that depends on the
data while differentiating, the transformation itself would raise), and with the
cluster's task stream, which must record no task while the derivative is built.
The numbers are checked by computing on the cluster and comparing with dualrev on
the same NumPy arrays, with JAX and with hand-written gradients.
"""
import logging

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("dask.distributed")

from helpers import assert_tree_close, dnp, dualrev, jax, jnp, leaves  # noqa: E402


@pytest.fixture(scope="module")
def client():
    """Two worker processes of one thread each, on the loopback interface, quiet."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  worker_dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster, timeout="60s") as c:
        c.wait_for_workers(2, timeout=60)
        yield c


class Poisoned(Exception):
    pass


def _poison(block):
    raise Poisoned("a block of the data was computed")


def poisoned(shape, chunks):
    """A Dask array that raises when any of its blocks is computed."""
    return da.ones(shape, chunks=chunks).map_blocks(_poison, dtype=np.float64)


def on_cluster(client, tree):
    """The tree's Dask arrays computed on the cluster (other leaves as they are)."""
    flat = leaves(tree)
    lazy = [i for i, v in enumerate(flat) if isinstance(v, da.Array)]
    done = client.compute([flat[i] for i in lazy], sync=True)
    for i, v in zip(lazy, done):
        flat[i] = v
    it = iter(flat)

    def rebuild(t):
        if isinstance(t, (tuple, list)):
            return type(t)(rebuild(x) for x in t)
        return next(it)
    return rebuild(tree)


# ============================================================================ the headline

def test_least_squares_gradient_is_a_dask_array_computed_on_the_cluster(client):
    rng = da.random.default_rng(0)
    X = rng.standard_normal((10_000, 10), chunks=(1_000, 10))
    y = X @ np.arange(10.0) + rng.standard_normal(10_000, chunks=1_000)
    w = np.linspace(-1.0, 1.0, 10)

    def loss(w):
        return dnp.mean((X @ w - y) ** 2)

    g = dualrev.grad(loss)(w)
    assert isinstance(g, da.Array) and g.shape == (10,)
    with distributed.get_task_stream(client) as stream:
        got = client.compute(g, sync=True)
    assert isinstance(got, np.ndarray)
    ran_on = {t["worker"] for t in stream.data}
    assert stream.data and ran_on <= set(client.scheduler_info()["workers"]), ran_on
    Xn, yn = client.compute([X, y], sync=True)
    np.testing.assert_allclose(got, 2 * Xn.T @ (Xn @ w - yn) / len(yn), rtol=1e-12)
    np.testing.assert_allclose(got, dualrev.grad(lambda w: dnp.mean((Xn @ w - yn) ** 2))(w),
                               rtol=1e-12)


def test_least_squares_gradient_graph_keeps_the_data_s_chunks():
    """No array in the gradient's graph puts more rows in one block than X's chunks
    have (a block spanning all rows would make a worker's memory grow with n)."""
    rng = da.random.default_rng(0)
    X = rng.standard_normal((10_000, 10), chunks=(1_000, 10))
    y = rng.standard_normal(10_000, chunks=1_000)
    g = dualrev.grad(lambda w: dnp.mean((X @ w - y) ** 2))(np.zeros(10))
    wide = []
    for name, layer in g.__dask_graph__().layers.items():
        info = layer.collection_annotations or {}
        shape, block = info.get("shape", ()), info.get("chunksize", ())
        if any(n == 10_000 and b > 1_000 for n, b in zip(shape, block)):
            wide.append(f"{name.rsplit('-', 1)[0]}: shape {shape}, blocks {block}")
    assert not wide, "blocks spanning all the rows: " + "; ".join(wide)


# ============================================================================ lazy graphs

def _mix(w, X, m=dnp):
    """Elementwise, reductions, matmul, indexing, reshape, concatenate, where, maximum."""
    h = m.tanh(X @ w)
    z = m.concatenate([h[:5], m.maximum(h[5:], 0.1 * h[5:])])
    z = m.where(z > 0, z, m.exp(z) - 1.0)
    z = m.reshape(z, (-1, 2)).sum(axis=1)
    return m.sum(z * m.sin(z)) + m.max(h) + m.mean(X[:, 0] * w[0])


TRANSFORMS = {
    "grad": lambda f, w: dualrev.grad(f)(w),
    "value_and_grad": lambda f, w: dualrev.value_and_grad(f)(w),
    "vjp": lambda f, w: dualrev.vjp(f, w)[1](1.0),
    "jvp": lambda f, w: dualrev.jvp(f, (w,), (np.ones_like(w),)),
    "jacfwd": lambda f, w: dualrev.jacfwd(f)(w),
    "jacrev": lambda f, w: dualrev.jacrev(f)(w),
    "hessian": lambda f, w: dualrev.hessian(f)(w),
    "linearize": lambda f, w: dualrev.linearize(f, w)[1](np.ones_like(w)),
    "vmap": lambda f, w: dualrev.vmap(f)(np.stack([w, -w, 2 * w])),
    "vmap_of_grad": lambda f, w: dualrev.vmap(dualrev.grad(f))(np.stack([w, 2 * w])),
    "jvp_of_grad": lambda f, w: dualrev.jvp(dualrev.grad(f), (w,), (np.ones_like(w),)),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transformations_build_graphs_and_compute_nothing(client, name):
    """With data that raises when computed, every transformation still returns, with
    Dask arrays only, and no task runs on the cluster meanwhile; computing the result
    on the cluster raises."""
    P = poisoned((40, 3), (10, 3))
    with distributed.get_task_stream(client) as stream:
        out = TRANSFORMS[name](lambda w: _mix(w, P), np.array([0.3, -0.2, 0.5]))
    assert stream.data == [], f"{name} ran tasks on the cluster while building the graph"
    for v in leaves(out):
        assert isinstance(v, da.Array), f"{name} returned a {type(v).__name__}, not a Dask array"
    with pytest.raises(Poisoned):
        client.compute(leaves(out)[-1], sync=True)


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transformations_agree_with_numpy(client, name):
    rng = np.random.default_rng(1)
    Xn = rng.standard_normal((40, 3))
    X = da.from_array(Xn, chunks=(10, 3))
    w = np.array([0.3, -0.2, 0.5])
    want = TRANSFORMS[name](lambda w: _mix(w, Xn), w)
    got = on_cluster(client, TRANSFORMS[name](lambda w: _mix(w, X), w))
    assert_tree_close(got, want, rtol=1e-10, atol=1e-12, err=name)


def test_mix_against_jax_in_both_modes_and_second_order(client):
    rng = np.random.default_rng(3)
    Xn = rng.standard_normal((40, 3))
    X = da.from_array(Xn, chunks=(10, 3))
    w = np.array([0.3, -0.2, 0.5])
    f, fj = (lambda w: _mix(w, X)), (lambda w: _mix(w, Xn, jnp))
    got = on_cluster(client, [dualrev.grad(f)(w), dualrev.jvp(f, (w,), (w,))[1],
                              dualrev.hessian(f)(w)])
    want = [jax.grad(fj)(w), jax.jvp(fj, (w,), (w,))[1], jax.hessian(fj)(w)]
    for name, g, j in zip(["grad", "jvp", "hessian"], got, want):
        np.testing.assert_allclose(g, j, rtol=1e-10, atol=1e-12, err_msg=name)


def test_dask_inputs_and_jax(client):
    """Differentiating with respect to the Dask array itself, against JAX."""
    rng = np.random.default_rng(2)
    xn = rng.uniform(-1.0, 1.0, (6, 4))
    x = da.from_array(xn, chunks=(3, 2))

    def f(m):
        return lambda x: m.sum(m.sin(x) * x ** 2) / m.max(m.abs(x) + 1.0)

    g = dualrev.grad(f(dnp))(x)
    assert isinstance(g, da.Array) and g.chunks == x.chunks
    np.testing.assert_allclose(on_cluster(client, g), jax.grad(f(jnp))(xn), rtol=1e-12)
    H = dualrev.hessian(f(dnp))(x)
    assert isinstance(H, da.Array) and H.shape == (6, 4, 6, 4)
    np.testing.assert_allclose(on_cluster(client, H), jax.hessian(f(jnp))(xn), rtol=1e-10,
                               atol=1e-12)
    hvp = dualrev.jvp(dualrev.grad(f(dnp)), (x,), (da.ones_like(x),))[1]
    np.testing.assert_allclose(on_cluster(client, hvp),
                               jax.jvp(jax.grad(f(jnp)), (xn,), (np.ones_like(xn),))[1],
                               rtol=1e-10, atol=1e-12)


def test_gradient_keeps_a_numpy_parameter_s_dtype_and_shape(client):
    X = da.ones((8, 2), chunks=(4, 2), dtype=np.float32)
    w = np.ones(2, np.float32)
    g = dualrev.grad(lambda w: dnp.sum(X @ w))(w)
    assert isinstance(g, da.Array) and g.dtype == np.float32 and g.shape == (2,)
    np.testing.assert_array_equal(on_cluster(client, g), [8.0, 8.0])


# ============================================================================ bad input

def test_dask_with_another_library_names_both_and_the_primitive():
    xs = pytest.importorskip("array_api_strict")
    x = da.ones(3, chunks=2)
    with pytest.raises(TypeError, match=r"'multiply': arrays of two libraries in one call, "
                                        r"dask and array_api_strict"):
        dualrev.grad(lambda w: dnp.sum(x * w))(xs.asarray([1.0, 2.0, 3.0]))


def test_unknown_chunk_sizes_raise_dask_s_error_naming_the_function():
    x = da.from_array(np.linspace(-1.0, 1.0, 10), chunks=5)
    m = x[x > 0]                                   # its length is not known until computed
    with pytest.raises(ValueError, match="chunk size or shape is unknown") as info:
        dualrev.grad(lambda s: dnp.mean(m * s))(1.0)
    assert "compute_chunk_sizes" in str(info.value)
    assert any("'mean'" in n for n in info.value.__notes__)
