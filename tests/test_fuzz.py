"""The differential fuzzer (tests/fuzz.py): a fixed-seed run against JAX, and
proof that it catches wrong rules.

* Every registered primitive has an op spec, so a new primitive is fuzzed
  without anyone remembering it.
* A fixed set of seeds: each program's values, grad, jvp, vjp, second and
  third derivatives agree with JAX's (seeds that hit an open bug are marked
  xfail, strictly, with the bug named).
* A wrong JVP rule, a wrong VJP rule, a complex-only mistake and a wrong
  batching rule, planted by monkeypatching a primitive's rules, make the fuzzer
  fail and name the primitive.
* The comparison and the known-disagreement oracle themselves.

A failing seed prints its program and the command that runs it again and shrinks
it to the failing operations (``python -m tests.fuzz --seed N --programs 1 --ops 3-8``).
"""
import numpy as np
import pytest

import fuzz
from helpers import dnp, dualrev, jax, jnp

N_OPS = (3, 8)
FIRST_SEED = 20_000
N_SEEDS = 160


# Seeds whose programs reach an open bug, {seed: the bug}: marked
# xfail(strict=True), so that a fix shows up as an XPASS and the mark goes.
# None open: the bugs found so far are fixed (see "bugs the fuzzer found").
OPEN_BUGS = {}


def _seed_params():
    out = []
    for s in range(FIRST_SEED, FIRST_SEED + N_SEEDS):
        marks = ()
        if s in OPEN_BUGS:
            marks = pytest.mark.xfail(strict=True, reason=OPEN_BUGS[s])
        out.append(pytest.param(s, marks=marks, id=str(s)))
    return out


# ============================================================================ coverage

def test_every_op_spec_names_a_registered_primitive():
    stale = sorted(set(fuzz.SPECS) - set(dualrev.core.registry))
    assert not stale, f"op specs for names that are not registered primitives: {stale}"


def test_the_fixed_seeds_draw_every_primitive_and_kind():
    ops, kinds, specials = set(), set(), set()
    for s in range(FIRST_SEED, FIRST_SEED + N_SEEDS):
        p = fuzz.generate(s, N_OPS)
        ops.update(op.spec for op in p.ops)
        kinds.add(p.kind)
        specials.add(p.special)
    assert ops == set(fuzz.SPECS), sorted(set(fuzz.SPECS) - ops)
    assert kinds == {"real", "complex", "holo"}
    assert specials == {"smooth", "ties", "zeros", "nonsmooth", "infnan"}


def test_a_seed_gives_the_same_program():
    a, b = fuzz.generate(123), fuzz.generate(123)
    assert a.describe(values=True) == b.describe(values=True)
    assert all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a.inputs, b.inputs))


# ============================================================================ the fixed-seed run

@pytest.mark.parametrize("seed", _seed_params())
def test_program_agrees_with_jax(seed):
    prog = fuzz.generate(seed, N_OPS)
    n, problems = fuzz.check_one(prog, first=True)
    assert n > 0
    bad = [(c, m) for c, m in problems if not c.startswith(("known:", "rounding:"))]
    assert not bad, "\n".join(
        [f"{c}: {m}" for c, m in bad] + [prog.describe(),
                                         f"# shrink it: {prog.command()}"])


# ============================================================================ planted mistakes

def _planted_failure(monkeypatch, name, kind_of_rule, rule, kind=None, seeds=40):
    prim = dualrev.core.registry[name]
    attr = "jvp_rules" if kind_of_rule == "jvp" else "vjp_rules"
    monkeypatch.setattr(prim, attr, (rule,) + tuple(getattr(prim, attr)[1:]))
    monkeypatch.setattr(prim, "_saves", {})      # what the tape keeps is read off the rules
    stats = fuzz.campaign(31_000, seeds, n_ops=(2, 4), stop_after=1, kind=kind, focus=name)
    assert stats.failures, f"a wrong {kind_of_rule} rule of {name} went unnoticed"
    return stats.failures[0]


def test_a_wrong_jvp_rule_is_caught_and_named(monkeypatch):
    f = _planted_failure(monkeypatch, "sin", "jvp", lambda x_dot, ans, x: x_dot * dnp.sin(x))
    assert "sin" in f.blame.split("+") and "sin" in f.prims, f.report()
    assert f.check in ("jvp", "hessian", "third", "fwd_over_rev"), f.report()


def test_a_wrong_vjp_rule_is_caught_and_named(monkeypatch):
    f = _planted_failure(monkeypatch, "tanh", "vjp", lambda g, ans, x: g * (1 + ans * ans))
    assert "tanh" in f.blame.split("+") and "tanh" in f.prims, f.report()


def test_a_complex_only_mistake_is_caught_and_named(monkeypatch):
    # conj's cotangent returned as it comes: right for real values, wrong for complex.
    f = _planted_failure(monkeypatch, "conj", "vjp", lambda g, ans, x: g, kind="complex")
    assert "conj" in f.blame.split("+") and "conj" in f.prims, f.report()
    assert f.check in ("grad", "vjp", "fwd_over_rev", "third"), f.report()


def test_a_wrong_batching_rule_is_caught_and_named(monkeypatch):
    # sum's batching rule reducing over the example's axes as if there were no batch axis.
    prim = dualrev.core.registry["sum"]

    def rule(batched, x, *, axis, keepdims, in_shape, in_chunks):
        return dualrev.core.bind(prim, (x,), dict(axis=axis, keepdims=keepdims,
                                                  in_shape=np.shape(x), in_chunks=None))
    monkeypatch.setattr(prim, "batch", rule)
    stats = fuzz.campaign(31_000, 40, n_ops=(2, 4), stop_after=1, focus="sum")
    assert stats.failures, "a wrong batching rule of sum went unnoticed"
    # jacfwd, jacrev and hessian batch their directions too: any check may catch it.
    f = stats.failures[0]
    assert "sum" in f.blame.split("+") and "sum" in f.prims, f.report()


# ============================================================================ bugs the fuzzer found
# Minimal reproducers, against JAX, of the bugs the fuzzer found.  Fixed ones
# are plain tests (of the fixed seeds, 20055, 20097, 20107, 20113, 20124, 20129,
# 20152 and 20159 reached the first, 20084 and 20153 the last); an open one is
# marked xfail(strict=True, reason=<the bug>), and its seeds go in OPEN_BUGS.

def _both(fn, *args, transform=None):
    ours = (transform(dualrev) if transform else lambda f: f)(fn(dnp))(*args)
    theirs = (transform(jax) if transform else lambda f: f)(fn(jnp))(*args)
    return ours, theirs


def test_found_sigmoid_of_complex():
    """sigmoid of a complex value used |x| and x >= 0 (right for real x only)."""
    z = np.array([1 + 1j, -0.5 + 2j])
    ours, theirs = np.asarray(fuzz.DUALREV.sigmoid(z)), np.asarray(fuzz.JAX.sigmoid(z))
    assert fuzz.compare(ours, theirs) is None, (ours, theirs)


def test_found_imag_of_real_is_a_constant():
    """imag of a real value was differentiated as g * 0: against sqrt'(0) = inf
    further back that is 0 * inf = nan, where JAX (a constant) gives 0."""
    with np.errstate(all="ignore"):
        ours, theirs = _both(lambda m: lambda x: m.imag(m.sqrt(x)), 0.0,
                             transform=lambda ad: ad.grad)
    assert fuzz.compare(np.asarray(ours), np.asarray(theirs)) is None, (ours, theirs)


def test_found_angle_of_real_at_zero():
    """angle of a real value had derivative 0 at x = 0 too, where README ('angle at
    0: nan, as JAX') and JAX give nan."""
    with np.errstate(all="ignore"):
        ours, theirs = _both(lambda m: m.angle, 0.0, transform=lambda ad: ad.grad)
    assert fuzz.compare(np.asarray(ours), np.asarray(theirs)) is None, (ours, theirs)


def test_found_einsum_diagonal_keeps_nan_on_it():
    """einsum's cotangent on a diagonal ('ii->i') was placed by a contraction with
    an identity matrix: an inf on the diagonal became nan off it (0 * inf), where
    the derivative is 0 (JAX: 0)."""
    x = np.array([[1000.0, 1.0], [1.0, 0.0]])     # exp(1000) = inf on the diagonal
    with np.errstate(all="ignore"):
        ours, theirs = _both(lambda m: lambda a: m.sum(m.exp(m.einsum("ii->i", a))), x,
                             transform=lambda ad: ad.grad)
    assert fuzz.compare(np.asarray(ours), np.asarray(theirs)) is None, (ours, theirs)


def test_found_angle_of_real_at_infinity():
    """angle of a real value: its second derivative at -inf was -0.0 where JAX's is
    nan (0/x, then 0/x**2, as JAX's atan2(0, x))."""
    with np.errstate(all="ignore"):
        ours, theirs = _both(lambda m: m.angle, -np.inf, transform=lambda ad: ad.hessian)
    assert fuzz.compare(np.asarray(ours), np.asarray(theirs)) is None, (ours, theirs)


# ============================================================================ the comparison

def test_compare_matches_nan_and_inf_position_by_position():
    assert fuzz.compare(np.array([1.0, np.nan, np.inf]), np.array([1.0, np.nan, np.inf])) is None
    assert fuzz.compare(np.array([1.0, 0.0]), np.array([1.0, np.nan])) is not None
    assert fuzz.compare(np.array([np.inf]), np.array([-np.inf])) is not None
    assert fuzz.compare(np.array([1e300]), np.array([np.inf])) is not None
    assert fuzz.compare(np.array([1 + 1e-3j]), np.array([1 + 0j])) is not None
    assert fuzz.compare(np.array([1.0], np.float32), np.array([1.0])) is not None   # dtype
    assert fuzz.compare((np.ones(2),), (np.ones(2), np.ones(2))) is not None       # structure


def test_compare_tolerance_is_relative_to_the_result_magnitude():
    big = np.array([1e3, 1e-6])
    assert fuzz.compare(big + np.array([0, 1e-5]), big) is None           # rounding of a 1e3 sum
    assert fuzz.compare(big + np.array([0, 1e-3]), big) is not None
    assert fuzz.compare(np.array([1.0 + 1e-6]), np.array([1.0])) is not None


def _program(templates, *inputs, kind="real", reduce="sum"):
    """A hand-written program: one op per template, each on the value before it
    ({0}; the first on the inputs)."""
    names = [f"x{i}" for i in range(len(inputs))]
    ops = []
    for t in [templates] if isinstance(templates, str) else templates:
        args = tuple(names) if not ops else (ops[-1].out,)
        ops.append(fuzz.Op(t.split("(")[0].split(".")[-1], t, args, f"v{len(inputs) + len(ops)}"))
    return fuzz.Program(7, kind, "zeros", [np.asarray(x) for x in inputs], ops, ops[-1].out,
                        "real", reduce, "fwd.fwd.fwd")


def test_known_disagreement_is_accepted_only_as_documented(monkeypatch):
    """x ** y at x = 0 with an integral array exponent: JAX's derivatives are nan
    (the first where y == 0, the third where y == 2), dualrev's finite and exact;
    accepted once JAX, given dualrev's convention, agrees (also where the constant
    exponent meets a negative base, whose log must not enter).  A wrong power rule
    at the same point is still a failure."""
    prog = _program("m.power({0}, np.array([0.0, 2.0, 3.0, 1.0]))",
                    np.array([0.0, 0.0, 0.5, -0.5]))
    _, problems = fuzz.check_one(prog)
    assert problems and all(c.startswith("known:") for c, _ in problems), problems
    assert {m for _, m in problems} == {"power_integral_exponent_at_zero"}
    prim = dualrev.core.registry["power"]
    wrong = lambda g, ans, x, y: g * y * x  # noqa: E731
    monkeypatch.setattr(prim, "vjp_rules", (wrong, prim.vjp_rules[1]))
    monkeypatch.setattr(prim, "_saves", {})
    _, problems = fuzz.check_one(prog)
    assert any(not c.startswith("known:") for c, _ in problems), problems


def test_rounding_at_a_special_point_sets_the_program_aside():
    """(-0.5j) ** 1.0 is exact in NumPy and 3e-17 - 0.5j in XLA (exp(y log z)), so
    maximum(v, -v) of complex values (ordered by real parts first) picks different
    entries: not a derivative to compare, and said so."""
    z = np.array([-2 - 0.5j, -0.5 + 0j, -0.5j])
    prog = _program(["m.power({0}, np.array([0.0, 3.0, 1.0]))", "m.maximum({0}, -{0})"], z,
                    kind="holo", reduce="prod")
    _, problems = fuzz.check_one(prog)
    assert problems and all(c.startswith("rounding:") for c, _ in problems), problems
    assert "maximum" in problems[0][1]


def test_a_wrong_value_is_not_set_aside_as_rounding(monkeypatch):
    prog = _program(["m.sin({0})", "m.maximum({0}, -{0})"], np.array([0.5, -0.25, 0.0]))
    # (traced values only: untraced dnp.sin is numpy.sin itself)
    monkeypatch.setattr(dualrev.core.registry["sin"], "impl", lambda x: np.sin(x) * 1.001)
    _, problems = fuzz.check_one(prog)
    assert problems, problems
    assert not any(c.startswith(("known:", "rounding:")) for c, _ in problems), problems


def test_jax_and_dualrev_take_one_program_source():
    prog = fuzz.generate(FIRST_SEED)
    f = prog.fns()[1]
    with np.errstate(all="ignore"):
        ours = np.asarray(f(dnp, fuzz.DUALREV, *prog.inputs))
    theirs = np.asarray(f(jnp, fuzz.JAX, *prog.inputs))
    assert fuzz.compare(ours, theirs) is None


def test_cli_runs_and_summarises(capsys):
    assert fuzz.main(["--seed", str(FIRST_SEED), "--programs", "2", "--quiet"]) in (0, 1)
    out = capsys.readouterr().out
    assert "programs: 2" in out and "checks:" in out and "failures:" in out
