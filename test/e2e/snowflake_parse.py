"""Parses Snowflake SQL with sqlglot's Snowflake dialect, for test/e2e/40-snowflake-sql.e2e.ts.

stdin: a JSON list of {"id": str, "sql": str}. stdout: a JSON list of
{"id", "ok", "kinds": [expression class names], "command": bool, "error": str | None}.

"command" is true when sqlglot could not read the statement's grammar and fell back to an opaque
Command (it logs "contains unsupported syntax. Falling back to parsing as a 'Command'"): such a
statement was only tokenized (quotes, parentheses, literals), so the caller checks it otherwise.
"""
import json
import logging
import sys

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, TokenError


class Fallbacks(logging.Handler):
    def __init__(self):
        super().__init__()
        self.count = 0

    def emit(self, record):
        if "Falling back to parsing as a 'Command'" in record.getMessage():
            self.count += 1


def parse(sql, fallbacks):
    before = fallbacks.count
    try:
        trees = [t for t in sqlglot.parse(sql, read="snowflake", error_level=ErrorLevel.RAISE) if t is not None]
    except (ParseError, TokenError) as e:
        return {"ok": False, "kinds": [], "command": False, "error": str(e).splitlines()[0]}
    if not trees:
        return {"ok": False, "kinds": [], "command": False, "error": "no statement"}
    command = fallbacks.count > before or any(isinstance(t, exp.Command) for t in trees)
    return {"ok": True, "kinds": [type(t).__name__ for t in trees], "command": command, "error": None}


def main():
    fallbacks = Fallbacks()
    logging.getLogger("sqlglot").addHandler(fallbacks)
    logging.getLogger("sqlglot").setLevel(logging.WARNING)
    logging.getLogger("sqlglot").propagate = False
    items = json.load(sys.stdin)
    out = [dict(id=item["id"], **parse(item["sql"], fallbacks)) for item in items]
    json.dump({"sqlglot": sqlglot.__version__, "results": out}, sys.stdout)


if __name__ == "__main__":
    main()
