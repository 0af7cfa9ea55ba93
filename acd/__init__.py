"""Queues, seats and operator state: Asterisk's app_queue does the distributing.

- ``ami_events``: the AMI messages the ACD reads, parsed into typed records;
- ``queue_status``: the queue as Asterisk has it now (QueueStatus, DeviceStateList);
- ``state``: the engine's picture of seats and waiting callers, and the domain events;
- ``sync``: feeds the picture from the AMI client (events, and a resync at every login);
- ``operators``: log in, pause, ready, log out (QueueAdd, QueuePause, QueueRemove);
- ``cli`` and ``http``: ``centralino seats|operator`` and ``GET /api/seats``.
"""
