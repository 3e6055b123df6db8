"""Lets the rehearsal see which workspace the daemon has loaded, without changing what it does.

Put on the daemon's PYTHONPATH (only the daemon's) with REHEARSAL_DAEMON_PROBE set to a file:
after the daemon's workspace changes (its start, its refresh every 60 s, a watch thread's
refresh of one location), it writes {"time", "locations": {name: {"loaded", "error"}}} there.
The original methods run unchanged; a failure here never reaches the daemon.
"""

import json
import os
import time

_PROBE = os.environ.get("REHEARSAL_DAEMON_PROBE")


def _record(context):
    entries = context._current_workspace.code_location_entries
    state = {
        name: {
            "loaded": entry.code_location is not None and entry.load_error is None,
            "error": entry.load_error.to_string() if entry.load_error is not None else None,
        }
        for name, entry in entries.items()
    }
    tmp = _PROBE + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"time": time.time(), "locations": state}, handle)
    os.replace(tmp, _PROBE)


def _wrap(cls, name):
    original = getattr(cls, name)

    def wrapper(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        try:
            _record(self)
        except Exception:  # noqa: BLE001 - observing must never break the daemon
            pass
        return result

    setattr(cls, name, wrapper)


if _PROBE:
    try:
        from dagster._core.workspace.context import WorkspaceProcessContext

        _wrap(WorkspaceProcessContext, "_update_workspace")
        _wrap(WorkspaceProcessContext, "refresh_code_location")
    except Exception:  # noqa: BLE001
        pass
