"""dualrev.scipy.linalg beyond the primitive table: the NumPy implementations used without
SciPy, derivatives the table cannot compare with JAX (sqrtm of a non-symmetric matrix),
SciPy's results for untraced calls, errors."""
import numpy as np
import pytest
import scipy.linalg as sla

import dualrev.scipy.linalg as dsl
from helpers import dnp, dualrev

RNG = np.random.default_rng(0)
T = np.triu(RNG.normal(size=(4, 4))) + 4 * np.eye(4)
A = RNG.normal(size=(4, 4)) * 0.3 + np.diag([3.0, 1.0, 2.0, 4.0])
SPD = A @ A.T + np.eye(4)
B = RNG.normal(size=(4, 2))


@pytest.fixture
def no_scipy(monkeypatch):
    monkeypatch.setattr(dsl, "_scipy", None)


@pytest.mark.parametrize("trans", [0, 1, 2, "C"])
@pytest.mark.parametrize("lower", [False, True])
def test_solve_triangular_without_scipy(no_scipy, trans, lower):
    t = T.T if lower else T
    z = t + 1j * np.tril(t) if lower else t + 1j * np.triu(t)
    for a in (t, z):
        for b in (B, B[:, 0]):
            want = sla.solve_triangular(a, b, trans=trans, lower=lower)
            np.testing.assert_allclose(dsl.solve_triangular(a, b, trans=trans, lower=lower),
                                       want, rtol=1e-12)
    want = sla.solve_triangular(t, B, lower=lower, unit_diagonal=True)
    np.testing.assert_allclose(dsl.solve_triangular(t, B, lower=lower, unit_diagonal=True),
                               want, rtol=1e-12)


def test_others_without_scipy(no_scipy):
    lu, piv = dsl.lu_factor(A)
    want_lu, want_piv = sla.lu_factor(A)
    np.testing.assert_allclose(lu, want_lu, rtol=1e-12)
    np.testing.assert_array_equal(piv, want_piv)
    assert piv.dtype == want_piv.dtype
    for trans in (0, 1, 2):
        np.testing.assert_allclose(dsl.lu_solve((lu, piv), B, trans=trans),
                                   sla.lu_solve((want_lu, want_piv), B, trans=trans), rtol=1e-12)
    np.testing.assert_allclose(dsl.cho_solve(dsl.cho_factor(SPD), B), np.linalg.solve(SPD, B),
                               rtol=1e-12)
    for a in (A, 50 * A):
        want = sla.expm(a)
        np.testing.assert_allclose(dsl.expm(a), want, rtol=1e-8, atol=1e-12 * np.abs(want).max())
    np.testing.assert_allclose(dsl.sqrtm(SPD), sla.sqrtm(SPD), rtol=1e-10)
    neg = np.diag([-1.0, 4.0])
    np.testing.assert_allclose(dsl.sqrtm(neg), sla.sqrtm(neg), atol=1e-14)
    np.testing.assert_allclose(dsl.block_diag(A, 2.0, B[:, 0]), sla.block_diag(A, 2.0, B[:, 0]))
    batch = np.stack([A, A.T])
    lu, piv = dsl.lu_factor(batch)
    for i in range(2):
        np.testing.assert_allclose(lu[i], sla.lu_factor(batch[i])[0], rtol=1e-12)


def test_untraced_calls_match_scipy():
    np.testing.assert_allclose(dsl.solve_triangular(T, B), sla.solve_triangular(T, B))
    assert dsl.cholesky(SPD)[1, 0] == 0.0      # SciPy's default: the upper factor
    np.testing.assert_allclose(dsl.cholesky(SPD), sla.cholesky(SPD))
    c, lower = dsl.cho_factor(SPD, lower=True)
    assert lower is True and c[0, 1] == 0.0
    np.testing.assert_allclose(dsl.solve(SPD, B, assume_a="pos"), np.linalg.solve(SPD, B))
    np.testing.assert_allclose(dsl.solve(A, B, transposed=True), np.linalg.solve(A.T, B))
    assert dsl.det(SPD) == pytest.approx(np.linalg.det(SPD))
    # batched a with one vector b, as jax.scipy.linalg
    x = dsl.solve_triangular(np.stack([T, 2 * T]), B[:, 0])
    np.testing.assert_allclose(x[1], sla.solve_triangular(2 * T, B[:, 0]))


def test_sqrtm_derivative_of_a_non_symmetric_matrix():
    e = RNG.normal(size=(4, 4))
    x, dx = dualrev.jvp(dsl.sqrtm, (A,), (e,))
    np.testing.assert_allclose(x @ dx + dx @ x, e, atol=1e-10)
    h = 1e-6
    fd = (sla.sqrtm(A + h * e) - sla.sqrtm(A - h * e)) / (2 * h)
    np.testing.assert_allclose(dx, fd, atol=1e-7)
    g = RNG.normal(size=(4, 4))
    _, pullback = dualrev.vjp(dsl.sqrtm, A)
    assert np.sum(pullback(g)[0] * e) == pytest.approx(np.sum(g * dx), rel=1e-10)


def test_expm_second_derivative_by_finite_differences():
    e = RNG.normal(size=(4, 4)) * 0.1

    def d1(t):
        return dualrev.jvp(dsl.expm, (A + t * e,), (e,))[1]
    d2 = dualrev.jvp(d1, (0.0,), (1.0,))[1]
    h = 1e-5
    np.testing.assert_allclose(d2, (d1(h) - d1(-h)) / (2 * h), rtol=1e-6, atol=1e-6)


def test_errors():
    singular = T.copy()
    singular[2, 2] = 0.0
    with pytest.raises(np.linalg.LinAlgError):
        dsl.solve_triangular(singular, B)
    with pytest.raises(np.linalg.LinAlgError):
        dualrev.grad(lambda a: dnp.sum(dsl.solve_triangular(a, B)))(singular)
    with pytest.raises(np.linalg.LinAlgError):
        dsl.solve_triangular(np.stack([T, singular]), B)
    with pytest.raises(ValueError):
        dsl.solve_triangular(T, B[:3])
    with pytest.raises(ValueError):
        dualrev.grad(lambda a: dnp.sum(dsl.solve_triangular(a, B[:3])))(T)
    with pytest.raises(ValueError, match="trans"):
        dsl.solve_triangular(T, B, trans=3)
    with pytest.raises(ValueError):
        dsl.solve_triangular(T[:3], B[:3])
    with pytest.raises(ValueError):
        dsl.solve_triangular(T, np.where(B > 0, np.inf, B))
    with pytest.raises(np.linalg.LinAlgError):
        dsl.cholesky(-SPD)
    with pytest.raises(ValueError):
        dsl.lu_factor(A[:3])
    with pytest.raises(ValueError):
        dsl.expm(A[:3])
    with pytest.raises(ValueError):
        dsl.sqrtm(np.ones(3))
    with pytest.raises(ValueError):
        dualrev.grad(lambda x: dnp.sum(dsl.block_diag(x, np.ones((3, 1, 1)))))(np.ones((2, 2, 2)))


def test_block_diag_batched_as_scipy():
    x, y = RNG.normal(size=(2, 2, 3)), RNG.normal(size=(1, 1))
    np.testing.assert_allclose(dsl.block_diag.composite.definition(x, y, 2.0),
                               sla.block_diag(x, y, 2.0))
    g = dualrev.grad(lambda x: dnp.sum(dsl.block_diag(x, y) ** 2))(x)
    np.testing.assert_allclose(g, 2 * x)


def test_triangle_only_gets_a_derivative():
    g = dualrev.grad(lambda a: dnp.sum(dsl.solve_triangular(a, B, lower=True,
                                                            unit_diagonal=True)))(A)
    assert np.all(np.triu(g) == 0)
    g = dualrev.grad(lambda a: dnp.sum(dsl.solve_triangular(a, B)))(A)
    assert np.all(np.tril(g, -1) == 0) and np.all(np.diag(g) != 0)


def test_lu_solve_of_a_stack_with_one_vector():
    a = np.stack([A, SPD])
    for trans in (0, 1):
        x = dsl.lu_solve(dsl.lu_factor(a), B[:, 0], trans=trans)
        for i in range(2):
            np.testing.assert_allclose(x[i], sla.lu_solve(sla.lu_factor(a[i]), B[:, 0],
                                                          trans=trans), rtol=1e-12)
    g = dualrev.grad(lambda a: dnp.sum(dsl.lu_solve(dsl.lu_factor(a), B[:, 0])))(a)
    want = dualrev.grad(lambda a: dnp.sum(dnp.linalg.solve(a, B[:, 0])))(a)
    np.testing.assert_allclose(g, want, rtol=1e-10)


def test_cholesky_reads_the_triangle_scipy_reads():
    a = np.triu(SPD) + np.tril(RNG.normal(size=(4, 4)), -1)
    for lower in (False, True):
        m = np.tril(SPD) + np.triu(a.T, 1) if lower else a
        want = sla.cholesky(m, lower=lower)
        np.testing.assert_allclose(dsl.cholesky(m, lower=lower), want, rtol=1e-12)
        x, _ = dualrev.jvp(lambda m: dsl.cholesky(m, lower=lower), (m,), (np.ones((4, 4)),))
        np.testing.assert_allclose(x, want, rtol=1e-12)
        np.testing.assert_allclose(dsl.cho_factor(m, lower=lower)[0], want, rtol=1e-12)


def test_complex_pivots_without_scipy_are_lapacks(no_scipy):
    a = np.array([[3.0, 1.0], [2.0 + 2.0j, 1.0]])
    lu, piv = dsl.lu_factor(a)
    want_lu, want_piv = sla.lu_factor(a)
    np.testing.assert_array_equal(piv, want_piv)
    np.testing.assert_allclose(lu, want_lu, rtol=1e-12)


def test_sqrtm_disp_false_returns_the_error_estimate_as_scipy():
    with pytest.warns(DeprecationWarning):
        want, want_err = sla.sqrtm(A, disp=False)
    x, err = dsl.sqrtm(A, disp=False)
    np.testing.assert_allclose(x, want, rtol=1e-10)
    assert err == pytest.approx(want_err, abs=1e-20)
    (x, err), dx = dualrev.jvp(lambda a: dsl.sqrtm(a, disp=False), (A,), (A,))
    np.testing.assert_allclose(x, want, rtol=1e-10)
    assert np.ndim(err) == 0
