#!/usr/bin/env python
"""dualrev on a GPU (CuPy) beside PyTorch CUDA eager and hand-written CuPy.

    python benchmarks/gpu.py                  # on a CUDA machine with CuPy and torch
    python benchmarks/gpu.py --dry-run        # anywhere: tiny sizes, NumPy standing in for CuPy

Cases:
  mlp    one training step (forward, backward, SGD update) of compare.py's case-f MLP
         (784-256-256-10 tanh, batch 128, float64, nn + optim.SGD, cross-entropy), the
         same PyTorch-style code run by dualrev on device="cuda" and by PyTorch eager on
         CUDA; target: dualrev ≤ 1.5× PyTorch
  chain  grad of the 200-op elementwise chain of benchmarks/_common.py (sin, ×1.01,
         +0.5, tanh, ending in a sum) on a 1e6-element float64 CuPy array:
         dualrev.grad against the hand-written gradient in CuPy; target: ≤ 2×

Before timing, each system's first call is checked: the MLP's loss at the initial
weights against NumPy's, and its one-step update against compare.py's hand-written
NumPy step; the chain's gradient against the hand-written one.  Timing: the systems
of a case interleaved, one call each per round (the starting system rotates), the
device synchronized before the timer starts and before it stops
(``cupy.cuda.Device().synchronize()``, ``torch.cuda.synchronize()``); reported: the
median over rounds of each system's time and of the paired ratio.  The figures go
to ``--out`` (``${OUT:-.}/gpu.json``) and a readable summary to stdout and beside the
JSON (gpu.txt).
"""
import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks._common import CHAIN_OPS, chain_input, make_chain, reference_grad  # noqa: E402
from benchmarks.compare import (MLP_BATCH, MLP_LR, MLP_SIZES, _flat,  # noqa: E402
                                dualrev_mlp as _dualrev_mlp,
                                _torch_mlp, _update_error, mlp_problem,
                                numpy_mlp_forward, numpy_mlp_step)

CHAIN_SIZE = 1_000_000
TARGETS = {"mlp": 1.5, "chain": 2.0}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- the machine

class Machine:
    """The array module (CuPy, or NumPy in a dry run), the device dualrev uses, PyTorch
    (None if absent) and its device, and a synchronize() for each."""

    def __init__(self, dry_run):
        import dualrev
        self.dualrev = dualrev
        self.dry_run = dry_run
        self.versions = {"python": platform.python_version(), "numpy": np.__version__,
                         "dualrev": dualrev.__version__}
        if dry_run:
            self.xp, self.device = np, "cpu"
            self.sync = _nothing
        else:
            import cupy
            if not dualrev.cuda.is_available():
                raise SystemExit(f"no GPU for dualrev: {dualrev.cuda.backend.reason}")
            self.xp, self.device = cupy, "cuda"
            self.sync = lambda: cupy.cuda.Device().synchronize()
            self.versions["cupy"] = cupy.__version__
            self.versions["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
            self.versions["cuda_driver"] = cupy.cuda.runtime.driverGetVersion()
            self.versions["gpu"] = dualrev.cuda.get_device_name()
        self.torch, self.torch_device, self.torch_sync = None, None, _nothing
        try:
            import torch
        except ImportError as e:
            self.torch_skipped = f"torch not importable ({e})"
            return
        if not dry_run and not torch.cuda.is_available():
            self.torch_skipped = "torch sees no CUDA device (a CPU-only build?)"
            return
        self.torch, self.torch_skipped = torch, None
        self.versions["torch"] = torch.__version__
        if dry_run:
            self.torch_device = "cpu"
        else:
            self.torch_device = "cuda"
            self.torch_sync = torch.cuda.synchronize
            self.versions["torch_cuda"] = torch.version.cuda


def _nothing():
    pass


# ----------------------------------------------------------------------------- timing

def interleaved(entries, rounds, warmup):
    """entries: [(name, fn, sync)].  Each round calls every fn once (the first one rotates),
    synchronizing before starting and before stopping its timer; returns {name: [s, ...]}."""
    for _ in range(warmup):
        for _, fn, sync in entries:
            fn()
            sync()
    samples = {name: [] for name, _, _ in entries}
    for r in range(rounds):
        k = r % len(entries)
        for name, fn, sync in entries[k:] + entries[:k]:
            sync()
            t0 = time.perf_counter()
            fn()
            sync()
            samples[name].append(time.perf_counter() - t0)
    return samples


def summarize(samples, subject, baseline, target):
    """Medians, quartiles and the paired ratio subject / baseline, with the target."""
    rows = {}
    for name, s in samples.items():
        q1, med, q3 = np.percentile(s, [25, 50, 75])
        rows[name] = {"median_s": float(med), "min_s": float(min(s)),
                      "iqr_rel": float((q3 - q1) / med), "samples_s": [float(v) for v in s]}
    out = {"systems": rows, "subject": subject, "baseline": baseline, "target": target}
    if baseline in samples:
        ratio = statistics.median(a / b for a, b in zip(samples[subject], samples[baseline]))
        out.update(ratio=float(ratio), met=bool(ratio <= target))
    return out


# ----------------------------------------------------------------------------- case mlp

def dualrev_mlp(m, X, y, params, lr):
    """compare.py's dualrev step (nn.Sequential, optim.SGD, F.cross_entropy) on m.device."""
    return _dualrev_mlp(m.dualrev, X, y, params, lr, m.device)


def torch_mlp(m, X, y, params, lr):
    """The same step in PyTorch eager, on its CUDA device."""
    return _torch_mlp(m.torch, X, y, params, lr, m.torch_device)


def case_mlp(m, rounds, warmup, sizes, batch):
    X, y, params = mlp_problem(sizes=sizes, batch=batch)
    w0 = _flat(params)
    ref_loss = float(numpy_mlp_forward(params, X, y))
    ref = [(W.copy(), b.copy()) for W, b in params]
    numpy_mlp_step(ref, X, y, MLP_LR)
    ref_after = _flat(ref)
    builders = {"dualrev": (dualrev_mlp, m.sync)}
    if m.torch is not None:
        builders["torch"] = (torch_mlp, m.torch_sync)
    entries, checks = [], {}
    for name, (build, sync) in builders.items():
        run = build(m, X, y, params, MLP_LR)
        t0 = time.perf_counter()
        loss = run.loss(run.fn(*run.args))
        sync()
        first = time.perf_counter() - t0
        err = _update_error(w0, run.weights(), w0, ref_after)
        checks[name] = {"loss0": loss, "loss_rel_err": abs(loss - ref_loss) / abs(ref_loss),
                        "update_rel_err": err, "first_step_s": first}
        if not math.isclose(loss, ref_loss, rel_tol=1e-9) or not err <= 1e-6:
            raise AssertionError(f"mlp: {name}'s first step disagrees with NumPy's: loss "
                                 f"{loss!r} vs {ref_loss!r}, update rel. diff. {err:.2e}")
        log(f"  [mlp] {name}: checked (loss {loss:.12f}, update rel. diff. {err:.1e}; "
            f"first step {first * 1e3:.1f} ms)")
        entries.append((name, lambda run=run: run.fn(*run.args), sync))
    out = summarize(interleaved(entries, rounds, warmup), "dualrev", "torch", TARGETS["mlp"])
    out.update(checks=checks, sizes=list(sizes), batch=batch, dtype="float64")
    if m.torch is None:
        out["skipped"] = {"torch": m.torch_skipped}
    return out


# ----------------------------------------------------------------------------- case chain

def case_chain(m, rounds, warmup, size, n_ops):
    import dualrev.numpy as dnp
    xp = m.xp
    x = xp.asarray(chain_input(size))
    grad = m.dualrev.grad(make_chain(dnp.sin, dnp.tanh, dnp.sum, n_ops))
    want = reference_grad(x, n_ops, xp)
    got = grad(x)
    if type(got) is not type(x):
        raise AssertionError(f"chain: dualrev.grad returned {type(got).__name__}, not "
                             f"{type(x).__name__}")
    err = float(xp.max(xp.abs(got - want)) / xp.max(xp.abs(want)))
    if not err <= 1e-12:
        raise AssertionError(f"chain: dualrev's gradient differs from the hand-written one "
                             f"by {err:.2e} (relative to its largest entry)")
    log(f"  [chain] dualrev.grad checked (rel. diff. {err:.1e})")
    entries = [("dualrev", lambda: grad(x), m.sync),
               ("hand-written", lambda: reference_grad(x, n_ops, xp), m.sync)]
    out = summarize(interleaved(entries, rounds, warmup), "dualrev", "hand-written",
                    TARGETS["chain"])
    out.update(size=size, n_ops=n_ops, grad_rel_err=err, dtype="float64")
    return out


# ----------------------------------------------------------------------------- report

def report(results):
    lines = []
    meta = results["meta"]
    lines.append("dualrev on " + (meta["versions"].get("gpu") or "the CPU (dry run)")
                 + ": " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if k != "gpu"))
    mlp, chain = results["mlp"], results["chain"]
    lines.append(f"mlp: one training step, {'-'.join(map(str, mlp['sizes']))} tanh MLP, batch "
                 f"{mlp['batch']}, float64 (medians of {meta['rounds']} interleaved rounds)")
    for name, row in mlp["systems"].items():
        lines.append(f"  {name:<14} {row['median_s'] * 1e3:9.3f} ms  (IQR ±{row['iqr_rel'] * 50:.0f}%)")
    if "ratio" in mlp:
        lines.append(f"  dualrev / torch: {mlp['ratio']:.2f}×  (target ≤ {mlp['target']}×: "
                     f"{'met' if mlp['met'] else 'MISSED'})")
    else:
        lines.append(f"  torch skipped: {mlp['skipped']['torch']}")
    lines.append(f"chain: grad of the {chain['n_ops']}-op chain on {chain['size']:,} float64 "
                 f"elements")
    for name, row in chain["systems"].items():
        lines.append(f"  {name:<14} {row['median_s'] * 1e3:9.3f} ms  (IQR ±{row['iqr_rel'] * 50:.0f}%)")
    lines.append(f"  dualrev / hand-written: {chain['ratio']:.2f}×  (target ≤ {chain['target']}×: "
                 f"{'met' if chain['met'] else 'MISSED'})")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dry-run", action="store_true",
                   help="tiny sizes on the CPU, NumPy standing in for CuPy (checks the script)")
    p.add_argument("--rounds", type=int, default=None, help="timed rounds per case")
    p.add_argument("--out", default=os.path.join(os.environ.get("OUT", "."), "gpu.json"))
    args = p.parse_args(argv)
    m = Machine(args.dry_run)
    if args.dry_run:
        rounds, warmup = args.rounds or 5, 1
        mlp_sizes, batch, size, n_ops = (32, 16, 16, 4), 8, 4096, 8
    else:
        rounds, warmup = args.rounds or 30, 5
        mlp_sizes, batch, size, n_ops = MLP_SIZES, MLP_BATCH, CHAIN_SIZE, CHAIN_OPS
    results = {"meta": {"versions": m.versions, "dry_run": args.dry_run, "rounds": rounds,
                        "warmup": warmup, "device": m.device, "torch_device": m.torch_device,
                        "platform": platform.platform()}}
    log("case mlp ...")
    results["mlp"] = case_mlp(m, rounds, warmup, mlp_sizes, batch)
    log("case chain ...")
    results["chain"] = case_chain(m, rounds, warmup, size, n_ops)
    text = report(results)
    print(text, flush=True)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(results, fh, indent=1)
    with open(os.path.join(out_dir, "gpu.txt"), "w") as fh:
        fh.write(text + "\n")
    log(f"wrote {args.out} and {os.path.join(out_dir, 'gpu.txt')}")


if __name__ == "__main__":
    main()
