"""The embedder's single-query path (Embedder.encode_one, what every search waits for) gives the vectors the
library's batch path gives, on the real model."""

import numpy as np
import pytest

TEXTS = [
    "投诉以后多久能有结果",
    "計程車拒載如何申訴",
    "ETC扣费不对 oBike 押金",
    "货车" * 600,  # beyond the model's 512 tokens: truncated alike
    "？",
]


@pytest.mark.parametrize("text", TEXTS)
def test_one_query_is_embedded_as_the_batch_path_embeds_it(embedder, text):
    one = embedder.encode_one(text)
    assert one.dtype == np.float32 and one.shape == (embedder.dim,) and one.flags["C_CONTIGUOUS"]
    assert np.linalg.norm(one) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(one, embedder.encode([text])[0], atol=1e-5)


def test_the_model_is_used_for_inference_only(embedder):
    # no dropout: the same question twice is the same vector, bit for bit
    assert not embedder.model.training
    assert np.array_equal(embedder.encode_one("大车审验"), embedder.encode_one("大车审验"))


def test_a_model_with_a_default_prompt_is_embedded_with_it(embedder, monkeypatch):
    # HOTLINE_EMBEDDING_MODEL may name a model configured to prefix a prompt ("query: "): the library adds it
    model = embedder.model
    monkeypatch.setattr(model, "prompts", {"query": "查询："})
    monkeypatch.setattr(model, "default_prompt_name", "query")
    prompted = embedder.encode_one("大车审验")
    np.testing.assert_allclose(prompted, embedder.encode(["大车审验"])[0], atol=1e-5)
    monkeypatch.undo()
    assert not np.allclose(prompted, embedder.encode_one("大车审验"), atol=1e-3)
