#!/usr/bin/env python3
"""Start-up and footprint of a node holding many workshops (docs/BENCHMARKS.md).

    cabildo-load seed --db seeded.db --workshops 10000
    bench/startup.py --bin target/release/cabildo --db seeded.db [--touch 100] [--idle 5]

Starts `cabildo serve` on a copy-free database (the file is used as is), and prints:
the time from spawning the process to the first 200 of /healthz and of /readyz, the RSS
then, after touching `--touch` workshops (a code lookup each: it loads the workshop), and
after they were evicted (`--idle` seconds of --workshop-idle-evict; 0 skips that step),
with the server's own load figures from /metrics, and the time to the end of start-up's
wake (`cabildo_wake_pending_workshops` at 0: on a database without snapshots, the
background fold that follows readiness). Standard library only.
"""
import argparse
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError, OSError):
        return None, ""


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def metrics(base):
    _, text = get(base + "/metrics")
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, _, value = line.rpartition(" ")
        try:
            out[key] = float(value)
        except ValueError:
            pass
    return out


def load_figures(m):
    out = {}
    for source in ("snapshot", "log"):
        n = m.get(f'cabildo_workshop_load_seconds_count{{source="{source}"}}', 0)
        s = m.get(f'cabildo_workshop_load_seconds_sum{{source="{source}"}}', 0)
        if n:
            out[source] = {"loads": int(n), "mean_ms": round(1000 * s / n, 2)}
    out["events_replayed"] = int(m.get("cabildo_workshop_load_events_total", 0))
    out["live"] = int(m.get("cabildo_live_workshops", 0))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--touch", type=int, default=100)
    ap.add_argument("--idle", type=int, default=5)
    a = ap.parse_args()
    codes = sqlite3.connect(a.db).execute(
        "SELECT delegate_code FROM workshops ORDER BY random() LIMIT ?", (a.touch,)
    ).fetchall()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, CABILDO_ADMIN_TOKEN="bench-admin-token-0123456789", RUST_LOG="cabildo=warn")
    args = [a.bin, "serve", "--addr", f"127.0.0.1:{port}", "--db", a.db,
            "--workshop-idle-evict", str(a.idle), "--lookup-rate-limit", "0"]
    load_before = os.getloadavg()
    t0 = time.monotonic()
    # The server's log goes to a file: a pipe nobody reads fills up and blocks it.
    log = open(a.db + ".log", "w")
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=log)
    healthy = ready = None
    try:
        while ready is None:
            if proc.poll() is not None:
                sys.exit("the server exited; its log: " + a.db + ".log")
            if healthy is None and get(base + "/healthz")[0] == 200:
                healthy = time.monotonic() - t0
            if healthy is not None and get(base + "/readyz")[0] == 200:
                ready = time.monotonic() - t0
            else:
                time.sleep(0.005)
        out = {
            "loadavg_at_start": [round(x, 2) for x in load_before],
            "healthz_s": round(healthy, 3),
            "readyz_s": round(ready, 3),
            "rss_ready_kib": rss_kib(proc.pid),
            "at_ready": load_figures(metrics(base)),
        }
        t1 = time.monotonic()
        for (code,) in codes:
            status, body = get(f"{base}/api/codes/{code}")
            if status != 200:
                sys.exit(f"lookup {code}: {status} {body}")
        out["touch"] = len(codes)
        out["touch_s"] = round(time.monotonic() - t1, 3)
        out["rss_touched_kib"] = rss_kib(proc.pid)
        out["after_touch"] = load_figures(metrics(base))
        if a.idle > 0:
            deadline = time.monotonic() + a.idle + 60
            while load_figures(metrics(base))["live"] > 0:
                if time.monotonic() > deadline:
                    sys.exit("the workshops were not evicted")
                time.sleep(0.2)
            out["rss_evicted_kib"] = rss_kib(proc.pid)
            m = metrics(base)
            out["evicted"] = int(m.get("cabildo_workshops_evicted_total", 0))
        deadline = time.monotonic() + 600
        while metrics(base).get("cabildo_wake_pending_workshops", 0) > 0:
            if time.monotonic() > deadline:
                sys.exit("the wake did not end")
            time.sleep(0.1)
        out["wake_done_s"] = round(time.monotonic() - t0, 3)
        out["rss_wake_done_kib"] = rss_kib(proc.pid)
        out["after_wake"] = load_figures(metrics(base))
        print(json.dumps(out, indent=1))
    finally:
        t2 = time.monotonic()
        proc.terminate()
        proc.wait(timeout=60)
        print(json.dumps({"sigterm_to_exit_s": round(time.monotonic() - t2, 3)}))


if __name__ == "__main__":
    main()
