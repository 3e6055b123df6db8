"""What the real 1.13.19 packages do with the platform's defs_state_storage.

Usage: python defs_state.py <input.json>, input: {"instance": <storages + defs_state_storage as
rendered>, "localBase": <folder>}. Prints JSON:
- the class the rendered config loads (module/class/config exactly as rendered) and its base_path;
- where a versioned state's latest-version pointer goes: written with the same storage class on a
  local folder, it lands in the instance's run storage (key-value cursors), so an instance with
  another run storage (the throwaway SQLite of a CI job) does not see it.
The gs:// path is only constructed, never accessed (that would need GCP credentials).
"""

import json
import os
import sys
import tempfile
from pathlib import Path

import yaml
from dagster import DagsterInstance
from dagster._core.storage.defs_state.base import DEFS_STATE_INFO_CURSOR_KEY


def instance_from(config):
    home = tempfile.mkdtemp(prefix="defs-state-home-")
    Path(home, "dagster.yaml").write_text(yaml.safe_dump(config))
    return DagsterInstance.from_config(home)


def main(path):
    spec = json.load(open(path, encoding="utf-8"))
    rendered = spec["instance"]
    out = {}
    with instance_from(rendered) as instance:
        storage = instance.defs_state_storage
        out["class"] = f"{type(storage).__module__}.{type(storage).__name__}"
        out["basePath"] = str(storage.base_path)
    local = dict(rendered)
    local["defs_state_storage"] = {**rendered["defs_state_storage"], "config": {"base_path": spec["localBase"]}}
    state = Path(tempfile.mkdtemp()) / "state.json"
    state.write_text('{"tables": ["orders"]}')
    with instance_from(local) as instance:
        instance.defs_state_storage.upload_state_from_path("dbt_project", "v1", state)
        cursors = instance.run_storage.get_cursor_values({DEFS_STATE_INFO_CURSOR_KEY})
        out["pointerKey"] = DEFS_STATE_INFO_CURSOR_KEY
        out["pointerInRunStorage"] = DEFS_STATE_INFO_CURSOR_KEY in cursors
        out["latestVersion"] = instance.defs_state_storage.get_latest_version("dbt_project")
        out["stateFiles"] = sorted(str(p.relative_to(spec["localBase"])) for p in Path(spec["localBase"]).rglob("*") if p.is_file())
    # A CI job's throwaway instance: the same storage and folder, its own (SQLite) run storage.
    throwaway = {"defs_state_storage": local["defs_state_storage"]}
    with instance_from(throwaway) as instance:
        out["seenWithAnotherRunStorage"] = instance.defs_state_storage.get_latest_version("dbt_project")
    print(json.dumps(out))


if __name__ == "__main__":
    os.environ.setdefault("DAGSTER_HOME", tempfile.mkdtemp())
    main(sys.argv[1])
