"""Terminal tables for the Hub: the `inspect` document and the tokenizer checks under recommend/compare."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from specadvisor.formats.console import console
from specadvisor.vocab import EMIT_ENGINES


def render_inspect(data: dict[str, Any]) -> None:
    con = console()
    d = data["derived"]
    con.print(f"[bold]{data['id']}[/bold] @ {data['revision']} ({(data['sha'] or '')[:12]}) from {data['endpoint']}")
    t = Table(show_header=False, box=None)
    t.add_column(style="bold")
    t.add_column()
    der = data["derivation"]
    rows = [
        ("family / generation", f"{d['family']} / {d['generation']} ({d.get('arch', '?')}), domain {d['domain']}"),
        ("parameters", f"{d['params_b']:g}B total, {d['active_params_b']:g}B active"),
        ("  from", der["params_source"]),
        ("precision", f"{d['precision']} ({der['precision_source']})"),
        ("shape", f"{d['layers']} layers, hidden {d['hidden_size']}, heads {d.get('heads')}/{d.get('kv_heads')} "
                  f"x {d.get('head_dim')}, intermediate {d.get('intermediate_size')}"),
        ("vocab_size", str(d["vocab_size"])),
    ]
    if d.get("moe"):
        m = d["moe"]
        rows.append(("MoE", f"{m['experts']} experts, top-{m['top_k']}, width {m['expert_intermediate']}, "
                            f"{m['shared_experts']} shared, {m['dense_layers']} dense layers"))
    tok = data["tokenizer"]
    if tok:
        rows += [("tokenizer", f"{tok['key']} ({tok['model_type']}, {tok['vocab_entries']} vocab + "
                               f"{tok['added_tokens']} added = {tok['length']} ids; class {tok['tokenizer_class']})"),
                 ("special ids", f"bos {tok['bos_id']}, eos {tok['eos_ids']}, pad {tok['pad_id']}"),
                 ("chat template", tok["chat_template"] or "none")]
    else:
        rows.append(("tokenizer", "no tokenizer.json: token ids cannot be compared"))
    rows += [("base models", ", ".join(data["base_models"]) + (f" ({data['base_relation']})" if data["base_relation"] else "")
              if data["base_models"] else "none"),
             ("files", f"read {', '.join(data['files_read']) or 'none'}; missing {', '.join(data['files_missing']) or 'none'}")]
    for note in der["notes"]:
        rows.append(("note", note))
    for k, v in rows:
        t.add_row(k, v)
    con.print(t)
    con.print(f"[dim]{data['requests']} Hub requests.[/dim]")


def render_hub_checks(advice: Any, res: Any) -> None:
    shown = [c.draft_id for c in advice.candidates if c.draft_id in res.checks]
    con = console()
    if shown:
        table = Table(title="Tokenizer check from tokenizer.json (Hub drafts)", header_style="bold")
        engines = tuple(e.value for e in EMIT_ENGINES)
        for col in ("draft", "tokenizer", *engines):
            table.add_column(col)
        for d in dict.fromkeys(shown):
            chk = res.checks[d]
            cells = [Text("accepts", style="green") if chk.engines[e].accepts else Text("rejects", style="red")
                     for e in engines]
            table.add_row(d, chk.verdict, *cells)
        con.print(table)
        for d in dict.fromkeys(shown):
            chk = res.checks[d]
            if chk.verdict != "identical":
                con.print(f"  {d}: {chk.advice}")
    src = "the Hub cache (offline)" if res.offline else res.endpoint
    con.print(f"[dim]Hub: {len(res.models)} models read from {src}, {res.requests} requests"
              f"{f', {res.workers} concurrent' if res.workers > 1 else ''}.[/dim]")
