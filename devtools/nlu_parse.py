"""Parse many messages with a trained Rasa model, in the bot env (Python 3.10, Rasa 3.6).

    .venv-bot/bin/python devtools/nlu_parse.py MODEL.tar.gz OUT.json < texts.json

Reads a JSON list of texts, writes to OUT.json (Rasa logs to stdout) a JSON list of parses ({"text", "intent", "intent_ranking", "entities"}) in
the same order: the whole NLU pipeline runs, FallbackClassifier included, so a low-confidence message comes back
as ``nlu_fallback`` exactly as the bot would see it. Used by tests/test_first_messages.py; the dialogue acts
(hotline.acts.reframe) are applied afterwards in the app env.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys


async def _parse_all(model: str, texts: list[str]) -> list[dict]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    out = []
    for text in texts:
        parse = await agent.parse_message(text)
        out.append(
            {
                "text": text,
                "intent": parse.get("intent") or {},
                "intent_ranking": (parse.get("intent_ranking") or [])[:5],
                "entities": [{"entity": e.get("entity"), "value": e.get("value")} for e in parse.get("entities") or []],
            }
        )
    return out


def main() -> None:
    logging.disable(logging.WARNING)
    texts = json.load(sys.stdin)
    parses = asyncio.run(_parse_all(sys.argv[1], texts))
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        json.dump(parses, out, ensure_ascii=False)


if __name__ == "__main__":
    main()
