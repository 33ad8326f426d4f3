"""Custom actions, served by the app through rasa_sdk's ActionExecutor."""
from __future__ import annotations

from rasa_sdk.executor import ActionExecutor

from .knowledge import ActionAnswerFromKB
from .referral import ActionReferElsewhere


def build_executor(kb) -> ActionExecutor:
    executor = ActionExecutor()
    executor.register_action(ActionAnswerFromKB(kb))
    executor.register_action(ActionReferElsewhere())
    return executor
