"""What one source says about speculative decoding, before any interpretation.

Engines publish different subsets: vLLM V1 counts drafts, drafted and accepted tokens and accepted tokens
per position; vLLM V0 counts drafted, accepted (at any position) and emitted tokens; SGLang and
TensorRT-LLM may only publish a mean acceptance length; llama.cpp counts drafted and accepted tokens.
`Counts` holds whatever was found; `specadvisor.measure.analysis` turns it into tau and alpha.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from specadvisor.errors import SpecAdvisorError

# The longest draft any engine is configured with in practice (vLLM, SGLang and TensorRT-LLM defaults are
# 1-8, llama.cpp's --draft-max 16); a k or a draft position beyond it is a corrupt source, not a setting.
K_MAX = 64


class MeasureError(SpecAdvisorError):
    """A metrics source could not be read or does not describe speculative decoding (exit code 2)."""


class CounterResetError(MeasureError):
    """A counter went down between two scrapes: the server restarted inside the window."""


@dataclass
class Counts:
    engine: str  # vllm | sglang | trtllm | llamacpp
    fmt: str  # human-readable description of what was read, e.g. "vLLM V1 Prometheus counters"
    location: str  # file, URL or "stdin" (for messages)
    drafts: float | None = None  # speculative rounds that proposed at least one token
    draft_tokens: float | None = None  # tokens proposed by the draft
    accepted: float | None = None  # draft tokens accepted
    accepted_is_prefix: bool = True  # False for vLLM V0: it counts accepted tokens at any position
    emitted: float | None = None  # tokens emitted by speculative rounds, bonus included (vLLM V0)
    per_position: tuple[float, ...] | None = None  # accepted at draft position i (0 = first drafted)
    k: float | None = None  # draft length the source states (or implies)
    k_source: str | None = None
    tau: float | None = None  # mean tokens per target pass stated directly (a gauge or log average)
    tau_approximate: bool = False
    rate: float | None = None  # accepted/drafted stated directly
    window_s: float | None = None  # length of the measured window, when known
    samples: int = 1  # log lines or scrapes used
    reader: str | None = None  # the `vocab.SourceFormat` that read it
    tree: bool = False  # the engine verified a tree of drafts (SGLang topk > 1): not a chain, no chain alpha
    rounds_unknown: str | None = None  # why the number of verify rounds is unknown (then no tau/alpha is claimed)
    variable_length: bool = False  # some drafts were shorter than k: later positions were not always drafted
    per_position_exact: bool = True  # False when per-position counts were rebuilt from rounded printed rates
    # other speculative implementations in the same source (llama.cpp `statistics <impl>:`), kept apart:
    # {impl, drafts, draft_tokens, accepted, tau, accepted_per_drafted}
    others: list[dict[str, float | str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
