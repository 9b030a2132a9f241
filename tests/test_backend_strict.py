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

from helpers import assert_tree_close, dnp, dualrev, leaves  # noqa: E402
from test_primitives import CASES, out_weight, vmap_examples  # noqa: E402

DEVICE = xs.Device("device1")

# Not in the array API standard: these cases stay NumPy-only.
NOT_STANDARD = {"einsum": "einsum is not in the array API standard"}
# Cases that mix NumPy constants held in the test's own closure with the traced
# arrays: array_api_strict (as CuPy) refuses NumPy arrays in its operations, so
# they cannot run on it as written.
NUMPY_CONSTANTS = {
}


def strict_cases():
    out = []
    for c in CASES:
        if c.prim in NOT_STANDARD:
            continue
        marks = ()
        if c.id in NUMPY_CONSTANTS:
            marks = pytest.mark.skip(reason=NUMPY_CONSTANTS[c.id])
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
