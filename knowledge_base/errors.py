"""Errors of the knowledge base: what an edit, an import or a gap action can be refused for, and what can be
wrong with the local search files (the index and the embedding model)."""

from __future__ import annotations

from hotline.errors import HotlineError, VersionConflict

__all__ = [
    "ArticleInvalid",
    "ArticleUnavailable",
    "EmbeddingModelMissing",
    "GapStateError",
    "ImportRejected",
    "IndexDamaged",
    "StateError",
    "VersionConflict",
]


class ArticleInvalid(HotlineError):
    code = "invalid_article"
    status = 422


class ArticleUnavailable(HotlineError):
    """An article the user chose among the offered ones cannot answer now: retired, expired, unknown, or scoped
    to another region. The message is for the user."""

    code = "article_unavailable"
    status = 404


class StateError(HotlineError):
    """An article action its status does not allow (publish a retired article, …)."""

    code = "invalid_state"
    status = 409


class ImportRejected(HotlineError):
    code = "import_rejected"
    status = 422


class GapStateError(HotlineError):
    code = "invalid_state"
    status = 409


class TermInvalid(HotlineError):
    """A vocabulary term that cannot be stored (empty, too long, no targets …)."""

    code = "invalid_term"
    status = 422


class TermExists(HotlineError):
    code = "duplicate_term"
    status = 409


class TermStateError(HotlineError):
    """Accepting or rejecting a term that is not a suggestion."""

    code = "invalid_state"
    status = 409


class IndexDamaged(RuntimeError):
    """The FAISS cache on disk cannot be read (truncated, another type or size): it is rebuilt from the DB."""


class EmbeddingModelMissing(RuntimeError):
    """No sentence-transformers model is installed or configured."""
