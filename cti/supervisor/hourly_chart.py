"""Today's calls as a bar chart: the geometry here, the SVG in ``supervisor/hourly_chart.svg.j2``.

One bar per hour (all calls), the queued part of it drawn over it darker; the current hour is
marked. Sizes are in the SVG's own units: the chart scales with its container.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from cti.supervisor.call_stats import HourCount

WIDTH, HEIGHT = 960, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 12, 28
BAR_GAP = 0.25  # of an hour's width
ONE_HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    width: float
    calls_y: float
    calls_height: float
    queued_y: float
    queued_height: float
    label: str  # "09", under every other bar
    title: str  # "09:00-10:00: 12 chiamate, 5 in coda"
    current: bool


@dataclass(frozen=True, slots=True)
class Gridline:
    y: float
    value: int


@dataclass(frozen=True, slots=True)
class HourlyChart:
    width: int
    height: int
    left: int
    top: int  # y of the plot's top
    bottom: float  # y of the axis
    bars: list[Bar]
    gridlines: list[Gridline]
    total_calls: int
    total_queued: int


def hourly_chart(hours: list[HourCount], now: datetime) -> HourlyChart:
    """The chart of ``hours``; the hour containing ``now`` is the current one."""
    top = _nice_ceiling(max((hour.calls for hour in hours), default=0))
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(hours), 1)
    axis = HEIGHT - BOTTOM

    def height(value: int) -> float:
        return round(plot_height * value / top, 2)

    bars = []
    for index, hour in enumerate(hours):
        end = hours[index + 1].start if index + 1 < len(hours) else hour.start + ONE_HOUR
        calls_height, queued_height = height(hour.calls), height(hour.queued)
        bars.append(Bar(
            x=round(LEFT + index * slot + slot * BAR_GAP / 2, 2),
            width=round(slot * (1 - BAR_GAP), 2),
            calls_y=round(axis - calls_height, 2), calls_height=calls_height,
            queued_y=round(axis - queued_height, 2), queued_height=queued_height,
            label=f"{hour.start:%H}" if index % 2 == 0 else "",
            title=f"{hour.start:%H:%M}-{end:%H:%M}: {hour.calls} chiamate, {hour.queued} in coda",
            current=hour.start <= now < end))
    step = max(1, top // 4)
    gridlines = [Gridline(round(axis - height(value), 2), value)
                 for value in range(0, top + 1, step)]
    return HourlyChart(WIDTH, HEIGHT, LEFT, TOP, axis, bars, gridlines,
                       sum(hour.calls for hour in hours), sum(hour.queued for hour in hours))


def _nice_ceiling(value: int) -> int:
    """The top of the scale: 4 at least, else the first of 1, 2, 4, 5, 8 times a power of ten
    that is at least ``value``."""
    if value <= 4:
        return 4
    magnitude = 10 ** math.floor(math.log10(value))
    return next(n * magnitude for n in (1, 2, 4, 5, 8, 10) if n * magnitude >= value)
