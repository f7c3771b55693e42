"""Worker processes that never outlive the process that started them.

A pool worker waits on its task queue, whose pipe it holds both ends of, so the death of its parent
(SIGKILL, the OOM killer, systemd's stop timeout) never reaches it: it would wait forever, and keep
multiprocessing's resource tracker alive with it.  So each worker watches its parent's pid instead.
"""

from __future__ import annotations

import os
import threading
import time

PARENT_POLL_S = 0.5


def exit_with_parent(parent_pid: int) -> None:
    """Pool initializer: end this process as soon as ``parent_pid`` is no longer its parent.

    Once the parent dies the worker is adopted (by init or a subreaper), so its parent pid changes; a
    parse in progress is abandoned, as its result has no one left to receive it.
    """
    if os.getppid() != parent_pid:  # the parent died while this worker was starting
        os._exit(0)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_S)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
