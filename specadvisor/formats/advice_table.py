"""Terminal tables (rich) for the CLI. Pure presentation: everything shown comes from the dataclasses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from specadvisor.advise.advisor import Advice, CandidateResult
from specadvisor.catalog.core import Hardware, ModelSpec
from specadvisor.formats.console import console as _console
from specadvisor.rules.engine import Rule

_VERDICT_STYLE = {"recommended": "green", "marginal": "yellow", "not-worth-it": "red", "incompatible": "red dim",
                  "speculate": "green", "skip-speculation": "red", "cannot-run": "red bold"}
_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}




# Below this width (or when the longest label would not fit) the advice table goes compact: short
# labels, bands on a second line, the weight format on its own line (so `@fp8` is never truncated
# away), fewer k columns and a curve.
_COMPACT_BELOW = 110
_REL_SHORT = {"same-family": "same", "other-generation": "other-gen", "shared-tokenizer": "shared-tok",
              "different-tokenizer": "diff-tok"}
_TOK_SHORT = {"identical": "", "identical-padded": "padded", "superset": "superset", "different": "diff"}
_SPARK = "▁▂▃▄▅▆▇█"


def _short_draft(label: str) -> str:
    """`org/Name@fmt` as `Name` and `@fmt` on two lines: the org is in the JSON; the format must show."""
    name, _, fmt = label.partition("@")
    short = name.rsplit("/", 1)[-1]
    return f"{short}\n@{fmt}" if fmt else short


def _label(c: CandidateResult) -> str:
    """A draft's id, or a head / MTP / n-gram speculator with its method (issue #12)."""
    return c.draft if c.method == "draft_model" else f"{c.draft} ({c.method})"


def _rank_cell(c: CandidateResult) -> str:
    return f"{c.rank}=" if c.tie else str(c.rank)


def _hypothetical(c: CandidateResult) -> bool:
    """The engine will not run the pair, or not one sequence fits with it: its numbers would mislead."""
    return c.verdict == "incompatible" or not c.facts.get("fits_memory", True)


def _curve(values: Sequence[float]) -> str:
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    return "".join(_SPARK[min(len(_SPARK) - 1, int((v - lo) / span * (len(_SPARK) - 1) + 0.5))] for v in values)


def _k_window(ks: Sequence[int], best: int, n: int) -> list[int]:
    """`n` consecutive k values around the best one (the curve column shows all of them)."""
    if len(ks) <= n:
        return list(ks)
    i = ks.index(best) if best in ks else 0
    start = max(0, min(i - n // 2, len(ks) - n))
    return list(ks[start:start + n])


def _candidate_table(a: Advice, compact: bool) -> Table:
    cols: tuple[tuple[str, str], ...]
    if compact:
        table = Table(show_lines=False, header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0))
        cols = (("#", "right"), ("draft", "left"), ("rel", "left"), ("cost", "right"), ("alpha", "right"),
                ("k", "right"), ("speedup", "right"), ("verdict", "left"))
    else:
        table = Table(show_lines=False, header_style="bold")
        cols = (("#", "right"), ("draft", "left"), ("relation", "left"), ("tokenizer", "left"), ("cost", "right"),
                ("alpha (band)", "right"), ("k", "right"), ("tau", "right"), ("speedup (band)", "right"),
                ("verdict", "left"))
    for col, justify in cols:
        table.add_column(col, justify=justify, overflow="fold",  # type: ignore[arg-type]
                         min_width=21 if compact and col == "draft" else None)
    for c in a.candidates:
        hypo = _hypothetical(c)
        measured = c.alpha_source == "measured"
        verdict = Text(c.verdict, style=_VERDICT_STYLE.get(c.verdict, ""))
        if compact:
            rel = _REL_SHORT.get(c.relation, c.relation)
            tok = "" if c.relation == "different-tokenizer" else _TOK_SHORT.get(c.tokenizer, c.tokenizer)
            alpha = "-" if hypo else f"{c.alpha:.2f}" + ("" if measured else f"\n{c.alpha_low:.2f}-{c.alpha_high:.2f}")
            speed = "-" if hypo else f"{c.speedup:.2f}x\n{c.speedup_low:.2f}-{c.speedup_high:.2f}"
            table.add_row(_rank_cell(c), _short_draft(_label(c)), f"{rel}\n{tok}" if tok else rel, f"{c.cost_ratio:.0%}",
                          alpha, "-" if hypo else str(c.k), speed, verdict)
        else:
            alpha = f"{c.alpha:.2f}" if measured else f"{c.alpha:.2f} ({c.alpha_low:.2f}-{c.alpha_high:.2f})"
            speed = f"{c.speedup:.2f}x ({c.speedup_low:.2f}-{c.speedup_high:.2f})"
            if hypo:
                alpha, speed = "-", "-"
            table.add_row(_rank_cell(c), _label(c), c.relation, c.tokenizer, f"{c.cost_ratio:.1%}", alpha,
                          "-" if hypo else str(c.k), "-" if hypo else f"{c.tokens_per_round:.2f}", speed, verdict)
    return table


def _k_table(a: Advice, width: int, compact: bool) -> Table:
    ks = list(a.candidates[0].speedup_by_k)
    if compact:
        kt = Table(title="speedup by k", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0))
    else:
        kt = Table(title="speedup by k", header_style="bold")
    kt.add_column("draft", overflow="fold", min_width=21 if compact else None)
    best = a.candidates[0].k
    shown = ks if not compact else _k_window(ks, best, max(3, (width - 23 - (len(ks) + 1)) // 6))
    for k in shown:
        kt.add_column(f"k={k}" if compact else str(k), justify="right", no_wrap=True)
    if compact and len(shown) < len(ks):
        kt.add_column(f"k={ks[0]}-{ks[-1]}", no_wrap=True)
    for c in a.candidates:
        label = _short_draft(c.draft) if compact else c.draft
        if _hypothetical(c):
            kt.add_row(label, *["-"] * (len(kt.columns) - 1))
            continue
        cells: list[str | Text] = []
        for k in shown:
            cell = f"{c.speedup_by_k[k]:.2f}"
            cells.append(Text(cell, style="bold") if k == c.k else cell)
        if compact and len(shown) < len(ks):
            cells.append(_curve([c.speedup_by_k[k] for k in ks]))
        kt.add_row(label, *cells)
    return kt


def _print_reasons(con: Console, reasons: Sequence[Any]) -> None:
    for r in reasons:
        con.print(Text.assemble("  ", Text(f"{r.rule} {r.severity}", style=_SEVERITY_STYLE[r.severity]), f" {r.message}"))


def render_advice(a: Advice, by_k: bool = False) -> None:
    con = _console()
    w = a.workload
    t = a.target
    con.print(f"[bold]Target[/bold] {t.label} ({t.spec.params_b:g}B, {t.weight_format}) on "
              f"{w.tp}x {w.hardware.name}{' (tp chosen to fit)' if w.tp_source == 'auto' else ''}"
              f"{f', draft on {w.draft_hardware.name}' if w.draft_hardware is not None else ''}, "
              f"{w.engine}, batch {w.batch_size}, context {w.context_len}, task {w.task}, T={w.temperature:g}",
              markup=True)
    if not a.candidates and a.verdict == "cannot-run":
        # nothing ran, so there is nothing to rank: the verdict and its reason are the whole answer
        con.print(Text.assemble("Verdict: ", Text(a.verdict, style=_VERDICT_STYLE["cannot-run"])))
        _print_reasons(con, a.reasons)
        return
    label = max((len(c.draft) for c in a.candidates), default=0)
    # the full table needs about 95 columns beside the longest draft label; narrower terminals get compact
    compact = con.width < max(_COMPACT_BELOW, label + 95)
    con.print(_candidate_table(a, compact))
    if any(c.tie for c in a.candidates):
        con.print("[dim]n= tie (estimates within 15% and each other's band), ordered toward what deploys as is[/dim]")
    if by_k and a.candidates:
        nk = len(a.candidates[0].speedup_by_k)
        con.print(_k_table(a, con.width, compact or con.width < label + 7 * nk + 4))
    shown = len(a.candidates)
    if shown < a.total_candidates:
        con.print(f"[dim]{shown} of {a.total_candidates} candidates shown (--top 0 for all)[/dim]")
    con.print(Text.assemble("Verdict: ", Text(a.verdict, style=_VERDICT_STYLE.get(a.verdict, "bold"))))
    _print_reasons(con, a.reasons)
    for c in a.candidates[: 3 if not by_k else len(a.candidates)]:
        if not c.reasons:
            continue
        con.print(Text(c.draft, style="bold"))
        _print_reasons(con, c.reasons)
    con.print(f"[dim]Estimates from a roofline cost model and an acceptance prior (coefficients: "
              f"{a.coefficients_status}); bands show the uncertainty. Measure on real traffic and pass --alpha.[/dim]")


def render_models(rows: Sequence[ModelSpec]) -> None:
    table = Table(header_style="bold")
    for col in ("id", "family", "gen", "params (B)", "active (B)", "layers", "vocab", "tokenizer", "precision", "domain"):
        table.add_column(col, justify="right" if col in ("params (B)", "active (B)", "layers", "vocab") else "left")
    for m in rows:
        table.add_row(m.id, m.family, m.generation, f"{m.params_b:g}", f"{m.active_params_b:g}", str(m.layers),
                      str(m.vocab_size), m.tokenizer, m.precision, m.domain)
    _console().print(table)


def render_hardware(rows: Sequence[Hardware]) -> None:
    table = Table(header_style="bold")
    for col in ("id", "name", "memory (GiB)", "bandwidth (GB/s)", "BF16 TFLOPs", "FP8 TFLOPs", "kind"):
        table.add_column(col, justify="left" if col in ("id", "name", "kind") else "right")
    for h in rows:
        table.add_row(h.id, h.name, f"{h.memory_gb:g}", f"{h.bandwidth_gbs:g}", f"{h.bf16_tflops:g}",
                      f"{h.fp8_tflops:g}" if h.fp8_tflops else "-", h.kind)
    _console().print(table)


def render_rules(rules: Sequence[Rule], full: bool = False) -> None:
    con = _console()
    if full:
        for r in rules:
            con.print(Text.assemble(Text(f"{r.id} {r.name}", style="bold"), " ",
                                    Text(r.severity, style=_SEVERITY_STYLE[r.severity])))
            for label, value in (("scope", r.scope), ("message", r.summary), ("rationale", r.rationale),
                                 ("remediation", r.remediation), ("source", r.source),
                                 ("verdict", r.verdict or "-"), ("defined in", r.origin)):
                con.print(f"  [bold]{label}:[/bold] {value}")
        return
    table = Table(header_style="bold")
    for col in ("id", "name", "severity", "scope", "verdict"):
        table.add_column(col)
    for r in rules:
        table.add_row(r.id, r.name, Text(r.severity, style=_SEVERITY_STYLE[r.severity]), r.scope, r.verdict or "")
    con.print(table)


def render_calibration(report: dict) -> None:  # type: ignore[type-arg]
    con = _console()
    s = report["summary"]
    con.print(f"[bold]Calibration[/bold]: {s['rows']} rows from {s['sources']} sources; "
              f"{s['alpha_rows']} measured alpha, {s['speedup_rows']} measured speedup")
    for sk in s.get("skipped", []):
        con.print(f"  skipped {sk['file']}:{sk['line']}: {sk['reason']}", markup=False)
    ct = Table(title="coefficients", header_style="bold")
    for col in ("name", "prior", "fitted"):
        ct.add_column(col, justify="left" if col == "name" else "right")
    for c in report["coefficients"]:
        ct.add_row(c["name"], f"{c['prior']:g}", f"{c['fitted']:g}")
    con.print(ct)
    rt = Table(title="residuals", header_style="bold")
    for col in ("row", "source", "target", "draft", "alpha pred/meas", "speedup pred (band)", "measured", "error"):
        rt.add_column(col)
    for r in report["residuals"]:
        a = f"{r['alpha_pred']:.2f}" + (f" / {r['alpha_meas']:.2f}" if r["alpha_meas"] is not None else "")
        sp = meas = err = ""
        if r["speedup_pred"] is not None:
            sp = f"{r['speedup_pred']:.2f} ({r['speedup_low']:.2f}-{r['speedup_high']:.2f})"
            meas = f"{r['speedup_meas']:.2f}"
            err = f"{(r['speedup_pred'] - r['speedup_meas']) / r['speedup_meas']:+.0%}"
        rt.add_row(str(r["row"]), r["source"], str(r["target"] or "-"), str(r["draft"] or "-"), a, sp, meas, err)
    con.print(rt)
    for label, key in (("in-sample", "in_sample"), ("leave-one-source-out", "leave_one_source_out")):
        m = s.get(key)
        if m:
            def f(key: str, spec: str, m: dict = m) -> str:
                return "-" if m[key] is None else format(m[key], spec)

            cov = "" if m["band_coverage"] is None else f", band coverage {m['band_coverage']:.0%}"
            con.print(f"{label}: median |speedup error| {f('median_rel_error', '.1%')}, within 25% "
                      f"{f('within_25pct', '.0%')} of {m['speedup_rows']} rows, alpha MAE {f('alpha_mae', '.3f')} "
                      f"over {m['alpha_rows']} rows{cov}")
    con.print(f"bands: alpha +/- {report['band_logit']:.2f} logit, cost uncertainty {report['cost_uncertainty']:.0%} "
              f"(set from the {s.get('bands_from', 'in-sample')} predictions to cover 75% of rows)")
