"""The primitive table on arrays of another library: ``array_api_strict``'s, on a
non-default device.

``array_api_strict`` implements the array API standard and nothing more.  Its
arrays on ``Device("device1")`` refuse to become NumPy arrays, refuse NumPy
scalars and arrays in their operations, and refuse arrays of another device,
as a GPU library's do: any place where the engine assumed ``numpy.ndarray``
(a NumPy function applied to a value, a NumPy zero added to a cotangent, a
one-hot basis built in NumPy) fails loudly here.  Every case of the primitive
table whose functions the standard has runs through values, both Jacobians,
the gradient of a weighted sum, the Hessian and vmap; results must be
``array_api_strict`` arrays on that device, equal to dualrev's NumPy results
(themselves checked against JAX in test_primitives.py).
"""
import numpy as np
import pytest

xs = pytest.importorskip("array_api_strict")

from helpers import assert_tree_close, dnp, dualrev, leaves, seed_for  # noqa: E402
from test_primitives import CASES, out_weight, vmap_examples  # noqa: E402

DEVICE = xs.Device("device1")

# Not in the array API standard: these cases stay NumPy-only.
NOT_STANDARD = {"einsum": "einsum is not in the array API standard"}
_MIXED = ("the case's function holds NumPy arrays of its own; array_api_strict refuses "
          "them in its operations (as CuPy does)")
_ORDER = "the standard orders real values only (NumPy orders complex ones lexicographically)"
SKIPPED = {
    "multiply-complex_array_const": _MIXED, "where-const_cond_bcast": _MIXED,
    "where-const_else": _MIXED, "where-const_then": _MIXED,
    "where-mixed_dtype_f32_f64": _MIXED, "where-complex": _MIXED,
    "maximum-complex": _ORDER, "minimum-complex": _ORDER, "max-complex": _ORDER,
    "min-complex": _ORDER,
}


def native_syntax(case):
    """Whether the case's function uses, on its argument itself, syntax the standard
    lacks (ndarray's methods, NumPy's indexing): called on a bare array_api_strict
    array, that is the library's business, not dualrev's; on traced values it is
    dualrev's, and those runs stay."""
    return "method" in case.name or case.prim == "getitem"


def strict_cases():
    out = []
    for c in CASES:
        if c.prim in NOT_STANDARD:
            continue
        marks = ()
        reason = SKIPPED.get(c.id, c.strict)
        if reason:
            marks = pytest.mark.skip(reason=reason)
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


def to_strict(x):
    return xs.asarray(np.asarray(x), device=DEVICE)


def back(tree):
    """A tree of results as NumPy, after checking that each leaf is a strict array on DEVICE."""
    if isinstance(tree, (tuple, list)):
        return type(tree)(back(t) for t in tree)
    assert type(tree).__module__.startswith("array_api_strict"), (
        f"expected an array_api_strict array, got {type(tree).__name__}: {tree!r}")
    assert tree.device == DEVICE, f"result on {tree.device}, not {DEVICE}"
    return np.asarray(xs.asarray(tree, device=xs.Device("CPU_DEVICE"))._array)


@pytest.mark.parametrize("case", strict_cases())
def test_table_on_array_api_strict(case):
    args = case.inputs()
    sargs = [to_strict(a) for a in args]
    an = case.argnums()
    d, sd = case.diff_args(args), case.diff_args(sargs)

    if not native_syntax(case):
        assert_tree_close(back(case.fn(dnp, *sargs)), case.fn(dnp, *args), err="untraced value")
    f, sf = case.restricted(dnp, args), case.restricted(dnp, sargs)
    for mode in ("jacfwd", "jacrev"):
        want = getattr(dualrev, mode)(f, an)(*d)
        got = getattr(dualrev, mode)(sf, an)(*sd)
        assert_tree_close(back(got), want, err=mode)

    w = out_weight(case, args)
    s, ss = case.scalarised(dnp, args, w), case.scalarised(dnp, sargs, to_strict(w))
    assert_tree_close(back(dualrev.grad(ss, an)(*sd)), dualrev.grad(s, an)(*d), err="grad")
    assert_tree_close(back(dualrev.hessian(ss, an)(*sd)), dualrev.hessian(s, an)(*d),
                      rtol=1e-8, atol=1e-10, err="hessian")

    batches = vmap_examples(case)
    want = dualrev.vmap(f)(*batches)
    got = dualrev.vmap(sf)(*[to_strict(b) for b in batches])
    assert_tree_close(back(got), want, err="vmap")


def test_results_stay_on_the_device_through_every_transformation():
    x = to_strict([0.5, -1.0, 2.0])

    def f(x):
        return dnp.sum(dnp.tanh(x) * x ** 2)

    outs = [dualrev.grad(f)(x), dualrev.value_and_grad(f)(x)[1], dualrev.jvp(f, (x,), (x,))[1],
            dualrev.vjp(f, x)[1](to_strict(1.0))[0], dualrev.jacfwd(f)(x), dualrev.jacrev(f)(x),
            dualrev.hessian(f)(x), dualrev.vmap(f)(to_strict(np.ones((2, 3))))]
    for o in leaves(outs):
        back(o)


# ============================================================================ bad input

def test_numpy_array_where_the_library_refuses_it_names_both_and_the_primitive():
    x = to_strict([1.0, 2.0])
    with pytest.raises(TypeError, match=r"'multiply': array_api_strict refused a NumPy "
                                        r"array.*move the NumPy values to array_api_strict"):
        dualrev.grad(lambda x: dnp.sum(x * np.array([1.0, 2.0])))(x)
    with pytest.raises(TypeError, match="'add': array_api_strict refused a NumPy array"):
        dnp.add(x, np.ones(2))


def test_arrays_of_two_libraries_name_both_and_the_primitive():
    """Two libraries other than NumPy in one primitive: refused before either runs
    (Dask is the second library; its own test module runs it on a cluster)."""
    da = pytest.importorskip("dask.array")
    x, y = to_strict([1.0, 2.0]), da.ones(2)
    with pytest.raises(TypeError, match=r"'add': arrays of two libraries in one call, "
                                        r"array_api_strict and dask"):
        dnp.add(x, y)
    with pytest.raises(TypeError, match=r"'multiply': arrays of two libraries"):
        dualrev.grad(lambda x: dnp.sum(x * y))(x)


def test_the_library_s_own_error_names_the_primitive():
    """array_api_strict refuses arrays of two devices: its error, with the primitive
    noted."""
    x = to_strict([1.0, 2.0])
    y = xs.asarray([1.0, 2.0])                          # the default device
    with pytest.raises(ValueError, match="different devices") as info:
        dualrev.grad(lambda x: dnp.sum(dnp.maximum(x, y)))(x)
    assert any("'maximum'" in n for n in getattr(info.value, "__notes__", []))


def test_numpy_stays_the_fast_path_untouched_by_other_libraries():
    """After another library's arrays went through, NumPy inputs still give NumPy results
    (a trace that saw a foreign array does not change the next one)."""
    dualrev.grad(lambda x: dnp.sum(dnp.sin(x)))(to_strict([1.0, 2.0]))
    g = dualrev.grad(lambda x: dnp.sum(dnp.sin(x)))(np.array([1.0, 2.0]))
    assert type(g) is np.ndarray
    np.testing.assert_allclose(g, np.cos([1.0, 2.0]))


def test_backend_queries():
    from dualrev import backend
    x = to_strict([1.0])
    assert backend.library(x) == "array_api_strict" and backend.library(np.ones(1)) == "numpy"
    assert backend.library(2.0) == "numpy"
    assert backend.namespace(np.ones(1), 2.0) is np
    assert backend.namespace(x, 2.0) is xs
    assert backend.device(x) == DEVICE and backend.device(np.ones(1)) == "cpu"
    z = backend.zeros((2,), x.dtype, x)
    assert z.device == DEVICE and z.shape == (2,)


# ============================================================================ device-side indices

INDEX_FORMS = {
    "rows_and_cols_broadcast": lambda i: (i["rows"][:, None], i["cols"][:, None]),
    "leading_with_repeats": lambda i: (i["dup"],),
    "int_then_array": lambda i: (1, i["cols"]),
    "negative": lambda i: (i["neg"],),
}


@pytest.mark.parametrize("form", sorted(INDEX_FORMS))
def test_index_arrays_of_the_library_itself(form):
    """Index arrays computed on the device (argmax, arange of the library): a gather
    there, and its cotangent a one-hot product, against the same with NumPy indices."""
    rng = np.random.default_rng(seed_for(form))
    x = rng.uniform(-2.0, 2.0, (3, 4))
    host = {"rows": np.array([0, 2, 1]), "cols": np.array([3, 0, 3]),
            "dup": np.array([2, 0, 2, 2]), "neg": np.array([-1, 0, -3])}
    dev = {k: xs.asarray(v, device=DEVICE) for k, v in host.items()}

    def f(idx):      # dnp.getitem: on a bare array_api_strict array x[idx] is its own
        return lambda x: dnp.sin(dnp.getitem(x, idx)) * dnp.getitem(x, idx)

    want_f, got_f = f(INDEX_FORMS[form](host)), f(INDEX_FORMS[form](dev))
    sx = to_strict(x)
    assert_tree_close(back(got_f(sx)), want_f(x), err="value")
    for mode in ("jacfwd", "jacrev"):
        assert_tree_close(back(getattr(dualrev, mode)(got_f)(sx)),
                          getattr(dualrev, mode)(want_f)(x), err=mode)
    w = rng.uniform(-1.0, 1.0, np.shape(want_f(x)))
    s_want = lambda x: dnp.sum(want_f(x) * w)          # noqa: E731
    s_got = lambda x: dnp.sum(got_f(x) * to_strict(w))  # noqa: E731
    assert_tree_close(back(dualrev.grad(s_got)(sx)), dualrev.grad(s_want)(x), err="grad")
    assert_tree_close(back(dualrev.hessian(s_got)(sx)), dualrev.hessian(s_want)(x),
                      err="hessian")
