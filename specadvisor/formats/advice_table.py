"""Terminal tables (rich) for the CLI. Pure presentation: everything shown comes from the dataclasses."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from specadvisor.advise.advisor import Advice, CandidateResult
from specadvisor.catalog.core import Hardware, ModelSpec
from specadvisor.formats.console import console as _console
from specadvisor.rules.engine import Rule

_VERDICT_STYLE = {"recommended": "green", "marginal": "yellow", "not-worth-it": "red", "incompatible": "red dim",
                  "speculate": "green", "skip-speculation": "red"}
_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}




def _label(c: CandidateResult) -> str:
    """A draft's id, or a head / MTP / n-gram speculator with its method (issue #12)."""
    return c.draft if c.method == "draft_model" else f"{c.draft} ({c.method})"


def render_advice(a: Advice, by_k: bool = False) -> None:
    con = _console()
    w = a.workload
    t = a.target
    con.print(f"[bold]Target[/bold] {t.label} ({t.spec.params_b:g}B, {t.weight_format}) on "
              f"{w.tp}x {w.hardware.name}{' (tp chosen to fit)' if w.tp_source == 'auto' else ''}, "
              f"{w.engine}, batch {w.batch_size}, context {w.context_len}, task {w.task}, T={w.temperature:g}")
    table = Table(show_lines=False, header_style="bold")
    for col, justify in (("#", "right"), ("draft", "left"), ("relation", "left"), ("tokenizer", "left"),
                         ("cost", "right"), ("alpha (band)", "right"), ("k", "right"), ("tau", "right"),
                         ("speedup (band)", "right"), ("verdict", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for c in a.candidates:
        alpha = f"{c.alpha:.2f}" if c.alpha_source == "measured" else f"{c.alpha:.2f} ({c.alpha_low:.2f}-{c.alpha_high:.2f})"
        speed = f"{c.speedup:.2f}x ({c.speedup_low:.2f}-{c.speedup_high:.2f})"
        if c.verdict == "incompatible":  # the engine will not run the pair: its numbers are hypothetical
            alpha, speed = "-", "-"
        table.add_row(
            str(c.rank), _label(c), c.relation, c.tokenizer, f"{c.cost_ratio:.1%}", alpha, str(c.k) if speed != "-" else "-",
            f"{c.tokens_per_round:.2f}" if speed != "-" else "-", speed,
            Text(c.verdict, style=_VERDICT_STYLE.get(c.verdict, "")),
        )
    con.print(table)
    if by_k and a.candidates:
        kt = Table(title="speedup by k", header_style="bold")
        kt.add_column("draft")
        ks = list(a.candidates[0].speedup_by_k)
        for k in ks:
            kt.add_column(str(k), justify="right")
        for c in a.candidates:
            if c.verdict == "incompatible":
                kt.add_row(c.draft, *["-"] * len(ks))
                continue
            cells = []
            for k in ks:
                s = c.speedup_by_k[k]
                cell = f"{s:.2f}"
                cells.append(Text(cell, style="bold") if k == c.k else cell)
            kt.add_row(c.draft, *cells)
        con.print(kt)
    shown = len(a.candidates)
    if shown < a.total_candidates:
        con.print(f"[dim]{shown} of {a.total_candidates} candidates shown (--top 0 for all)[/dim]")
    con.print(Text.assemble("Verdict: ", Text(a.verdict, style=_VERDICT_STYLE.get(a.verdict, "bold"))))
    for r in a.reasons:
        con.print(Text.assemble("  ", Text(f"{r.rule} {r.severity}", style=_SEVERITY_STYLE[r.severity]), f" {r.message}"))
    for c in a.candidates[: 3 if not by_k else len(a.candidates)]:
        if not c.reasons:
            continue
        con.print(f"[bold]{c.draft}[/bold]")
        for r in c.reasons:
            con.print(Text.assemble("  ", Text(f"{r.rule} {r.severity}", style=_SEVERITY_STYLE[r.severity]), f" {r.message}"))
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
    for col in ("id", "name", "memory (GB)", "bandwidth (GB/s)", "BF16 TFLOPs", "FP8 TFLOPs", "kind"):
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
