#!/usr/bin/env python3
"""The floor under a durable write on this machine (issue #19).

Times the cheapest durable write a server could make per group commit, whatever its store:
one 4 KiB `pwrite` with `O_DSYNC` into a file allocated and zeroed beforehand (an overwrite
in place: no metadata for the file system to journal), or with `O_DIRECT` as well (no page
cache). It reports each write's latency and the process's CPU per write, so the figures can
be set against a delivery's p99 and CPU per delivery:

    bench/dsync-floor.py [--mode dsync|direct|fdatasync|none] [--rate N] [--seconds S] [--dir D]

`--rate N` starts a write every 1/N s (a group commit's pace; 0: back to back, as a
committer that always finds work). `--mode none` runs the same loop without writing: its
CPU per turn is the script's own, to subtract. Run it alone, then beside a benchmark (e.g.
`bench/run.sh bun …`) to see the write under the same load as the server measured.
"""
import argparse
import json
import mmap
import os
import resource
import tempfile
import time

FILE_BYTES = 64 << 20


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    i = min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))
    return sorted_values[i]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=["dsync", "direct", "fdatasync", "none"], default="dsync",
                    help="none: the same loop without the write (its own CPU, to subtract)")
    ap.add_argument("--rate", type=float, default=0.0, help="writes per second (0: back to back)")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--dir", default=None, help="where the file goes (default: $TMPDIR)")
    args = ap.parse_args()

    handle, fd_path = tempfile.mkstemp(dir=args.dir, prefix="dsync-floor-")
    os.close(handle)
    try:
        # Allocate and zero the whole file first, then sync it: later writes overwrite blocks
        # that exist and are written, so the file system has no metadata to commit.
        with open(fd_path, "wb") as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(FILE_BYTES >> 20):
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        flags = os.O_WRONLY
        if args.mode in ("dsync", "direct"):
            flags |= os.O_DSYNC
        if args.mode == "direct":
            flags |= os.O_DIRECT
        fd = os.open(fd_path, flags)
        buf = mmap.mmap(-1, args.size)  # page-aligned, as O_DIRECT needs
        buf.write(b"x" * args.size)
        latencies = []
        offset = 0
        interval = 1.0 / args.rate if args.rate > 0 else 0.0
        start = time.monotonic()
        next_at = start
        cpu_before = cpu_seconds()
        while True:
            now = time.monotonic()
            if now - start >= args.seconds:
                break
            if interval:
                if now < next_at:
                    time.sleep(next_at - now)
                next_at += interval
            t0 = time.monotonic()
            if args.mode != "none":
                os.pwrite(fd, buf, offset)
            if args.mode == "fdatasync":
                os.fdatasync(fd)
            latencies.append(time.monotonic() - t0)
            offset = (offset + args.size) % FILE_BYTES
        cpu = cpu_seconds() - cpu_before
        os.close(fd)
    finally:
        os.unlink(fd_path)

    latencies.sort()
    ms = lambda s: round(s * 1000, 3)
    print(json.dumps({
        "mode": args.mode,
        "size": args.size,
        "rate": args.rate,
        "writes": len(latencies),
        "p50_ms": ms(percentile(latencies, 50)),
        "p99_ms": ms(percentile(latencies, 99)),
        "p999_ms": ms(percentile(latencies, 99.9)),
        "max_ms": ms(latencies[-1] if latencies else 0),
        "cpu_us_per_write": round(cpu / max(1, len(latencies)) * 1e6, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }))


if __name__ == "__main__":
    main()
