"""The post-call survey: a caller whose operator hung up comes back from the queue
(``Stasis(app,survey,LINKEDID)``, the rendered ``acd-queue``) and answers the survey script
(``acd.post_call_survey``); the answers are stored per call (:mod:`outbound.survey_store`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.call_session import CallSession
from centralino.core.dialing import e164_number
from config.script import Survey
from outbound.lists import REGION
from outbound.runner import ScriptCall, ScriptContact, ScriptPlan, ScriptServices
from outbound.survey_store import SurveyRecord, save_survey

log = structlog.get_logger(__name__)

def survey_items(plan: ScriptPlan) -> frozenset[str]:
    """The items a script asks about."""
    return frozenset(node.item for node in plan.script.nodes.values()
                     if isinstance(node, Survey))


class SurveyScript:
    """The dispatcher's script for callers sent to the post-call survey."""

    def __init__(self, plan: Callable[[], ScriptPlan], services: ScriptServices,
                 sessions: async_sessionmaker[AsyncSession],
                 clock: Callable[[], datetime]) -> None:
        """``plan`` gives the survey script, loaded before the first call."""
        self._plan = plan
        self._services = services
        self._sessions = sessions
        self._clock = clock

    async def __call__(self, session: CallSession) -> None:
        plan = self._plan()
        started = self._clock()
        contact = ScriptContact(phone=e164_number(session.caller_number, REGION) or "",
                                language=session.language)
        result = await ScriptCall(session, plan, contact, self._services).run(machine=False)
        record = SurveyRecord(session.linkedid, dict(result.survey), result.keys, started,
                              self._clock(), survey_items(plan) <= result.survey.keys())
        try:
            async with self._sessions() as db:
                await save_survey(db, record)
        except (SQLAlchemyError, OSError) as exc:
            log.error("survey.not_stored", answers=record.answers, error=str(exc))
            return
        log.info("survey.stored", answers=record.answers, completed=record.completed)
