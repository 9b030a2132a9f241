"""dualrev.testing.check_grads: passes on correct rules, fails on a planted wrong one."""
import numpy as np
import pytest

import dualrev.numpy as dnp
from dualrev.core import Primitive, registry
from dualrev.numpy._dispatch import unary
from dualrev.testing import check_grads

X = np.linspace(0.1, 1.2, 5)


def _sin_with(jvp=None, vjp=None):
    """dnp.sin re-declared with one rule replaced; kept out of the registry."""
    prim = Primitive(
        "planted_sin", np.sin,
        jvp=(jvp or (lambda x_dot, ans, x: x_dot * dnp.cos(x)),),
        vjp=(vjp or (lambda g, ans, x: g * dnp.cos(x)),),
        register=False)
    return unary(prim)


def test_passes_on_correct_rules_to_third_order():
    check_grads(lambda x: dnp.sum(dnp.tanh(x) * dnp.sin(x) ** 2), (X,), order=3)
    check_grads(lambda a, b: dnp.einsum("ij,j->i", a, b), (np.ones((2, 3)), X[:3]), order=2)
    check_grads(_sin_with(), (X,), order=2)
    assert "planted_sin" not in registry


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_fails_on_a_wrong_first_order_rule(mode):
    wrong = _sin_with(jvp=lambda x_dot, ans, x: x_dot * dnp.sin(x),
                      vjp=lambda g, ans, x: g * dnp.sin(x))
    with pytest.raises(AssertionError, match="JVP" if mode == "fwd" else "adjoint identity"):
        check_grads(wrong, (X,), order=1, modes=(mode,))


def test_fails_when_only_the_vjp_is_wrong():
    wrong = _sin_with(vjp=lambda g, ans, x: 1.01 * g * dnp.cos(x))
    check_grads(wrong, (X,), order=1, modes=("fwd",))
    with pytest.raises(AssertionError, match="adjoint identity"):
        check_grads(wrong, (X,), order=1, modes=("rev",))


def test_fails_on_a_wrong_second_order_rule():
    # First derivative right (cos), but written with a function whose own
    # derivative is wrong: only the order-2 check can see it.
    bad_cos = _sin_with(jvp=lambda x_dot, ans, x: x_dot * dnp.sin(x),
                        vjp=lambda g, ans, x: g * dnp.sin(x))
    cos_with_wrong_derivative = lambda x: dnp.cos(x) + (bad_cos(x) - dnp.sin(x))  # noqa: E731
    f = _sin_with(jvp=lambda x_dot, ans, x: x_dot * cos_with_wrong_derivative(x),
                  vjp=lambda g, ans, x: g * cos_with_wrong_derivative(x))
    check_grads(f, (X,), order=1)
    with pytest.raises(AssertionError):
        check_grads(f, (X,), order=2)


def test_float32_inputs_use_float32_tolerances():
    check_grads(lambda x: dnp.sum(dnp.exp(x) * x), (X.astype(np.float32),), order=2)


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="modes"):
        check_grads(dnp.sin, (X,), modes=("backward",))
    with pytest.raises(ValueError, match="order"):
        check_grads(dnp.sin, (X,), order=0)


Z = np.array([0.5 + 1.0j, -0.3 + 0.2j, 1.1 - 0.7j])


def _conj_with(vjp):
    prim = Primitive("planted_conj", np.conjugate, jvp=(lambda x_dot, ans, x: dnp.conj(x_dot),),
                     vjp=(vjp,), register=False)
    return unary(prim)


def test_complex_inputs_and_outputs():
    check_grads(lambda z: dnp.sin(z) * dnp.conj(z), (Z,), order=2)
    check_grads(lambda z: dnp.sum(dnp.abs(z) ** 2 + dnp.angle(z)), (Z,), order=2)
    check_grads(lambda x: dnp.exp(1j * x) * x, (Z.real,), order=2)
    check_grads(lambda z: dnp.sin(z), (Z.astype(np.complex64),), order=2)


def test_complex_directions_see_a_wrong_complex_rule():
    """conj's VJP without the conjugation is right on reals and wrong on complex
    values: random complex directions (and the imaginary parts) must catch it."""
    wrong = _conj_with(lambda g, ans, x: g)
    check_grads(wrong, (Z.real,), order=1)
    with pytest.raises(AssertionError, match="adjoint identity"):
        check_grads(wrong, (Z,), order=1, modes=("rev",))
    wrong_jvp = unary(Primitive("planted_conj_jvp", np.conjugate, jvp=(lambda x_dot, ans, x: x_dot,),
                                vjp=(lambda g, ans, x: dnp.conj(g),), register=False))
    with pytest.raises(AssertionError, match="JVP"):
        check_grads(wrong_jvp, (Z,), order=1, modes=("fwd",))
