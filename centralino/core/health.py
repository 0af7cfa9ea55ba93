"""What ``/health`` reports: each dependency's state, and whether the engine is degraded."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ComponentHealth:
    up: bool
    detail: str | None = None


@dataclass(frozen=True)
class HealthReport:
    ami: ComponentHealth
    ari: ComponentHealth
    database: ComponentHealth
    active_calls: int

    @property
    def healthy(self) -> bool:
        return self.ami.up and self.ari.up and self.database.up

    def to_json(self) -> dict:
        body = asdict(self)
        body["status"] = "ok" if self.healthy else "degraded"
        body["down"] = [name for name in ("ami", "ari", "database") if not getattr(self, name).up]
        return body
