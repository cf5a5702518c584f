"""Which engine version a launch runs: its image tag, a pin in the same repository, or .specadvisor.yaml.

Why: half of the engine rules are version rules (vLLM removed its V0 speculative flags in 0.8.3 and
could not run a draft model from 0.10 to 0.13; llama.cpp renamed its flags and changed its defaults
in 2026). A launch line rarely says the version, but its repository usually does: the image tag of
the container, `vllm==0.11.0` in requirements.txt or pyproject.toml, or `pip install vllm==...` in a
Dockerfile. Without the version a version rule either stays silent or guesses, so each launch records
where its version came from (`version_source`), and the text and JSON reports show it.

The search walks up from the launch's directory to the repository root (the first directory holding
`.git`, at most six levels), nearest directory first, and stops at the first directory with a pin.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

# Python package names of each engine (PyPI): vllm, sglang, tensorrt_llm / tensorrt-llm.
_PACKAGES = {"vllm": r"vllm", "sglang": r"sglang", "trtllm": r"tensorrt[-_]llm"}
_VERSION = r"v?(\d+\.\d+(?:\.\d+){0,2}(?:\.?(?:post|rc|dev|a|b)\d*)?)"
# Images of each engine, for tags (vllm/vllm-openai:v0.11.0, lmsysorg/sglang:v0.5.4-cu129,
# nvcr.io/nvidia/tensorrt-llm/release:1.1.0rc2, ghcr.io/ggml-org/llama.cpp:server-cuda-b6700).
_IMAGES = {
    "vllm": re.compile(r"vllm", re.IGNORECASE), "sglang": re.compile(r"sglang", re.IGNORECASE),
    # not tritonserver: its tag (25.01-trtllm-python-py3) is the Triton release, not TensorRT-LLM's
    "trtllm": re.compile(r"tensorrt[-_]?llm", re.IGNORECASE),
    "llamacpp": re.compile(r"llama[.-]?cpp", re.IGNORECASE),
}
_PIN_FILES = re.compile(r"^(requirements[\w.-]*\.(txt|in)|constraints[\w.-]*\.txt|pyproject\.toml|setup\.py|"
                        r"setup\.cfg|environment[\w.-]*\.ya?ml|Pipfile|(Docker|Container)file[\w.-]*|[\w.-]+\.dockerfile)$",
                        re.IGNORECASE)
_MAX_LEVELS = 6


def version_from_image(image: str | None, engine: str) -> str | None:
    """The engine version in an image reference whose repository is that engine's (None otherwise)."""
    if not image or ":" not in image.rsplit("/", 1)[-1]:
        return None
    repo, _, tag = image.rpartition(":")
    pattern = _IMAGES.get(engine)
    if pattern is None or not pattern.search(repo):
        return None
    if engine == "llamacpp":
        m = re.search(r"(?:^|[-_])(b\d{3,5})(?:$|[-_])", tag)  # llama.cpp release builds are b<number>
        return m.group(1) if m else None
    m = re.match(_VERSION + r"(?:$|[-_+])", tag)
    if m:
        return m.group(1)
    # vendor builds name the engine inside the tag: rocm/vllm:rocm6.3.1_vllm_0.8.5_20250521
    m = re.search(rf"(?:vllm|sglang)[-_]{_VERSION}(?:$|[-_+])", tag, re.IGNORECASE)
    return m.group(1) if m else None


def _pin_pattern(engine: str) -> re.Pattern[str] | None:
    pkg = _PACKAGES.get(engine)
    if pkg is None:
        return None
    return re.compile(
        rf"(?<![\w/.-]){pkg}(?:\[[^\]]*\])?\s*(?:===|==|~=)\s*{_VERSION}"  # pip / PEP 508: vllm[audio]==0.9.2
        rf"|^\s*{pkg}\s*=\s*[\"'][=~^]*{_VERSION}[\"']",  # poetry / Pipfile: vllm = "==0.8.5"
        re.IGNORECASE | re.MULTILINE)


_INSTALL = re.compile(r"\b(?:pip3?|uv\s+pip|uv|poetry|pipx)\s+(?:install|add)\b", re.IGNORECASE)
_DEPENDENCY_FILES = re.compile(r"^(requirements|constraints)[\w.-]*\.(txt|in)$|^(pyproject\.toml|setup\.py|setup\.cfg|Pipfile)$|"
                               r"^environment[\w.-]*\.ya?ml$", re.IGNORECASE)


def _file_pin(path: Path, engine: str) -> tuple[str, int] | None:
    """A pin in a dependency file (any line but comments), or on a `pip install` line of a script/Dockerfile."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return None
    pattern = _pin_pattern(engine)
    dependency_file = bool(_DEPENDENCY_FILES.match(path.name))
    if pattern is not None:
        for number, line in enumerate(text.splitlines(), start=1):
            code = line.split("#", 1)[0]
            if not code.strip() or not (dependency_file or _INSTALL.search(code)):
                continue
            m = pattern.search(code)
            if m:
                return next(g for g in m.groups() if g), number
    if path.name.lower().startswith(("dockerfile", "containerfile")) or path.name.lower().endswith(".dockerfile"):
        for m in re.finditer(r"^\s*FROM\s+(\S+)", text, re.IGNORECASE | re.MULTILINE):
            version = version_from_image(m.group(1), engine)
            if version:
                return version, text.count("\n", 0, m.start()) + 1
    return None


@lru_cache(maxsize=4096)
def _dir_pin(directory: str, engine: str) -> tuple[str, str] | None:
    d = Path(directory)
    try:
        names = sorted(p.name for p in d.iterdir() if p.is_file() and _PIN_FILES.match(p.name))
    except OSError:
        return None
    for name in names:
        found = _file_pin(d / name, engine)
        if found:
            return found[0], f"{_shown(d / name)}:{found[1]}"
    return None


def _shown(path: Path) -> str:
    """The path relative to the working directory when it is below it (as the findings print paths)."""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def pinned_version(launch_file: str, engine: str) -> tuple[str, str] | None:
    """(version, 'file:line' of the pin) for the engine, from the launch file's repository, or None."""
    if engine not in _PACKAGES and engine not in _IMAGES:
        return None
    own = _file_pin(Path(launch_file), engine)  # `pip install vllm==0.9.1` in the launching script itself
    if own:
        return own[0], f"{launch_file}:{own[1]}"
    d = Path(launch_file).resolve().parent
    for _ in range(_MAX_LEVELS):
        found = _dir_pin(str(d), engine)
        if found:
            return found
        if (d / ".git").exists() or d.parent == d:
            return None
        d = d.parent
    return None
