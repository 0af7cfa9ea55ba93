"""Keep an :class:`~acd.state.AcdPicture` in step with Asterisk: the AMI events as they come,
and a QueueStatus snapshot after every AMI (re)login."""

from __future__ import annotations

import structlog

from acd.ami_events import FOLLOWED_EVENTS
from acd.queue_status import read_snapshot
from acd.state import AcdPicture
from centralino.core.ami import AmiClient, AmiError

log = structlog.get_logger(__name__)


def follow_asterisk(ami: AmiClient, picture: AcdPicture) -> None:
    """Feed ``picture`` from ``ami``; call before ``ami.start()``."""
    for name in FOLLOWED_EVENTS:
        ami.on_event(name, picture.handle)

    async def resync() -> None:
        picture.begin_resync()
        try:
            snapshot = await read_snapshot(ami, picture.queue)
        except AmiError as exc:
            picture.cancel_resync()
            log.warning("acd.resync_failed", error=str(exc),
                        consequence="the seat picture follows events only until the next login")
            return
        replayed = picture.resync(snapshot)
        log.info("acd.resynced", members=len(snapshot.members), waiting=len(snapshot.callers),
                 registered=len(snapshot.registered), replayed=replayed)

    ami.add_login_hook(resync)
