"""A fake Hugging Face Hub on 127.0.0.1 for the Hub tests and the fetch benchmark (stdlib only).

It serves the endpoints huggingface_hub and specadvisor use, with the headers the real Hub sends:
  GET  /api/models/{org}/{name}[/revision/{rev}]   model info (404 RepoNotFound / RevisionNotFound)
  GET  /api/models?author=&search=&filter=&limit=  listing
  HEAD/GET /{org}/{name}/resolve/{rev}/{file}      files with X-Repo-Commit, ETag, Content-Length;
                                                   404 EntryNotFound; 401 GatedRepo for gated repos
Behaviours for the error tests: a repo that answers 429 (Retry-After: 0) once, one that stalls, one
with malformed JSON. Every request is recorded (with its time), and `latency` adds a delay to each
(benchmark). `hub.fault = Fault(...)` makes a scope of endpoints (model info, listing, files) fail in
one of the ways a real Hub, proxy or network does: an HTTP status, a truncated body, an HTML page with
200, a body or headers dripping a byte at a time, a connection reset, a JSON answer of the wrong shape.

The models are small synthetic ones with realistic config.json shapes; their tokenizer.json files
have tiny vocabularies (a few hundred tokens) but the same structure as the real ones, and the
config `vocab_size` (embedding rows) is the real one: the Qwen2.5 0.5B/1.5B/3B-like repos have 151936
rows and the 7B..72B-like ones 152064, with the same tokenizer.json content.
"""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

# -- synthetic tokenizers ----------------------------------------------------------------------------


def _bpe(prefix: str, n: int, added: list[tuple[int, str]], shuffle: int = 0) -> dict[str, Any]:
    tokens = [f"{prefix}{i}" for i in range(n)]
    if shuffle:  # same strings, different ids
        tokens = tokens[shuffle:] + tokens[:shuffle]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, c in added],
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel"},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "fuse_unk": False, "byte_fallback": False,
                  "vocab": {t: i for i, t in enumerate(tokens)},
                  "merges": [f"{prefix}{i} {prefix}{i + 1}" for i in range(0, min(n, 40), 2)]},
    }


QWEN_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] + [f"<|extra_{i}|>" for i in range(19)]
QWEN_BASE = 300
QWEN_ADDED = [(QWEN_BASE + i, t) for i, t in enumerate(QWEN_SPECIAL)]
QWEN3_ADDED = QWEN_ADDED + [(QWEN_BASE + 22 + i, t) for i, t in enumerate(["<think>", "</think>", "<tool_call>", "</tool_call>"])]
LLAMA_BASE = 400
LLAMA_ADDED = [(LLAMA_BASE, "<|begin_of_text|>"), (LLAMA_BASE + 1, "<|end_of_text|>")] + [
    (LLAMA_BASE + i, f"<|reserved_special_token_{i}|>") for i in range(2, 256)]

TOKENIZERS = {
    "qwen2": _bpe("q", QWEN_BASE, QWEN_ADDED),
    "qwen3": _bpe("q", QWEN_BASE, QWEN3_ADDED),
    "llama3": _bpe("l", LLAMA_BASE, LLAMA_ADDED),
    "mapA": _bpe("m", 500, [(500, "<s>"), (501, "</s>")]),
    "mapB": _bpe("m", 500, [(500, "<s>"), (501, "</s>")], shuffle=7),
}
TOKENIZER_CONFIGS = {
    "qwen2": {"tokenizer_class": "Qwen2Tokenizer", "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
              "chat_template": "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"},
    "llama3": {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>",
               "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}"},
    "mapA": {"tokenizer_class": "LlamaTokenizerFast", "bos_token": "<s>", "eos_token": "</s>"},
}
TOKENIZER_CONFIGS["qwen3"] = TOKENIZER_CONFIGS["qwen2"]
TOKENIZER_CONFIGS["mapB"] = TOKENIZER_CONFIGS["mapA"]


def qwen2_config(h: int, layers: int, inter: int, heads: int, kv: int, vocab: int, tie: bool, **extra: Any) -> dict[str, Any]:
    cfg = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": h, "num_hidden_layers": layers,
           "intermediate_size": inter, "num_attention_heads": heads, "num_key_value_heads": kv, "vocab_size": vocab,
           "tie_word_embeddings": tie, "max_position_embeddings": 32768, "sliding_window": 131072,
           "use_sliding_window": False, "rope_theta": 1000000.0, "bos_token_id": QWEN_BASE, "eos_token_id": QWEN_BASE + 2,
           "torch_dtype": "bfloat16", "hidden_act": "silu", "rms_norm_eps": 1e-6}
    cfg.update(extra)
    return cfg


def llama_config(h: int, layers: int, inter: int, heads: int, kv: int, head_dim: int, tie: bool) -> dict[str, Any]:
    return {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": h, "num_hidden_layers": layers,
            "intermediate_size": inter, "num_attention_heads": heads, "num_key_value_heads": kv, "head_dim": head_dim,
            "vocab_size": 128256, "tie_word_embeddings": tie, "max_position_embeddings": 131072,
            "bos_token_id": LLAMA_BASE, "eos_token_id": [LLAMA_BASE + 1, LLAMA_BASE + 8, LLAMA_BASE + 9],
            "dtype": "bfloat16", "attention_bias": False, "mlp_bias": False}


@dataclass
class FakeModel:
    id: str
    config: dict[str, Any] | None
    tokenizer: str | None = None
    params: int | None = None  # safetensors total (published counts)
    dtypes: dict[str, int] | None = None
    gated: bool = False
    tags: list[str] = field(default_factory=list)
    base_model: str | None = None
    base_relation: str | None = None
    pipeline_tag: str = "text-generation"
    list_siblings: bool = True
    generation_config: dict[str, Any] | None = None
    behaviour: str = ""  # "", "ratelimit-once", "stall", "malformed-config"

    @property
    def sha(self) -> str:
        return hashlib.sha1(self.id.encode()).hexdigest()

    def files(self) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        if self.config is not None:
            out["config.json"] = b"{not json" if self.behaviour == "malformed-config" else json.dumps(self.config).encode()
        if self.tokenizer is not None:
            out["tokenizer.json"] = json.dumps(TOKENIZERS[self.tokenizer]).encode()
            out["tokenizer_config.json"] = json.dumps(TOKENIZER_CONFIGS[self.tokenizer]).encode()
        if self.generation_config is not None:
            out["generation_config.json"] = json.dumps(self.generation_config).encode()
        out["model.safetensors.index.json"] = b"{}"
        return out

    def info(self) -> dict[str, Any]:
        tags = list(self.tags) + ["transformers", "safetensors"]
        if self.base_model:
            tags.append(f"base_model:{self.base_model}")
            if self.base_relation:
                tags.append(f"base_model:{self.base_relation}:{self.base_model}")
        d: dict[str, Any] = {"id": self.id, "_id": self.sha[:24], "modelId": self.id, "author": self.id.split("/")[0],
                             "sha": self.sha, "tags": tags, "gated": "manual" if self.gated else False,
                             "pipeline_tag": self.pipeline_tag, "library_name": "transformers", "private": False}
        if self.params:
            d["safetensors"] = {"parameters": self.dtypes or {"BF16": self.params}, "total": self.params}
        if self.config:
            d["config"] = {"architectures": self.config.get("architectures"), "model_type": self.config.get("model_type")}
        if self.base_model:
            d["cardData"] = {"base_model": self.base_model, "base_model_relation": self.base_relation}
            d["baseModels"] = {"relation": self.base_relation, "models": [{"_id": "x", "id": self.base_model}]}
        if self.list_siblings:
            d["siblings"] = [{"rfilename": f} for f in self.files()]
        return d


GEN_QWEN = {"bos_token_id": QWEN_BASE, "eos_token_id": [QWEN_BASE + 2, QWEN_BASE]}


def default_models() -> list[FakeModel]:
    q = "Qwen/Qwen2.5-{}-Instruct"
    models = [
        FakeModel(q.format("72B"), qwen2_config(8192, 80, 29568, 64, 8, 152064, False), "qwen2", 72_706_203_648,
                  generation_config=GEN_QWEN),
        FakeModel(q.format("32B"), qwen2_config(5120, 64, 27648, 40, 8, 152064, False), "qwen2", 32_763_876_352),
        FakeModel(q.format("14B"), qwen2_config(5120, 48, 13824, 40, 8, 152064, False), "qwen2", 14_770_033_664),
        FakeModel(q.format("7B"), qwen2_config(3584, 28, 18944, 28, 4, 152064, False), "qwen2", 7_615_616_512),
        FakeModel(q.format("3B"), qwen2_config(2048, 36, 11008, 16, 2, 151936, True), "qwen2", 3_085_938_688,
                  generation_config=GEN_QWEN),
        FakeModel(q.format("1.5B"), qwen2_config(1536, 28, 8960, 12, 2, 151936, True), "qwen2", 1_543_714_304),
        FakeModel(q.format("0.5B"), qwen2_config(896, 24, 4864, 14, 2, 151936, True), "qwen2", 494_032_768),
        # a quantized variant of a draft (AWQ: packed I32 weights make the safetensors total wrong)
        FakeModel("Qwen/Qwen2.5-1.5B-Instruct-AWQ",
                  qwen2_config(1536, 28, 8960, 12, 2, 151936, True, torch_dtype="float16", quantization_config={
                      "quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": True, "version": "gemm"}),
                  "qwen2", 432_000_000, dtypes={"I32": 165_000_000, "F16": 267_000_000},
                  base_model=q.format("1.5B"), base_relation="quantized"),
        # an official-style draft repo, padded to the target's rows
        FakeModel("drafts-org/Qwen2.5-72B-Instruct-DRAFT-0.5B", qwen2_config(896, 24, 4864, 14, 2, 152064, True), "qwen2",
                  494_146_560, base_model=q.format("0.5B"), base_relation="finetune"),
        # a fine-tune of the 72B that is not in any catalog (lineage -> catalog key)
        FakeModel("my-org/qwen72-support-ft", qwen2_config(8192, 80, 29568, 64, 8, 152064, False), "qwen2", 72_706_203_648,
                  base_model=q.format("72B"), base_relation="finetune"),
        # Qwen3-like: same base vocabulary, more added tokens -> superset of the Qwen2.5 tokenizer
        FakeModel("Qwen/Qwen3-0.6B", {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 1024,
                                      "num_hidden_layers": 28, "intermediate_size": 3072, "num_attention_heads": 16,
                                      "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 151936,
                                      "tie_word_embeddings": True, "max_position_embeddings": 40960,
                                      "bos_token_id": QWEN_BASE, "eos_token_id": QWEN_BASE + 2, "torch_dtype": "bfloat16"},
                  "qwen3", 596_049_920),
        # a Llama-3 pair
        FakeModel("meta-llama/Llama-3.1-70B-Instruct", llama_config(8192, 80, 28672, 64, 8, 128, False), "llama3",
                  70_553_706_496),
        FakeModel("meta-llama/Llama-3.2-1B-Instruct", llama_config(2048, 16, 8192, 32, 8, 64, True), "llama3", 1_235_814_400),
        # equal sizes, different id maps
        FakeModel("acme/Mapper-7B", llama_config(4096, 32, 11008, 32, 32, 128, False) | {"vocab_size": 32000},
                  "mapA", 6_738_415_616),
        FakeModel("other/Mapper-1B", llama_config(2048, 22, 5632, 32, 4, 64, False) | {"vocab_size": 32000},
                  "mapB", 1_100_048_384),
        # an MoE target (Qwen3-30B-A3B shapes)
        FakeModel("moe-org/MoE-30B-A3B", {"architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe",
                                          "hidden_size": 2048, "num_hidden_layers": 48, "intermediate_size": 6144,
                                          "moe_intermediate_size": 768, "num_experts": 128, "num_experts_per_tok": 8,
                                          "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128,
                                          "vocab_size": 151936, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
                                          "bos_token_id": QWEN_BASE, "eos_token_id": QWEN_BASE + 2},
                  "qwen3", 30_532_122_624),
        # an FP8 draft
        FakeModel("RedHatAI/Qwen2.5-3B-Instruct-FP8", qwen2_config(2048, 36, 11008, 16, 2, 151936, True, quantization_config={
            "quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": [128, 128]}),
                  "qwen2", 3_085_938_688, dtypes={"F8_E4M3": 2_774_000_000, "BF16": 311_938_688},
                  base_model=q.format("3B"), base_relation="quantized"),
        FakeModel("gated-org/Gated-8B", llama_config(4096, 32, 14336, 32, 8, 128, False), "llama3", 8_030_261_248, gated=True),
        FakeModel("nofiles/NoTokenizer-1B", qwen2_config(1536, 28, 8960, 12, 2, 151936, True), None, 1_543_714_304,
                  list_siblings=False),
        FakeModel("flaky/RateLimited-1B", qwen2_config(1536, 28, 8960, 12, 2, 151936, True), "qwen2", 1_543_714_304,
                  behaviour="ratelimit-once"),
        FakeModel("stall/Stalled-1B", qwen2_config(1536, 28, 8960, 12, 2, 151936, True), "qwen2", behaviour="stall"),
        FakeModel("broken/Broken-1B", qwen2_config(1536, 28, 8960, 12, 2, 151936, True), "qwen2",
                  behaviour="malformed-config"),
    ]
    return models


def bench_family(n: int) -> list[FakeModel]:
    """A target and `n` small drafts of one family, for the fetch benchmark."""
    target = FakeModel("bench/BenchLM-70B", llama_config(8192, 80, 28672, 64, 8, 128, False), "llama3", 70_553_706_496)
    drafts = [FakeModel(f"bench/BenchLM-1B-v{i}", llama_config(2048, 16, 8192, 32, 8, 64, True), "llama3", 1_235_814_400)
              for i in range(n)]
    return [target, *drafts]


# -- faults -----------------------------------------------------------------------------------------

FAULT_KINDS = ("status", "truncate", "html", "drip", "drip-headers", "reset", "wrong-json")
HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Service unavailable</title></head>"
             b"<body><h1>Our servers are busy</h1><p>Please try again later.</p></body></html>\n")


@dataclass
class Fault:
    """How the fake Hub misbehaves for the requests in `scope`: "api" (model info), "list" (listing), "file"
    (resolve/ URLs) or "all". `times`: only the first N matching requests fail (None: all of them)."""

    kind: str
    scope: str = "all"
    status: int = 500
    retry_after: str | None = None  # sent with a status fault when set
    error_code: str | None = None  # X-Error-Code sent with a status fault
    times: int | None = None
    drip_interval: float = 0.1  # seconds between bytes (drip kinds)

    def __post_init__(self) -> None:
        assert self.kind in FAULT_KINDS and self.scope in ("api", "list", "file", "all"), self


# -- the server --------------------------------------------------------------------------------------


class FakeHub:
    def __init__(self, models: list[FakeModel] | None = None, latency: float = 0.0, stall_seconds: float = 30.0) -> None:
        self.models = {m.id.lower(): m for m in (models if models is not None else default_models())}
        self.latency = latency
        self.stall_seconds = stall_seconds
        self.requests: list[tuple[str, str]] = []
        self.stamps: list[float] = []  # time.monotonic() of each request, same order as `requests`
        self.scopes: list[str] = []  # "api", "list", "file" or "other" for each request
        self.fault: Fault | None = None
        self.faulted = 0  # requests answered by the fault
        self.authorized = 0  # requests that carried an Authorization header (the token's value is never kept)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ratelimited: set[str] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.server.handle_error = lambda *_a: None  # type: ignore[method-assign]  # faults break sockets on purpose
        self.thread = threading.Thread(target=self.server.serve_forever, name="fakehub", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.stamps.clear()
            self.scopes.clear()
            self.faulted = 0

    def count_scope(self, scope: str) -> int:
        with self._lock:
            return sum(1 for s in self.scopes if s == scope)

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- routing -----------------------------------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler, head: bool) -> None:
        parts = urlsplit(h.path)
        path = unquote(parts.path)
        segs = [s for s in path.split("/") if s]
        scope = ("list" if path == "/api/models" else "api" if len(segs) >= 4 and segs[:2] == ["api", "models"]
                 else "file" if len(segs) >= 5 and segs[2] == "resolve" else "other")
        with self._lock:
            self.requests.append((h.command, h.path))
            self.stamps.append(time.monotonic())
            self.scopes.append(scope)
            self.authorized += bool(h.headers.get("Authorization"))
            fault = self.fault
            if fault is not None and fault.scope in (scope, "all") and (fault.times is None or self.faulted < fault.times):
                self.faulted += 1
            else:
                fault = None
        if self.latency:
            time.sleep(self.latency)
        if fault is not None:
            return self._misbehave(h, fault, scope, head)
        if path == "/api/models":
            return self._listing(h, parse_qs(parts.query), head)
        if len(segs) >= 4 and segs[:2] == ["api", "models"]:
            rev = segs[5] if len(segs) >= 6 and segs[4] == "revision" else None
            return self._info(h, f"{segs[2]}/{segs[3]}", rev, head)
        if len(segs) >= 5 and segs[2] == "resolve":
            return self._file(h, f"{segs[0]}/{segs[1]}", segs[3], "/".join(segs[4:]), head)
        return self._send(h, 404, b'{"error":"not found"}', head)

    def _model(self, repo: str) -> FakeModel | None:
        return self.models.get(repo.lower())

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, head: bool, headers: dict[str, str] | None = None,
              ctype: str = "application/json") -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        if not head:
            h.wfile.write(body)

    def _error(self, h: BaseHTTPRequestHandler, status: int, code: str, message: str, head: bool,
               extra: dict[str, str] | None = None) -> None:
        self._send(h, status, json.dumps({"error": message}).encode(), head,
                   {"X-Error-Code": code, "X-Error-Message": message, **(extra or {})})

    def _misbehave(self, h: BaseHTTPRequestHandler, f: Fault, scope: str, head: bool) -> None:
        if f.kind == "status":
            extra = {"Retry-After": f.retry_after} if f.retry_after is not None else {}
            if f.error_code:
                extra["X-Error-Code"] = f.error_code
            return self._send(h, f.status, json.dumps({"error": f"fake fault: HTTP {f.status}"}).encode(), head, extra)
        if f.kind == "html":
            return self._send(h, 200, HTML_PAGE, head, ctype="text/html; charset=utf-8")
        if f.kind == "wrong-json":
            body = b'{"models": "not a list"}' if scope == "list" else b'["not", "a", "model", "info"]'
            return self._send(h, 200, body, head)
        h.close_connection = True
        try:
            if f.kind == "reset":  # RST instead of an answer
                h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                h.connection.close()
            elif f.kind == "truncate":  # promise more than is sent, then close
                h.send_response(200)
                h.send_header("Content-Type", "application/json")
                h.send_header("Content-Length", str(len(HTML_PAGE) * 4))
                h.end_headers()
                h.wfile.write(b'{"id": "truncated", "tags": ["a", "b"')
                h.wfile.flush()
                h.connection.shutdown(socket.SHUT_RDWR)
            elif f.kind == "drip":  # a valid answer, one byte at a time
                body = json.dumps({"id": "drip", "padding": "x" * 400}).encode()
                h.send_response(200)
                h.send_header("Content-Type", "application/json")
                h.send_header("Content-Length", str(len(body)))
                h.end_headers()
                self._drip(h, body, f.drip_interval)
            elif f.kind == "drip-headers":  # the status line and headers, one byte at a time
                self._drip(h, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"x" * 400 +
                           b"\r\nContent-Length: 2\r\n\r\n{}", f.drip_interval)
        except OSError:
            pass  # the client gave up: that is the point
        return None

    def _drip(self, h: BaseHTTPRequestHandler, data: bytes, interval: float) -> None:
        for i in range(len(data)):
            if self._stop.wait(interval):
                return
            h.wfile.write(data[i:i + 1])
            h.wfile.flush()

    def _stall(self) -> None:
        self._stop.wait(self.stall_seconds)

    def _info(self, h: BaseHTTPRequestHandler, repo: str, rev: str | None, head: bool) -> None:
        m = self._model(repo)
        if m is None:
            return self._error(h, 404, "RepoNotFound", "Repository not found", head)
        if m.behaviour == "stall":
            self._stall()
            return None
        if m.behaviour == "ratelimit-once" and m.id not in self._ratelimited:
            self._ratelimited.add(m.id)
            return self._error(h, 429, "RateLimited", "Too many requests", head, {"Retry-After": "0"})
        if rev is not None and rev not in ("main", m.sha):
            return self._error(h, 404, "RevisionNotFound", "Invalid rev id", head)
        return self._send(h, 200, json.dumps(m.info()).encode(), head)

    def _file(self, h: BaseHTTPRequestHandler, repo: str, rev: str, filename: str, head: bool) -> None:
        m = self._model(repo)
        if m is None:
            return self._error(h, 404, "RepoNotFound", "Repository not found", head)
        if rev not in ("main", m.sha):
            return self._error(h, 404, "RevisionNotFound", "Invalid rev id", head)
        if m.gated:
            return self._error(h, 401, "GatedRepo", "Access to model is restricted. You must have access to it.", head)
        files = m.files()
        if filename not in files:
            return self._error(h, 404, "EntryNotFound", "Entry not found", head, {"X-Repo-Commit": m.sha})
        body = files[filename]
        etag = hashlib.sha1(body).hexdigest()
        return self._send(h, 200, body, head, {"X-Repo-Commit": m.sha, "ETag": f'"{etag}"'}, ctype="text/plain")

    def _listing(self, h: BaseHTTPRequestHandler, q: dict[str, list[str]], head: bool) -> None:
        author = (q.get("author") or [None])[0]
        search = (q.get("search") or [None])[0]
        filters = q.get("filter") or []
        limit = int((q.get("limit") or ["1000"])[0])
        out = []
        for m in self.models.values():
            info = m.info()
            if author and info["author"].lower() != author.lower():
                continue
            if search and search.lower() not in m.id.lower():
                continue
            if any(f not in info["tags"] for f in filters):
                continue
            out.append({k: info[k] for k in ("id", "author", "tags", "pipeline_tag", "gated") if k in info}
                       | ({"safetensors": info["safetensors"]} if "safetensors" in info else {}))
        return self._send(h, 200, json.dumps(out[:limit]).encode(), head)


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and the client's
        # delayed ACK hold every response back ~40 ms, which no real Hub does
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802
            hub.handle(self, head=False)

        def do_HEAD(self) -> None:  # noqa: N802
            hub.handle(self, head=True)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def finish(self) -> None:
            try:
                super().finish()
            except OSError:
                pass  # a fault closed or reset the socket

    return Handler
