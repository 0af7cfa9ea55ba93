"""The whole schema: ``Base.metadata`` once every domain's models are imported (migrations,
tests)."""

from __future__ import annotations

from centralino.app.domains import PLUGINS
from centralino.core.db import Base

#: Every domain's table modules; importing the plugins imported them, so ``Base`` knows them.
MODEL_MODULES = tuple(module for plugin in PLUGINS for module in plugin.models)
metadata = Base.metadata
