"""NaN hunting: debug_nans (functional) and detect_anomaly (imperative), by their messages."""
import inspect
import warnings

import numpy as np
import pytest

from helpers import dnp, dualrev


def _line(fn, text):
    """The line number of the first line of fn's source containing text."""
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, l in enumerate(lines) if text in l)


def f_forward(x):
    y = dnp.log(x)
    z = dnp.sqrt(y)
    return dnp.sum(z)


def f_backward(x):
    return dnp.sum(dnp.sqrt(x) * 0.0)


def test_forward_nan_names_primitive_entry_shapes_and_line():
    x = np.array([2.0, 0.5])
    with dualrev.debug_nans():
        with pytest.raises(FloatingPointError) as e:
            dualrev.grad(f_forward)(x)
    msg = str(e.value)
    assert "'sqrt' produced NaN" in msg and "tape entry 2 of grad" in msg
    assert "inputs ((2,) float64) held no NaN" in msg
    assert f"{__file__}:{_line(f_forward, 'dnp.sqrt')} (in f_forward)" in msg
    # off again: the same call returns (with a nan gradient, as NumPy would)
    assert np.isnan(dualrev.grad(f_forward)(x)).any()


def test_backward_nan_names_the_rule_and_the_line():
    x = np.array([0.0, 1.0])
    with dualrev.debug_nans():
        with pytest.raises(FloatingPointError) as e:
            dualrev.grad(f_backward)(x)
    msg = str(e.value)
    assert "backward sweep produced NaN in the VJP rule of 'sqrt' (tape entry 1 of grad)" in msg
    assert "argument 0 (shape (2,) float64)" in msg
    assert f"{__file__}:{_line(f_backward, 'dnp.sqrt')} (in f_backward)" in msg


def test_config_update_jvp_and_nested():
    x = np.array([2.0, 0.5])
    dualrev.config.update("debug_nans", True)
    try:
        assert dualrev.config.debug_nans
        with pytest.raises(FloatingPointError, match=r"'sqrt' produced NaN \(forward mode"):
            dualrev.jvp(f_forward, (x,), (x,))
        # inside a Hessian the inner sweep's NaN is found, with both places named
        with pytest.raises(FloatingPointError) as e:
            dualrev.hessian(f_backward)(np.array([0.0, 1.0]))
        assert "sqrt" in str(e.value) + "".join(getattr(e.value, "__notes__", []))
        with dualrev.debug_nans(False):
            dualrev.grad(f_backward)(np.array([0.0, 1.0]))      # off inside
    finally:
        dualrev.config.update("jax_debug_nans", False)
    assert not dualrev.config.debug_nans
    with pytest.raises(AttributeError, match="Unrecognized config option"):
        dualrev.config.update("debug_infs", True)


def test_nothing_is_watched_when_off():
    seen = []
    dualrev.grad(lambda x: seen.append(x._trace.__class__) or dnp.sum(x))(np.ones(2))
    assert seen == [dualrev.Tape]
    with dualrev.debug_nans():
        dualrev.grad(lambda x: seen.append(x._trace.__class__) or dnp.sum(x))(np.ones(2))
    assert seen[1].__name__ == "WatchedTape"


def test_decorator_and_finite_computations_pass():
    @dualrev.debug_nans()
    def run(x):
        return dualrev.grad(lambda x: dnp.sum(dnp.sin(x) ** 2))(x)
    np.testing.assert_allclose(run(np.array([0.3])), np.sin(0.6))


def _torch_anomaly_message():
    torch = pytest.importorskip("torch")
    xt = torch.tensor([0.0, 1.0], requires_grad=True, dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly():
            with pytest.raises(RuntimeError) as e:
                (xt.sqrt() * 0.0).sum().backward()
    return str(e.value)


def forward_of_anomaly(x):
    return (x.sqrt() * 0.0).sum()


def test_detect_anomaly_as_pytorch():
    x = dualrev.tensor([0.0, 1.0], requires_grad=True, dtype=dualrev.float64)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ctx = dualrev.autograd.detect_anomaly()
    with ctx:
        assert dualrev.autograd.is_anomaly_enabled()
        y = forward_of_anomaly(x)
        with pytest.raises(RuntimeError) as e:
            y.backward()
    assert not dualrev.autograd.is_anomaly_enabled()
    msg = str(e.value)
    assert msg.startswith("Function 'SqrtBackward' returned nan values in its 0th output.")
    assert "Traceback of forward call that caused the error:" in msg
    assert f"line {_line(forward_of_anomaly, 'x.sqrt()')}, in forward_of_anomaly" in msg
    torch_msg = _torch_anomaly_message()
    # the same message but for PyTorch's numbering of backward functions
    assert torch_msg.replace("SqrtBackward0", "SqrtBackward").split("\n")[0] == \
        msg.split("\n")[0]
    # off: no error
    (forward_of_anomaly(x)).backward()
    assert np.isnan(x.grad.numpy()[0])


def test_nan_inside_a_checkpoint_and_a_checkpointed_scan():
    def f(x):
        return dnp.sum(dualrev.checkpoint(lambda x: dnp.sqrt(dnp.log(x)))(x))
    with dualrev.debug_nans():
        with pytest.raises(FloatingPointError, match="'sqrt' produced NaN"):
            dualrev.grad(f)(np.array([2.0, 0.5]))

    def g(c):
        return dnp.sum(dualrev.lax.scan(lambda c, x: (dnp.sqrt(c) * x, None), c,
                                        np.zeros(5), checkpoints=2)[0])
    with dualrev.debug_nans():
        with pytest.raises(FloatingPointError, match="backward sweep produced NaN in the VJP "
                                                     "rule of 'sqrt'"):
            dualrev.grad(g)(np.array([1.0, 2.0]))
