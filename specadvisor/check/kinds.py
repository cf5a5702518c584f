"""Which files `check` reads, and as what: the one place the directory walk and the readers agree on.

A directory walk reads shell scripts (`*.sh`, `*.bash`, `*.zsh`; Windows `*.bat`, `*.cmd`, `*.ps1`),
`.env` files (for the variables beside them), Dockerfiles/Containerfiles, YAML (`*.yaml`, `*.yml`: Kubernetes, Helm charts and
values, kustomize, compose, vLLM and TensorRT-LLM configs, `.specadvisor.yaml`), systemd and
supervisor units (`*.service`, `*.conf`), Makefiles (`Makefile`, `*.mk`: the recipe lines) and,
with `--markdown`, the fenced shell blocks of `*.md`.
Extensionless files with a shell shebang (`scripts/serve`) are scripts too. A file named on the
command line is always read, as its name says or else as a shell script.
"""

from __future__ import annotations

import re
from pathlib import Path

WALK_HELP = ("A directory walk reads *.sh *.bash *.zsh, .env files, Dockerfile*/Containerfile, *.yaml/*.yml "
             "(Kubernetes, Helm charts and values, kustomize, compose, engine configs), *.service/*.conf units, "
             "Makefile/*.mk recipes, *.bat/*.cmd/*.ps1 scripts, extensionless files with a shell shebang, "
             "and *.md/*.markdown shell blocks with --markdown; a file named explicitly is always read.")
SHELL_SUFFIXES = (".sh", ".bash", ".zsh", ".ksh")
YAML_SUFFIXES = (".yaml", ".yml")
UNIT_SUFFIXES = (".service", ".conf")
MARKDOWN_SUFFIXES = (".md", ".markdown")
WINDOWS_SUFFIXES = (".bat", ".cmd", ".ps1")
_UNIT_COMMAND = re.compile(r"(?m)^([ \t]*(?:ExecStart|ExecStartPre|ExecStartPost|command)[ \t]*=[ \t]*[-@+!:]*)")


def file_kind(path: Path, markdown: bool = False, named: bool = False) -> str | None:
    """yaml | dockerfile | shell | env | unit | makefile | windows | markdown, or None (a walk skips it)."""
    name = path.name.lower()
    if name.endswith(YAML_SUFFIXES):
        return "yaml"
    if name in ("dockerfile", "containerfile") or name.startswith(("dockerfile.", "containerfile.")) \
            or name.endswith(".dockerfile"):
        return "dockerfile"
    if name == ".env" or name.endswith(".env") or name.startswith(".env."):
        return "env"
    if name.endswith(SHELL_SUFFIXES):
        return "shell"
    if name.endswith(UNIT_SUFFIXES):
        return "unit"
    if name.endswith(WINDOWS_SUFFIXES):
        return "windows"
    if name in ("makefile", "gnumakefile") or name.endswith(".mk"):
        return "makefile"
    if name.endswith(MARKDOWN_SUFFIXES):
        return "markdown" if (markdown or named) else None
    if named:
        return "shell"
    return "shell" if "." not in name and _shebang(path) else None


_SHEBANG = re.compile(rb"^#!\s*\S*(/|env\s+)(ba|z|k|da)?sh\b")


def _shebang(path: Path) -> bool:
    """An extensionless script (`scripts/serve`) that starts with a shell shebang."""
    try:
        with path.open("rb") as f:
            return bool(_SHEBANG.match(f.read(64)))
    except OSError:
        return False


def is_helm_template(path: Path, text: str) -> bool:
    """A file of a chart's templates/ directory (Go templates over YAML)."""
    return "{{" in text and any(p == "templates" for p in path.parts[:-1])


def unit_commands(text: str) -> str:
    """A systemd/supervisor unit with only its command lines kept, at their own offsets.

    `ExecStart=`/`command=` prefixes become blanks and every other line is blanked, so the shell
    reader sees the commands where they are written and nothing else (`[Unit]`, `Description=...`).
    """
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        m = _UNIT_COMMAND.match(line)
        if m:
            out.append(" " * len(m.group(1)) + line[m.end():])
        elif out and out[-1].rstrip("\r\n").endswith("\\"):
            out.append(line)  # a continued command line
        else:
            out.append("".join(c if c in "\r\n" else " " for c in line))
    return "".join(out)


_BAT_SET = re.compile(r"(?im)^([ \t]*@?set[ \t]+)(?=\"?[A-Za-z_][A-Za-z0-9_]*=)")
_BAT_SET_QUOTED = re.compile(r'(?i)^([ \t]*)@?set[ \t]+"([A-Za-z_][A-Za-z0-9_]*)=(.*)"[ \t]*$')
_BAT_VAR = re.compile(r"%([A-Za-z_][A-Za-z0-9_]*)%")
_BAT_REM = re.compile(r"(?im)^([ \t]*)(rem\b|::)")
_PS_ASSIGN = re.compile(r"(?m)^([ \t]*)\$([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*")
_DRIVE = re.compile(r"(^|[\s\"'=])([A-Za-z]):/")  # C:\models -> /c/models (the MSYS form; no ':')
_PS_ENV = re.compile(r"\$env:([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)


def windows_script(text: str, suffix: str) -> str:
    """A .bat/.cmd or .ps1 launch script in the shell reader's terms, every line where it was.

    llama.cpp users on Windows start `llama-server.exe` from batch files (`set MODEL=...`, `%MODEL%`,
    `^` at a line end) and PowerShell (`$MODEL = "..."`, `$env:X`, a backtick at a line end). Paths
    keep their backslashes as `/` and drives as `/c/` (the shell reader would take `\\` as an escape,
    and `C:` for llama.cpp's `repo:quant` form); `set "X=..."`, REM and `::` comments, and the
    continuation characters map to their shell forms.
    """
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    cont = "^" if suffix in (".bat", ".cmd") else "`"
    for line in lines:
        body = line.rstrip("\r\n")
        end = line[len(body):]
        continued = body.rstrip(" \t").endswith(cont)
        if continued:
            body = body.rstrip(" \t")[:-1]
        body = _DRIVE.sub(lambda m: m.group(1) + "/" + m.group(2).lower() + "/", body.replace("\\", "/"))
        if cont == "^":
            body = _BAT_REM.sub(lambda m: m.group(1) + "#" + " " * (len(m.group(2)) - 1), body)
            body = _BAT_SET_QUOTED.sub(lambda m: f'{m.group(1)}{m.group(2)}="{m.group(3)}"', body)
            body = _BAT_SET.sub(lambda m: " " * len(m.group(1)), body)
            body = _BAT_VAR.sub(lambda m: "${" + m.group(1) + "}", body)
        else:
            body = _PS_ASSIGN.sub(lambda m: m.group(1) + m.group(2) + "=", body)
            body = _PS_ENV.sub(lambda m: "$" + m.group(1), body)
        out.append(body + (" \\" if continued else "") + end)
    return "".join(out)
