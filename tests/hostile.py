"""Hostile inputs shared by the fuzz and fault suite (tests/test_robust.py) and the sweep (benchmarks/robust_sweep.py).

Everything here is synthetic and written for these tests. The shapes mimic public forms: vLLM launch lines
(`vllm serve MODEL --speculative-config '{json}'`, the form of vLLM >= 0.8's docs/features/spec_decode.md),
Dockerfiles with shell-form and exec-form CMD (Dockerfile reference), Kubernetes container `args` lists, and
Hub answers (`/api/models/{id}` model info, `config.json`, `tokenizer.json` of the `tokenizers` library's
JSON layout). A `HostileServer` plays a Hub on 127.0.0.1 that answers whatever a test asks for.
"""

from __future__ import annotations

import json
import os
import random
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TARGET = "meta-llama/Llama-3.1-70B-Instruct"
DRAFT = "meta-llama/Llama-3.2-1B-Instruct"
SERVE = f"vllm serve {TARGET} --tensor-parallel-size 4 --speculative-config "


def spec_json(k: Any = 4, model: str = DRAFT) -> str:
    return json.dumps({"model": model, "num_speculative_tokens": k})


# -- hostile deployment configs (check) ----------------------------------------------------------------


def hostile_configs(scale: int = 1) -> dict[str, bytes]:
    """file name -> content: every shape that crashed or stalled `check` (issue #15), at `scale` x a base size."""
    deep = "[" * (50_000 * scale)
    return {
        "deep-array.sh": (SERVE + "'" + deep + "'\n").encode(),
        "deep-object.sh": (SERVE + "'" + '{"a":' * (20_000 * scale) + "'\n").encode(),
        "digits.sh": (SERVE + "'" + spec_json(int("9" * 30)).replace("9" * 30, "9" * (5_000 * scale)) + "'\n").encode(),
        "digits-flag.sh": (f"vllm serve {TARGET} --speculative-model {DRAFT} --num-speculative-tokens "
                           + "7" * (5_000 * scale) + "\n").encode(),
        "Dockerfile": ("FROM vllm/vllm-openai:v0.8.5\nCMD vllm serve " + TARGET + " " * (60_000 * scale) + "x\n").encode(),
        "exec.Dockerfile": ('FROM vllm/vllm-openai:v0.8.5\nCMD ["vllm", "serve",' + " " * (60_000 * scale) + "\n").encode(),
        "launches.sh": ((SERVE + "'" + spec_json() + "'\n") * (20_000 * scale)).encode(),
        "continuations.sh": (f"vllm serve {TARGET} \\\n" + "  --max-num-seqs 64 \\\n" * (100_000 * scale)
                             + f"  --speculative-config '{spec_json()}'\n").encode(),
        "k8s-deep.yaml": ('apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: vllm\n    image: vllm/vllm-openai\n'
                          '    args: ["--model", "' + TARGET + '", "--speculative-config", "' + "[" * (50_000 * scale)
                          + '"]\n').encode(),
        "vllm-digits.yaml": (f"model: {TARGET}\nspeculative_config:\n  model: {DRAFT}\n  num_speculative_tokens: "
                             + "8" * 4000 + "\n").encode(),
        "vllm-json-digits.yaml": (f"model: {TARGET}\nspeculative-config: '" + spec_json(1).replace("1}", "1" * 5000 + "}")
                                  + "'\n").encode(),
        "newline-id.sh": (SERVE + "'" + json.dumps({"model": "evil/\n::error file=x::forged", "num_speculative_tokens": 4})
                          + "'\n").encode(),
        "alias-bomb.yaml": (b"a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                            b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                            b"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
                            b"g: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"),
        "block-list.yaml": ("items:\n" + "- x\n" * (200_000 * scale)).encode(),
        "binary.sh": b"vllm serve \x00\xff\xfe" * 100,
        "bad-utf8.sh": b"vllm serve caf\xe9 --speculative-config '{}'\n",
        "unterminated.sh": (SERVE + "'{\"model\": \"x\"\n").encode(),
    }


def random_launch(rng: random.Random) -> str:
    """One random, often malformed, vLLM/SGLang/llama.cpp launch line (the sweep's argument fuzzing of configs)."""
    pieces = [rng.choice(["vllm serve", "python -m vllm.entrypoints.openai.api_server --model",
                          "python -m sglang.launch_server --model-path", "llama-server -m", "trtllm-serve"]),
              rng.choice([TARGET, DRAFT, "Qwen/Qwen2.5-7B-Instruct", "x" * rng.randint(0, 300), "évil/\tmodel",
                          "a/b\n::error::x", "../../etc/passwd"])]
    for _ in range(rng.randint(0, 8)):
        flag = rng.choice(["--speculative-config", "--num-speculative-tokens", "--speculative-model", "--tp",
                           "--tensor-parallel-size", "--speculative-algorithm", "--speculative-num-steps", "-md",
                           "--draft-max", "--max-model-len", "--unknown"])
        value = rng.choice([
            "'" + spec_json(rng.choice([4, -1, 0, 10**6, "4", None, 1.5, True])) + "'",
            "'" + "[" * rng.randint(1, 200) + "'", "'{\"model\": " + "9" * rng.randint(1, 6000) + "}'",
            str(rng.randint(-10, 10**rng.randint(1, 30))), "'unterminated", '"a\\"b"', "$(rm -rf /)", "`id`",
            "\\\n", "nan", "inf", "0x10", "1e999", "", "é" * rng.randint(0, 50)])
        pieces += [flag, value]
    return " ".join(pieces) + "\n"


# -- filesystem faults ---------------------------------------------------------------------------------


def special_paths(tmp: Path) -> dict[str, Path]:
    """Paths that are not regular files, or names a file system refuses: what every reader must turn into one line."""
    tmp.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    fifo = tmp / "fifo.yaml"
    if not fifo.exists():
        os.mkfifo(fifo)
    out["fifo"] = fifo
    zero = tmp / "zero.yaml"
    if not os.path.lexists(zero):
        os.symlink("/dev/zero", zero)
    out["dev-zero-link"] = zero
    out["dev-zero"] = Path("/dev/zero")
    d = tmp / "adir.yaml"
    d.mkdir(exist_ok=True)
    out["directory"] = d
    out["long-name"] = tmp / ("n" * 300 + ".yaml")
    out["invalid-utf8-name"] = Path(os.fsdecode(bytes(tmp) + b"/caf\xe9\xff.yaml"))
    out["missing"] = tmp / "missing.yaml"
    dangling = tmp / "dangling.yaml"
    if not os.path.lexists(dangling):
        os.symlink(tmp / "nowhere" / "x.yaml", dangling)
    out["dangling-link"] = dangling
    loop = tmp / "loop.yaml"
    if not os.path.lexists(loop):
        os.symlink(loop, loop)
    out["symlink-loop"] = loop
    under = tmp / "plain.txt"
    under.write_text("x")
    out["under-a-file"] = under / "x.yaml"
    return out


# -- a hostile Hub on loopback ---------------------------------------------------------------------------

Route = tuple[int, dict[str, str], bytes]


class HostileServer:
    """A loopback HTTP server answering each path from `routes` (exact path, query ignored), else 404 EntryNotFound.

    A route value is (status, headers, body) or a callable returning one. `hits` counts requests per path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route | Callable[[], Route]] = {}
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                with server._lock:
                    server.hits[path] = server.hits.get(path, 0) + 1
                route = server.routes.get(path)
                if route is None:
                    status, headers, body = 404, {"X-Error-Code": "EntryNotFound"}, b'{"error": "not found"}'
                else:
                    status, headers, body = route() if callable(route) else route
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def model(self, repo: str, *, info: Any = None, files: dict[str, bytes] | None = None) -> None:
        """Serve `repo` with the given model info (default: a plain one listing `files`) and files."""
        files = files if files is not None else {"config.json": json.dumps(small_config()).encode()}
        body = info if isinstance(info, bytes) else json.dumps(
            info if info is not None else {"id": repo, "siblings": [{"rfilename": f} for f in files]}
        ).encode()
        self.routes[f"/api/models/{repo}"] = (200, {}, body)
        for name, data in files.items():
            self.routes[f"/{repo}/resolve/main/{name}"] = (200, {"Content-Type": "text/plain"}, data)


def small_config(**over: Any) -> dict[str, Any]:
    """A Llama-3.2-1B-shaped config.json (the public layout of transformers' LlamaConfig)."""
    cfg: dict[str, Any] = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 2048,
                           "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32,
                           "num_key_value_heads": 8, "head_dim": 64, "vocab_size": 128256, "tie_word_embeddings": True,
                           "max_position_embeddings": 131072, "torch_dtype": "bfloat16", "bos_token_id": 128000,
                           "eos_token_id": 128001}
    cfg.update(over)
    return cfg


def tokenizer_json(n: int) -> bytes:
    """A BPE tokenizer.json of `n` tokens in the `tokenizers` library's layout."""
    return json.dumps({"version": "1.0", "added_tokens": [], "normalizer": None, "pre_tokenizer": {"type": "ByteLevel"},
                       "model": {"type": "BPE", "vocab": {f"t{i}": i for i in range(n)}, "merges": []}}).encode()


def deep_json(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def files_under(root: Path) -> Iterator[Path]:
    for dirpath, _dirs, names in os.walk(root):
        for n in names:
            yield Path(dirpath) / n
