"""The routing fast path's metrics, counted in plain integers on the event loop's thread.

prometheus_client's ``Counter.inc`` and ``Histogram.observe`` take a lock per value
(``observe`` two, plus a loop over the buckets): about 0.35 and 1.6 µs here, against a
lookup whose whole budget over the bare ASGI app is a few µs (issue 17: routing keeps 80%
of its requests per second). The fast path runs on one thread, the event loop's, so it
counts in Python integers and these collectors turn them into the same exposition at
scrape time (``HistogramMetricFamily`` / ``CounterMetricFamily``). A scrape from another
thread reads integers the GIL keeps whole; at worst one observation is in the count and
not yet in the sum.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterator, Sequence

from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString


class LoopHistogram:
    """A label-less histogram of nanosecond durations, exposed in seconds."""

    _type = "histogram"
    _labelnames: tuple[str, ...] = ()

    def __init__(self, name: str, documentation: str, buckets_s: Sequence[float]) -> None:
        self.name = name
        self.documentation = documentation
        self._upper_bounds = [*(float(b) for b in buckets_s), math.inf]
        self._bounds_ns = tuple(round(b * 1e9) for b in buckets_s)
        self._first_ns = self._bounds_ns[0]
        self.counts = [0] * len(self._upper_bounds)
        self.sum_ns = 0
        REGISTRY.register(self)

    def observe_ns(self, ns: int) -> None:
        """One observation, in nanoseconds (a ``perf_counter_ns`` difference)."""
        # Almost every lookup falls in the first bucket: no search for it.
        self.counts[0 if ns <= self._first_ns else bisect_left(self._bounds_ns, ns)] += 1
        self.sum_ns += ns

    def _family(self, with_samples: bool) -> HistogramMetricFamily:
        if not with_samples:
            return HistogramMetricFamily(self.name, self.documentation)
        counts, total = list(self.counts), self.sum_ns
        buckets, cumulative = [], 0
        for bound, count in zip(self._upper_bounds, counts, strict=True):
            cumulative += count
            buckets.append((floatToGoString(bound), cumulative))  # type: ignore[no-untyped-call]
        return HistogramMetricFamily(
            self.name, self.documentation, buckets=buckets, sum_value=total / 1e9
        )

    def describe(self) -> Iterator[Metric]:
        yield self._family(with_samples=False)

    def collect(self) -> Iterator[Metric]:
        yield self._family(with_samples=True)


class LoopCounter:
    """A counter with one label whose values are known up front (``outcome``)."""

    _type = "counter"

    def __init__(self, name: str, documentation: str, label: str, values: Sequence[str]) -> None:
        # Named as exposed: prometheus_client writes counters with "_total".
        self.name = name
        self.documentation = documentation
        self._labelnames = (label,)
        self.values = tuple(values)
        # Counted by position: ``counts[values.index(v)] += 1``, resolved once by the caller.
        self.counts = [0] * len(self.values)
        REGISTRY.register(self)

    def describe(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            self.name.removesuffix("_total"), self.documentation, labels=self._labelnames
        )

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            self.name.removesuffix("_total"), self.documentation, labels=self._labelnames
        )
        for value, count in zip(self.values, list(self.counts), strict=True):
            family.add_metric([value], count)
        yield family
