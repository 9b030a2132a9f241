"""Shared test helpers: JAX in float64 on the CPU, finite differences, tree comparison.

Importing this module configures JAX (CPU platform, ``jax_enable_x64``, XLA
flags for quick compilation) before any test touches ``jax.numpy``;
``conftest.py`` imports it first.
"""
import os
import zlib

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# The tests compile many small, short-lived JAX programs: cheap compilation
# matters more than fast generated code.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0 "
                                   "--xla_llvm_disable_expensive_passes=true")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)

import dualrev  # noqa: E402
import dualrev.numpy as dnp  # noqa: E402

__all__ = ["jax", "jnp", "dualrev", "dnp", "AD", "seed_for", "leaves", "to_numpy",
           "assert_tree_close", "assert_tree_dtypes", "numerical_jacobian", "vdot"]

# The autodiff module matching each array namespace, so one test function
# written as ``fn(m, *args)`` can run under either library.
AD = {dnp: dualrev, jnp: jax}


def seed_for(text):
    """A stable integer seed derived from a string (e.g. a test id)."""
    return zlib.crc32(text.encode())


def leaves(tree):
    """Leaves of a nest of tuples/lists (the structure jacfwd/jacrev/hessian return)."""
    if isinstance(tree, (tuple, list)):
        out = []
        for t in tree:
            out.extend(leaves(t))
        return out
    return [tree]


def structure(tree):
    """The nesting of tuples/lists, with every leaf replaced by ``None``."""
    if isinstance(tree, (tuple, list)):
        return tuple(structure(t) for t in tree)
    return None


def to_numpy(x):
    """A NumPy array of a leaf from either library (tracers are not accepted)."""
    if isinstance(x, dualrev.Tracer):
        raise AssertionError(f"a traced value leaked out of a transformation: {x!r}")
    return np.asarray(x)


def assert_tree_close(actual, expected, rtol=1e-9, atol=1e-11, check_dtype=True, err=""):
    """Same nesting, same shapes, (optionally) same dtypes and close values.

    NaN matches NaN and inf matches inf of the same sign.  Leaves in float32
    are held to at least float32-level tolerances.
    """
    assert structure(actual) == structure(expected), (
        f"{err}: structure {structure(actual)} != {structure(expected)}")
    for k, (a, e) in enumerate(zip(leaves(actual), leaves(expected))):
        a, e = to_numpy(a), to_numpy(e)
        where = f"{err} (leaf {k})"
        assert a.shape == e.shape, f"{where}: shape {a.shape} != expected {e.shape}"
        if check_dtype:
            assert a.dtype == e.dtype, f"{where}: dtype {a.dtype} != expected {e.dtype}"
        r, t = rtol, atol
        if {np.dtype(np.float32), np.dtype(np.complex64)} & {a.dtype, e.dtype}:   # rounding
            r, t = max(r, 1e-5), max(t, 1e-6)
        wide = np.complex128 if np.iscomplexobj(a) or np.iscomplexobj(e) else np.float64
        np.testing.assert_allclose(a.astype(wide), e.astype(wide), rtol=r,
                                   atol=t, equal_nan=True, err_msg=where)


def assert_tree_dtypes(tree, dtype, err=""):
    for k, a in enumerate(leaves(tree)):
        a = to_numpy(a)
        assert a.dtype == np.dtype(dtype), f"{err} (leaf {k}): dtype {a.dtype} != {np.dtype(dtype)}"


def numerical_jacobian(f, args, argnum, eps=1e-6):
    """Central-difference Jacobian of ``f(*args)`` w.r.t. ``args[argnum]`` in float64.

    Returns an array of shape ``out.shape + args[argnum].shape``.
    """
    args = [np.asarray(a, dtype=np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
            else a for a in args]
    x = np.array(args[argnum], dtype=np.float64)
    out_shape = np.shape(f(*args))
    cols = []
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = eps
        step = step.reshape(x.shape)
        plus = list(args)
        minus = list(args)
        plus[argnum] = x + step
        minus[argnum] = x - step
        d = (np.asarray(f(*plus), dtype=np.float64) - np.asarray(f(*minus), dtype=np.float64))
        cols.append(d / (2 * eps))
    if not cols:
        return np.zeros(out_shape + x.shape)
    return np.stack(cols, axis=-1).reshape(out_shape + x.shape)


def vdot(a, b):
    """Sum of the elementwise product, in float64, of two same-shaped leaves."""
    a, b = to_numpy(a).astype(np.float64), to_numpy(b).astype(np.float64)
    assert a.shape == b.shape, f"vdot: shapes {a.shape} and {b.shape} differ"
    return float(np.sum(a * b))
