"""Calls the server refuses. Usage: rejected.py datetime|json|missing|unknown-flow"""

import sys
from datetime import datetime, timezone

from support import make_flow, report, report_failure

CASES = {
    # str() of a datetime has a space where ISO-8601 wants a `T`.
    "datetime": ("greet", {"name": "Ada", "count": 1,
                           "when": datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)}),
    # str() of a dict is its Python repr, with single quotes.
    "json": ("greet", {"name": "Ada", "count": 1, "cfg": {"rows": 42}}),
    "missing": ("greet", {"name": "Ada"}),
    "unknown-flow": ("nope", {"name": "Ada"}),
}

flow_id, inputs = CASES[sys.argv[1]]
flow = make_flow()
try:
    report(flow.execute("tests.clients", flow_id, inputs))
except Exception as error:  # the test reads the failure
    report_failure(error)
