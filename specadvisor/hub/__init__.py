"""Model metadata and draft discovery from the Hugging Face Hub.

Nothing here imports `huggingface_hub` at import time: `source.HubSource` does so lazily, on the first
request, so the catalog-only commands never pay for it. Entry point for the CLI:
`specadvisor.hub.resolve.extend_catalog`, which returns the catalog extended with Hub models.
"""

from __future__ import annotations

from specadvisor.hub.errors import HubError, HubGatedError, HubNotFoundError, HubUnavailableError

__all__ = ["HubError", "HubGatedError", "HubNotFoundError", "HubUnavailableError"]
