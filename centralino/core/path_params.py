"""Path parameters shared by the web routes: :data:`RowId`, a table row's integer id.

A row id in a path is 1 to 2^31 - 1 (an ``INTEGER`` column on PostgreSQL): anything larger
is refused with 422 before the database sees it, never a 500 from a driver's overflow.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ROW_ID = 2**31 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
