"""The example campaigns shipped in config/campaigns: each file is a valid campaign, its script
loads, and its list reads and has every value the script says."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.campaign import CampaignFile
from config.loader import load_yaml_model
from outbound.lists import read_contact_list
from outbound.script_check import check_contacts
from outbound.script_files import load_script

EXAMPLES = Path(__file__).parents[3] / "config" / "campaigns"


@pytest.mark.parametrize("campaign", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_an_example_campaign_and_its_list_are_ready_to_run(campaign: Path) -> None:
    file = load_yaml_model(campaign, CampaignFile)
    for script_name in [file.script, *(stage.script for stage in file.stages)]:
        script = load_script(script_name)
        contacts = read_contact_list(campaign.with_suffix(".csv"), languages=script.languages)
        assert contacts.contacts
        assert check_contacts(script, contacts) == []


def test_the_five_examples_are_found() -> None:
    assert len(list(EXAMPLES.glob("*.yaml"))) == 5
