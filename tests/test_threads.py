"""The imperative layer under threads, as PyTorch: grad mode per thread, concurrent backward.

* Grad mode (``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode`` and the
  mode a backward sweep sets) belongs to the thread that sets it; a new thread records.
  Deterministic tests stop one thread inside a backward sweep (a primitive whose VJP
  waits on an event) while another thread looks at its own mode.
* Several threads build graphs and call backward at the same time (a barrier makes
  every iteration start together; a short switch interval makes the threads
  interleave finely): each thread's gradients are exact, and contributions that
  several threads add to one shared leaf's ``.grad`` all arrive.  Values are small
  integers, so every gradient, and every sum of them in any order, is exact.
* Threads that share a recorded (non-leaf) tensor record on one graph, merge their
  graphs into it and sweep it at the same time (``retain_graph=True``, as PyTorch
  requires for a shared part of a graph).
"""
import gc
import sys
import threading

import numpy as np
import pytest

import dualrev
from dualrev import autograd
from dualrev.core import bind

F64 = dualrev.float64
WAIT = 10   # seconds; a test that waits this long has failed


def t64(a, requires_grad=False):
    return dualrev.tensor(np.asarray(a, dtype=np.float64), dtype=F64,
                          requires_grad=requires_grad)


def arr(t):
    return np.array(t.detach().numpy())


def run_threads(n, body, switch_interval=1e-5):
    """Run body(i, barrier) in n threads at once; re-raise the first error of any."""
    barrier = threading.Barrier(n)
    errors = []

    def run(i):
        try:
            body(i, barrier)
        except BaseException as e:      # noqa: BLE001  (reported by the main thread)
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    old = sys.getswitchinterval()
    sys.setswitchinterval(switch_interval)
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        sys.setswitchinterval(old)
    assert not any(t.is_alive() for t in threads), "a thread did not finish"
    real = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
    if real or errors:
        raise (real or errors)[0]


class Pause:
    """A primitive (identity) whose VJP signals ``entered`` and waits for ``release``
    (then raises if ``fail``): a thread can be held inside a backward sweep."""

    def __init__(self, fail=False):
        self.entered, self.release = threading.Event(), threading.Event()
        self.fail = fail
        self.prim = dualrev.Primitive("pause", lambda x: x * 1.0,
                                      jvp=(lambda x_dot, ans, x: x_dot,),
                                      vjp=(self._vjp,), register=False)

    def _vjp(self, g, ans, x):
        self.entered.set()
        assert self.release.wait(WAIT), "never released"
        if self.fail:
            raise RuntimeError("planted failure in a backward sweep")
        return g

    def __call__(self, t):
        return bind(self.prim, (t,))


def in_thread(fn):
    """Start fn in a thread; returns (thread, results list, errors list)."""
    results, errors = [], []

    def run():
        try:
            results.append(fn())
        except BaseException as e:      # noqa: BLE001
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    return t, results, errors


def finish(thread, errors):
    thread.join(WAIT)
    assert not thread.is_alive(), "the thread did not finish"
    if errors:
        raise errors[0]


# =============================================================================
# Grad mode is per thread
# =============================================================================


@pytest.mark.parametrize("mode", ["no_grad", "inference_mode", "set_grad_enabled(False)"])
def test_grad_mode_off_in_one_thread_leaves_recording_on_in_another(mode):
    off = {"no_grad": dualrev.no_grad, "inference_mode": dualrev.inference_mode,
           "set_grad_enabled(False)": lambda: dualrev.set_grad_enabled(False)}[mode]
    x = t64([1.0, 2.0], requires_grad=True)
    inside, leave = threading.Event(), threading.Event()

    def quiet():
        with off():
            inside.set()
            assert leave.wait(WAIT)
            y = x * 2
            seen = (dualrev.is_grad_enabled(), y.requires_grad, y.grad_fn)
        return seen + (dualrev.is_grad_enabled(),)

    t, results, errors = in_thread(quiet)
    assert inside.wait(WAIT)
    try:
        assert dualrev.is_grad_enabled()
        y = x * 3
        assert y.requires_grad and y.grad_fn is not None
        y.sum().backward()
        np.testing.assert_array_equal(arr(x.grad), [3.0, 3.0])
    finally:
        leave.set()
        finish(t, errors)
    assert results == [(False, False, None, True)]
    assert dualrev.is_grad_enabled()


def test_a_new_thread_records_even_when_its_starter_is_in_no_grad():
    x = t64(2.0, requires_grad=True)
    with dualrev.no_grad():
        t, results, errors = in_thread(lambda: (dualrev.is_grad_enabled(),
                                                (x * x).requires_grad))
        finish(t, errors)
        assert not dualrev.is_grad_enabled()
    assert results == [(True, True)]


def test_set_grad_enabled_in_a_thread_that_ends_changes_nothing_elsewhere():
    before = dualrev.graph._threads_off[0]
    t, results, errors = in_thread(lambda: dualrev.set_grad_enabled(False) and None)
    finish(t, errors)
    del t
    gc.collect()
    assert dualrev.is_grad_enabled()
    assert (t64(1.0, requires_grad=True) * 2).requires_grad
    # The ended thread no longer counts as one with recording off.
    assert dualrev.graph._threads_off[0] == before


def test_one_grad_mode_object_entered_by_two_threads_restores_each_threads_mode():
    shared = dualrev.no_grad()
    entered, main_left = threading.Event(), threading.Event()

    def worker():
        with dualrev.enable_grad():
            dualrev.set_grad_enabled(False)          # this thread: off before entering
            with shared:
                entered.set()
                assert main_left.wait(WAIT)
            return dualrev.is_grad_enabled()

    with shared:                                      # main thread: on before entering
        t, results, errors = in_thread(worker)
        assert entered.wait(WAIT)
    main_mode = dualrev.is_grad_enabled()
    main_left.set()
    finish(t, errors)
    assert main_mode is True
    assert results == [False]


def test_a_backward_sweep_in_one_thread_leaves_recording_on_in_another():
    pause = Pause()
    x = t64([1.0, 2.0], requires_grad=True)
    loss = (pause(x) * x).sum()
    t, results, errors = in_thread(lambda: loss.backward())
    assert pause.entered.wait(WAIT)
    try:
        # The other thread is inside its sweep, with its own grad mode off.
        assert dualrev.is_grad_enabled()
        y = x * 5
        assert y.requires_grad and y.grad_fn is not None
    finally:
        pause.release.set()
        finish(t, errors)
    np.testing.assert_array_equal(arr(x.grad), [2.0, 4.0])
    assert dualrev.is_grad_enabled()


@pytest.mark.parametrize("outer", ["grad on", "no_grad"])
def test_grad_mode_restored_after_a_backward_raises_in_a_thread(outer):
    pause = Pause(fail=True)
    x = t64([1.0, 2.0], requires_grad=True)
    loss = pause(x).sum()

    def failing_backward():
        with (dualrev.no_grad() if outer == "no_grad" else dualrev.enable_grad()):
            with pytest.raises(RuntimeError, match="planted failure"):
                loss.backward()
            inside = dualrev.is_grad_enabled()
        return inside, dualrev.is_grad_enabled()

    t, results, errors = in_thread(failing_backward)
    assert pause.entered.wait(WAIT)
    try:
        assert dualrev.is_grad_enabled()
        assert (x * 2).requires_grad
    finally:
        pause.release.set()
        finish(t, errors)
    assert results == [(outer == "grad on", True)]
    assert dualrev.is_grad_enabled()


def test_overlapping_backward_calls_in_two_threads_leave_grad_mode_on():
    # A's sweep starts, B's sweep starts, A ends, B ends: each thread restores its own mode.
    first, second = Pause(), Pause()
    x = t64([1.0, 2.0], requires_grad=True)
    loss_a, loss_b = first(x).sum(), (second(x) * 2).sum()
    ta, _, errors_a = in_thread(lambda: loss_a.backward())
    assert first.entered.wait(WAIT)
    tb, _, errors_b = in_thread(lambda: loss_b.backward())
    assert second.entered.wait(WAIT)
    first.release.set()
    finish(ta, errors_a)
    second.release.set()
    finish(tb, errors_b)
    np.testing.assert_array_equal(arr(x.grad), [3.0, 3.0])
    assert dualrev.is_grad_enabled()
    t, results, errors = in_thread(dualrev.is_grad_enabled)
    finish(t, errors)
    assert results == [True]


# =============================================================================
# Concurrent backward
# =============================================================================

N_THREADS, ITERS, CHAIN = 4, 15, 12


def _forward(w, x):
    """A chain of recorded operations: sum((w*x + CHAIN*w) * x - w) in CHAIN + 4 steps."""
    y = w * x
    for _ in range(CHAIN):
        y = y + w
    return (y * x - w).sum()


def _expected(w, x):
    """d/dw and d/dx of _forward, in closed form."""
    return (x + CHAIN) * x - 1, w * (2 * x + CHAIN)


@pytest.mark.parametrize("size", [3, 4000])   # the large one makes NumPy let go of the GIL
def test_concurrent_backward_own_graphs_one_shared_leaf(size):
    rng = np.random.default_rng(0)
    w0 = rng.integers(-3, 4, size).astype(np.float64)
    xs0 = [rng.integers(-3, 4, size).astype(np.float64) for _ in range(N_THREADS)]
    w = t64(w0, requires_grad=True)

    def body(i, barrier):
        x = t64(xs0[i], requires_grad=True)
        gw, gx = _expected(w0, xs0[i])
        for it in range(ITERS):
            barrier.wait(WAIT)
            x.grad = None
            loss = _forward(w, x)
            assert loss.requires_grad, f"thread {i}, iteration {it}: loss was not recorded"
            loss.backward()
            np.testing.assert_array_equal(arr(x.grad), gx, err_msg=f"thread {i}, it {it}")

    run_threads(N_THREADS, body)
    total = ITERS * sum(_expected(w0, x)[0] for x in xs0)
    np.testing.assert_array_equal(arr(w.grad), total)
    assert dualrev.is_grad_enabled()


@pytest.mark.parametrize("size", [3, 200_000])
def test_threads_accumulating_into_one_leaf_lose_no_contribution(size):
    # Every round starts from .grad = None, so the first contributions race to create
    # it and the later ones to add into it (NumPy adds large arrays without the GIL).
    w = t64(np.ones(size), requires_grad=True)
    rounds = []
    n_rounds, per_round = 8 * ITERS, 3

    def next_round():                # run by one thread once all have arrived
        rounds.append(None if w.grad is None else arr(w.grad))
        w.grad = None

    barrier = threading.Barrier(N_THREADS, action=next_round)

    def body(i, _):
        for it in range(n_rounds):
            barrier.wait(WAIT)
            for _ in range(per_round):
                (w * float(i + 1)).sum().backward()
        barrier.wait(WAIT)

    run_threads(N_THREADS, body)
    expected = np.full(size, float(per_round * sum(range(1, N_THREADS + 1))))
    assert rounds[0] is None and len(rounds) == n_rounds + 1
    for r, g in enumerate(rounds[1:]):
        np.testing.assert_array_equal(g, expected, err_msg=f"round {r}")


def test_concurrent_autograd_grad_with_create_graph_in_threads():
    # Second derivatives, each thread its own graph: d/dx of sum(dL/dx * x).
    def body(i, barrier):
        x = t64([1.0 + i, -2.0, 3.0], requires_grad=True)
        for it in range(ITERS):
            barrier.wait(WAIT)
            (g,) = autograd.grad((x ** 3).sum(), x, create_graph=True)
            assert g.requires_grad
            (h,) = autograd.grad((g * x).sum(), x)
            np.testing.assert_array_equal(arr(g), 3 * arr(x) ** 2)
            np.testing.assert_array_equal(arr(h), 9 * arr(x) ** 2)

    run_threads(N_THREADS, body)


def test_threads_record_on_and_sweep_one_shared_graph():
    # h is recorded once; every thread records on h's graph and sweeps it while the
    # others do.
    w0 = np.array([1.0, -2.0, 3.0, 2.0])
    w = t64(w0, requires_grad=True)
    h = w * 2.0 + 1.0
    h0 = w0 * 2 + 1

    def body(i, barrier):
        x0 = np.array([1.0, 2.0, -1.0, 3.0]) + i
        x = t64(x0, requires_grad=True)
        for it in range(ITERS):
            barrier.wait(WAIT)
            u = h * x
            for _ in range(CHAIN):
                u = u + x
            loss = (u * u).sum()     # u = (h + CHAIN) x
            gw, gx = autograd.grad(loss, [w, x], retain_graph=True)
            c = h0 + CHAIN
            np.testing.assert_array_equal(arr(gx), 2 * c * c * x0, err_msg=f"it {it}")
            np.testing.assert_array_equal(arr(gw), 4 * c * x0 * x0, err_msg=f"it {it}")

    run_threads(N_THREADS, body)


def test_threads_merge_their_graphs_into_one_shared_graph_while_others_use_it():
    # Each thread's own chain is long, so merging it (or the shared graph into it)
    # takes a while, and other threads merge, record and sweep meanwhile.
    w0 = np.array([1.0, -2.0, 3.0])
    w = t64(w0, requires_grad=True)
    h = w * 2.0 + 1.0
    h0 = w0 * 2 + 1
    long_chain, iters = 400, 10

    def body(i, barrier):
        x0 = np.array([2.0, -1.0, 1.0]) * (i + 1)
        x = t64(x0, requires_grad=True)
        for it in range(iters):
            barrier.wait(WAIT)
            v = x * 3.0              # this thread's own graph ...
            for _ in range(long_chain):
                v = v + 1.0
            u = h * v                # ... merged with h's (or h's into it)
            u.sum().backward(retain_graph=True)
            np.testing.assert_array_equal(arr(x.grad), (it + 1) * 3 * h0, err_msg=f"it {it}")

    run_threads(N_THREADS, body)
    expected_w = sum(iters * 2 * (3 * (np.array([2.0, -1.0, 1.0]) * (i + 1)) + long_chain)
                     for i in range(N_THREADS))
    np.testing.assert_array_equal(arr(w.grad), expected_w)


def test_functional_transformations_in_threads():
    """grad, jvp and nested compositions in several threads at once: exact results,
    and the count of open traces (which decides whether a trace dispatches its
    primal computations) is back where it started."""
    import dualrev.numpy as dnp
    before = dualrev.core._open_traces[0]
    f = lambda x: dnp.sum(x ** 3 * 2.0)

    def body(i, barrier):
        x = np.arange(1.0, 4.0) + i
        barrier.wait(WAIT)
        for _ in range(300):
            np.testing.assert_array_equal(dualrev.grad(f)(x), 6 * x ** 2)
            np.testing.assert_array_equal(dualrev.jvp(dualrev.grad(f), (x,), (np.ones(3),))[1],
                                          12 * x)
            np.testing.assert_array_equal(dualrev.grad(lambda y: dualrev.grad(f)(y)[0])(x),
                                          [12 * x[0], 0, 0])
    run_threads(4, body)
    gc.collect()
    assert dualrev.core._open_traces[0] == before
