"""The primitive table on Dask arrays.

Every case of the table whose functions Dask has runs with its inputs as Dask
arrays (every axis longer than one in two chunks): the
untraced value, jacfwd, jacrev and the gradient of a weighted sum must be Dask
arrays, built without computing anything, and equal (once computed, by Dask's
synchronous scheduler) dualrev's results on the same NumPy inputs, themselves
checked against JAX in test_primitives.py.  "Without computing anything" is
checked by running each transformation under a scheduler that raises.  The
cluster itself is exercised in test_dask.py.
"""
import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

from helpers import assert_tree_close, dnp, dualrev, leaves  # noqa: E402
from test_primitives import CASES, out_weight  # noqa: E402

# Dask's own metadata inference casts complex to real on empty arrays.
pytestmark = pytest.mark.filterwarnings("ignore:Casting complex values:numpy.exceptions.ComplexWarning")
SKIPPED = {}


def dask_cases():
    out = []
    for c in CASES:
        reason = SKIPPED.get(c.id, c.dask)
        out.append(pytest.param(c, id=c.id, marks=pytest.mark.skip(reason=reason) if reason
                                else ()))
    return out


def native_syntax(case):
    """Whether the case's function uses ndarray syntax on its argument itself (methods,
    NumPy's indexing, ``.mT``): called on a bare Dask array, that is Dask's business (it
    lacks ``.mT`` and indexing by several arrays); on traced values it is dualrev's, and
    those runs stay."""
    return "method" in case.name or case.prim == "getitem" or case.name == "mT"


def to_dask(x):
    x = np.asarray(x)
    return da.from_array(x, chunks=tuple(max(1, (n + 1) // 2) for n in x.shape))


class Computed(Exception):
    pass


def _refuse(dsk, keys, **kwargs):
    raise Computed("a Dask graph was computed while a derivative was being built")


def lazily(fn, *args):
    """fn(*args) under a scheduler that refuses to compute."""
    with dask.config.set(scheduler=_refuse):
        return fn(*args)


def back(tree):
    """A tree of Dask results computed (synchronously), after checking each leaf is one."""
    if isinstance(tree, (tuple, list)):
        return type(tree)(back(t) for t in tree)
    assert isinstance(tree, da.Array), f"expected a Dask array, got {type(tree).__name__}"
    return tree.compute(scheduler="synchronous")


@pytest.mark.parametrize("case", dask_cases())
def test_table_on_dask(case):
    args = case.inputs()
    dargs = [to_dask(a) for a in args]
    an = case.argnums()
    d, dd = case.diff_args(args), case.diff_args(dargs)

    if not native_syntax(case):
        assert_tree_close(back(lazily(case.fn, dnp, *dargs)), case.fn(dnp, *args),
                          err="untraced value")
    f, df = case.restricted(dnp, args), case.restricted(dnp, dargs)
    for mode in ("jacfwd", "jacrev"):
        want = getattr(dualrev, mode)(f, an)(*d)
        got = lazily(getattr(dualrev, mode)(df, an), *dd)
        assert_tree_close(back(got), want, err=mode)
    w = out_weight(case, args)
    s, ds = case.scalarised(dnp, args, w), case.scalarised(dnp, dargs, to_dask(w))
    got = lazily(dualrev.grad(ds, an), *dd)
    assert_tree_close(back(got), dualrev.grad(s, an)(*d), err="grad")


def test_the_refusing_scheduler_refuses():
    x = to_dask(np.ones((4, 2)))
    with pytest.raises(Computed):
        lazily(lambda: float(dnp.sum(x)))
    assert leaves(back(lazily(dualrev.grad(lambda x: dnp.sum(x * x)), x)))
