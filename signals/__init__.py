"""Signal detection, alert rendering and delivery.

Public interface: `signals.detect(observations, indicators, as_of=None)`.
"""

from signals.detect import detect

__all__ = ["detect"]
