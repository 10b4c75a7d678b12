"""Runs a flow with text and number inputs and waits for its end (the README's first example)."""

from support import make_flow, report, report_failure

flow = make_flow()
try:
    report(flow.execute("tests.clients", "greet", {"name": "Ada", "count": 3}))
except Exception as error:  # the test reads the failure
    report_failure(error)
