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


# ``--subset floor``: the suite for a second environment (the oldest NumPy supported).
# The primitive table's cases keep their checks against JAX's values and Jacobians and
# their float32 dtypes, where a NumPy version shows; the compositions of modes, the other
# libraries' runs of the table and the fuzzer's programs, which exercise dualrev's own
# logic the same way under any NumPy, run once, in the main suite.
_FLOOR_TABLE_KEEPS = {"test_value", "test_jacobian", "test_float32_inputs",
                      "test_case_reaches_its_primitive"}
_FLOOR_SKIPS = {"test_table_on_array_api_strict", "test_table_on_dask",
                "test_primitive_table_pattern_and_values", "test_program_agrees_with_jax"}


def pytest_addoption(parser):
    parser.addoption("--subset", choices=["all", "floor"], default="all",
                     help="floor: the suite for the oldest supported NumPy (see conftest.py)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--subset") != "floor":
        return
    keep, drop = [], []
    for item in items:
        name = getattr(item, "originalname", item.name)
        table_case = "case" in getattr(item, "callspec", None).params \
            if getattr(item, "callspec", None) else False
        if name in _FLOOR_SKIPS or (table_case and item.module.__name__ == "test_primitives"
                                    and name not in _FLOOR_TABLE_KEEPS):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
