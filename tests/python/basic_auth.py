"""Basic auth through `flow.user` and `flow.password`. Usage: basic_auth.py <user> <password>

An empty user leaves the credentials unset.
"""

import sys

from support import make_flow, report, report_failure

flow = make_flow()
if sys.argv[1]:
    flow.user = sys.argv[1]
    flow.password = sys.argv[2]
try:
    report(flow.execute("tests.clients", "greet", {"name": "Ada", "count": 1}))
except Exception as error:  # the test reads the failure
    report_failure(error)
