"""What the client scripts share: building a Flow and printing what happened as JSON.

The server is named by KESTRA_HOSTNAME, as the client reads it. TEST_TENANT selects the
tenant (default `main`); an empty TEST_TENANT leaves it out, so the client uses its
tenant-less routes. Each script prints one JSON object on its last stdout line.
"""

import dataclasses
import json
import os

import requests
from kestra import Flow


def make_flow(**options):
    """A Flow on the test tenant that polls quickly."""
    tenant = os.environ.get("TEST_TENANT", "main") or None
    return Flow(tenant=tenant, poll_interval=0.05, **options)


def report(execution):
    """Prints a FlowExecution."""
    print(json.dumps(dataclasses.asdict(execution)))


def report_failure(error):
    """Prints an exception raised by the client, with the HTTP answer when there is one."""
    failure = {"error": type(error).__name__, "message": str(error)}
    if isinstance(error, requests.HTTPError) and error.response is not None:
        failure["status"] = error.response.status_code
        failure["body"] = error.response.text
    print(json.dumps(failure))
