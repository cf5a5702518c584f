"""Hub commands (`inspect`, `catalog add`) and the Hub part of `recommend`/`compare` output.

Registered by one import at the end of `specadvisor/cli.py`. Nothing here imports huggingface_hub at
module level: `specadvisor --help` and the catalog-only commands never load it.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from specadvisor.cli.common import OutputFormat, dump, render_or_emit, run_guarded
from specadvisor.vocab import EMIT_ENGINES

catalog_app = typer.Typer(help="Edit user catalog files.", no_args_is_help=True)

OfflineOpt = Annotated[bool, typer.Option("--offline", help="Read only the Hub metadata cache; make no request.")]
RevisionOpt = Annotated[str, typer.Option("--revision", help="Branch, tag or commit of the repo.")]


def _warn(message: str) -> None:
    typer.echo(f"specadvisor: warning: {message}", err=True)


def hub_extend(cat: Any, target: str, drafts: Sequence[str] | None, *, hub_only: bool, offline: bool,
               max_candidates: int, engine: str) -> Any:
    """The catalog extended from the Hub (recommend/compare); prints warnings to stderr."""
    from specadvisor.errors import UsageError
    from specadvisor.hub.errors import HubNotFoundError
    from specadvisor.hub.resolve import extend_catalog
    from specadvisor.hub.source import default_source

    if max_candidates < 1:
        raise UsageError(f"--max-candidates must be >= 1, got {max_candidates}")
    try:
        res = extend_catalog(cat, target, drafts, source=default_source(offline=offline), hub_only=hub_only,
                             max_candidates=max_candidates, engine=engine)
    except HubNotFoundError as exc:
        names = [m.id for m in cat.models]
        close = difflib.get_close_matches(target.split("@")[0], names, n=3, cutoff=0.5)
        hint = f"; closest catalog ids: {', '.join(close)}" if close else ""
        raise HubNotFoundError(exc.message + hint) from None
    for w in res.warnings:
        _warn(w)
    return res


def render_with_hub(advice: Any, fmt: OutputFormat, emit: Any, cat: Any, res: Any, by_k: bool = False) -> None:
    if emit is not None or fmt is OutputFormat.table:
        render_or_emit(advice, fmt, emit, cat, by_k=by_k)
        if emit is None:
            _render_checks(advice, res)
        return
    from specadvisor.advise.report import advice_to_dict

    data = advice_to_dict(advice)
    data["hub"] = res.to_dict(shown=[c.draft_id for c in advice.candidates])
    dump(data, fmt)


def _render_checks(advice: Any, res: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    from specadvisor.formats.console import console

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


# -- inspect ---------------------------------------------------------------------------------------

_INSPECT_EPILOG = """\
Examples:

  specadvisor inspect Qwen/Qwen2.5-7B-Instruct

  specadvisor inspect my-org/my-finetune --revision v2 --format json

  specadvisor inspect Qwen/Qwen2.5-7B-Instruct --offline      # from the cache only
"""


def inspect(
    model_id: Annotated[str, typer.Argument(help="Hub model id (owner/name).")],
    revision: RevisionOpt = "main",
    offline: OfflineOpt = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.table,
) -> None:
    """Show what the Hub says about MODEL_ID and what specadvisor derives from it (no weights downloaded)."""

    def go() -> None:
        from specadvisor.catalog.core import load_catalog
        from specadvisor.hub.resolve import model_from_record
        from specadvisor.hub.source import default_source

        src = default_source(offline=offline)
        rec = src.record(model_id, revision)
        hm = model_from_record(rec, load_catalog().find_model, src)
        tok = rec.tokenizer_info
        data = {
            "schema_version": 1,
            "id": rec.id, "revision": rec.revision, "sha": rec.sha, "endpoint": rec.endpoint,
            "gated": rec.gated, "pipeline_tag": rec.pipeline_tag, "base_models": rec.base_models,
            "base_relation": rec.base_relation, "files_read": [f for f in ("config.json", "generation_config.json",
                                                                            "tokenizer_config.json", "tokenizer.json")
                                                               if f not in rec.missing],
            "files_missing": rec.missing,
            "derived": {k: v for k, v in _spec_dict(hm.spec).items()},
            "derivation": hm.derivation.to_dict(),
            "tokenizer": None if tok is None else {
                "key": tok.key, "model_type": tok.model_type, "fingerprint": tok.fingerprint[:16],
                "base_fingerprint": tok.base_fingerprint[:16], "vocab_entries": tok.vocab_len, "length": tok.length,
                "added_tokens": len(tok.added), "special_tokens": sum(1 for a in tok.added if a[2]),
                "bos_id": tok.bos_id, "eos_ids": list(tok.eos_ids), "pad_id": tok.pad_id,
                "chat_template": tok.chat_template, "tokenizer_class": tok.tokenizer_class},
            "requests": src.requests,
        }
        if fmt is OutputFormat.table:
            _render_inspect(data)
        else:
            dump(data, fmt)

    run_guarded(go)


def _spec_dict(spec: Any) -> dict[str, Any]:
    from dataclasses import asdict

    d = asdict(spec)
    d.pop("origin", None)
    return {k: v for k, v in d.items() if v not in (None, (), [])}


def _render_inspect(data: dict[str, Any]) -> None:
    from rich.table import Table

    from specadvisor.formats.console import console

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


# -- catalog add -----------------------------------------------------------------------------------


@catalog_app.command("add")
def catalog_add(
    model_id: Annotated[str, typer.Argument(help="Hub model id (owner/name).")],
    to: Annotated[Path, typer.Option("--to", help="User catalog YAML to append to (created if missing).")],
    revision: RevisionOpt = "main",
    offline: OfflineOpt = False,
) -> None:
    """Read MODEL_ID from the Hub and append it to a user catalog, keeping the file's comments and entries."""

    def go() -> None:
        from datetime import date

        from specadvisor.catalog.core import load_catalog
        from specadvisor.catalog.edit import add_entry
        from specadvisor.hub.resolve import model_from_record
        from specadvisor.hub.source import default_source

        src = default_source(offline=offline)
        rec = src.record(model_id, revision)
        hm = model_from_record(rec, load_catalog().find_model, src)
        comment = f"added by specadvisor catalog add from {rec.endpoint} ({(rec.sha or revision)[:12]}), {date.today()}"
        add_entry(to, hm.spec, comment=comment)
        typer.echo(f"added {hm.spec.id} to {to}", err=True)

    run_guarded(go)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command(epilog=_INSPECT_EPILOG)(inspect)
    app.add_typer(catalog_app, name="catalog")
