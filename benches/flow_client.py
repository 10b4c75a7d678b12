"""Kestra's Python client (`kestra` from PyPI) as the anchor of the Flow benchmarks.

Driven by flow.mjs; the server is named by KESTRA_HOSTNAME, which the client reads itself.
The client keeps its default settings: `Flow()`, so no tenant (the tenant-less routes) and a
poll interval of 1 s.

    python flow_client.py run <flow id> <count>   sequential executions, one JSON line each
    python flow_client.py file <path>             one FILE input from a path; RSS figures
"""

import json
import os
import resource
import sys
import time

from kestra import Flow

NAMESPACE = "benches.flow"


def rss():
    """The resident set size of this process now, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def max_rss():
    """The peak resident set size of this process so far, in bytes (Linux counts KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run(flow_id, count):
    """Runs `count` executions one after the other; prints when each execute() returned."""
    flow = Flow()
    for i in range(count):
        result = flow.execute(NAMESPACE, flow_id, {"name": f"py{i}"})
        resolved_at = time.time() * 1000
        print(json.dumps({
            "id": result.execution_id,
            "status": result.status,
            "log": result.log,
            "name": f"py{i}",
            "resolvedAt": resolved_at,
        }), flush=True)


def upload(path):
    """One execution with a FILE input, in the tuple form the client documents."""
    flow = Flow()
    # A first execution loads the code every request needs, so the growth below is what the
    # file costs; it polls fast, as only the measured call has to keep the defaults.
    flow.poll_interval = 0.01
    flow.execute(NAMESPACE, "hello", {"name": "warm-up"})
    flow.poll_interval = 1
    baseline = rss()
    peak_before = max_rss()
    started = time.monotonic()
    with open(path, "rb") as handle:
        inputs = {"file": (os.path.basename(path), handle, "application/octet-stream")}
        result = flow.execute(NAMESPACE, "file", inputs)
    seconds = time.monotonic() - started
    print(json.dumps({
        "id": result.execution_id,
        "status": result.status,
        "log": result.log,
        "baseline": baseline,
        "peakBefore": peak_before,
        "peakAfter": max_rss(),
        "seconds": seconds,
    }), flush=True)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "run":
        run(sys.argv[2], int(sys.argv[3]))
    elif mode == "file":
        upload(sys.argv[2])
    else:
        sys.exit(f"unknown mode {mode}")
