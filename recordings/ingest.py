"""Recordings from Asterisk to safe storage: fetch, write atomically, checksum, convert, row.

The file comes through ARI (``GET /recordings/stored/{name}/file``), so Asterisk may run on
another machine. The database row is written only once the WAV is on disk, fsynced and
checksummed; then the recording is deleted on Asterisk. ``asterisk_name`` is unique, so
whatever is retried (a hang-up, an engine restart, a reconciliation) is stored exactly once.
Until a recording is stored, Asterisk keeps it: :meth:`RecordingIngester.reconcile` finds it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core import events, metrics
from centralino.core.ari import AriClient, AriError, AriRequestError
from centralino.core.bus import EventBus
from centralino.core.db import insert_unless_duplicate
from config.settings import RecordingsSettings
from recordings.call_facts import CallFacts, call_facts
from recordings.convert import ConversionFailed, convert_for_web
from recordings.disk import check_free_space
from recordings.models import Recording, RecordingKind, VoicemailSituation
from recordings.naming import parse_name
from recordings.store import NotAWav, wav_seconds, write_atomically

log = structlog.get_logger(__name__)

LIVE_POLL_SECONDS = 0.2
CONVERSIONS_AT_ONCE = 2  # the machine kind has two cores
QUARANTINE_DIR = "quarantine"  # under the recordings directory: damaged recordings' bytes


@dataclass(frozen=True)
class RecordingMeta:
    """What is known of a recording besides its audio (the rest is found by ``linkedid``)."""

    kind: RecordingKind
    linkedid: str
    caller_id: str | None = None
    situation: VoicemailSituation | None = None
    recorded_at: datetime | None = None  # None: the call's start, else now
    min_seconds: float = 0.0  # shorter recordings are discarded (no file, no row)


class IngestFailed(Exception):
    """The recording could not be stored now (ARI, disk); Asterisk keeps it for a retry."""


@dataclass(frozen=True)
class _Written:
    path: Path  # relative to the recordings directory
    web_path: Path | None
    duration_seconds: float
    size_bytes: int
    sha256: str


def _names(listed: object) -> list[str]:
    """The names in ARI's list of stored recordings."""
    items = listed if isinstance(listed, list) else []
    return [item["name"] for item in items
            if isinstance(item, dict) and isinstance(item.get("name"), str)]


class RecordingIngester:
    """Stores Asterisk's recordings under the recordings directory and in ``recordings``."""

    def __init__(self, ari: AriClient, sessions: async_sessionmaker[AsyncSession],
                 settings: RecordingsSettings, bus: EventBus, live_timeout: float = 10.0) -> None:
        self._ari = ari
        self._sessions = sessions
        self._settings = settings
        self._bus = bus
        self._live_timeout = live_timeout
        self._capturing: set[str] = set()
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._converting = asyncio.Semaphore(CONVERSIONS_AT_ONCE)
        self._due = asyncio.Event()  # reconcile now: ARI (re)connected

    async def keep_reconciling(self) -> None:
        """Reconcile after every ARI (re)connection and every ``reconcile_interval_seconds``,
        until cancelled."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._due.wait(),
                                       self._settings.reconcile_interval_seconds)
            self._due.clear()
            if not self._ari.connected:
                continue
            try:
                await self.reconcile()
            except Exception:  # the next round tries again
                log.exception("recordings.reconcile_failed")

    async def on_ari_connected(self) -> None:
        """An ARI connect hook: reconcile soon (in :meth:`keep_reconciling`; a connect hook
        holds up the ARI event reader). It must run after the dispatcher's, which closes the
        calls a dead engine left open: a recording of an open call is left alone as live."""
        self._due.set()

    @contextlib.contextmanager
    def capturing(self, name: str) -> Iterator[None]:
        """A call is recording ``name``: reconciliation leaves it to that call."""
        self._capturing.add(name)
        try:
            yield
        finally:
            self._capturing.discard(name)

    async def ingest(self, name: str, meta: RecordingMeta) -> Recording | None:
        """Store recording ``name``; return its row (also one stored before), or None when
        there is nothing to keep: no such recording, shorter than ``meta.min_seconds``, or
        damaged (not a readable WAV: its bytes go to the quarantine folder, not in a row).

        Raises IngestFailed when it cannot be stored now; Asterisk keeps it.
        """
        return (await self._ingest(name, meta))[0]

    async def reconcile(self) -> int:
        """Store every recording of ours that Asterisk still holds; return how many were new."""
        await asyncio.to_thread(check_free_space, self._settings.dir,
                                self._settings.min_free_disk_mb)
        try:
            listed = await self._ari.request("GET", "/recordings/stored")
        except AriError as exc:
            log.warning("recordings.reconcile_failed", error=str(exc))
            return 0
        stored = 0
        for name in _names(listed):
            parsed = parse_name(name)
            if parsed is None or name in self._capturing:
                continue
            meta = RecordingMeta(parsed.kind, parsed.linkedid, situation=parsed.situation)
            try:
                # Still being recorded: by ARI, or by MixMonitor in a call that goes on.
                if await self._is_live(name) or (await self._facts(parsed.linkedid)).in_progress:
                    continue
                _, new = await self._ingest(name, meta)
            except (IngestFailed, AriError) as exc:
                log.warning("recordings.not_stored", recording=name, error=str(exc))
                continue
            stored += new
        if stored:
            log.info("recordings.reconciled", stored=stored)
        return stored

    # -- one recording ----------------------------------------------------------------------

    async def _ingest(self, name: str, meta: RecordingMeta) -> tuple[Recording | None, bool]:
        async with self._lock(name):
            existing = await self._row(name)
            if existing is not None:  # stored before a crash or by a retry: only Asterisk's
                await self._delete_on_asterisk(name)  # copy is left to delete
                return existing, False
            data = await self._fetch(name)
            if data is None:
                return None, False
            try:
                seconds = wav_seconds(data)
            except NotAWav as exc:
                await self._quarantine(name, meta, data, exc)
                return None, False
            if seconds <= 0 or seconds < meta.min_seconds:
                log.info("recordings.discarded_too_short", recording=name,
                         seconds=round(seconds, 2), min_seconds=meta.min_seconds)
                await self._delete_on_asterisk(name)
                return None, False
            facts = await self._facts(meta.linkedid)
            recorded_at = meta.recorded_at or facts.started_at or datetime.now(UTC)
            async with self._converting:
                written = await asyncio.to_thread(self._write, name, meta.kind, recorded_at,
                                                  data, seconds)
            row, inserted = await self._insert(name, meta, facts, recorded_at, written)
            if inserted:
                self._stored(row)
            await self._delete_on_asterisk(name)
            return row, inserted

    async def _fetch(self, name: str) -> bytes | None:
        """The recording's bytes once Asterisk finished it; None if it has no such recording."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._live_timeout
        try:
            # Asterisk's state, not ours: nothing to wait on but asking again.
            while await self._is_live(name) and loop.time() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(LIVE_POLL_SECONDS)
            return await self._ari.fetch(f"/recordings/stored/{name}/file")
        except AriRequestError as exc:
            if exc.status == 404:
                return None
            raise IngestFailed(str(exc)) from exc
        except AriError as exc:
            raise IngestFailed(str(exc)) from exc

    async def _is_live(self, name: str) -> bool:
        try:
            await self._ari.request("GET", f"/recordings/live/{name}")
        except AriRequestError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _write(self, name: str, kind: RecordingKind, recorded_at: datetime, data: bytes,
               seconds: float) -> _Written:
        """The WAV and its web copy on disk (blocking: runs in a thread)."""
        relative = Path(kind.value, recorded_at.strftime("%Y/%m/%d"), f"{name}.wav")
        root = self._settings.dir
        try:
            stored = write_atomically(root / relative, data)
        except OSError as exc:  # disk full, no permission: Asterisk keeps the recording
            check_free_space(root, self._settings.min_free_disk_mb)
            raise IngestFailed(f"cannot write {root / relative}: {exc.strerror or exc}") from exc
        web: Path | None = None
        try:
            web = convert_for_web(stored.path, self._settings.web_format).relative_to(root)
        except (ConversionFailed, OSError) as exc:  # the WAV is safe: browsers go without
            log.error("recordings.web_copy_failed", recording=name, error=str(exc))
        return _Written(relative, web, seconds, stored.size_bytes, stored.sha256)

    async def _insert(self, name: str, meta: RecordingMeta, facts: CallFacts,
                      recorded_at: datetime, written: _Written) -> tuple[Recording, bool]:
        async with self._sessions() as session:
            result = await session.execute(insert_unless_duplicate(session, Recording).values(
                kind=meta.kind.value, asterisk_name=name, call_linkedid=meta.linkedid,
                ticket_id=facts.ticket_id, caller_id=meta.caller_id or facts.caller_id,
                situation=meta.situation.value if meta.situation else None,
                path=str(written.path),
                web_path=str(written.web_path) if written.web_path else None,
                duration_seconds=written.duration_seconds, size_bytes=written.size_bytes,
                sha256=written.sha256, recorded_at=recorded_at, ingested_at=datetime.now(UTC)))
            await session.commit()
            row = await self._row_in(session, name)
        assert row is not None
        return row, bool(getattr(result, "rowcount", 0))

    async def _quarantine(self, name: str, meta: RecordingMeta, data: bytes,
                          damage: NotAWav) -> None:
        """Keep a damaged recording's bytes aside (no row: nothing can play it) and take it off
        Asterisk, so reconciliation does not fetch it again every round."""
        path = self._settings.dir / QUARANTINE_DIR / f"{name}.wav"
        try:
            await asyncio.to_thread(write_atomically, path, data)
        except OSError as exc:  # Asterisk keeps it; the next round tries again
            raise IngestFailed(f"{name}: {damage}; cannot keep it in {path.parent}: "
                               f"{exc.strerror or exc}") from exc
        metrics.RECORDINGS_QUARANTINED.labels(kind=meta.kind.value).inc()
        log.error("recordings.quarantined", recording=name, linkedid=meta.linkedid,
                  error=str(damage), path=str(path), size_bytes=len(data))
        await self._delete_on_asterisk(name)

    def _stored(self, row: Recording) -> None:
        metrics.RECORDINGS_INGESTED.labels(kind=row.kind).inc()
        log.info("recordings.stored", recording=row.asterisk_name, id=row.id,
                 seconds=round(row.duration_seconds, 2), path=row.path)
        if row.kind == RecordingKind.VOICEMAIL and row.call_linkedid and row.situation:
            self._bus.publish(events.VoicemailStored(row.call_linkedid, row.id, row.caller_id,
                                                     row.situation, row.recorded_at))

    async def _delete_on_asterisk(self, name: str) -> None:
        try:
            await self._ari.request("DELETE", f"/recordings/stored/{name}")
        except AriRequestError as exc:
            if exc.status != 404:
                log.warning("recordings.not_deleted_on_asterisk", recording=name, error=str(exc))
        except AriError as exc:  # the next reconciliation deletes it
            log.warning("recordings.not_deleted_on_asterisk", recording=name, error=str(exc))

    # -- the database -----------------------------------------------------------------------

    async def _facts(self, linkedid: str) -> CallFacts:
        async with self._sessions() as session:
            return await call_facts(session, linkedid)

    async def _row(self, name: str) -> Recording | None:
        async with self._sessions() as session:
            return await self._row_in(session, name)

    @staticmethod
    async def _row_in(session: AsyncSession, name: str) -> Recording | None:
        result = await session.execute(
            select(Recording).where(Recording.asterisk_name == name)
            .execution_options(populate_existing=True))
        return result.scalar_one_or_none()

    @contextlib.asynccontextmanager
    async def _lock(self, name: str) -> AsyncIterator[None]:
        """One ingestion of ``name`` at a time (the call's and a reconciliation's)."""
        lock, users = self._locks.get(name, (asyncio.Lock(), 0))
        self._locks[name] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[name]
            if users == 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, users - 1)
