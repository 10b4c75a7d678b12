"""Starts an execution without waiting for it (`wait_for_completion=False`)."""

from support import make_flow, report

flow = make_flow(wait_for_completion=False)
report(flow.execute("tests.clients", "greet", {"name": "Grace", "count": 2}))
