"""Live monitoring's arithmetic, in three modules; this one gathers their names for importers.

- domain/samples.py: the fields of a sample and what one poll means (`build_sample`);
- domain/history.py: `History` of samples (24 h), throughput per minute, the "Now" figures;
- domain/plot_data.py: min/max decimation for drawing and the CSV export.
"""

from __future__ import annotations

from batchgui.domain.history import (
    GAP_FACTOR,
    HISTORY_S,
    CapacitySeries,
    History,
    HistoryView,
    NowFigures,
    Throughput,
    throughput_per_minute,
)
from batchgui.domain.plot_data import (
    MinMaxCache,
    bucket_seconds,
    decimate_min_max,
    history_csv,
)
from batchgui.domain.samples import (
    ACTIVE_STATUSES,
    EVENT_FIELDS,
    FIELD_INDEX,
    MEMORY_FIELDS,
    OLDEST_FIELD,
    OLDEST_INDEX,
    PLATFORM_LABELS,
    PLATFORMS,
    QUEUE_FIELDS,
    STATUS_FIELDS,
    VCPU_FIELDS,
    CapacitySample,
    FloatArray,
    QueueEvents,
    QueueSample,
    Sample,
    attribute_platforms,
    build_sample,
    format_number,
    memory_field,
    status_field,
    vcpu_field,
)

__all__ = [
    "ACTIVE_STATUSES",
    "EVENT_FIELDS",
    "FIELD_INDEX",
    "GAP_FACTOR",
    "HISTORY_S",
    "MEMORY_FIELDS",
    "OLDEST_FIELD",
    "OLDEST_INDEX",
    "PLATFORMS",
    "PLATFORM_LABELS",
    "QUEUE_FIELDS",
    "STATUS_FIELDS",
    "VCPU_FIELDS",
    "CapacitySample",
    "CapacitySeries",
    "FloatArray",
    "History",
    "HistoryView",
    "MinMaxCache",
    "NowFigures",
    "QueueEvents",
    "QueueSample",
    "Sample",
    "Throughput",
    "attribute_platforms",
    "bucket_seconds",
    "build_sample",
    "decimate_min_max",
    "format_number",
    "history_csv",
    "memory_field",
    "status_field",
    "throughput_per_minute",
    "vcpu_field",
]
