"""Nodeforge: a language server and flow compiler for node-based software builders."""

__version__ = "0.1.0"
