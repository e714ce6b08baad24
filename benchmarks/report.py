"""Ratios, targets, the console table, and the Markdown page with its chart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.conv import CONV_WORKLOADS
from benchmarks.workloads import ALL, WORKLOADS

#: minitorch_bp's two ways of running a step (see ``benchmarks.contenders``).
OURS = ("five_line", "compile_step")
#: What they are divided by: the floor, the hand-written step and the peers.
PEERS = ("floor", "numpy", "torch", "sklearn", "jax")
#: Every contender, in the order the tables show them.
CONTENDERS = ("floor", "five_line", "compile_step", "numpy", "torch", "sklearn", "jax")
LABELS = {
    "floor": "floor",
    "five_line": "five_line",
    "compile_step": "compile_step",
    "numpy": "numpy by hand",
    "torch": "PyTorch",
    "sklearn": "scikit-learn",
    "jax": "JAX (jit)",
}
#: The peers compile_step must be ahead of, and five_line is reported against.
RIVALS = ("jax", "torch", "sklearn")
START, END = "<!-- results:start -->", "<!-- results:end -->"
ALL_WORKLOADS = tuple(w.name for w in ALL)
MLP_WORKLOADS = tuple(w.name for w in WORKLOADS)
CONV = tuple(w.name for w in CONV_WORKLOADS)
BIG = ("course-full", "mnist-mlp", "wide")


@dataclass(frozen=True)
class Target:
    """``contender / peer`` must be at most ``limit`` (below it if ``strict``)."""

    workloads: tuple[str, ...]
    contender: str
    peer: str
    limit: float
    strict: bool = False
    threads: int = 1

    @property
    def key(self) -> str:
        return f"{self.contender}/{self.peer}"

    def holds(self, value: float) -> bool:
        return value < self.limit if self.strict else value <= self.limit

    def __str__(self) -> str:
        return f"{self.key} {'<' if self.strict else '≤'} {self.limit:g}"


#: The issue's targets, all at 1 BLAS thread, on ratios taken in the same run.
TARGETS: tuple[Target, ...] = (
    Target(BIG, "five_line", "floor", 1.10),
    Target(BIG, "compile_step", "floor", 1.06),
    Target(("course-64",), "five_line", "floor", 1.45),
    Target(("course-64",), "compile_step", "floor", 1.3),
    Target(("tiny",), "five_line", "numpy", 1.5),
    Target(("tiny",), "compile_step", "numpy", 1.0),
    *(Target(MLP_WORKLOADS, "compile_step", peer, 1.0, strict=True) for peer in RIVALS),
    # Convolution: PyTorch's is a tuned kernel (oneDNN in float32); im2col's goal is 1.5×.
    Target(CONV, "compile_step", "torch", 1.5),
    Target(CONV, "five_line", "torch", 1.5),
)


def ratios(contenders: dict[str, dict[str, float]]) -> dict[str, float]:
    """``ours / peer`` of the median step times, for each of :data:`OURS` (below 1: faster)."""
    return {
        f"{ours}/{peer}": contenders[ours]["median_s"] / contenders[peer]["median_s"]
        for ours in OURS
        if ours in contenders
        for peer in PEERS
        if peer in contenders
    }


def fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def _ratio(r: dict[str, float], key: str, missing: str) -> str:
    return f"{r[key]:.2f}" if key in r else missing


# ----------------------------------------------------------------- console
_TIME_W = 12


def text_header() -> str:
    times = "".join(f"{n[:_TIME_W]:>{_TIME_W + 1}}" for n in CONTENDERS)
    groups = "".join(f"  | {ours}/ " + " ".join(f"{p:>7}" for p in PEERS) for ours in OURS)
    return f"{'workload':<12} {'dtype':<8} {'thr':>3}{times}{groups}"


def text_row(row: dict[str, Any]) -> str:
    c, r = row["contenders"], row["ratios"]
    times = "".join(
        f"{fmt_time(c[n]['median_s']) if n in c else '-':>{_TIME_W + 1}}" for n in CONTENDERS
    )
    groups = "".join(
        "  | "
        + " " * (len(ours) + 2)
        + " ".join(f"{_ratio(r, f'{ours}/{p}', '-'):>7}" for p in PEERS)
        for ours in OURS
    )
    return f"{row['workload']:<12} {row['dtype']:<8} {row['threads']:>3}{times}{groups}"


def text_summary(rows: list[dict[str, Any]]) -> list[str]:
    """The targets' tally, each one missed, and where five_line is behind a peer."""
    targets = check_targets(rows)
    if not targets:
        return ["targets: none apply to these rows"]
    missed = [t for t in targets if not t["met"]]
    lines = [f"targets: {len(targets) - len(missed)} of {len(targets)} met"]
    lines += [
        f"  missed: {t['workload']} {t['dtype']} {t['threads']} thr: {t['ratio']} ="
        f" {t['value']:.3f} (target {t['target']})"
        for t in missed
    ]
    lines += [
        f"  five_line behind {b['peer']}: {b['workload']} {b['dtype']} {b['threads']} thr:"
        f" {b['value']:.2f}"
        for b in five_line_behind(rows)
    ]
    return lines


def blas_line(blas: Iterable[dict[str, Any]]) -> str:
    """The BLAS libraries loaded in a worker and their kernels (threadpoolctl's view)."""
    libs = sorted(
        (b for b in blas if b.get("user_api", "blas") == "blas" and b.get("architecture")),
        key=lambda b: b.get("owner") != "numpy",  # numpy's own BLAS first
    )
    if not libs:
        return "BLAS: unknown (threadpoolctl not installed)"
    return "BLAS: " + "; ".join(
        f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture')} kernel,"
        f" {b.get('num_threads')} thread{'s' if b.get('num_threads') != 1 else ''}"
        + (f", {b['owner']}'s)" if b.get("owner") else ")")
        for b in libs
    )


# ----------------------------------------------------------------- targets
def check_targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (row, target) that applies: the ratio, the target and whether it holds."""
    out = []
    for row in rows:
        for t in TARGETS:
            if row["workload"] not in t.workloads or t.key not in row["ratios"]:
                continue
            if row["threads"] != t.threads:
                continue
            value = row["ratios"][t.key]
            out.append(
                {
                    "workload": row["workload"],
                    "dtype": row["dtype"],
                    "threads": row["threads"],
                    "ratio": t.key,
                    "value": value,
                    "limit": t.limit,
                    "target": str(t),
                    "met": t.holds(value),
                    "column": _column(t),
                }
            )
    return out


def _column(t: Target) -> str:
    """The targets table's column: against the floor or numpy, or against one peer."""
    if t.peer in ("floor", "numpy"):
        return f"{t.contender} target"
    if t.strict and t.limit == 1.0:
        return f"{t.contender} < {t.peer}"
    return f"{t.contender} ≤ {t.limit:g}× {t.peer}"


def five_line_behind(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Where five_line is not ahead of (ratio >= 1) a peer of :data:`RIVALS` (not a target)."""
    return [
        {
            "workload": row["workload"],
            "dtype": row["dtype"],
            "threads": row["threads"],
            "peer": peer,
            "value": row["ratios"][f"five_line/{peer}"],
        }
        for row in rows
        for peer in RIVALS
        if row["ratios"].get(f"five_line/{peer}", 0.0) >= 1.0
    ]


# ----------------------------------------------------------------- markdown
def _cell(c: dict[str, dict[str, float]], name: str) -> str:
    if name not in c:
        return "–"
    s = c[name]
    return f"{fmt_time(s['median_s'])} ±{100 * s['spread'] / 2:.0f}%"


def _table(header: list[str], align: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    return lines + ["| " + " | ".join(cells) + " |" for cells in rows]


def _header_lines(data: dict[str, Any]) -> list[str]:
    m, v = data["machine"], data["versions"]
    env: dict[str, Any] = next((row["env"] for row in data["rows"] if row.get("env")), {})
    pinned = ", ".join(f"{k}={m.get(k)}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"))
    seen = {k: env[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if env.get(k)}
    workers = (
        "not recorded"
        if not env
        else (f"set: {seen}" if seen else "both unset, so OpenBLAS picks its kernel for this CPU")
    )
    return [
        f"Run of {data['started']} ({data['duration_s']:.0f} s"
        + (", quick budget" if data["config"].get("quick") else "")
        + f"): {data['config']['samples']} interleaved samples per contender.",
        "",
        f"- CPU: {m['cpu']} ({m['logical_cpus']} logical CPUs), {m['platform']}",
        "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        f"- {blas_line(m.get('blas', []))}",
        f"- Driver environment: {pinned}; in the workers {workers}.",
        "",
    ]


def _times_lines(rows: list[dict[str, Any]]) -> list[str]:
    header = ["workload", "dtype", "threads"] + [LABELS[n] for n in CONTENDERS]
    body = (
        [row["workload"], row["dtype"], str(row["threads"])]
        + [_cell(row["contenders"], n) for n in CONTENDERS]
        for row in rows
    )
    return [
        "Median time of one training step (± half the interquartile range).",
        "",
        *_table(header, ["---"] * 2 + ["---:"] * (1 + len(CONTENDERS)), body),
        "",
    ]


def _cpu_lines(rows: list[dict[str, Any]]) -> list[str]:
    rows = [row for row in rows if row.get("cpu_per_wall")]
    if not rows:
        return []
    body = (
        [row["workload"], row["dtype"], str(row["threads"])]
        + [f"{row['cpu_per_wall'][n]:.2f}" if n in row["cpu_per_wall"] else "–" for n in CONTENDERS]
        for row in rows
    )
    return [
        "Process CPU time over wall time while each contender was sampled (about 1.00: one"
        " thread busy; the check that the thread limit held, XLA's pool included).",
        "",
        *_table(
            ["workload", "dtype", "threads"] + [LABELS[n] for n in CONTENDERS],
            ["---"] * 2 + ["---:"] * (1 + len(CONTENDERS)),
            body,
        ),
        "",
    ]


def _ratio_lines(rows: list[dict[str, Any]]) -> list[str]:
    keys = [f"{ours}/{peer}" for ours in OURS for peer in PEERS]
    body = (
        [row["workload"], row["dtype"], str(row["threads"])]
        + [_ratio(row["ratios"], k, "–") for k in keys]
        for row in rows
    )
    modes = sorted({f"{row['threads']} thread(s): {row['mode']}" for row in rows})
    return [
        "Each of minitorch_bp's steps divided by each contender's, in the same run"
        " (below 1: minitorch_bp is faster).",
        "",
        *_table(
            ["workload", "dtype", "threads", *keys], ["---"] * 2 + ["---:"] * (1 + len(keys)), body
        ),
        "",
        "How the peers were run: " + "; ".join(modes) + ".",
        "",
    ]


def _target_lines(rows: list[dict[str, Any]]) -> list[str]:
    targets = check_targets(rows)
    if not targets:
        return []
    missed = sum(not t["met"] for t in targets)
    columns = list(dict.fromkeys(t["column"] for t in targets))
    cells: dict[tuple[str, str, int], dict[str, str]] = {}
    for t in targets:
        mark = "met" if t["met"] else "**missed**"
        bound = t["target"].split(" ", 1)[1]  # "≤ 1.06", "< 1"
        against = f"/{t['ratio'].split('/')[1]} " if t["column"].endswith("target") else ""
        cell = f"{t['value']:.3f} ({against}{bound}: {mark})"
        cells.setdefault((t["workload"], t["dtype"], t["threads"]), {})[t["column"]] = cell
    body = (
        [w, d, str(th)] + [by_col.get(col, "–") for col in columns]
        for (w, d, th), by_col in cells.items()
    )
    lines = [
        f"Targets (1 BLAS thread, ratios in the same run): {len(targets) - missed} of"
        f" {len(targets)} met.",
        "",
        *_table(
            ["workload", "dtype", "threads", *columns],
            ["---"] * 2 + ["---:"] * (1 + len(columns)),
            body,
        ),
        "",
    ]
    behind = five_line_behind(rows)
    if behind:
        lines += [
            "Where five_line is not ahead of a peer (not a target; the engine is the fast path):",
            "",
            *_table(
                ["workload", "dtype", "threads", "peer", "five_line / peer"],
                ["---"] * 2 + ["---:", "---", "---:"],
                (
                    [
                        b["workload"],
                        b["dtype"],
                        str(b["threads"]),
                        LABELS[b["peer"]],
                        f"{b['value']:.2f}",
                    ]
                    for b in behind
                ),
            ),
            "",
        ]
    return lines


def _by_contender(memory: dict[str, Any]) -> dict[str, dict[str, float]]:
    """``{contender: figures}``; a result file from before the split holds one contender's."""
    return {"minitorch_bp": memory} if "peak_bytes" in memory else memory


def _memory_lines(rows: list[dict[str, Any]]) -> list[str]:
    mem = [row for row in rows if "memory" in row]
    if not mem:
        return []
    body = (
        [
            row["workload"],
            row["dtype"],
            name,
            f"{mm['peak_bytes']:,.0f} B",
            f"{mm['output_bytes']:,.0f} B",
            f"{mm['peak_over_output']:.2f}",
            f"{mm['retained_bytes']:,.0f} B",
        ]
        for row in mem
        for name, mm in _by_contender(row["memory"]).items()
    )
    return [
        "Memory of one warm step (tracemalloc, numpy's buffers included): the most allocated"
        " at once during a step, against the size of the model's output. compile_step's"
        " engine plans its buffers once; five_line's pure layers allocate every result.",
        "",
        *_table(
            ["workload", "dtype", "contender", "peak", "output", "peak/output", "left allocated"],
            ["---"] * 3 + ["---:"] * 4,
            body,
        ),
        "",
    ]


def _loop_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for row in rows:
        if "loop_vs_vectorised" in row:
            lv = row["loop_vs_vectorised"]
            compiled = lv.get("compiled_s_per_example")
            lines += [
                f"`reference.backprop_loop` (the notes' per-example loop, {lv['loop_examples']:.0f}"
                f" examples) takes {fmt_time(lv['loop_s_per_example'])} per example; the"
                f" vectorised layers (five_line) take {fmt_time(lv['vectorised_s_per_example'])}"
                f" per example on the {row['workload']} batch ({lv['vectorised_examples']:.0f}"
                f" examples, float64): {lv['speedup']:,.0f}× faster"
                + (f"; compile_step takes {fmt_time(compiled)}." if compiled else "."),
                "",
            ]
    return lines


def markdown(data: dict[str, Any]) -> str:
    rows = data["rows"]
    lines = _header_lines(data) + _times_lines(rows) + _ratio_lines(rows) + _cpu_lines(rows)
    lines += _target_lines(rows) + _memory_lines(rows) + _loop_lines(rows)
    return "\n".join(lines)


# ----------------------------------------------------------------- chart
def chart(data: dict[str, Any], path: Path) -> bool:
    """Draw time / floor per workload and contender (fewest threads); False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fewest = min((x["threads"] for x in data["rows"]), default=1)
    rows = [r for r in data["rows"] if r["threads"] == fewest]
    names = [n for n in CONTENDERS if n != "floor"]
    labels = [f"{r['workload']}\n{r['dtype']}" for r in rows]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(rows)), 4.0))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        xs, ys = [], []
        for j, r in enumerate(rows):
            c = r["contenders"]
            if name in c:
                xs.append(j + (i - len(names) / 2 + 0.5) * width)
                ys.append(c[name]["median_s"] / c["floor"]["median_s"])
        if xs:
            ax.bar(xs, ys, width, label=LABELS[name])
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(rows)), labels, fontsize=8)
    ax.set_ylabel("step time / matrix-product floor (log)")
    ax.set_title(f"One training step, {fewest} thread{'s' if fewest != 1 else ''}")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def render(data: dict[str, Any], page: Path) -> None:
    """Write the results between the page's markers (the rest of the page is kept)."""
    body = markdown(data)
    png = page.with_suffix(".png")
    if chart(data, png):
        body += f"\n![step time over the floor]({png.name})\n"
    block = f"{START}\n{body}\n{END}"
    text = page.read_text() if page.exists() else f"# Performance\n\n{START}\n{END}\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    page.write_text(text)
