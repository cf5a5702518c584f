"""specadvisor: choose a draft model and draft length for speculative decoding."""

__version__ = "0.1.0"
