"""Channels: platform quirks stay here; all of them feed the shared conversation path."""
