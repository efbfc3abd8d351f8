#!/usr/bin/env python3
"""An HTTP probe for zero-downtime tests: GET http://ADDRESS:PORT/ with the
given Host header about RATE times a second until STOP_FILE exists (or LIMIT
seconds pass), and count every answer that is not a 200 whose body contains
EXPECT (an error, a timeout, another site's page). Prints
"sent N failed M" and then up to 5 failures, one per line.
With PROBE_CA set (a PEM file), it asks over HTTPS instead, verifying the
certificate for HOST against those CAs."""
import http.client
import os
import socket
import ssl
import sys
import time

address, port, host, expect, stop_file = sys.argv[1:6]
rate = float(sys.argv[6]) if len(sys.argv) > 6 else 50.0
limit = float(sys.argv[7]) if len(sys.argv) > 7 else 300.0

# As a browser sends it: with the port when it is not the scheme's own.
ca = os.environ.get("PROBE_CA")
host_header = host if int(port) == (443 if ca else 80) else f"{host}:{port}"
context = ssl.create_default_context(cafile=ca) if ca else None


class HostHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to ADDRESS:PORT, with SNI and verification for HOST."""

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = context.wrap_socket(sock, server_hostname=host)


# An answer slower than this counts as failed: long enough that a busy 2-core
# test machine compiling a fresh PHP copy is not an outage, short enough that
# a stalled reload is.
TIMEOUT = 5


def connection():
    if context:
        return HostHTTPSConnection(address, int(port), timeout=TIMEOUT)
    return http.client.HTTPConnection(address, int(port), timeout=TIMEOUT)


sent = failed = 0
failures = []
start = time.monotonic()
while not os.path.exists(stop_file) and time.monotonic() - start < limit:
    began = time.monotonic()
    sent += 1
    problem = None
    try:
        conn = connection()
        conn.request("GET", "/", headers={"Host": host_header, "Connection": "close"})
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        conn.close()
        if response.status != 200:
            problem = f"HTTP {response.status}"
        elif expect not in body:
            title = body.split("<title>", 1)[1].split("</title>", 1)[0] if "<title>" in body else ""
            problem = "another page: " + (title or body[:80]).replace("\n", " ")
    except Exception as e:  # a refused or reset connection, a timeout
        problem = f"{type(e).__name__}: {e}"
    if problem:
        failed += 1
        if len(failures) < 5:
            failures.append(f"{time.monotonic() - start:.2f}s {problem}")
    time.sleep(max(0.0, 1.0 / rate - (time.monotonic() - began)))
print(f"sent {sent} failed {failed}")
for f in failures:
    print(f)
