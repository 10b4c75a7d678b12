"""Inputs given as Python values that are not strings: the client sends `str()` of each."""

from support import make_flow, report

flow = make_flow()
inputs = {"name": "Ada", "count": 7, "flag": True, "ratio": 0.25, "note": None}
report(flow.execute("tests.clients", "greet", inputs))
