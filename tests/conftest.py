"""pytest configuration: JAX is set up (CPU, float64) before any test module imports it."""
import gc

import pytest

import dualrev.core
import helpers  # noqa: F401  (configures JAX on import)


@pytest.fixture
def manual_duals():
    """For tests that build dualrev.dual values by hand: once those duals are
    gone their tags close, so no open trace is left behind for later tests."""
    before = dualrev.core._open_traces[0]
    yield
    gc.collect()
    assert dualrev.core._open_traces[0] == before, "a hand-made dual tag stayed open"
