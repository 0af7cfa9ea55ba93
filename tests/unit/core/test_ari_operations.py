"""ARI requests are timed by operation: the path with its ids left out (bounded metric labels)."""

from __future__ import annotations

import pytest

from centralino.core.ari import operation_of


@pytest.mark.parametrize(("method", "path", "operation"), [
    ("POST", "/channels/1764620000.17/play", "POST /channels/{id}/play"),
    ("DELETE", "/playbacks/5f0c9a1e2b7d4c3a9e8f7a6b5c4d3e2f", "DELETE /playbacks/{id}"),
    ("GET", "/recordings/stored/vm-1764620000-17", "GET /recordings/stored/{id}"),
    ("PUT", "/applications/centralino/eventFilter", "PUT /applications/centralino/eventFilter"),
    ("GET", "/channels", "GET /channels"),
])
def test_operation_names_keep_the_resource_and_drop_the_ids(method: str, path: str,
                                                            operation: str) -> None:
    assert operation_of(method, path) == operation
