"""Prometheus metrics: one registry-level definition per thing that moves."""

from __future__ import annotations

import functools
from typing import TypeVar

from prometheus_client import Counter, Gauge, Histogram

from centralino.core import events
from centralino.core.bus import EventBus

MetricT = TypeVar("MetricT", Counter, Histogram)

CALLS = Counter("centralino_calls_total", "Calls that entered the engine, by how they ended",
                ["disposition"])
ACTIVE_CALLS = Gauge("centralino_active_calls", "Calls currently handled by the engine")
TICKETS_OPENED = Counter("centralino_tickets_opened_total", "Tickets opened for calls")
AMI_CONNECTED = Gauge("centralino_ami_connected", "1 while the AMI connection is logged in")
ARI_CONNECTED = Gauge("centralino_ari_connected", "1 while the ARI WebSocket is connected")
AMI_EVENTS = Counter("centralino_ami_events_total", "AMI events received", ["event"])
ARI_EVENTS = Counter("centralino_ari_events_total", "ARI events received", ["type"])
AMI_MALFORMED_EVENTS = Counter(
    "centralino_ami_malformed_events_total",
    "AMI messages of a known type dropped for missing or out-of-range fields", ["event"])
AMI_RECONNECTS = Counter("centralino_ami_reconnects_total", "AMI connection attempts after a loss")
ARI_REQUEST_SECONDS = Histogram(
    "centralino_ari_request_seconds", "ARI REST round trips, by operation", ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5))
ARI_RECONNECTS = Counter("centralino_ari_reconnects_total", "ARI connection attempts after a loss")
IVR_OUTCOMES = Counter("centralino_ivr_outcomes_total", "Calls that left the IVR, by how",
                       ["outcome"])
KEY_TO_PROMPT_SECONDS = Histogram(
    "centralino_key_to_prompt_seconds",
    "From a caller's key to the start of the prompt that answers it, on Asterisk's clock",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5))
RECORDINGS_INGESTED = Counter("centralino_recordings_ingested_total",
                              "Recordings stored on disk and in the database, by kind", ["kind"])
RECORDINGS_QUARANTINED = Counter(
    "centralino_recordings_quarantined_total",
    "Recordings Asterisk handed over damaged (not a readable WAV), kept in the quarantine folder",
    ["kind"])
RECORDINGS_DISK_FREE = Gauge("centralino_recordings_disk_free_bytes",
                             "Free space of the file system holding the recordings directory")
CAMPAIGN_DIALS = Counter("centralino_campaign_dials_total",
                         "Campaign calls originated (attempts claimed and dialled)")
CAMPAIGN_ATTEMPTS = Counter("centralino_campaign_attempts_total",
                            "Campaign attempts ended, by disposition", ["disposition"])
CAMPAIGN_CALLS_IN_FLIGHT = Gauge("centralino_campaign_calls_in_flight",
                                 "Campaign calls dialling, ringing or in their script now")
DB_UP = Gauge("centralino_database_up", "1 while the database answers")
EVENT_LOOP_LAG = Histogram("centralino_event_loop_lag_seconds", "Event-loop scheduling lag",
                           buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0))
DB_BATCH_UNITS = Histogram("centralino_db_batch_units",
                           "Units of work (call and ticket writes) committed per transaction",
                           buckets=(1, 2, 5, 10, 20, 50, 100, 200))
GC_PAUSE_SECONDS = Histogram("centralino_gc_pause_seconds",
                             "Pauses of Python's garbage collector, by generation",
                             ["generation"],
                             buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0))
EVENT_LOOP_LAG_MAX = Gauge("centralino_event_loop_lag_max_seconds",
                           "Largest event-loop scheduling lag seen since the engine started")


@functools.lru_cache(maxsize=1024)
def child(metric: MetricT, value: str) -> MetricT:
    """The child of ``metric`` (a metric with one label) for ``value``, looked up once: the
    hot paths count every event and time every request, and ``labels()`` costs a lock each time.
    """
    return metric.labels(value)


def follow_bus(bus: EventBus) -> None:
    """Keep the call and ticket counters in step with the domain events."""
    bus.subscribe(events.CallEnded, lambda e: CALLS.labels(disposition=e.disposition).inc())
    bus.subscribe(events.TicketOpened, lambda e: TICKETS_OPENED.inc())
