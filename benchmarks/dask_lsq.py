#!/usr/bin/env python
"""The gradient of a least-squares loss over a Dask array, on a two-worker LocalCluster.

    python benchmarks/dask_lsq.py                       # 2e7 x 10 (and 5e6 x 10), 10 rounds
    python benchmarks/dask_lsq.py --rows 2000000 --rounds 5 --out /tmp/lsq.json

X (rows x 10, chunks of ``--chunk`` rows) and y are generated and persisted in the
workers' memory first, so generating them is not timed.  Timed, in interleaved
rounds (the first system rotates), ``.compute()`` included:

* dualrev: ``dualrev.grad(lambda w: dnp.mean((X @ w - y) ** 2))(w).compute()``;
* Dask: the hand-written gradient ``(2 * X.T @ (X @ w - y) / n).compute()``.

Reported: the medians, the median of the paired ratio (target <= 1.3x), and each
worker's peak memory above its memory before the call (resident set size sampled
every 2 ms in the worker process), in units of one chunk of X: the target is a
small multiple of the chunk, the same for every number of rows (with several
``--rows``, the peaks are listed side by side).  The number of tasks in each
graph is recorded too.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

TARGET = 1.3
DEFAULT_OUT = os.path.join(ROOT, "papers", "data", "dask-lsq.json")


# ----------------------------------------------------------------------------- worker memory
# Run in the worker processes by client.run (which passes the worker as dask_worker).

def _start_sampler(dask_worker, period=0.002):
    """A thread in the worker process keeping the peak of its resident set size."""
    import threading

    import psutil
    if getattr(dask_worker, "_rss_peak", None) is None:
        proc = psutil.Process()
        state = dask_worker._rss_peak = {"peak": proc.memory_info().rss}

        def sample():
            while True:
                state["peak"] = max(state["peak"], proc.memory_info().rss)
                time.sleep(period)
        threading.Thread(target=sample, daemon=True, name="rss-sampler").start()
    return True


def _reset_peak(dask_worker):
    import psutil
    dask_worker._rss_peak["peak"] = rss = psutil.Process().memory_info().rss
    return rss


def _read_peak(dask_worker):
    return dask_worker._rss_peak["peak"]


def timed_with_peaks(client, fn):
    """fn()'s wall time, and per worker its peak memory above its memory before (bytes)."""
    before = client.run(_reset_peak)
    t0 = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - t0
    time.sleep(0.01)                      # one more sample after the last task
    after = client.run(_read_peak)
    return elapsed, {w: after[w] - before[w] for w in before}


# ----------------------------------------------------------------------------- the workload

def problem(client, rows, chunk, seed=0):
    import dask.array as da
    rng = da.random.default_rng(seed)
    X = rng.standard_normal((rows, 10), chunks=(chunk, 10))
    y = X @ np.linspace(-2.0, 2.0, 10) + 0.1 * rng.standard_normal(rows, chunks=chunk)
    X, y = client.persist([X, y])
    from dask.distributed import wait
    wait([X, y])
    return X, y


def systems(X, y):
    """Each system's gradient as a function building its Dask graph (nothing computed)."""
    import dualrev
    import dualrev.numpy as dnp
    n = X.shape[0]
    w = np.linspace(0.5, -0.5, 10)

    def dualrev_grad():
        return dualrev.grad(lambda w: dnp.mean((X @ w - y) ** 2))(w)

    def hand_written():
        return 2 * X.T @ (X @ w - y) / n

    return {"dualrev": dualrev_grad, "dask, hand-written": hand_written}


def tasks(g, *data):
    """The number of tasks in g's graph besides the (persisted) data's keys."""
    keys = set(dict(g.__dask_graph__()))
    for d in data:
        keys -= set(dict(d.__dask_graph__()))
    return len(keys)


def run_size(client, rows, chunk, rounds):
    X, y = problem(client, rows, chunk)
    builds = systems(X, y)
    fns = {k: (lambda b=b: b().compute()) for k, b in builds.items()}
    a, b = (fns[k]() for k in fns)
    assert np.allclose(a, b, rtol=1e-10, atol=1e-12), "the two gradients disagree"
    names = list(fns)
    times = {k: [] for k in names}
    peaks = {k: [] for k in names}
    for r in range(rounds):
        order = names[r % 2:] + names[:r % 2]
        for k in order:
            t, p = timed_with_peaks(client, fns[k])
            times[k].append(t)
            peaks[k].append(max(p.values()))
    chunk_bytes = chunk * 10 * 8
    out = {"rows": rows, "chunk_rows": chunk, "chunk_bytes": chunk_bytes,
           "chunks": X.npartitions, "rounds": rounds, "systems": {}}
    for k in names:
        out["systems"][k] = {
            "tasks": tasks(builds[k](), X, y),
            "median_s": statistics.median(times[k]),
            "times_s": times[k],
            "peak_worker_bytes": int(statistics.median(peaks[k])),
            "peak_worker_bytes_max": int(max(peaks[k])),
            "peak_in_chunks": statistics.median(peaks[k]) / chunk_bytes,
            "peak_in_chunks_max": max(peaks[k]) / chunk_bytes,
        }
    ratio = statistics.median(p / q for p, q in zip(times["dualrev"], times[names[1]]))
    out.update(ratio=float(ratio), target=TARGET, met=bool(ratio <= TARGET))
    return out                          # X and y are released with the last reference


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, nargs="+", default=[5_000_000, 20_000_000])
    p.add_argument("--chunk", type=int, default=1_000_000)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--out", default=DEFAULT_OUT)
    args = p.parse_args(argv)
    from dask.distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster)
    client.wait_for_workers(2)
    client.run(_start_sampler)
    results = {"cluster": "LocalCluster, 2 worker processes x 1 thread", "sizes": []}
    try:
        for rows in args.rows:
            r = run_size(client, rows, args.chunk, args.rounds)
            results["sizes"].append(r)
            print(f"{rows:,} x 10 in chunks of {args.chunk:,} rows "
                  f"({r['chunk_bytes'] / 2**20:.0f} MiB): {args.rounds} interleaved rounds")
            for k, s in r["systems"].items():
                print(f"  {k:22s} {s['median_s'] * 1e3:8.1f} ms  {s['tasks']:5d} tasks  "
                      f"peak per worker +{s['peak_worker_bytes'] / 2**20:6.1f} MiB = "
                      f"{s['peak_in_chunks']:.2f} chunks (largest {s['peak_in_chunks_max']:.2f})")
            print(f"  dualrev / hand-written: {r['ratio']:.3f}x (target <= {TARGET}x: "
                  f"{'met' if r['met'] else 'MISSED'})", flush=True)
        if len(results["sizes"]) > 1:
            print("peak per worker in chunks, by rows (the target: the same for every size):")
            for k in results["sizes"][0]["systems"]:
                print(f"  {k:22s} " + "   ".join(
                    f"{r['rows']:,}: {r['systems'][k]['peak_in_chunks']:.2f} "
                    f"(largest {r['systems'][k]['peak_in_chunks_max']:.2f})"
                    for r in results["sizes"]))
    finally:
        client.close()
        cluster.close()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
