"""Shared plumbing for the 12328 hotline assistant: settings, database, errors, the clock (clock.py), text
normalisation (text.py) and the registry of channels and sender ids (channels.py)."""
