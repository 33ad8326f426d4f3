"""Knowledge base: articles and chunks in SQL, dense vectors in a FAISS cache (no Flask, no Rasa)."""
