"""Hub failures as `SpecAdvisorError`s: one line, exit code 2, and what to do about it.

Messages never contain the token: they are written here from the repo id, the endpoint and the HTTP
status, never from request headers.
"""

from __future__ import annotations

from specadvisor.errors import SpecAdvisorError

OFFLINE_HINT = "use --offline to run from cached Hub metadata, or describe the model in a --catalog file"


class HubError(SpecAdvisorError):
    """Any failure reading the Hub."""


class HubUnavailableError(HubError):
    """The Hub could not be reached, timed out, rate-limited us, or sent something unreadable."""


class HubNotFoundError(HubError):
    """The repo, revision or file does not exist (or is private and we have no access)."""


class HubGatedError(HubError):
    """The repo is gated and our token (if any) has not been granted access."""

    def __init__(self, repo_id: str, endpoint: str) -> None:
        super().__init__(
            f"{repo_id} is gated: request access at {endpoint}/{repo_id}, then set HF_TOKEN or run `hf auth login`; "
            "without the files, describe the model in a --catalog file to get a metadata-only estimate"
        )
        self.repo_id = repo_id


class HubOfflineMissError(HubError):
    """--offline was given but the metadata is not in the cache."""
