"""Which PulseAudio (or PipeWire-Pulse) inputs exist right now.

Asked by hand because Qt 6.11's PulseAudio backend notices inputs that appear
but not inputs that go away: an unplugged microphone stays in
``QMediaDevices.audioInputs()`` and PulseAudio quietly moves the recording to
another source. Qt's device id is the PulseAudio source name, so the two
lists line up. Elsewhere (macOS, Windows, no PulseAudio) this answers None
and Qt's own list is trusted.
"""
from __future__ import annotations

import logging
import sys

log = logging.getLogger("hearth.audio")


class PulseInputs:
    def __init__(self) -> None:
        self._pulse = None

    def names(self) -> set[str] | None:
        """Source names present now, or None when PulseAudio cannot be asked."""
        if not sys.platform.startswith("linux"):
            return None
        try:
            import pulsectl
        except ImportError:
            return None
        for _attempt in range(2):
            try:
                if self._pulse is None:
                    self._pulse = pulsectl.Pulse("hearth-devices", connect=True)
                return {source.name for source in self._pulse.source_list()}
            except Exception as error:  # noqa: BLE001 - server gone or restarted: reconnect once
                log.info("asking PulseAudio for inputs failed: %s", error)
                self.close()
        return None

    def close(self) -> None:
        if self._pulse is not None:
            try:
                self._pulse.close()
            except Exception:  # noqa: BLE001
                pass
            self._pulse = None
