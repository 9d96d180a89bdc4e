"""Atomic file writing, re-exported from :mod:`carecircle.files` (a low layer maps use too)."""

from carecircle.files import atomic_path, inside, staged_outputs, write_atomic, write_text_atomic

__all__ = ["atomic_path", "inside", "staged_outputs", "write_atomic", "write_text_atomic"]
