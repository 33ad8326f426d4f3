"""Custom actions, served by the app through rasa_sdk's ActionExecutor."""

from __future__ import annotations

from datetime import timedelta

from rasa_sdk.executor import ActionExecutor

from .forms import ActionStatusFinished, ActionSubmitIntake, AskIntake, AskStatus, ValidateIntake, ValidateStatus
from .knowledge import ActionAnswerFromKB, ActionGreet
from .offers import ActionYesNo
from .referral import ActionReferElsewhere
from .work_orders import ActionHandoff, ActionLeaveQuestion, ActionRate


def build_executor(
    kb, work_orders=None, handoffs=None, draft_ttl: timedelta = timedelta(hours=72), gaps=None
) -> ActionExecutor:
    executor = ActionExecutor()
    knowledge = ActionAnswerFromKB(kb, gaps)
    leave, handoff, rate = ActionLeaveQuestion(work_orders), ActionHandoff(handoffs), ActionRate(work_orders)
    for action in (
        knowledge,
        ActionGreet(),
        ActionYesNo(knowledge, {"/leave_question": leave, "/handoff": handoff}, rate),
        ActionReferElsewhere(kb, gaps),
        ValidateIntake("complaint", draft_ttl, kb),
        ValidateIntake("suggestion", draft_ttl, kb),
        AskIntake("complaint"),
        AskIntake("suggestion"),
        ActionSubmitIntake(work_orders),
        ValidateStatus(work_orders, knowledge),
        AskStatus(),
        ActionStatusFinished(),
        rate,
        leave,
        handoff,
    ):
        executor.register_action(action)
    return executor
