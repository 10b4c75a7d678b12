"""Labels taken from the inputs (`labels_from_inputs=True`). Usage: labels.py plain|hash|file

The client appends `labels=key:value` for every input without encoding it, so `&` and `#`
in a value change what the server reads.
"""

import sys

from support import make_flow, report

case = sys.argv[1]
flow = make_flow(labels_from_inputs=True)
if case == "plain":
    report(flow.execute("tests.clients", "greet",
                        {"name": "Ada Lovelace", "count": 2, "note": "R&D"}))
elif case == "hash":
    report(flow.execute("tests.clients", "greet", {"name": "Ada", "note": "C#", "count": 2}))
else:
    with open(sys.argv[2], "rb") as fh:
        report(flow.execute("tests.clients", "upload",
                            {"myfile": ("notes.txt", fh, "text/plain")}))
