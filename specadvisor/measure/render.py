"""The terminal report of `specadvisor measure` (rich), drawn from the JSON report dict."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from specadvisor.formats.console import console as _console

_BAR = 40
_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}
_WHERE_STYLE = {"early": "yellow", "late": "yellow", "even": "green", "unknown": "dim", "none-accepted": "bold red"}




def _num(x: Any, fmt: str = "{:g}") -> str:
    return "n/a" if x is None else fmt.format(x)


def _bar(rate: float, width: int = _BAR) -> str:
    cells = rate * width
    full = int(cells)
    part = " ▏▎▍▌▋▊▉"[int((cells - full) * 8)] if full < width else ""
    return ("█" * full + part.strip()).ljust(width)


def _style(x: float | None) -> str:
    if x is None:
        return ""
    return "green" if x >= 0.8 else "yellow" if x >= 0.65 else "red"


def render_report(d: dict[str, Any]) -> None:
    con = _console()
    src = d["source"]
    window = f", window {src['window_s']:.0f} s" if src.get("window_s") is not None else ""
    con.print(f"[bold]Measured[/bold] {src['location']} ({src['format']}{window})")
    if d.get("broken_run"):
        con.print("BROKEN RUN: no drafted token was accepted - a misconfigured pair (weights, tokenizer, chat template "
                  "or sampling), not a weak draft", style="bold red")
    if d.get("tree"):
        con.print("a tree of drafts (topk > 1): tau is the measurement; no per-token chain alpha", style="yellow")

    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column(justify="right")
    t.add_column(style="dim")
    t.add_row("drafts", _num(d["drafts"]), "speculative rounds")
    t.add_row("draft tokens", _num(d["draft_tokens"]), "")
    t.add_row("accepted tokens", _num(d["accepted_tokens"]), "")
    if d.get("emitted_tokens") is not None:
        t.add_row("emitted tokens", _num(d["emitted_tokens"]), "bonus tokens included")
    t.add_row("k", _num(d["k"]), d.get("k_source") or "unknown")
    t.add_row("tau", _num(d["tau"], "{:.3f}"), "mean tokens per target pass, bonus token included"
              + (" (approximate)" if d.get("tau_approximate") else ""))
    t.add_row("accepted/drafted", _num(d["accepted_per_drafted"], "{:.3f}"), "what engines call the acceptance rate")
    alpha = d["alpha"]
    t.add_row("per-token alpha", Text(_num(alpha, "{:.3f}"), style="bold " + _style(alpha)),
              "solves tau = (1 - a^(k+1)) / (1 - a): use this with --alpha")
    con.print(t)
    if d.get("explanation") and not d.get("broken_run"):
        con.print(d["explanation"], style="italic")

    pos = d.get("per_position") or []
    if pos:
        con.print()
        con.print("[bold]Acceptance by position[/bold] (share of drafts reaching each drafted token; "
                  "conditional = accepted given the previous one was; 95% Wilson intervals)")
        pt = Table(box=None, header_style="bold", pad_edge=False)
        for col, justify in (("pos", "right"), ("reached", "left"), ("rate", "right"), ("95% CI", "right"),
                             ("conditional", "right"), ("95% CI", "right"), ("const. alpha", "right")):
            pt.add_column(col, justify=justify)  # type: ignore[arg-type]
        for p in pos:
            cond = p["conditional"]
            pt.add_row(
                str(p["position"]), Text(_bar(p["rate"]), style=_style(cond)), f"{p['rate']:.3f}",
                f"{p['rate_low']:.3f}-{p['rate_high']:.3f}", Text(_num(cond, "{:.3f}"), style=_style(cond)),
                "n/a" if cond is None else f"{p['conditional_low']:.3f}-{p['conditional_high']:.3f}",
                _num(p["expected_at_alpha"], "{:.3f}"),
            )
        con.print(pt)
    rej = d["rejections"]
    con.print(Text.assemble(("Where rejections happen: ", "bold"), (rej["where"], _WHERE_STYLE.get(rej["where"], "")),
                            f" - {rej['message']}"))

    pred = d.get("prediction")
    if pred:
        con.print()
        con.print(f"[bold]Predicted[/bold] for {pred['target']} + {pred['draft']} on {pred['tp']}x {pred['hardware']}"
                  f"{' (tp chosen to fit; pass --tp)' if pred['tp_source'] == 'auto' else ''}, {pred['engine']}, "
                  f"batch {pred['batch_size']}, at the measured alpha {pred['alpha']:.3f} "
                  f"(draft step = {pred['cost_ratio']:.1%} of a target step; tau by k from the "
                  f"{pred.get('k_basis', 'constant alpha')})")
        kt = Table(header_style="bold")
        kt.add_column("k")
        ks = list(pred["speedup_by_k"])
        for k in ks:
            kt.add_column(k, justify="right")
        cells: list[Any] = []
        for k in ks:
            s = f"{pred['speedup_by_k'][k]:.2f}"
            if int(k) == pred["k_recommended"]:
                cells.append(Text(s, style="bold green"))
            elif int(k) == pred.get("k_deployed"):
                cells.append(Text(s, style="bold"))
            else:
                cells.append(s)
        kt.add_row("speedup", *cells)
        con.print(kt)
        line = f"Recommended k = {pred['k_recommended']} ({pred['speedup_recommended']:.2f}x)"
        if pred.get("k_deployed") is not None:
            line += (f"; deployed k = {pred['k_deployed']} predicts {pred['speedup_deployed']:.2f}x "
                     f"(band {pred['speedup_deployed_low']:.2f}-{pred['speedup_deployed_high']:.2f}x)")
        con.print(line, style="bold")
    elif d.get("k_guidance"):
        g = d["k_guidance"]
        k_range = f"{g['k_min']}" if g["k_min"] == g["k_max"] else f"{g['k_min']}-{g['k_max']}"
        con.print(f"k advice: {k_range} ({g['rule']}, {g.get('basis', 'the table at alpha')}); give --target, --draft "
                  "and --hardware for a predicted best k.")
    if d.get("diagnostics"):
        con.print()
        for r in d["diagnostics"]:
            con.print(Text.assemble((f"{r['rule']} ", "bold"), (r["severity"], _SEVERITY_STYLE.get(r["severity"], "")),
                                    f" {r['message']}. ", (r["remediation"], "dim")))
    if d.get("missing"):
        for m in d["missing"]:
            if not m.startswith("--"):  # missing options for the prediction are explained in a note
                con.print(f"missing: {m}", style="yellow")
    for w in d.get("warnings") or []:
        con.print(f"warning: {w}", style="yellow")
    for n in d.get("notes") or []:
        con.print(f"note: {n}", style="dim")
