"""einsum in every NumPy form: values against numpy.einsum, derivatives against
JAX and the adjoint identity, and NumPy's errors.

The table in test_primitives.py checks one case of each form against JAX to
second order; here drawn subscripts (diagonals, '...', broadcasting, implicit
outputs, sublists) are checked against NumPy's values and the adjoint identity,
and the calling conventions (``optimize``, keyword arguments) against NumPy.
"""
import string

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import assert_tree_close, dnp, dualrev, jax, jnp, to_numpy, vdot

HYP = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
RNG = np.random.default_rng(7)


def _operands(*shapes):
    return [RNG.normal(size=s) for s in shapes]


# Every form, on operands of matching shapes.
FORMS = {
    "trace": ("ii->", [(3, 3)]),
    "trace_implicit": ("ii", [(3, 3)]),
    "diagonal": ("ii->i", [(3, 3)]),
    "diagonal_three": ("iii->i", [(2, 2, 2)]),
    "ij_jj_i": ("ij,jj->i", [(2, 3), (3, 3)]),
    "iij_j": ("iij->j", [(3, 3, 2)]),
    "ij_ii_ij": ("ij,ii->ij", [(3, 2), (3, 3)]),
    "ii_i_i": ("ii,i->i", [(3, 3), (3,)]),
    "jiki_ijk": ("jiki->ijk", [(2, 3, 2, 3)]),
    "iijk_l_l": ("iijk,l->l", [(2, 2, 3, 2), (4,)]),
    "ellipsis_bcast": ("...ij,...jk->...ik", [(1, 3, 4), (5, 4, 2)]),
    "ellipsis_bcast_ranks": ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    "ellipsis_middle": ("i...j,j...->i...", [(2, 4, 3), (3, 4)]),
    "ellipsis_end": ("ij...,jk...->ik...", [(2, 3, 2, 1), (3, 2, 3)]),
    "ellipsis_empty": ("...ij,jk->...ik", [(2, 3), (3, 2)]),
    "ellipsis_diagonal": ("...ii->...i", [(2, 3, 3)]),
    "ellipsis_implicit": ("...ij,...j", [(2, 3, 2), (1, 2)]),
    "ellipsis_only": ("...,...->...", [(2, 3), (3,)]),
    "ellipsis_sum_first": ("i...->...", [(3, 2)]),
    "label_bcast": ("ij,jk->ik", [(2, 1), (4, 3)]),
    "scalar_operand": ("i,->i", [(3,), ()]),
    "implicit_sorted": ("ba,cb", [(2, 3), (4, 2)]),
    "upper_and_lower_letters": ("Ab,bA->A", [(2, 3), (3, 2)]),
    "spaces": (" ij , jk -> ik ", [(2, 3), (3, 2)]),
    "three_operands_diagonal": ("ij,jj,jk->ik", [(2, 3), (3, 3), (3, 2)]),
}


def _sublist_args(spec_ops):
    """The sublist form of a string-form call (letters as NumPy numbers them)."""
    letters = string.ascii_uppercase + string.ascii_lowercase
    spec, ops = spec_ops
    ins, _, out = spec.replace(" ", "").partition("->")

    def sub(t):
        s = []
        while t:
            if t.startswith("..."):
                s.append(Ellipsis)
                t = t[3:]
            else:
                s.append(letters.index(t[0]))
                t = t[1:]
        return s
    args = []
    for t, o in zip(ins.split(","), ops):
        args += [o, sub(t)]
    if "->" in spec:
        args.append(sub(out))
    return args


@pytest.mark.parametrize("name", list(FORMS))
def test_values_match_numpy_in_every_form(name):
    spec, shapes = FORMS[name]
    ops = _operands(*shapes)
    want = np.einsum(spec, *ops)
    for args in ([spec, *ops], _sublist_args((spec, ops))):
        assert_tree_close(dnp.einsum(*args), np.einsum(*args), err="untraced")
        assert_tree_close(np.einsum(*args), want, err="numpy, this form")
        for k in range(len(ops)):
            def f(x, args=args, k=k):
                a = list(args)
                a[2 * k if isinstance(args[0], np.ndarray) else k + 1] = x
                return dnp.einsum(*a)
            out, _ = dualrev.vjp(f, ops[k])
            assert_tree_close(out, want, err=f"traced operand {k}")


@pytest.mark.parametrize("name", list(FORMS))
def test_derivatives_match_jax_in_every_form(name):
    """jacfwd, jacrev, and the Hessian of a nonlinear function of the result, with
    respect to all operands at once, in the string and the sublist form, against JAX
    (the string form, one compiled call)."""
    spec, shapes = FORMS[name]
    ops = _operands(*shapes)
    w = RNG.normal(size=np.shape(np.einsum(spec, *ops)))
    an = tuple(range(len(ops)))

    def make(m, form):
        def f(*xs):
            args = [spec, *xs] if form == "string" else _sublist_args((spec, xs))
            return m.einsum(*args)
        return f, (lambda *xs: m.sum(m.sin(f(*xs)) * w))

    jf, js = make(jnp, "string")
    want = jax.jit(lambda *xs: dict(jacfwd=jax.jacfwd(jf, an)(*xs), jacrev=jax.jacrev(jf, an)(*xs),
                                    hessian=jax.hessian(js, an)(*xs)))(*ops)
    for form in ("string", "sublist"):
        f, s = make(dnp, form)
        assert_tree_close(dualrev.jacfwd(f, an)(*ops), want["jacfwd"], err=f"{form} jacfwd")
        assert_tree_close(dualrev.jacrev(f, an)(*ops), want["jacrev"], err=f"{form} jacrev")
        assert_tree_close(dualrev.hessian(s, an)(*ops), want["hessian"], err=f"{form} hessian")


def test_trace_cotangent_is_the_identity_times_g():
    """d trace(A) / dA = I; d diag(A) . g / dA = diag(g), in both modes."""
    a = _operands((3, 3))[0]
    g = np.array([1.0, -2.0, 0.5])
    for mode in ("grad", "jacfwd"):
        d = getattr(dualrev, mode)(lambda x: dnp.einsum("ii->", x))(a)
        assert_tree_close(d, np.eye(3))
    _, pull = dualrev.vjp(lambda x: dnp.einsum("ii->i", x), a)
    assert_tree_close(pull(g)[0], np.diag(g))


def test_repeated_index_derivatives_differentiate_again():
    """Third order through a diagonal: d³/dA³ of sum(diag(A)³) against JAX."""
    a = _operands((3, 3))[0]
    f = lambda m: lambda x: m.sum(m.einsum("ii->i", x) ** 3)  # noqa: E731
    ours = dualrev.jacfwd(dualrev.hessian(f(dnp)))(a)
    theirs = jax.jit(jax.jacfwd(jax.hessian(f(jnp))))(a)
    assert_tree_close(ours, theirs)


def test_optimize_is_accepted_as_numpy():
    x, y, z = _operands((2, 3), (3, 4), (4, 2))
    path = np.einsum_path("ij,jk,kl->il", x, y, z, optimize="optimal")[0]
    want = np.einsum("ij,jk,kl->il", x, y, z)
    f = lambda m, opt: lambda a, b, c: m.sum(m.sin(m.einsum("ij,jk,kl->il", a, b, c, optimize=opt)))  # noqa: E731
    g_want = jax.jit(jax.grad(f(jnp, "optimal"), (0, 1, 2)))(x, y, z)
    h_want = jax.jit(jax.hessian(f(jnp, "optimal"), (0, 1)))(x, y, z)
    for opt in (False, True, "greedy", "optimal", path):
        assert_tree_close(dnp.einsum("ij,jk,kl->il", x, y, z, optimize=opt), want, err=str(opt))
        g = dualrev.grad(f(dnp, opt), (0, 1, 2))(x, y, z)
        assert_tree_close(g, g_want, err=str(opt))
        h = dualrev.hessian(f(dnp, opt), (0, 1))(x, y, z)
        assert_tree_close(h, h_want, err=str(opt))


def test_optimize_path_with_a_diagonal():
    """A contraction path fits the forward product's operands only; the rules (the
    diagonal's cotangent contracts two operands) do without it."""
    x, y, z = _operands((2, 3), (3, 3), (3, 2))
    spec = "ij,jj,jk->ik"
    path = np.einsum_path(spec, x, y, z, optimize="optimal")[0]
    f = lambda m, opt: lambda a, b, c: m.sum(m.sin(m.einsum(spec, a, b, c, optimize=opt)))  # noqa: E731
    want = jax.jit(jax.hessian(f(jnp, "optimal"), (0, 1, 2)))(x, y, z)
    assert_tree_close(dualrev.hessian(f(dnp, path), (0, 1, 2))(x, y, z), want)


def test_sublist_form_on_traced_operands():
    """The interleaved form with a traced operand (it used to recurse without end)."""
    x, y = _operands((2, 3), (3, 4))
    g = dualrev.grad(lambda a: dnp.sum(dnp.einsum(a, [0, 1], y, [1, 2], [0, 2])))(x)
    assert_tree_close(g, np.broadcast_to(y.sum(axis=1), (2, 3)))


def test_untraced_calls_go_to_numpy_with_every_keyword():
    x, y = _operands((2, 3), (3, 2))
    out = np.empty((2, 2))
    r = dnp.einsum("ij,jk->ik", x, y, out=out)
    assert r is out
    assert_tree_close(out, x @ y)
    assert dnp.einsum("ij,jk->ik", x.astype(np.float32), y, dtype=np.float32,
                       casting="same_kind").dtype == np.float32


def test_keywords_numpy_has_but_traced_operands_do_not():
    x, y = _operands((2, 3), (3, 2))
    with pytest.raises(TypeError, match="einsum: out not supported on traced operands"):
        dualrev.grad(lambda a: dnp.sum(dnp.einsum("ij,jk->ik", a, y, out=np.empty((2, 2)))))(x)


ERRORS = {
    "ellipsis_missing_in_output": ("...i->i", [(2, 3)], "no '...'"),
    "repeated_output": ("ij->ii", [(2, 2)], "output subscript 'i' appears more than once"),
    "output_not_in_input": ("ij->k", [(2, 2)], "output subscript 'k' appears in no operand"),
    "diagonal_of_unequal_sizes": ("ii->i", [(2, 3)], "repeated in operand 0"),
    "sizes_disagree": ("ij,jk->ik", [(2, 3), (4, 2)], "subscript 'j' has size 3"),
    "too_many_subscripts": ("ijk->i", [(2, 3)], "do not match its 2 dimensions"),
    "too_few_subscripts": ("i->i", [(2, 3)], "do not match its 2 dimensions"),
    "stray_dot": ("i..->i", [(3,)], "'.' that is not part of one ellipsis"),
    "not_a_letter": ("i$->i", [(3, 3)], "invalid subscript '$'"),
    "operand_count": ("ij,jk->ik", [(2, 3)], "2 operands in subscripts"),
    "bad_arrow": ("ij-ji", [(2, 2)], "one proper '->'"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_on_traced_operands_as_numpy(name):
    """Where NumPy rejects subscripts, traced operands get a ValueError naming the
    problem (NumPy raises ValueError too)."""
    spec, shapes, message = ERRORS[name]
    ops = _operands(*shapes)
    with pytest.raises(ValueError):
        np.einsum(spec, *ops)
    with pytest.raises(ValueError, match=f"einsum: .*{_escape(message)}"):
        dualrev.vjp(lambda a: dnp.einsum(spec, a, *ops[1:]), ops[0])


def _escape(text):
    import re
    return re.escape(text)


def test_sublist_subscript_out_of_range():
    x = _operands((2, 2))[0]
    with pytest.raises(ValueError, match=r"subscript 52 in sublist \[0, 52\]"):
        dualrev.vjp(lambda a: dnp.einsum(a, [0, 52]), x)


# ---------------------------------------------------------------- drawn subscripts

@st.composite
def _einsum_call(draw):
    """Drawn subscripts with diagonals, '...' (broadcast, at any place), length-1
    dimensions and implicit or explicit outputs, and operands of matching shapes."""
    letters = "ijkl"
    size = {c: draw(st.integers(1, 3), label=f"size {c}") for c in letters}
    n_ops = draw(st.integers(1, 3), label="operands")
    ell_rank = draw(st.integers(0, 2), label="ellipsis rank")
    ell_sizes = [draw(st.integers(1, 3)) for _ in range(ell_rank)]
    use_ellipsis = ell_rank > 0 and draw(st.booleans(), label="ellipsis")
    terms, shapes = [], []
    for k in range(n_ops):
        term = draw(st.lists(st.sampled_from(letters), max_size=4), label=f"term {k}")
        shape = [size[c] for c in term]
        if use_ellipsis and draw(st.booleans(), label=f"ellipsis in {k}"):
            pos = draw(st.integers(0, len(term)), label=f"ellipsis place {k}")
            rank = draw(st.integers(0, ell_rank))
            ell = [1 if draw(st.booleans()) else n for n in ell_sizes[ell_rank - rank:]]
            term = term[:pos] + ["..."] + term[pos:]
            shape = shape[:pos] + ell + shape[pos:]
        terms.append("".join(term))
        shapes.append(tuple(shape))
    spec = ",".join(terms)
    if draw(st.booleans(), label="explicit output"):
        present = sorted(set("".join(terms)) - set("."))
        out = draw(st.permutations(present).flatmap(
            lambda p: st.integers(0, len(p)).map(lambda n: p[:n])), label="output")
        lead = "..." if any("..." in t for t in terms) else ""
        spec += "->" + lead + "".join(out)
    return spec, shapes


@settings(max_examples=60, **HYP)
@given(call=_einsum_call(), data=st.data())
def test_drawn_subscripts_values_and_adjoint(call, data):
    spec, shapes = call
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 16), label="seed"))
    ops = [rng.normal(size=s) for s in shapes]
    want = np.einsum(spec, *ops)
    f = lambda *xs: dnp.einsum(spec, *xs)  # noqa: E731
    vs = [rng.normal(size=s) for s in shapes]
    out, t_out = dualrev.jvp(f, tuple(ops), tuple(vs))
    assert_tree_close(out, want, err=spec)
    w = rng.normal(size=np.shape(want))
    out2, pull = dualrev.vjp(f, *ops)
    cts = pull(w)
    for c, o in zip(cts, ops):
        assert to_numpy(c).shape == o.shape
    lhs = vdot(t_out, w)
    rhs = sum(vdot(v, c) for v, c in zip(vs, cts))
    assert abs(lhs - rhs) <= 1e-10 * (1.0 + abs(lhs)), f"{spec}: {lhs} != {rhs}"
    # And once more, one order up: the adjoint identity of the pullback itself (the
    # cotangent rules are linear in w; their own rules give the second order).
    u = rng.normal(size=np.shape(want))
    _, t_ct = dualrev.jvp(lambda ww: pull(ww), (w,), (u,))
    assert_tree_close(t_ct, pull(u), err=f"{spec}: the pullback is linear")
