"""Ratios, the console table, and the Markdown page with its chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PEERS = ("floor", "numpy", "torch", "sklearn")
START, END = "<!-- results:start -->", "<!-- results:end -->"

#: Issue 6's targets: (workloads, peer, limit on minitorch_bp / peer, threads or None=all).
TARGETS: tuple[tuple[tuple[str, ...], str, float, int | None], ...] = (
    (("course-full", "mnist-mlp", "wide"), "floor", 1.25, None),
    (("course-64",), "floor", 1.8, None),
    (("tiny",), "numpy", 2.0, None),
    (("tiny", "course-full", "course-64", "mnist-mlp", "wide"), "torch", 1.0, 1),
    (("tiny", "course-full", "course-64", "mnist-mlp", "wide"), "sklearn", 1.0, None),
)


def ratios(contenders: dict[str, dict[str, float]]) -> dict[str, float]:
    """``minitorch_bp / peer`` of the median step times (below 1: minitorch_bp is faster)."""
    ours = contenders["minitorch_bp"]["median_s"]
    return {f"minitorch_bp/{p}": ours / contenders[p]["median_s"] for p in PEERS if p in contenders}


def fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def text_header() -> str:
    return (
        f"{'workload':<12} {'dtype':<8} {'thr':>3}  {'floor':>10} {'minitorch_bp':>13}"
        f" {'numpy':>10} {'torch':>10} {'sklearn':>10}   /floor  /numpy  /torch  /sklearn"
    )


def text_row(row: dict[str, Any]) -> str:
    c, r = row["contenders"], row["ratios"]
    times = [
        fmt_time(c[n]["median_s"]) if n in c else "-"
        for n in ("floor", "minitorch_bp", "numpy", "torch", "sklearn")
    ]
    rs = [f"{r[f'minitorch_bp/{p}']:.2f}" if f"minitorch_bp/{p}" in r else "-" for p in PEERS]
    return (
        f"{row['workload']:<12} {row['dtype']:<8} {row['threads']:>3}  {times[0]:>10}"
        f" {times[1]:>13} {times[2]:>10} {times[3]:>10} {times[4]:>10}"
        f"   {rs[0]:>6}  {rs[1]:>6}  {rs[2]:>6}  {rs[3]:>8}"
    )


def check_targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (row, target) that applies: the ratio, the limit and whether it holds."""
    out = []
    for row in rows:
        for workloads, peer, limit, threads in TARGETS:
            key = f"minitorch_bp/{peer}"
            if row["workload"] not in workloads or key not in row["ratios"]:
                continue
            if threads is not None and row["threads"] != threads:
                continue
            value = row["ratios"][key]
            out.append({"workload": row["workload"], "dtype": row["dtype"],
                        "threads": row["threads"], "ratio": key, "value": value,
                        "limit": limit, "met": value <= limit})  # fmt: skip
    return out


def _cell(c: dict[str, dict[str, float]], name: str) -> str:
    if name not in c:
        return "–"
    s = c[name]
    return f"{fmt_time(s['median_s'])} ±{100 * s['spread'] / 2:.0f}%"


def markdown(data: dict[str, Any]) -> str:
    m, v = data["machine"], data["versions"]
    blas = (
        "; ".join(
            f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture')} kernel)"
            for b in m.get("blas", [])
        )
        or "unknown (threadpoolctl not installed)"
    )
    lines = [
        f"Run of {data['started']} ({data['duration_s']:.0f} s"
        + (", quick budget" if data["config"].get("quick") else "")
        + f"): {data['config']['samples']} interleaved samples per contender.",
        "",
        f"- CPU: {m['cpu']} ({m['logical_cpus']} logical CPUs), {m['platform']}",
        "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        f"- BLAS: {blas}; OPENBLAS_CORETYPE={m.get('OPENBLAS_CORETYPE')}",
        "",
        "Median time of one training step (± half the interquartile range) and"
        " minitorch_bp's time divided by each contender's (below 1: minitorch_bp is faster).",
        "",
        "| workload | dtype | threads | floor | minitorch_bp | numpy by hand | PyTorch"
        " | scikit-learn | /floor | /numpy | /torch | /sklearn |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in data["rows"]:
        c, r = row["contenders"], row["ratios"]
        cells = [_cell(c, n) for n in ("floor", "minitorch_bp", "numpy", "torch", "sklearn")]
        rs = [f"{r[f'minitorch_bp/{p}']:.2f}" if f"minitorch_bp/{p}" in r else "–" for p in PEERS]
        lines.append(
            f"| {row['workload']} | {row['dtype']} | {row['threads']} | "
            + " | ".join(cells + rs)
            + " |"
        )
    modes = sorted({f"{row['threads']} thread(s): {row['mode']}" for row in data["rows"]})
    lines += ["", "How PyTorch was run: " + "; ".join(modes) + ".", ""]
    targets = check_targets(data["rows"])
    if targets:
        missed = [t for t in targets if not t["met"]]
        lines += [
            f"Targets: {len(targets) - len(missed)} of {len(targets)} met.",
            "",
        ]
        if missed:
            lines += ["| missed | dtype | threads | ratio | limit |", "|---|---|---:|---:|---:|"]
            lines += [
                f"| {t['workload']} {t['ratio']} | {t['dtype']} | {t['threads']}"
                f" | {t['value']:.2f} | {t['limit']} |"
                for t in missed
            ]
            lines.append("")
    mem = [row for row in data["rows"] if "memory" in row]
    if mem:
        lines += [
            "Memory of one warm minitorch_bp step (tracemalloc): the most allocated at once"
            " during a step, against the output array that forward returns.",
            "",
            "| workload | dtype | peak | output | peak/output | left allocated |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for row in mem:
            mm = row["memory"]
            lines.append(
                f"| {row['workload']} | {row['dtype']} | {mm['peak_bytes']:,.0f} B"
                f" | {mm['output_bytes']:,.0f} B | {mm['peak_over_output']:.2f}"
                f" | {mm['retained_bytes']:,.0f} B |"
            )
        lines.append("")
    for row in data["rows"]:
        if "loop_vs_vectorised" in row:
            lv = row["loop_vs_vectorised"]
            lines += [
                f"`reference.backprop_loop` (the notes' per-example loop, {lv['loop_examples']:.0f}"
                f" examples) takes {fmt_time(lv['loop_s_per_example'])} per example; the"
                f" vectorised layers take {fmt_time(lv['vectorised_s_per_example'])} per example"
                f" on the {row['workload']} batch ({lv['vectorised_examples']:.0f} examples,"
                f" float64): {lv['speedup']:,.0f}× faster.",
                "",
            ]
    return "\n".join(lines)


def chart(data: dict[str, Any], path: Path) -> bool:
    """Draw time / floor per workload and contender (1 thread); False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = [r for r in data["rows"] if r["threads"] == min(x["threads"] for x in data["rows"])]
    names = ["minitorch_bp", "numpy", "torch", "sklearn"]
    labels = [f"{r['workload']}\n{r['dtype']}" for r in rows]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(rows)), 4.0))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        xs, ys = [], []
        for j, r in enumerate(rows):
            c = r["contenders"]
            if name in c:
                xs.append(j + (i - len(names) / 2 + 0.5) * width)
                ys.append(c[name]["median_s"] / c["floor"]["median_s"])
        if xs:
            ax.bar(xs, ys, width, label=name)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(rows)), labels, fontsize=8)
    ax.set_ylabel("step time / matrix-product floor (log)")
    ax.set_title(f"One training step, {rows[0]['threads'] if rows else 1} thread")
    ax.legend(fontsize=8)
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
