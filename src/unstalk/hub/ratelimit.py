"""A token bucket per API key, kept in memory (one per process)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from threading import Lock

from unstalk.hub.errors import RateLimited


class RateLimiter:
    """``rate`` requests a second on average, bursts of up to ``burst``."""

    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = Lock()

    def take(self, key: int) -> None:
        """Spend one token of ``key``'s bucket; raise :class:`RateLimited` when it is empty."""
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                raise RateLimited(max(1, math.ceil((1.0 - tokens) / self.rate)))
            self._buckets[key] = (tokens - 1.0, now)
