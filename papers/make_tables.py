#!/usr/bin/env python
"""Regenerate the tables of papers/performance.md from benchmarks/compare.py's JSON.

    python benchmarks/compare.py && python papers/make_tables.py

Each table sits between a pair of marker comments in the Markdown file::

    <!-- BEGIN GENERATED: summary -->
    ...
    <!-- END GENERATED: summary -->

and only the text between markers is replaced.  ``--check`` reports whether
the document matches the JSON without writing it (exit status 1 if not);
``--stdout`` prints the generated blocks instead.
"""
import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "data", "compare.json")
DEFAULT_DOC = os.path.join(HERE, "performance.md")
ORDER = ("numpy", "dualrev", "autograd", "torch", "jax", "jax-jit")
# Case f also runs NumPy's hand-written step and dualrev's functional API.
MLP_ORDER = ("numpy", "numpy-step", "dualrev", "dualrev-functional", "autograd", "torch", "jax-jit")


def num(v, digits=2):
    """A figure with about three significant digits; '—' when absent."""
    if v is None:
        return "—"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.{digits}f}"


def table(header, rows, align=None):
    align = align or ["l"] + ["r"] * (len(header) - 1)
    sep = [":--" if a == "l" else "--:" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


class Tables:
    def __init__(self, res):
        self.res = res
        self.cases = res["cases"]
        self.labels = res.get("labels", {})

    def label(self, name, forward=False):
        if forward and name == "numpy":
            return "NumPy, forward only"
        return self.labels.get(name, name)

    def systems(self, case):
        rows = self.cases[case]["rows"]
        return [s for s in ORDER if s in rows]

    def skipped_notes(self, keys):
        notes = []
        for key in keys:
            for name, why in self.cases.get(key, {}).get("skipped", {}).items():
                notes.append(f"- case {key}, {self.label(name)}: {why}")
        return "\n".join(notes)

    def wrong(self, row):
        return "" if row.get("agrees", True) else " (wrong result!)"

    # -- blocks

    def meta(self):
        m = self.res["meta"]
        v = m.get("versions", {})
        peers = ", ".join(f"{self.label(k)} {v[k]}" for k in ORDER if k in v and k not in ("numpy", "jax-jit"))
        dirty = " + uncommitted changes" if m.get("dualrev_dirty") else ""
        return "\n".join([
            f"- Run: {m['date']}, {m['mode']} mode, {m.get('wall_s', 0):.0f} s wall.",
            f"- Machine: {m['cpu']}, {m['cpu_count']} cores"
            f"{' (' + m['note'] + ')' if m.get('note') else ''}, {m['platform']}.",
            f"- Python {m['python']}, NumPy {v.get('numpy', '?')}; {peers}.",
            f"- dualrev: commit {m.get('git_commit', '?')}{dirty} "
            f"(source sha1 {m.get('dualrev_source_sha1', '?')}).",
            f"- Threads: {', '.join(f'{k}={val}' for k, val in m.get('threads', {}).items())}; "
            f"XLA_FLAGS=`{m.get('xla_flags', '')}`; torch threads {m.get('torch_threads')}.",
        ])

    def summary(self):
        c = self.cases
        cols = [k for k in ("a", "b", "c", "e", "f", "d") if k in c]
        head = {
            "a": f"a. grad, {c['a']['n_ops'] if 'a' in c else ''} ops (× NumPy)",
            "b": f"b. grad, {c['b']['n_ops']:,} ops (µs/op)" if "b" in c else "",
            "c": "c. untraced call (× NumPy, geomean)",
            "e": f"e. jvp, {c['e']['n_ops'] if 'e' in c else ''} ops (× NumPy)",
            "d": "d. grad memory (peak, arrays)",
            "f": "f. MLP training step (× NumPy forward)",
        }
        names = [s for s in ORDER if any(s in c[k]["rows"] for k in cols)]
        rows = []
        for s in names:
            cells = ["NumPy (the baseline)" if s == "numpy" else self.label(s)]
            for k in cols:
                r = c[k]["rows"].get(s)
                if r is None:
                    cells.append("—")
                elif k in ("a", "e", "f"):
                    cells.append("1 (baseline)" if s == "numpy" else num(r["ratio"]) + self.wrong(r))
                elif k == "b":
                    extra = f" (n={r['n_ops']:,})" if r["n_ops"] != c[k]["n_ops"] else ""
                    cells.append(num(r["us_per_op"], 3) + extra + self.wrong(r))
                elif k == "c":
                    cells.append("1 (baseline)" if s == "numpy" else num(r["geomean_ratio"]))
                else:
                    cells.append(num(r["peak_arrays"], 1) + self.wrong(r))
            rows.append(cells)
        return table(["system"] + [head[k] for k in cols], rows)

    def timing(self):
        out = []
        for k in ("a", "b", "e"):
            if k not in self.cases:
                continue
            c = self.cases[k]
            rows = []
            for s in self.systems(k):
                r = c["rows"][s]
                n = f" (n={r['n_ops']:,})" if r["n_ops"] != c["n_ops"] else ""
                rows.append([self.label(s, forward=True) + n, num(r["median_s"] * 1e6), num(r["us_per_op"], 3),
                             num(r["ratio"]), f"±{100 * r['iqr_rel']:.0f}%", num(r.get("ratio_min")),
                             r["rounds"], "yes" if r.get("agrees", True) else "**no**"])
            out.append(f"**{c['title']}**" + (f" — {c['note']}" if c.get("note") else ""))
            out.append("")
            out.append(table(["system", "µs per call", "µs per op", "× NumPy", "IQR",
                              "× NumPy (fastest rounds)", "rounds", "result checked"], rows))
            out.append("")
        return "\n".join(out).rstrip()

    def untraced(self):
        if "c" not in self.cases:
            return "_(case c not run)_"
        c = self.cases["c"]
        names = self.systems("c")
        ops = [k for k in c["rows"]["numpy"] if k not in ("geomean_ratio", "max_ratio")]
        rows = []
        for s in names:
            per = c["rows"][s]
            rows.append([self.label(s)]
                        + [f"{per[op]['ns_per_call']:,.0f} ns ({num(per[op]['ratio'])}×)" for op in ops]
                        + [num(per["geomean_ratio"]), num(per["max_ratio"])])
        return table(["system"] + [f"`{op}`" for op in ops] + ["geomean ×", "worst ×"], rows)

    def memory(self):
        if "d" not in self.cases:
            return "_(case d not run)_"
        c = self.cases["d"]
        rows = []
        for s in self.systems("d"):
            r = c["rows"][s]
            resid = r.get("residual_arrays")
            rows.append([self.label(s, forward=True), num(r["peak_arrays"], 1) + self.wrong(r), r["method"],
                         num(r.get("rss_peak_arrays"), 1), num(r["retained_arrays"], 2),
                         num(r.get("rss_after_drop_arrays"), 2),
                         num(resid, 1) + (f" ({r['residual_method']})" if resid is not None else "")])
        return "\n".join([
            f"**{c['title']}**", "",
            table(["system", "peak", "peak measured by", "RSS peak", "alive after grad returns",
                   "RSS after result dropped", "residuals held for backward"], rows)])

    def mlp(self):
        if "f" not in self.cases:
            return "_(case f not run)_"
        c = self.cases["f"]
        rows = []
        for s in [s for s in MLP_ORDER if s in c["rows"]]:
            r = c["rows"][s]
            label = "NumPy, forward + loss only" if s == "numpy" else self.label(s)
            err = r.get("update_rel_err")
            if s == "numpy":
                check = "loss"
            elif s == "numpy-step":
                check = "loss; the reference update"
            else:
                check = "loss; update " + (f"{err:.0e}" if err is not None else "—")
                check += "" if r.get("agrees", True) else " (**wrong update!**)"
            rows.append([label, num(r["median_s"] * 1e3, 3), num(r["ratio"]),
                         f"±{100 * r['iqr_rel']:.0f}%", num(r.get("ratio_min")), r["rounds"], check])
        first = c["rows"].get("jax-jit", {}).get("first_call_s")
        note = (f" JAX jit's first (compiling) step took {first * 1e3:,.0f} ms."
                if first is not None else "")
        return "\n".join([
            f"**{c['title']}**", "",
            table(["system", "ms per step", "× NumPy forward", "IQR", "× NumPy forward (fastest rounds)",
                   "rounds", "checked against NumPy"], rows), "",
            "\"update\": the largest difference between the system's first update of the weights "
            "and the hand-written NumPy step's, relative to the largest update." + note])

    def targets(self):
        t = self.res.get("targets", [])
        if not t:
            return "_(no dualrev targets measured)_"
        rows = [[x["what"], num(x["measured"]), f"≤ {num(x['limit'])}",
                 "met" if x["pass"] else ("not measured" if x["pass"] is None else "**not met**")]
                for x in t]
        return table(["dualrev target", "measured", "target", ""], rows, ["l", "r", "r", "l"])

    def notes(self):
        return self.skipped_notes(["a", "b", "c", "d", "e", "f"]) or "- none"

    def blocks(self):
        return {"meta": self.meta(), "summary": self.summary(), "timing": self.timing(),
                "untraced": self.untraced(), "memory": self.memory(), "mlp": self.mlp(),
                "targets": self.targets(),
                "skipped": self.notes()}


MARK = re.compile(r"(<!-- BEGIN GENERATED: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- END GENERATED: (?P=name) -->)",
                  re.S)


def render(doc, blocks):
    missing = set(blocks)

    def sub(m):
        name = m.group("name")
        if name not in blocks:
            return m.group(0)
        missing.discard(name)
        return m.group(1) + blocks[name].rstrip("\n") + "\n" + m.group(4)
    new = MARK.sub(sub, doc)
    return new, sorted(missing)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=DEFAULT_DATA, help="compare.py JSON (default %(default)s)")
    p.add_argument("--doc", default=DEFAULT_DOC, help="Markdown file to update (default %(default)s)")
    p.add_argument("--check", action="store_true", help="exit 1 if the document is out of date")
    p.add_argument("--stdout", action="store_true", help="print the generated blocks only")
    args = p.parse_args(argv)

    with open(args.data) as fh:
        blocks = Tables(json.load(fh)).blocks()
    if args.stdout:
        for name, text in blocks.items():
            print(f"## {name}\n\n{text}\n")
        return 0
    with open(args.doc) as fh:
        doc = fh.read()
    new, missing = render(doc, blocks)
    for name in missing:
        print(f"note: {os.path.relpath(args.doc)} has no markers for block '{name}'", file=sys.stderr)
    if args.check:
        if new != doc:
            print(f"{os.path.relpath(args.doc)} is out of date with {os.path.relpath(args.data)}")
            return 1
        print(f"{os.path.relpath(args.doc)} is up to date")
        return 0
    if new != doc:
        with open(args.doc, "w") as fh:
            fh.write(new)
        print(f"updated {os.path.relpath(args.doc)} from {os.path.relpath(args.data)}")
    else:
        print(f"{os.path.relpath(args.doc)} already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
