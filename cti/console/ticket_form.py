"""The operator console's ticket form: checked as a whole, then applied through the workflow.

Each step is one change of :mod:`cti.tickets.workflow` (its own transaction and history rows),
in the order an operator thinks of them: classify, note, callback, second level, resolve.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from config.menu import MenuFile
from cti.tickets.classifications import classification_codes, sla_hours_for
from cti.tickets.queries import TicketView
from cti.tickets.terms import TicketStatus
from cti.tickets.workflow import (
    MAX_NAME,
    add_note,
    classify,
    request_callback,
    request_second_level,
    resolve,
)


class FormAction(StrEnum):
    SAVE = "save"
    RESOLVE = "resolve"


class InvalidForm(ValueError):
    """The form asks for something that cannot be done; the message is for the operator."""


@dataclass(frozen=True)
class TicketForm:
    classification: str = ""  # empty: leave it as it is
    note: str = ""
    resolution: str = ""
    callback: bool = False
    second_level: bool = False
    team: str = ""
    action: FormAction = FormAction.SAVE


def check_form(form: TicketForm, menu: MenuFile) -> None:
    """Refuse a form that cannot be applied, before anything is written (:class:`InvalidForm`)."""
    if form.classification and form.classification not in classification_codes(menu):
        raise InvalidForm(f"Classificazione sconosciuta: {form.classification}.")
    if form.second_level and not form.team.strip():
        raise InvalidForm("Indica l'ufficio di secondo livello a cui passare la pratica.")
    if len(form.team.strip()) > MAX_NAME:
        raise InvalidForm(f"Il nome dell'ufficio può avere al massimo {MAX_NAME} caratteri.")
    if form.action is FormAction.RESOLVE:
        if not form.resolution.strip():
            raise InvalidForm("Per risolvere la pratica scrivi la soluzione adottata.")
        if form.second_level:
            raise InvalidForm("Una pratica passata al secondo livello non si risolve ora: "
                              "togli la spunta o salva senza risolvere.")


async def apply_form(session: AsyncSession, ticket: TicketView, form: TicketForm, actor: str,
                     menu: MenuFile) -> list[str]:
    """Apply ``form`` to ``ticket`` as ``actor``; return what was done, in Italian.

    Raises :class:`InvalidForm` before writing anything, else the workflow's errors
    (:class:`~cti.tickets.workflow.InvalidTicketChange`,
    :class:`~cti.tickets.workflow.ConcurrentChange`)
    for the step that failed, the steps before it kept.
    """
    check_form(form, menu)
    code, done = ticket.tracking_code, []
    if form.classification and form.classification != ticket.classification:
        await classify(session, code, form.classification, actor,
                       sla_hours_for(menu, form.classification))
        done.append("classificata")
    if form.note.strip():
        await add_note(session, code, form.note, actor)
        done.append("nota aggiunta")
    if form.callback != ticket.callback_requested:
        await request_callback(session, code, actor, requested=form.callback)
        done.append("richiamata richiesta" if form.callback else "richiamata annullata")
    if form.second_level and (ticket.second_level_team != form.team.strip()
                              or ticket.status != TicketStatus.WAITING_SECOND_LEVEL):
        await request_second_level(session, code, form.team, actor)
        done.append(f"passata a {form.team.strip()}")
    if form.action is FormAction.RESOLVE:
        await resolve(session, code, form.resolution, actor)
        done.append("risolta")
    return done
