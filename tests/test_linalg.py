"""dualrev.numpy.linalg beyond the table: NumPy's values and result types, conventions at
degenerate and singular points (against JAX), the Hermitian convention for inputs NumPy
reads one triangle of, what cannot be differentiated, and bad input."""
import warnings

import numpy as np
import pytest

from helpers import assert_tree_close, dnp, dualrev, jax, jnp

la = dnp.linalg
RNG = np.random.default_rng(7)
A3 = np.array([[3.0, 0.5, 0.2], [0.3, -2.0, 0.4], [0.1, 0.6, 1.0]])
SPD = A3 @ A3.T + np.eye(3)
TALL = RNG.normal(size=(4, 3))


def _close(a, b, **kw):
    assert_tree_close(np.asarray(a), np.asarray(b), check_dtype=False, **kw)


# ---------------------------------------------------------------- untraced values

@pytest.mark.parametrize("name, args, kwargs", [
    ("inv", (A3,), {}), ("det", (A3,), {}), ("slogdet", (A3,), {}), ("solve", (A3, TALL[:3]), {}),
    ("cholesky", (SPD,), {"upper": True}), ("eigh", (SPD,), {"UPLO": "U"}), ("eigvalsh", (SPD,), {}),
    ("eig", (A3,), {}), ("eigvals", (A3,), {}), ("svd", (TALL,), {}), ("svdvals", (TALL,), {}),
    ("qr", (TALL,), {"mode": "complete"}), ("pinv", (TALL,), {"rtol": 1e-3}),
    ("lstsq", (TALL, TALL[:, 0]), {}), ("matrix_rank", (TALL,), {})])
def test_untraced_calls_give_numpys_results(name, args, kwargs):
    got, want = getattr(la, name)(*args, **kwargs), getattr(np.linalg, name)(*args, **kwargs)
    assert type(got) is type(want)
    for g, w in zip(*(x if isinstance(x, tuple) else (x,) for x in (got, want))):
        np.testing.assert_array_equal(g, w)


def test_traced_results_are_named_as_numpys():
    def f(a):
        w, v = la.eigh(a)
        r = la.eigh(a)
        assert r.eigenvalues is not None and r.eigenvectors is not None
        s = la.slogdet(a)
        u = la.svd(a)
        q = la.qr(a)
        return dnp.sum(w) + s.logabsdet + dnp.sum(u.S) + dnp.sum(q.R) + dnp.sum(v * 0.0)
    dualrev.grad(f)(SPD)


def test_traced_values_equal_numpys():
    z = A3 + 0.5j * A3.T
    checks = {
        "eig_real_input_complex_eigenvalues": (lambda a: la.eig(a)[0],
                                               np.array([[1.0, -2.0], [1.5, 0.5]])),
        "eig_real_eigenvalues_stay_real": (lambda a: la.eig(a)[0], A3),
        "eigh_complex": (lambda a: la.eigh(a + dnp.conj(a.T))[0], z),
        "slogdet_complex_sign": (lambda a: la.slogdet(a)[0], z),
        "svd_hermitian": (lambda a: la.svd(a, hermitian=True)[2], SPD - 4 * np.eye(3)),
        "qr_r": (lambda a: la.qr(a, mode="r"), TALL),
        "lstsq_matrix_b": (lambda a: la.lstsq(a, TALL[:, :2])[0], TALL),
        "solve_vector_b_stack": (lambda a: la.solve(a, np.ones(3)), np.stack([A3, SPD])),
        "pinv_rcond": (lambda a: la.pinv(a, rcond=0.5), TALL),
    }
    for name, (f, a) in checks.items():
        want = f.__call__(a)                         # untraced: NumPy's
        got, _ = dualrev.vjp(f, a)
        assert np.asarray(got).dtype == np.asarray(want).dtype, name
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-12, atol=1e-12,
                                   err_msg=name)


# ---------------------------------------------------------------- conventions, against JAX

def _against_jax(fd, fj, a, orders=(1,)):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for mode in ("jacfwd", "jacrev"):
            got = getattr(dualrev, mode)(fd)(a)
            want = getattr(jax, mode)(fj)(a)
            _close(got, want, err=mode)
        if 2 in orders:
            _close(dualrev.hessian(fd)(a), jax.hessian(fj)(a), err="hessian")
        if 3 in orders:
            _close(dualrev.jacfwd(dualrev.hessian(fd))(a), jax.jacfwd(jax.hessian(fj))(a),
                   err="third")


def test_eigh_repeated_eigenvalues_give_jaxs_inf_and_nan():
    """Eigenvectors of a repeated eigenvalue are not unique: their derivative is inf/nan
    there, as JAX's; the eigenvalues' derivative stays finite."""
    a = np.diag([1.0, 1.0, 2.0])
    _against_jax(lambda x: la.eigh(x)[1], lambda x: jnp.linalg.eigh(x)[1], a)
    _against_jax(lambda x: la.eigh(x)[0], lambda x: jnp.linalg.eigh(x)[0], a, orders=(1, 2))
    assert np.isfinite(dualrev.jacrev(lambda x: la.eigvalsh(x))(a)).all()


def test_svd_repeated_singular_values_give_jaxs_inf_and_nan():
    a = np.diag([2.0, 2.0, 1.0])
    _against_jax(lambda x: la.svd(x)[0], lambda x: jnp.linalg.svd(x)[0], a)
    _against_jax(lambda x: la.svd(x)[1], lambda x: jnp.linalg.svd(x)[1], a)
    _against_jax(lambda x: la.svd(x)[0][:, 2], lambda x: jnp.linalg.svd(x)[0][:, 2], a)


@pytest.mark.parametrize("a", [
    np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]),      # rank 2
    np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [-1.0, -2.0, -3.0]]),   # rank 1
    np.zeros((3, 3)),
    np.array([[1.0, 1.0], [1.0, 1.0 + 1e-7]]),                        # nearly singular
], ids=["rank2", "rank1", "zero", "nearly_singular"])
def test_det_at_singular_matrices_is_the_cofactor_matrix_to_third_order(a):
    _against_jax(la.det, jnp.linalg.det, a, orders=(1, 2, 3))


def test_det_derivative_is_the_adjugate_transposed():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    np.testing.assert_allclose(dualrev.grad(la.det)(a), [[4.0, -2.0], [-2.0, 1.0]], rtol=1e-14)
    np.testing.assert_array_equal(dualrev.grad(la.det)(np.array([[5.0]])), [[1.0]])


def test_slogdet_at_a_singular_matrix_is_infinite_as_jaxs():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    _against_jax(lambda x: la.slogdet(x)[1], lambda x: jnp.linalg.slogdet(x)[1], a)


@pytest.mark.parametrize("name", ["cholesky", "eigh", "eigvalsh", "pinv_hermitian"])
def test_hermitian_inputs_give_hermitian_gradients_as_jax(name):
    """NumPy reads one triangle; derivatives are those of the Hermitian part (JAX's and
    PyTorch's convention), also with respect to a non-Hermitian direction."""
    fns = {"cholesky": lambda m, a: m.linalg.cholesky(a),
           "eigh": lambda m, a: m.linalg.eigh(a)[1] ** 2 + m.linalg.eigh(a)[0],
           "eigvalsh": lambda m, a: m.linalg.eigvalsh(a),
           "pinv_hermitian": lambda m, a: m.linalg.pinv(a, hermitian=True)}
    f = fns[name]
    w = RNG.normal(size=np.shape(f(np, SPD)))
    _against_jax(lambda a: dnp.sum(f(dnp, a) * w), lambda a: jnp.sum(f(jnp, a) * w), SPD,
                 orders=(1, 2))
    g = dualrev.grad(lambda a: dnp.sum(f(dnp, a) * w))(SPD)
    np.testing.assert_allclose(g, g.T, atol=1e-12)


def test_complex_hermitian_cholesky_against_jax():
    """Derivatives in the real and imaginary parts of every entry (not only Hermitian
    directions)."""
    z = A3 + 0.3j * A3.T
    h = z @ z.conj().T + np.eye(3)
    w = RNG.normal(size=(3, 3))

    def f(m, la):
        return lambda xy: m.real(m.sum(la.cholesky(xy[0] + 1j * xy[1], upper=True) * w))
    _against_jax(f(dnp, la), f(jnp, jnp.linalg), np.stack([h.real, h.imag]), orders=(1, 2))


def test_pinv_of_a_rank_deficient_matrix_as_jax():
    a = np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])
    _against_jax(la.pinv, jnp.linalg.pinv, a, orders=(1, 2))


def test_lstsq_rank_deficient_gives_empty_residuals_and_constant_rank():
    a = np.array([[1.0, 2.0], [2.0, 4.0], [1.0, 2.0]])
    b = np.array([1.0, 0.0, 2.0])

    def f(a):
        x, res, rank, s = la.lstsq(a, b)
        assert res.shape == (0,) and rank == 1 and not isinstance(rank, dualrev.core.Tracer)
        return x
    want = np.linalg.lstsq(a, b)[0]
    np.testing.assert_allclose(dualrev.vjp(f, a)[0], want, rtol=1e-12)
    _close(dualrev.jacfwd(f)(a), jax.jacfwd(lambda a: jnp.linalg.lstsq(a, b)[0])(a))


def test_ill_conditioned_cofactor_derivative_uses_the_minors():
    """Condition number above 1e4: the cofactors' derivative comes from the minors
    (the quotient by det would lose digits)."""
    a = np.array([[1.0, 2.0, 0.5], [2.0, 4.0 + 1e-6, 1.0], [0.3, 0.1, 2.0]])
    _against_jax(la.det, jnp.linalg.det, a, orders=(1, 2, 3))


# ---------------------------------------------------------------- what is not differentiable

def test_svd_full_matrices_of_a_non_square_matrix():
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        dualrev.grad(lambda a: dnp.sum(la.svd(a)[0]))(TALL)
    # its values under vmap (no derivative) are NumPy's
    got = dualrev.vmap(lambda a: la.svd(a)[1])(np.stack([TALL, 2 * TALL]))
    np.testing.assert_allclose(got, np.linalg.svd(np.stack([TALL, 2 * TALL]))[1], rtol=1e-12)
    # as JAX, even for S alone; compute_uv=False (or svdvals) differentiates S
    with pytest.raises(NotImplementedError):
        dualrev.grad(lambda a: dnp.sum(la.svd(a)[1]))(TALL)
    with pytest.raises(NotImplementedError):
        jax.grad(lambda a: jnp.sum(jnp.linalg.svd(a)[1]))(TALL)
    _close(dualrev.grad(lambda a: dnp.sum(la.svd(a, compute_uv=False)))(TALL),
           jax.grad(lambda a: jnp.sum(jnp.linalg.svd(a, compute_uv=False)))(TALL))


def test_qr_complete_of_a_tall_matrix_and_raw():
    with pytest.raises(NotImplementedError, match="mode='reduced'"):
        dualrev.grad(lambda a: dnp.sum(la.qr(a, mode="complete")[0]))(TALL)
    with pytest.raises(NotImplementedError, match="raw"):
        dualrev.grad(lambda a: dnp.sum(la.qr(a, mode="raw")[0]))(TALL)
    with pytest.raises(ValueError, match="Unrecognized mode"):
        dualrev.grad(lambda a: dnp.sum(la.qr(a, mode="bad")[0]))(TALL)


# ---------------------------------------------------------------- bad input

def _traced(f, a, *args):
    return dualrev.grad(lambda a: dnp.sum(dnp.real(f(a, *args))))(a)


@pytest.mark.parametrize("f", [la.inv, la.det, lambda a: la.eigh(a)[0], la.cholesky,
                               lambda a: la.slogdet(a)[1], lambda a: la.eig(a)[0],
                               lambda a: la.solve(a, np.ones(4))])
def test_non_square_and_one_dimensional_raise_linalgerror(f):
    with pytest.raises(la.LinAlgError, match="square"):
        _traced(f, TALL)
    with pytest.raises(la.LinAlgError, match="two-dimensional"):
        _traced(f, np.ones(3))


def test_singular_and_not_positive_definite_raise_linalgerror():
    s = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(la.LinAlgError, match="Singular"):
        _traced(la.inv, s)
    with pytest.raises(la.LinAlgError, match="Singular"):
        _traced(la.solve, s, np.ones(2))
    with pytest.raises(la.LinAlgError, match="positive definite"):
        _traced(la.cholesky, -SPD)


def test_solve_shapes_as_numpy_2():
    for a, b in [(A3, np.ones(2)), (A3, np.ones((2, 2))), (np.stack([A3] * 2), np.ones((3, 3, 1)))]:
        with pytest.raises(ValueError):
            np.linalg.solve(a, b)
        with pytest.raises(ValueError):
            _traced(la.solve, a, b)
    # b of shape (M,) is a vector; (k, M) with a of shape (k, M, M) is a matrix (NumPy 2)
    a = np.stack([A3, SPD])
    for b in (np.ones(3), np.ones((2, 3, 2)), np.ones((3, 2))):
        got, _ = dualrev.vjp(lambda a: la.solve(a, b), a)
        np.testing.assert_allclose(got, np.linalg.solve(a, b), rtol=1e-12)


def test_bad_uplo():
    with pytest.raises(ValueError, match="UPLO"):
        _traced(lambda a: la.eigh(a, UPLO="X")[0], SPD)


def test_lists_holding_traced_values():
    assert np.isclose(dualrev.grad(lambda t: la.det([[t, 2.0], [1.0, t]]))(3.0), 6.0)
    g = dualrev.grad(lambda t: dnp.sum(la.solve([[t, 0.0], [0.0, 2.0]], [2.0 * t, 1.0])))(3.0)
    assert np.isclose(g, 0.0)


def test_cholesky_reads_the_triangle_numpy_reads_traced_too():
    """Only one triangle of a is read (the lower, or the upper with upper=True), traced or
    not: a non-Hermitian a gives NumPy's factor."""
    a = np.array([[4.0, 1.0, 0.5], [2.0, 5.0, 0.3], [-1.0, 0.8, 3.0]])
    for upper in (False, True):
        want = np.linalg.cholesky(a, upper=upper)
        got = dualrev.jvp(lambda x: dnp.linalg.cholesky(x, upper=upper), (a,), (a,))[0]
        np.testing.assert_allclose(got, want, rtol=1e-14)
