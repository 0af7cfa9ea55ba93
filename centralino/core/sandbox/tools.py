"""The sandbox's tools AMI user: for tests and benchmarks that need more than the engine may do
(CLI commands such as ``core show channels``, hang-ups, reloads). Never used by the engine."""

from __future__ import annotations

from centralino.core.ami import AmiClient
from config.secrets import Secrets
from config.settings import Settings


def tools_ami_client(settings: Settings, secrets: Secrets) -> AmiClient:
    """An AMI client logged in as ``sandbox.tools_ami_username`` (start it before use)."""
    ami = settings.asterisk.ami.model_copy(update={"username": settings.sandbox.tools_ami_username})
    return AmiClient(settings.asterisk.model_copy(update={"ami": ami}), secrets.ami_tools_secret,
                     probe=True)
