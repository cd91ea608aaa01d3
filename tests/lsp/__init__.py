"""Fixtures and helpers for the language-server and WebSocket gateway tests."""
