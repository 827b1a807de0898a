"""Flask's own session serializer, timed: the Python contender of `npm run bench` (bench/flask.ts).

Reads {"secret", "data": {size: dict}, "rounds", "budget_ms"} as JSON on stdin and writes, as JSON
on stdout, nanoseconds per operation for each size and scenario, per round: read (loads), write
(dumps of the size's data) and full (loads, visits + 1, dumps). The serializer is the one Flask's
SecureCookieSessionInterface builds for the app (itsdangerous URLSafeTimedSerializer over Flask's
TaggedJSONSerializer, HMAC-SHA-1, zlib when shorter), used as Flask uses it: loads with max_age.
No HTTP objects, as in the issue's measurement.
"""

import json
import sys
import time

import flask
from flask import Flask

req = json.load(sys.stdin)
app = Flask("bench")
app.secret_key = req["secret"]
max_age = int(app.permanent_session_lifetime.total_seconds())
rounds = int(req["rounds"])
budget_ns = int(req["budget_ms"]) * 1_000_000
BATCH = 64

out = {"version": f"Flask {flask.__version__} on CPython {sys.version.split()[0]}", "cookieBytes": {}, "results": {}}


def quantiles(samples):
    s = sorted(samples)
    n = len(s)
    return {"p25": s[n // 4], "p50": s[n // 2], "p75": s[(3 * n) // 4], "n": n}


def sample(fn):
    """One round: batches of BATCH calls until the budget is spent (at least 6 batches)."""
    samples = []
    started = time.perf_counter_ns()
    while len(samples) < 6 or time.perf_counter_ns() - started < budget_ns:
        t0 = time.perf_counter_ns()
        for _ in range(BATCH):
            fn()
        samples.append((time.perf_counter_ns() - t0) / BATCH)
    return quantiles(samples)


with app.test_request_context():
    serializer = app.session_interface.get_signing_serializer(app)
    for size, data in req["data"].items():
        token = serializer.dumps(dict(data))
        if serializer.loads(token, max_age=max_age) != data:
            sys.exit(f"flask: {size} session did not round-trip")
        out["cookieBytes"][size] = len("session=" + token)

        def read(token=token):
            return serializer.loads(token, max_age=max_age)

        def write(data=data):
            return serializer.dumps(dict(data))

        def full(token=token):
            session = serializer.loads(token, max_age=max_age)
            session["visits"] += 1
            return serializer.dumps(session)

        scenarios = {"read": read, "write": write, "full": full}
        for fn in scenarios.values():  # warm-up
            for _ in range(200):
                fn()
        out["results"][size] = {name: [] for name in scenarios}
        for _ in range(rounds):
            for name, fn in scenarios.items():
                out["results"][size][name].append(sample(fn))

json.dump(out, sys.stdout)
