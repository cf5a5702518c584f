"""Which command in a script launches an engine, and the engine's own words from it.

Real scripts rarely start with `vllm serve`: the launch hides behind `exec`, `nohup`, `conda run -n X`,
`uv run`, `srun`, `timeout`, `sudo -E`, `CUDA_VISIBLE_DEVICES=0`, `docker run IMAGE ...`, a wrapper
with `... -- cmd`, an interpreter named by a variable (`"$PY" -m sglang.launch_server`) or a binary
path (`"$BIN/llama-server"`). `find_launch` strips all of that and returns the words from the engine
program on, in the form `sites.site_from_command` reads, plus the container image when there is one.
Words are already expanded (`shellenv.expand`); a variable nobody set stays `$NAME`.

Image entrypoints (what `docker run IMAGE --flags` runs), from the images' Dockerfiles:
- vllm/vllm-openai: `ENTRYPOINT ["vllm", "serve"]` (vllm-project/vllm docker/Dockerfile; before the
  CLI existed, `python3 -m vllm.entrypoints.openai.api_server`, which takes the same flags).
- ghcr.io/ggml-org/llama.cpp:server* (and the older ghcr.io/ggerganov/ name): `ENTRYPOINT ["/app/llama-server"]`
  (ggml-org/llama.cpp .devops/*.Dockerfile, `server` stage); `:full*` runs `/app/tools.sh`, whose
  `--server`/`-s` argument starts llama-server with the rest.
- ghcr.io/huggingface/text-generation-inference: `ENTRYPOINT ["text-generation-launcher"]`.
- lmsysorg/sglang and nvcr.io/nvidia/tensorrt-llm/release set no engine entrypoint: the command is
  given after the image (`python3 -m sglang.launch_server ...`, `trtllm-serve ...`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from specadvisor.check.shell import Word

# Engine programs by the last component of their path (the engine is decided by sites.identify).
PROGRAMS = frozenset({"llama-server", "llama-speculative", "llama-speculative-simple", "trtllm-serve",
                      "text-generation-launcher"})
# `python -m` modules that serve an engine, and the module sites.identify knows them by.
MODULES = {
    "vllm.entrypoints.openai.api_server": "vllm.entrypoints.openai.api_server",
    "vllm.entrypoints.api_server": "vllm.entrypoints.openai.api_server",
    "sglang.launch_server": "sglang.launch_server",
    "sglang_router.launch_server": "sglang.launch_server",  # the router starts sglang servers with these flags
}
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh"})
# Commands that run the rest of their words as a command (options first).
WRAPPERS = frozenset({
    "exec", "nohup", "time", "command", "builtin", "setsid", "stdbuf", "nice", "ionice", "chrt", "taskset",
    "numactl", "timeout", "sudo", "doas", "env", "caffeinate", "unbuffer", "xvfb-run", "srun", "mpirun", "mpiexec",
    "uvx", "pipx", "nsys", "ncu", "watch", "flock", "systemd-run", "runuser", "chpst", "s6-setuidgid", "gosu",
    "su-exec", "tini", "dumb-init", "catchsegv", "strace", "ltrace", "valgrind", "taskpolicy", "ssh", "screen",
    "tmux", "xargs", "trtllm-llmapi-launch", "torchrun", "accelerate", "deepspeed", "ray",
})
# `X run ...` tools: conda/mamba/micromamba environments, uv, poetry, pipenv, pdm, hatch, pixi, rye.
RUN_TOOLS = frozenset({"conda", "mamba", "micromamba", "uv", "poetry", "pipenv", "pdm", "hatch", "pixi", "rye"})
CONTAINER_TOOLS = frozenset({"docker", "podman", "nerdctl", "finch", "nvidia-docker"})
SKIP_HEADS = frozenset({"then", "do", "else", "elif", "{", "}", "!", "if", "while", "until", "("})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
# docker run options that take no value; every other option takes one (`--gpus all`, `-v a:b`).
_DOCKER_BOOL_LONG = frozenset({"--rm", "--detach", "--interactive", "--tty", "--privileged", "--init", "--read-only",
                               "--publish-all", "--no-healthcheck", "--oom-kill-disable", "--quiet", "--help",
                               "--use-api-socket"})
_DOCKER_BOOL_SHORT = frozenset("ditPq")

IMAGE_ENTRYPOINTS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"(^|/)vllm-openai(:|@|$)|(^|/)vllm/vllm[-a-z]*(:|@|$)|(^|/)vllm:", re.IGNORECASE), ("vllm", "serve")),
    (re.compile(r"llama\.cpp:server", re.IGNORECASE), ("llama-server",)),
    (re.compile(r"text-generation-inference", re.IGNORECASE), ("text-generation-launcher",)),
)
_LLAMACPP_FULL = re.compile(r"llama\.cpp:full", re.IGNORECASE)


def implied_program(image: str | None) -> tuple[str, ...]:
    """The program an engine image runs when only arguments are given (empty when unknown)."""
    if not image:
        return ()
    for pattern, program in IMAGE_ENTRYPOINTS:
        if pattern.search(image):
            return program
    return ()


@dataclass(frozen=True)
class Launch:
    """An engine launch: its words from the program on, and the container image if known."""

    words: list[Word]
    image: str | None = None


@dataclass(frozen=True)
class Nested:
    """`bash -c SCRIPT` (or `su -c`, `ssh host 'cmd'`): the script word, to be read as a script."""

    script: Word
    image: str | None = None


def _base(text: str) -> str:
    name = text.rstrip("/").rsplit("/", 1)[-1]
    return name[:-4] if name.lower().endswith(".exe") else name  # llama-server.exe in Windows scripts


def _program_at(words: list[Word], i: int) -> list[Word] | None:
    """The engine words when words[i] is an engine program (or an interpreter running one)."""
    w = words[i].text
    name = _base(w)
    if name in PROGRAMS:
        prog = Word(name, words[i].offset) if w.lower().endswith(".exe") else words[i]
        if name == "trtllm-serve" and i + 1 < len(words) and words[i + 1].text == "serve":
            return [prog, *words[i + 2:]]  # `trtllm-serve serve MODEL`: the subcommand of newer releases
        return [prog, *words[i + 1:]]
    if name == "vllm" and i + 1 < len(words) and words[i + 1].text == "serve":
        return words[i:]
    if name == "ollama" and i + 1 < len(words) and words[i + 1].text in ("serve", "run", "create"):
        return words[i:]
    # python -m MODULE, with interpreter options before -m; the interpreter may be any path or a variable
    j = i + 1
    while j < len(words) and j <= i + 4 and words[j].text.startswith("-") and words[j].text != "-m":
        j += 1
    if j + 1 < len(words) and words[j].text == "-m" and words[j + 1].text in MODULES:
        if name.startswith("python") or w.startswith("$") or "python" in w or name in ("uv", "pypy3"):
            module = MODULES[words[j + 1].text]
            return [Word("python3", words[i].offset), Word("-m", words[j].offset),
                    Word(module, words[j + 1].offset), *words[j + 2:]]
    if w.startswith("$") and "LLAMA" in w.upper() and "SERVER" in w.upper():  # "${LLAMA_SERVER_BIN}" unset
        return [Word("llama-server", words[i].offset), *words[i + 1:]]
    return None


def find_launch(words: list[Word], image: str | None = None, depth: int = 0) -> Launch | Nested | None:
    """The engine launch in one (expanded) command, a nested script to read, or None."""
    if depth > 4 or not words:
        return None
    i = 0
    while i < len(words) and (_ASSIGNMENT.match(words[i].text) or words[i].text in SKIP_HEADS):
        i += 1
    if i >= len(words):
        return None
    direct = _direct(words, i, image, depth)
    if direct is not None:
        return direct
    head = _base(words[i].text)
    if head == "eval" and i + 1 < len(words):  # eval "$CMD": its words joined are read again as a script
        return Nested(Word(" ".join(w.text for w in words[i + 1:]), words[i + 1].offset), image)
    if head in WRAPPERS or (head in RUN_TOOLS and i + 1 < len(words) and words[i + 1].text == "run") \
            or (head in CONTAINER_TOOLS and i + 1 < len(words) and words[i + 1].text == "exec") \
            or head in ("kubectl", "oc"):
        for j in range(i + 1, len(words)):
            if words[j].text == "--" and head not in ("kubectl", "oc"):
                return find_launch(words[j + 1:], image, depth + 1)
            found = _direct(words, j, image, depth)
            if found is not None:
                return found
            if head in ("ssh", "su", "runuser") and " " in words[j].text and j == len(words) - 1:
                return Nested(words[j], image)  # ssh host 'cmd ...'
        if head in ("tmux", "screen", "watch"):  # tmux new -d "cmd", tmux send-keys "cmd" C-m
            spaced = [w for w in words[i + 1:] if " " in w.text]
            if spaced:
                return Nested(max(spaced, key=lambda w: len(w.text)), image)
        return None
    if "--" in (w.text for w in words[i:]):
        k = next(k for k in range(i, len(words)) if words[k].text == "--")
        return find_launch(words[k + 1:], image, depth + 1)
    return None


def _direct(words: list[Word], i: int, image: str | None, depth: int) -> Launch | Nested | None:
    """A launch that starts exactly at words[i]: a program, a shell -c, a container run."""
    prog = _program_at(words, i)
    if prog is not None:
        return Launch(prog, image)
    name = _base(words[i].text)
    if name in SHELLS or name == "su":
        for j in range(i + 1, min(len(words), i + 4)):
            if re.fullmatch(r"-[a-z]*c[a-z]*", words[j].text) and j + 1 < len(words):  # -c, -lc, -ec
                return Nested(words[j + 1], image)
            if not words[j].text.startswith("-"):
                break
        return None
    if name in CONTAINER_TOOLS and i + 1 < len(words):
        k = i + 1
        if words[k].text == "container" and k + 1 < len(words):
            k += 1
        if words[k].text == "run":
            return _container_run(words, k + 1, depth)
        if words[k].text == "compose":
            return None
    if name in ("apptainer", "singularity") and i + 2 < len(words) and words[i + 1].text in ("exec", "run"):
        k = i + 2
        while k < len(words) and words[k].text.startswith("-"):
            k += 1
        if k < len(words):
            return find_launch(words[k + 1:], words[k].text, depth + 1)
    return None


def _container_run(words: list[Word], k: int, depth: int) -> Launch | Nested | None:
    """`docker run [options] IMAGE [command/args]`: the engine launch inside the container."""
    entrypoint: Word | None = None
    while k < len(words):
        t = words[k].text
        if t == "--":
            k += 1
            break
        if not t.startswith("-") or t == "-":
            break
        if "=" in t and t.startswith("--"):
            if t.startswith("--entrypoint="):
                entrypoint = Word(t.split("=", 1)[1], words[k].offset)
            k += 1
            continue
        if t in _DOCKER_BOOL_LONG or (not t.startswith("--") and set(t[1:]) <= _DOCKER_BOOL_SHORT):
            k += 1
            continue
        if t == "--entrypoint" and k + 1 < len(words):
            entrypoint = words[k + 1]
        k += 2
    if k >= len(words):
        return None
    image_word = words[k]
    image = image_word.text
    rest = words[k + 1:]
    if entrypoint is not None and entrypoint.text:
        return find_launch([entrypoint, *rest], image, depth + 1) or _implied(image, rest, image_word)
    if _LLAMACPP_FULL.search(image):  # tools.sh: --server (or -s) runs llama-server with the rest
        if rest and rest[0].text in ("--server", "-s"):
            return Launch([Word("llama-server", rest[0].offset), *rest[1:]], image)
        return None
    if rest and not rest[0].text.startswith("-"):
        found = find_launch(rest, image, depth + 1)
        if found is not None:
            return found
        if implied_program(image) and not _looks_like_program(rest[0].text):
            return _implied(image, rest, image_word)  # `vllm/vllm-openai MODEL --flags`
        return None
    return _implied(image, rest, image_word)


def _looks_like_program(text: str) -> bool:
    return text.startswith(("/", "./")) and "/" in text.rstrip("/") and not text.endswith(".gguf") or text in (
        "bash", "sh", "python", "python3")


def _implied(image: str, rest: list[Word], at: Word) -> Launch | None:
    """The image's entrypoint with `rest` as its arguments; an unknown image (`$IMAGE`, a team's own
    build) is named by the flags it is given when they are one engine's."""
    program = implied_program(image) or infer_program([w.text for w in rest])
    if not program:
        return None
    start = rest[0].offset if rest else at.offset
    return Launch([Word(p, start) for p in program] + list(rest), image)


# Flags only one engine's server takes: they name the program of a container given only `args` whose
# image is not a known engine image (a team's own build FROM vllm/vllm-openai, a kustomize patch).
_ENGINE_FLAGS: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = (
    (("python3", "-m", "sglang.launch_server"),
     frozenset({"--model-path", "--speculative-algorithm", "--speculative-draft-model-path", "--tp-size",
                "--speculative-num-steps", "--mem-fraction-static"})),
    (("llama-server",), frozenset({"-md", "--model-draft", "--draft-max", "--draft-min", "-ngl", "--n-gpu-layers",
                                   "-ngld", "--spec-draft-n-max", "-hfd", "--hf-repo-draft"})),
    (("vllm", "serve"), frozenset({"--speculative-config", "--served-model-name", "--tensor-parallel-size",
                                   "--max-model-len", "--gpu-memory-utilization", "--speculative-model",
                                   "--num-speculative-tokens", "--max-num-seqs", "--enable-prefix-caching"})),
)


def infer_program(args: list[str]) -> tuple[str, ...]:
    """The engine program that `args` (flags only) are for, when the flags say it; else ()."""
    if not args or not args[0].startswith("-"):
        return ()
    names = {a.split("=", 1)[0].replace("_", "-") if a.startswith("--") else a for a in args if a.startswith("-")}
    for program, flags in _ENGINE_FLAGS:
        if names & flags:
            return program
    return ()
