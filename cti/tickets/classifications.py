"""The classification tree of the menu file, as the ticket forms and the SLA need it.

The tree lives in the menu file (``classifications:``); a ticket stores only the ``code``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from config.menu import Classification, MenuFile


class UnknownClassification(LookupError):
    """A classification code that is not in the menu file's tree."""


def classification_codes(menu: MenuFile) -> list[str]:
    """Every code of the tree, parents before their children, in the file's order."""
    return [path[-1].code for path in _paths(menu.classifications, ())]


def label(menu: MenuFile, code: str, language: str) -> str:
    """The label of ``code`` in ``language``, else in the menu's first language, else any."""
    text = _path(menu, code)[-1].label
    if isinstance(text, str):
        return text
    return text.get(language) or text.get(menu.languages[0]) or next(iter(text.values()))


def sla_hours_for(menu: MenuFile, code: str) -> float | None:
    """Hours to resolve a ticket classified ``code``: its own SLA, else its nearest parent's.

    None when neither it nor a parent has one. Raises :class:`UnknownClassification`.
    """
    return next((item.sla_hours for item in reversed(_path(menu, code))
                 if item.sla_hours is not None), None)


def _path(menu: MenuFile, code: str) -> tuple[Classification, ...]:
    """The classifications from the root down to ``code``."""
    found = next((path for path in _paths(menu.classifications, ()) if path[-1].code == code),
                 None)
    if found is None:
        raise UnknownClassification(f"no classification {code!r} in the menu file")
    return found


def _paths(items: Sequence[Classification], parents: tuple[Classification, ...],
           ) -> Iterator[tuple[Classification, ...]]:
    for item in items:
        path = (*parents, item)
        yield path
        yield from _paths(item.children, path)
