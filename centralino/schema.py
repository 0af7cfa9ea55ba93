"""Imports every model module, so ``Base.metadata`` holds the whole schema (migrations, tests)."""

from __future__ import annotations

import cti.callbacks
import cti.models  # noqa: F401
import ivr.models  # noqa: F401
import recordings.models  # noqa: F401
from centralino.auth import models as _auth  # noqa: F401
from centralino.calls import models as _calls  # noqa: F401
from centralino.db import Base

metadata = Base.metadata
