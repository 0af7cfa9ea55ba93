"""The classification tree for the forms and the SLA: codes, labels, hours with inheritance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from config.loader import load_yaml_model
from config.menu import MenuFile
from cti.tickets.classifications import (
    UnknownClassification,
    classification_codes,
    label,
    sla_hours_for,
)

SHIPPED_MENU = Path(__file__).parents[4] / "config/menus/tollfree.yaml"


def menu(classifications: list[dict[str, Any]]) -> MenuFile:
    return MenuFile.model_validate({
        "version": 1, "languages": ["it", "en"], "classifications": classifications,
        "entry": {"open": "main", "closed": "main"}, "nodes": {"main": {"action": "hangup"}}})


TREE = menu([
    {"code": "water", "label": {"it": "Acqua", "en": "Water"}, "sla_hours": 8, "children": [
        {"code": "water.leak", "label": {"it": "Perdita"}, "children": [
            {"code": "water.leak.street", "label": "Street", "sla_hours": 2},
            {"code": "water.leak.home", "label": "Home"}]}]},
    {"code": "other", "label": "Other"},
])


def test_codes_list_the_whole_tree_parents_before_children() -> None:
    assert classification_codes(TREE) == [
        "water", "water.leak", "water.leak.street", "water.leak.home", "other"]


def test_a_label_is_in_the_language_asked_else_the_menus_first_language() -> None:
    assert label(TREE, "water", "en") == "Water"
    assert label(TREE, "water", "it") == "Acqua"
    assert label(TREE, "water.leak", "en") == "Perdita"
    assert label(TREE, "other", "it") == "Other"


def test_a_classification_without_an_sla_inherits_its_nearest_parents() -> None:
    assert sla_hours_for(TREE, "water") == 8
    assert sla_hours_for(TREE, "water.leak") == 8
    assert sla_hours_for(TREE, "water.leak.home") == 8
    assert sla_hours_for(TREE, "water.leak.street") == 2
    assert sla_hours_for(TREE, "other") is None


def test_an_unknown_code_is_refused_by_name() -> None:
    with pytest.raises(UnknownClassification, match="'fire'"):
        sla_hours_for(TREE, "fire")
    with pytest.raises(UnknownClassification):
        label(TREE, "fire", "it")


@pytest.mark.parametrize("hours", [0, -4, 10_000])
def test_an_sla_is_a_positive_number_of_hours_up_to_a_year(hours: float) -> None:
    with pytest.raises(ValidationError, match="sla_hours"):
        menu([{"code": "water", "label": "Water", "sla_hours": hours}])


def test_the_shipped_menu_gives_its_classifications_their_slas() -> None:
    shipped = load_yaml_model(SHIPPED_MENU, MenuFile)
    assert {code: sla_hours_for(shipped, code) for code in classification_codes(shipped)} == {
        "seismic": 4, "seismic.event": 4, "seismic.damage": 4,
        "hydro": 8, "hydro.alert": 8, "hydro.flooding": 8,
        "volunteering": 72, "institutional": 120,
        "status_request": None, "not_competent": None,
    }
    assert label(shipped, "seismic.damage", "en") == "Damage to buildings"
