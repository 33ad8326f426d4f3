"""Shared plumbing for the 12328 hotline assistant: settings, database, errors."""
