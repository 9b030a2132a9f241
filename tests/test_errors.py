"""Bad inputs raise errors of the right type whose message names the problem."""
import re

import numpy as np
import pytest

import dualrev
import dualrev.core
import dualrev.numpy as dnp
from dualrev import EscapedTracerError


def raises(exc, *fragments):
    """pytest.raises(exc) that also checks every fragment occurs in the message."""
    class _Check:
        def __enter__(self):
            self.cm = pytest.raises(exc)
            self.info = self.cm.__enter__()
            return self.info

        def __exit__(self, *a):
            suppressed = self.cm.__exit__(*a)
            if suppressed:      # otherwise an exception of another type propagates
                msg = str(self.info.value)
                for frag in fragments:
                    assert frag in msg, f"{frag!r} not in message: {msg!r}"
            return suppressed
    return _Check()


# ----------------------------------------------------------------------------- non-scalar grad

@pytest.mark.parametrize("shape", [(3,), (1,), (2, 2), (1, 1)])
@pytest.mark.parametrize("api", ["grad", "value_and_grad"])
def test_grad_of_non_scalar_output(api, shape):
    fn = getattr(dualrev, api)(lambda x: x * np.ones(shape))
    with raises(TypeError, str(shape), "vjp", "jacrev", "scalar"):
        fn(1.0)


@pytest.mark.parametrize("out", [lambda x: (x, x), lambda x: [x], lambda x: {"a": x}])
def test_grad_of_container_output(out):
    with raises(TypeError, "scalar", "vjp", "jacrev") as info:
        dualrev.grad(out)(1.0)
    assert re.search(r"tuple|list|dict", str(info.value))


@pytest.mark.parametrize("api", ["grad", "value_and_grad"])
def test_grad_of_none_output(api):
    with raises(TypeError, "None", "scalar"):
        getattr(dualrev, api)(lambda x: None)(1.0)


def test_grad_of_integer_output():
    with raises(TypeError, "float output", "int"):
        dualrev.grad(lambda x: dnp.sum(x > 0))(np.ones(2))


def test_grad_of_complex_output():
    with raises(TypeError, "real-valued outputs", "complex128", "holomorphic=True"):
        dualrev.grad(lambda x: dnp.sum(x) * 1j)(np.ones(2))


@pytest.mark.parametrize("api", ["grad", "vjp", "jvp", "jacrev", "jacfwd"])
def test_non_array_output(api):
    f = lambda x: "not an array"
    with raises(TypeError, "str"):
        if api == "vjp":
            dualrev.vjp(f, 1.0)
        elif api == "jvp":
            dualrev.jvp(f, (1.0,), (1.0,))
        else:
            getattr(dualrev, api)(f)(1.0)


# ----------------------------------------------------------------------------- non-float inputs

NON_FLOAT = {
    "int_array": (np.arange(3), "int"),
    "bool": (True, "bool"),
    "np_bool": (np.bool_(False), "bool"),
    "bool_array": (np.array([True, False]), "bool"),
    "python_int": (2, "int"),
    "np_int": (np.int32(2), "int"),
    "pytree_int_leaf": ({"a": 1.0, "b": [np.ones(2), 3]}, "int"),
    "pytree_int_array_leaf": ((1.0, np.arange(2)), "int"),
}
NON_FLOAT_APIS = ["grad", "value_and_grad", "jacfwd", "jacrev", "hessian"]


def _scalar_fn(x):
    return dnp.sum(dnp.stack([dnp.sum(l * 1.0) for l in dualrev.tree_leaves(x)]))


@pytest.mark.parametrize("api", NON_FLOAT_APIS)
@pytest.mark.parametrize("case", list(NON_FLOAT))
def test_non_float_input(api, case):
    x, word = NON_FLOAT[case]
    with raises(TypeError, word, "float"):
        getattr(dualrev, api)(_scalar_fn)(x)


@pytest.mark.parametrize("case", list(NON_FLOAT))
def test_non_float_input_vjp_jvp_linearize(case):
    x, word = NON_FLOAT[case]
    with raises(TypeError, word, "float"):
        dualrev.vjp(_scalar_fn, x)
    with raises(TypeError, word, "float"):
        dualrev.linearize(_scalar_fn, x)
    with raises(TypeError, word, "float"):
        dualrev.jvp(_scalar_fn, (x,), (x,))


def test_int_argument_not_differentiated_is_fine():
    g = dualrev.grad(lambda x, n: x ** n, argnums=0)(2.0, 3)
    assert float(g) == 12.0


def test_non_float_error_names_the_argument():
    with raises(TypeError, "argument 1"):
        dualrev.grad(lambda x, y: x * y, argnums=(0, 1))(1.0, np.arange(2))


@pytest.mark.parametrize("x", [1 + 2j, np.ones(2, np.complex128), np.complex64(1j)],
                         ids=["python", "array", "np_scalar"])
@pytest.mark.parametrize("api", ["grad", "jacfwd", "jacrev", "hessian"])
def test_complex_without_holomorphic(api, x):
    """As JAX: a complex output of grad/jacrev, or a complex input of jacfwd, needs
    holomorphic=True; the message says so and names the dtype."""
    f = lambda z: dnp.sum(z * 2.0) if api == "grad" else z * 2.0
    what = "real-valued inputs" if api in ("jacfwd", "hessian") else "real-valued outputs"
    with raises(TypeError, what, "complex", "holomorphic=True"):
        getattr(dualrev, api)(f)(x)


@pytest.mark.parametrize("api", ["grad", "jacfwd", "jacrev", "hessian"])
def test_holomorphic_with_real_input_or_output(api):
    f = (lambda z: dnp.sum(dnp.sin(z))) if api in ("grad", "hessian") else dnp.sin
    with raises(TypeError, "holomorphic=True", "inputs with complex dtype", "float64"):
        getattr(dualrev, api)(f, holomorphic=True)(np.ones(2))
    g = (lambda z: dnp.sum(dnp.abs(z))) if api in ("grad", "hessian") else dnp.abs
    with raises(TypeError, "holomorphic=True", "outputs with complex dtype", "float64"):
        getattr(dualrev, api)(g, holomorphic=True)(np.ones(2, complex))


def test_complex_cotangent_for_real_output():
    _, f_vjp = dualrev.vjp(dnp.sin, np.ones(2))
    with raises(ValueError, "cotangent leaf 0", "complex", "real"):
        f_vjp(np.ones(2, complex))


# ----------------------------------------------------------------------------- vjp_fn cotangents

@pytest.fixture
def vjp3():
    return dualrev.vjp(lambda x: dnp.sin(x) * 2.0, np.ones(3))[1]


@pytest.mark.parametrize("ct_shape", [(2,), (4,), (3, 1), (1, 3), ()])
def test_vjp_fn_cotangent_wrong_shape(vjp3, ct_shape):
    with raises(ValueError, "(3,)", str(ct_shape), "expected") as info:
        vjp3(np.ones(ct_shape))
    # expected and given must both be named, in that order of roles
    assert "shape" in str(info.value)


def test_vjp_fn_cotangent_python_scalar_for_vector_output(vjp3):
    with raises(ValueError, "(3,)", "()"):
        vjp3(1.0)


def test_vjp_fn_scalar_output_rejects_vector_cotangent():
    _, f = dualrev.vjp(lambda x: dnp.sum(x), np.ones(3))
    with raises(ValueError, "(3,)", "()"):
        f(np.ones(3))


@pytest.mark.parametrize("ct", [
    (np.ones(3),),                                  # tuple around the leaf
    [np.ones(3)],
    {"a": np.ones(3)},
    None,
])
def test_vjp_fn_cotangent_wrong_structure_leaf_output(vjp3, ct):
    with raises(ValueError, "structure", "expected *"):
        vjp3(ct)


@pytest.mark.parametrize("ct,given", [
    ([np.ones(3), {"a": 1.0}], "[*, {'a': *}]"),
    ((np.ones(3), {"b": 1.0}), "(*, {'b': *})"),
    ((np.ones(3),), "(*,)"),
    ((np.ones(3), {"a": 1.0}, None), "(*, {'a': *}, None)"),
    ((np.ones(3), {"a": (1.0,)}), "(*, {'a': (*,)})"),
])
def test_vjp_fn_cotangent_wrong_structure_tree_output(ct, given):
    _, f = dualrev.vjp(lambda x: (x * 2.0, {"a": dnp.sum(x)}), np.ones(3))
    with raises(ValueError, "expected (*, {'a': *})", given):
        f(ct)


def test_vjp_fn_cotangent_wrong_shape_in_tree_output():
    _, f = dualrev.vjp(lambda x: (x * 2.0, {"a": dnp.sum(x)}), np.ones(3))
    with raises(ValueError, "()", "(2,)"):
        f((np.ones(3), {"a": np.ones(2)}))


# ----------------------------------------------------------------------------- jvp arguments

def test_jvp_tree_structure_mismatch():
    with raises(ValueError, "primals", "tangents", "(*, *)", "(*,)"):
        dualrev.jvp(lambda x, y: x * y, (1.0, 2.0), (1.0,))
    with raises(ValueError, "primals", "tangents", "{'a': *}", "{'b': *}"):
        dualrev.jvp(lambda p: p, ({"a": 1.0},), ({"b": 1.0},))
    with raises(ValueError, "primals", "tangents", "[*, *]", "(*, *)"):
        dualrev.jvp(lambda p: p, ([1.0, 2.0],), ((1.0, 2.0),))


@pytest.mark.parametrize("tshape", [(2,), (), (3, 1), (1,)])
def test_jvp_shape_mismatch(tshape):
    with raises(ValueError, "primals", "tangents", "(3,)", str(tshape)):
        dualrev.jvp(dnp.sin, (np.ones(3),), (np.ones(tshape),))


def test_jvp_shape_mismatch_inside_pytree():
    with raises(ValueError, "(2,)", "(3,)"):
        dualrev.jvp(lambda p: p["a"] * 2.0, ({"a": np.ones(2)},), ({"a": np.ones(3)},))


@pytest.mark.parametrize("primals,tangents,names", [
    (np.ones(3), (np.ones(3),), ("ndarray", "tuple")),
    ((np.ones(3),), np.ones(3), ("tuple", "ndarray")),
    (1.0, 1.0, ("float", "float")),
    ({"x": 1.0}, {"x": 1.0}, ("dict", "dict")),
])
def test_jvp_primals_not_a_sequence(primals, tangents, names):
    with raises(TypeError, "primals", "tangents", "tuple", *names):
        dualrev.jvp(dnp.sin, primals, tangents)


def test_jvp_dtype_mismatch():
    with raises(TypeError, "float32", "float64"):
        dualrev.jvp(dnp.sin, (np.ones(3),), (np.ones(3, np.float32),))


def test_hvp_shape_mismatch():
    with raises(ValueError, "(2,)", "(3,)"):
        dualrev.hvp(lambda x: dnp.sum(x ** 2), (np.ones(2),), (np.ones(3),))


def test_linearize_jvp_fn_bad_tangents():
    _, jvp_fn = dualrev.linearize(lambda x, y: x * y, np.ones(2), 2.0)
    with raises(TypeError, "2", "1"):
        jvp_fn(np.ones(2))
    with raises(ValueError, "(2,)", "(3,)"):
        jvp_fn(np.ones(3), 1.0)
    with raises(ValueError, "structure"):
        jvp_fn(np.ones(2), (1.0,))


# ----------------------------------------------------------------------------- argnums

@pytest.mark.parametrize("argnums", [2, -3, (0, 2), (5,), (-3, 0)])
@pytest.mark.parametrize("api", ["grad", "value_and_grad", "jacfwd", "jacrev", "hessian"])
def test_argnums_out_of_range(api, argnums):
    f = getattr(dualrev, api)(lambda x, y: x * y, argnums=argnums)
    with raises(TypeError, "argnums", "out of range", "2"):
        f(1.0, 2.0)


@pytest.mark.parametrize("api", ["grad", "jacfwd", "jacrev"])
def test_argnums_not_int(api):
    with raises(TypeError, "argnums"):
        getattr(dualrev, api)(lambda x: x * 1.0, argnums=(0, "a"))(1.0)


@pytest.mark.parametrize("api", ["grad", "jacfwd", "jacrev"])
def test_argnums_float(api):
    with raises(TypeError, "argnums"):
        getattr(dualrev, api)(lambda x: x * 1.0, argnums=1.0)(1.0)


@pytest.mark.parametrize("api", ["grad", "jacfwd", "jacrev"])
@pytest.mark.parametrize("argnums", [(0, 0), (0, -2)])
def test_repeated_argnums_rejected_or_consistent(api, argnums):
    """A repeated argnum must not give a silently wrong (zero) derivative."""
    f = lambda x, y: x * x * y
    try:
        r = getattr(dualrev, api)(f, argnums=argnums)(3.0, 2.0)
    except (TypeError, ValueError) as e:
        assert "argnums" in str(e), f"error does not name argnums: {e!r}"
    else:
        assert isinstance(r, tuple) and len(r) == 2
        np.testing.assert_allclose([float(np.asarray(v)) for v in r], [12.0, 12.0])


def test_argnums_empty():
    with raises(ValueError, "argnums"):
        dualrev.grad(lambda x: x * 1.0, argnums=())(1.0)


# ----------------------------------------------------------------------------- has_aux

NOT_PAIRS = {
    "scalar": lambda x: x * 2.0,
    "triple": lambda x: (x * 2.0, 1.0, 2.0),
    "single": lambda x: (x * 2.0,),
    "dict": lambda x: {"out": x * 2.0, "aux": 1.0},
}


@pytest.mark.parametrize("api", ["grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev"])
@pytest.mark.parametrize("case", list(NOT_PAIRS))
def test_has_aux_requires_pair(api, case):
    f = NOT_PAIRS[case]
    with raises(TypeError, "has_aux", "pair"):
        if api == "vjp":
            dualrev.vjp(f, 1.0, has_aux=True)
        elif api == "jvp":
            dualrev.jvp(f, (1.0,), (1.0,), has_aux=True)
        else:
            getattr(dualrev, api)(f, has_aux=True)(1.0)


def test_has_aux_message_names_what_was_returned():
    with raises(TypeError, "tuple", "3"):
        dualrev.grad(NOT_PAIRS["triple"], has_aux=True)(1.0)


# ----------------------------------------------------------------------------- escaped tracers

def _leak_from(kind):
    """A traced value made inside a finished transformation of the given kind."""
    box = []

    def f(x):
        box.append(dnp.sin(x) * 2.0)
        return dnp.sum(x * 1.0)

    if kind == "grad":
        dualrev.grad(f)(np.ones(2))
    elif kind == "vjp":
        dualrev.vjp(f, np.ones(2))[1](1.0)
    elif kind == "jvp":
        dualrev.jvp(f, (np.ones(2),), (np.ones(2),))
    elif kind == "jacfwd":
        dualrev.jacfwd(f)(np.ones(2))
    elif kind == "jacrev":
        dualrev.jacrev(f)(np.ones(2))
    elif kind == "linearize":
        dualrev.linearize(f, np.ones(2))[1](np.ones(2))
    return box[-1]


LEAK_KINDS = ["grad", "vjp", "jvp", "jacfwd", "jacrev", "linearize"]


@pytest.mark.parametrize("kind", LEAK_KINDS)
def test_escaped_tracer_in_plain_call(kind):
    leaked = _leak_from(kind)
    with raises(EscapedTracerError, "sin", "returned"):
        dnp.sin(leaked)
    with raises(EscapedTracerError, "multiply"):
        leaked * 3.0
    with raises(EscapedTracerError):
        3.0 + leaked
    with raises(EscapedTracerError):
        np.exp(leaked)
    with raises(EscapedTracerError):
        dnp.sum(leaked)
    with raises(EscapedTracerError):
        leaked[0]


@pytest.mark.parametrize("kind", LEAK_KINDS)
@pytest.mark.parametrize("second", ["grad", "jvp", "vjp", "jacfwd", "jacrev"])
def test_escaped_tracer_inside_second_transformation(kind, second):
    leaked = _leak_from(kind)
    f = lambda y: dnp.sum(y * leaked)
    with raises(EscapedTracerError, "returned"):
        if second == "jvp":
            dualrev.jvp(f, (np.ones(2),), (np.ones(2),))
        elif second == "vjp":
            dualrev.vjp(f, np.ones(2))
        else:
            getattr(dualrev, second)(f)(np.ones(2))


def test_escaped_tracer_through_global():
    global _LEAKED
    _LEAKED = None

    def f(x):
        global _LEAKED
        _LEAKED = x
        return x * x
    assert float(dualrev.grad(f)(3.0)) == 6.0
    with raises(EscapedTracerError, "grad"):
        dualrev.grad(lambda y: dnp.tanh(y) + dnp.cos(_LEAKED))(1.0)


def test_escaped_from_inner_transformation_used_in_outer():
    def outer(x):
        box = []
        dualrev.grad(lambda y: (box.append(y * x), y * 1.0)[1])(1.0)
        return box[0] * 2.0
    with raises(EscapedTracerError):
        dualrev.grad(outer)(3.0)
    with raises(EscapedTracerError):
        dualrev.jvp(outer, (3.0,), (1.0,))


@pytest.mark.parametrize("api", ["grad", "vjp", "jvp", "jacfwd", "jacrev"])
def test_exception_inside_function_still_finishes_the_transformation(api):
    box = []

    def f(x):
        box.append(x * 2.0)
        raise KeyError("boom from user code")

    with raises(KeyError, "boom"):
        if api == "vjp":
            dualrev.vjp(f, np.ones(2))
        elif api == "jvp":
            dualrev.jvp(f, (np.ones(2),), (np.ones(2),))
        else:
            getattr(dualrev, api)(f)(np.ones(2))
    with raises(EscapedTracerError):
        dnp.sin(box[0])
    # Later transformations are unaffected.
    np.testing.assert_allclose(dualrev.grad(lambda x: dnp.sum(x * x))(np.ones(2)), [2.0, 2.0])


def test_escaped_tracer_names_the_transformation():
    leaked = _leak_from("jvp")
    with raises(EscapedTracerError, "jvp") as info:
        dnp.cos(leaked)
    assert isinstance(info.value, RuntimeError)


def test_stop_gradient_of_a_value_is_safe_to_keep():
    box = []

    def f(x):
        box.append(dualrev.stop_gradient(x * 2.0))
        return dnp.sum(x)
    dualrev.grad(f)(np.ones(2))
    np.testing.assert_allclose(dnp.sin(box[0]), np.sin(2.0 * np.ones(2)))


# ----------------------------------------------------------------------------- concretization

@pytest.mark.parametrize("conv", [float, int, complex], ids=["float", "int", "complex"])
@pytest.mark.parametrize("api", ["grad", "jvp"])
def test_concrete_conversion_of_traced_value(api, conv):
    f = lambda x: conv(x) * x
    with raises(TypeError, conv.__name__ + "()", "traced", "stop_gradient"):
        if api == "jvp":
            dualrev.jvp(f, (2.0,), (1.0,))
        else:
            dualrev.grad(f)(2.0)


def test_np_asarray_of_traced_value():
    with raises(TypeError, "traced", "np.asarray"):
        dualrev.grad(lambda x: dnp.sum(np.asarray(x)))(np.ones(2))


def test_index_with_traced_value():
    with raises(TypeError, "index"):
        dualrev.grad(lambda x: [1.0, 2.0, 3.0][x] * x)(1.0)


def test_setitem_on_traced_value():
    def f(x):
        x[0] = 1.0
        return dnp.sum(x)
    with raises(TypeError, "immutable"):
        dualrev.grad(f)(np.ones(2))


def test_len_of_0d_traced_value():
    with raises(TypeError, "len()"):
        dualrev.grad(lambda x: len(x) * x)(1.0)


def test_unsupported_ufunc_method_on_traced_value():
    with raises(TypeError, "not differentiable"):
        dualrev.grad(lambda x: np.add.reduce(x))(np.ones(3))
    with raises(TypeError, "not differentiable"):
        dualrev.grad(lambda x: dnp.sum(np.sin(x, out=np.empty(3))))(np.ones(3))


def test_numpy_function_without_dualrev_version():
    with raises(TypeError, "numpy.histogram", "not differentiable"):
        dualrev.grad(lambda x: np.histogram(x)[1][-1])(np.ones(3))
    with raises(TypeError, "not differentiable"):
        dualrev.jvp(lambda x: np.unique(x), (np.ones(3),), (np.ones(3),))
    # named with its module
    with raises(TypeError, "numpy.lib.stride_tricks.sliding_window_view", "not differentiable"):
        dualrev.grad(lambda x: np.lib.stride_tricks.sliding_window_view(x, 2).sum())(np.ones(3))


# ----------------------------------------------------------------------------- dual

def test_dual_errors(manual_duals):
    with raises(TypeError, "tag"):
        dualrev.dual(1.0, 1.0, tag=3)
    with raises(ValueError, "primal", "tangent", "(*, *)", "(*,)"):
        dualrev.dual((1.0, 2.0), (1.0,))
    with raises(ValueError, "(2,)", "(3,)"):
        dualrev.dual(np.ones(2), np.ones(3))
    with raises(TypeError, "int"):
        dualrev.dual(1, 1.0)
    with raises(TypeError, "int"):
        dualrev.dual(1j, 1)


def test_dual_tag_of_finished_jvp_is_escaped(manual_duals):
    box = []
    dualrev.jvp(lambda x: (box.append(x), x * 1.0)[1], (1.0,), (1.0,))
    d = dualrev.dual(2.0, 1.0, tag=box[0].tag)
    with raises(EscapedTracerError):
        dnp.sin(d)


@pytest.mark.parametrize("fn", ["sum", "prod", "max", "mean"])
def test_reduction_axis_errors_as_numpy(fn):
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match="repeated axis"):
        dualrev.grad(lambda x: dnp.sum(getattr(dnp, fn)(x, axis=(0, 0))))(x)
    with pytest.raises(np.exceptions.AxisError, match="axis 2 is out of bounds"):
        dualrev.grad(lambda x: dnp.sum(getattr(dnp, fn)(x, axis=2)))(x)
    with pytest.raises(ValueError):
        getattr(np, fn)(x, axis=(0, 0))
