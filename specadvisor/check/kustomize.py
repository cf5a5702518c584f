"""kustomize overlays: the launches that patches set, inline in a kustomization or in patch files.

A JSON 6902 patch (`[{op: add, path: /spec/template/spec/containers/0/args, value: [...]}]`, or one
`args/-` item per op) and a strategic-merge patch (a partial manifest whose container has `args` but
often no `image`) both carry the flags an overlay changes. The base is elsewhere, so the engine comes
from the container's image when the patch or the kustomization's `images:` names one, else from the
flags themselves (`launch.infer_program`). Inline `patch: |` strings are read at their own lines.
Forms: kubectl/kustomize docs (patches, patchesJson6902, patchesStrategicMerge), KServe and
OpenShift AI overlays that replace `/spec/predictor/containers/0/command` or a ServingRuntime's args.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from specadvisor.check.commands import command_sites, container_sites, containers
from specadvisor.check.launch import IMAGE_ENTRYPOINTS, implied_program, infer_program
from specadvisor.check.script import ScriptContext
from specadvisor.check.shell import LineIndex
from specadvisor.check.shellenv import Env
from specadvisor.check.sites import Site
from specadvisor.yamlio import LineDict, LineList, NodeMark

_OP_PATH = re.compile(r"^(?P<c>.*/containers/(?:\d+|-)|/spec/predictor/model)/(?P<field>command|args|image)"
                      r"(?:/(?P<idx>\d+|-))?$")
_ENGINE_IMAGE = re.compile(r"vllm|sglang|llama\.cpp|tensorrt-llm|text-generation-inference", re.IGNORECASE)

MAX_INLINE = 64  # inline patches read per kustomization (each is parsed as its own padded document)
FromDoc = Callable[[ScriptContext, Env, Any], list[Site]]


def is_kustomization(doc: LineDict) -> bool:
    if doc.get("kind") in ("Kustomization", "Component"):
        return True
    return "kind" not in doc and any(k in doc for k in ("patchesJson6902", "patchesStrategicMerge")) or (
        "kind" not in doc and "patches" in doc and ("resources" in doc or "bases" in doc))


def is_json6902(doc: LineList) -> bool:
    return bool(doc) and all(isinstance(op, dict) and "op" in op and "path" in op for op in doc)


def _image_of(doc: LineDict) -> str | None:
    """The engine image a kustomization's `images:` sets (newName/newTag), if exactly one is an engine's."""
    found = []
    for entry in doc.get("images") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        name = str(entry["newName"] if isinstance(entry.get("newName"), str) else entry["name"])
        if _ENGINE_IMAGE.search(name) or any(p.search(name) for p, _ in IMAGE_ENTRYPOINTS):
            tag = entry.get("newTag")
            found.append(f"{name}:{tag}" if isinstance(tag, str | int | float) else name)
    return found[0] if len(found) == 1 else None


def _sub_context(ctx: ScriptContext, mark: NodeMark, value: str) -> ScriptContext:
    """The inline patch text as its own document, padded so its lines are the file's lines."""
    if mark.style in ("|", ">"):
        nl = ctx.text.find("\n", mark.start, mark.end)
        base = nl + 1 if nl >= 0 else mark.start
        body = ctx.text[base:mark.end]
    else:
        base, body = mark.start, value
    line = ctx.where(base).line
    text = "\n" * (line - 1) + body
    return ScriptContext(ctx.path, text, LineIndex(text), ctx.yaml_reader, ctx.directory)


def kustomization_sites(ctx: ScriptContext, env: Env, doc: LineDict, from_doc: FromDoc) -> list[Site]:
    from specadvisor.errors import InputFileError
    from specadvisor.yamlio import load_yaml_documents

    image = _image_of(doc)
    inline: list[tuple[NodeMark, str]] = []
    for key in ("patches", "patchesJson6902"):
        for entry in doc.get(key) or []:
            if isinstance(entry, LineDict) and isinstance(entry.get("patch"), str) and "patch" in entry.value_marks:
                inline.append((entry.value_marks["patch"], entry["patch"]))
    smp = doc.get("patchesStrategicMerge")
    if isinstance(smp, LineList):
        for v, m in zip(smp, smp.item_marks, strict=True):
            if isinstance(v, str) and "\n" in v:
                inline.append((m, v))
    sites: list[Site] = []
    for mark, value in inline[:MAX_INLINE]:
        sub = _sub_context(ctx, mark, value)
        try:
            docs = load_yaml_documents(sub.text, ctx.path)
        except InputFileError:
            continue  # kustomize itself reports a patch it cannot read; this is not a launch
        for d in docs:
            if isinstance(d, LineList) and is_json6902(d):
                sites += json6902_sites(sub, env, d, image)
            elif isinstance(d, LineDict):
                sites += patch_doc_sites(sub, env, d, image, from_doc)
    return sites


def patch_doc_sites(ctx: ScriptContext, env: Env, doc: LineDict, image: str | None, from_doc: FromDoc) -> list[Site]:
    """A strategic-merge patch: its containers, with the kustomization's image when they name none."""
    if not ("apiVersion" in doc and "kind" in doc):
        return from_doc(ctx, env, doc)
    sites: list[Site] = []
    for c in containers(doc):
        sites += container_sites(ctx, env, c, None if isinstance(c.get("image"), str) else image)
    return sites


def json6902_sites(ctx: ScriptContext, env: Env, ops: LineList, image: str | None) -> list[Site]:
    """The command and args a JSON 6902 patch gives each container it touches."""
    groups: dict[str, dict[str, Any]] = {}
    for op in ops:
        if not isinstance(op, LineDict) or op.get("op") not in ("add", "replace") or not isinstance(op.get("path"), str):
            continue
        m = _OP_PATH.match(op["path"])
        if not m:
            if isinstance(op.get("value"), LineDict) and op["path"].rstrip("/").rsplit("/", 1)[-1].isdigit() \
                    and "/containers/" in op["path"]:
                groups.setdefault(op["path"], {"sites": container_sites(ctx, env, op["value"], image)})
            continue
        g = groups.setdefault(m.group("c"), {"command": [], "args": [], "image": None})
        field, value = m.group("field"), op.get("value")
        if field == "image":
            g["image"] = value if isinstance(value, str) else None
            continue
        if m.group("idx") is None and isinstance(value, LineList):
            g[field] = [(str(v), mk) for v, mk in zip(value, value.item_marks, strict=True)
                        if isinstance(v, str | int | float) and not isinstance(v, bool)]
        elif isinstance(value, str | int | float) and not isinstance(value, bool) and "value" in op.value_marks:
            g[field].append((str(value), op.value_marks["value"]))
    sites: list[Site] = []
    for g in groups.values():
        if "sites" in g:
            sites += g["sites"]
            continue
        img = g["image"] or image
        items = g["command"] + g["args"]
        if not g["command"] and items and items[0][0].startswith("-"):
            program = implied_program(img) or infer_program([t for t, _ in items])
            items = [(p, items[0][1]) for p in program] + items
        sites += command_sites(ctx, items, img, env)
    return sites
