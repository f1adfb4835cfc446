"""The shape every background piece of the local stack shares."""

from __future__ import annotations

import abc
import logging
import threading

log = logging.getLogger("sharedwatch.local")


class PollingLoop(abc.ABC):
    """A daemon thread that calls `tick()` until stopped. A tick that found nothing to do waits
    `idle` seconds; one that failed waits a second and goes on (a moto hiccup must not stop the
    stack)."""

    name = "loop"
    idle = 0.1

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @abc.abstractmethod
    def tick(self) -> bool:
        """Do one round of work; True when there was something to do."""

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.tick()
            except Exception as exc:
                log.warning("%s: %s", self.name, exc)
                self._stop.wait(1.0)
                continue
            if not busy:
                self._stop.wait(self.idle)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
