"""README.md's coverage table is the one tests/coverage_table.py makes from the registry and the
primitive table (run ``python tests/coverage_table.py --write`` after adding a function)."""
import coverage_table as coverage


def test_readme_coverage_table_is_current():
    text = coverage.README.read_text()
    got = coverage.readme_section(text)
    assert got is not None, "README.md has lost the coverage table's markers"
    assert got == coverage.section(), (
        "README.md's coverage table is stale: run python tests/coverage_table.py --write")


def test_every_reason_for_a_missing_function_is_still_needed():
    status = coverage.numpy_status()
    stale = sorted(q for q in coverage.NOT_COVERED if status[q][0] != "missing")
    assert not stale, f"NOT_COVERED lists functions dualrev now has: {stale}"
    unknown = sorted(set(coverage.NOT_COVERED) - set(coverage.NUMPY_DIFFERENTIABLE))
    assert not unknown, f"NOT_COVERED lists names outside NumPy's differentiable namespace: {unknown}"


def test_resolve_finds_primitives_composites_aliases_and_zero_derivatives():
    assert coverage.resolve("sin") == ("registered", "sin")
    assert coverage.resolve("absolute") == ("registered", "abs")
    assert coverage.resolve("mean") == ("registered", "mean")
    assert coverage.resolve("floor") == ("zero", None)
    assert coverage.resolve("no_such_function") == (None, None)
