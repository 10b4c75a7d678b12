"""Uploads a file to a FILE input. Usage: upload.py files|tuple <path>

`files` is the form of the client's docstring, `{'files': ('myfile', fh, 'text/plain')}`: the
file name is the input id. `tuple` names the part after the input and keeps the file name.
"""

import sys

from support import make_flow, report

form, path = sys.argv[1], sys.argv[2]
flow = make_flow()
with open(path, "rb") as fh:
    if form == "files":
        inputs = {"files": ("myfile", fh, "text/plain")}
    else:
        inputs = {"myfile": ("notes.txt", fh, "text/plain")}
    report(flow.execute("tests.clients", "upload", inputs))
