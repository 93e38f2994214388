"""Local-first question answering over institutional PDF collections, citing file and page."""

__version__ = "0.1.0"
