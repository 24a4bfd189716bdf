#!/usr/bin/env python3
"""Shares of a server's CPU samples by subsystem, from `perf script` output.

    perf record -F 499 -g -p <server pid> -o perf.data -- sleep 18
    perf script -i perf.data -F comm,ip,sym,dso | bench/perf-summary.py

Rust code here has no frame pointers, so user-space call chains are cut short: a sample
is classed by its thread, by the system call in its kernel stack (kernel stacks are
whole) or else by the symbol it was taken in. Shares are of all the process's samples.
"""
import collections
import re
import sys


def samples(lines):
    comm, frames = None, []
    for line in lines:
        if not line.strip():
            if comm is not None:
                yield comm, frames
            comm, frames = None, []
        elif not line[0].isspace():
            comm, frames = line.strip(), []
        else:
            m = re.match(r"\s*[0-9a-f]+ (.*) \((.*)\)$", line.rstrip())
            if m:
                frames.append((m.group(1), m.group(2)))
    if comm is not None:
        yield comm, frames


# (pattern found in the sample's stack, class), first match wins; the last has no pattern.
SQLITE = [
    (r"sqlite3WalDefaultHook|walCheckpoint", "SQLite: the writer's WAL checkpoint (after a commit)"),
    (r"do_fsync", "SQLite: fsync"),
    (r"pwrite", "SQLite: pwrite (WAL frames)"),
    (r"pread", "SQLite: pread"),
    (r"futex|finish_task_switch", "SQLite thread: waiting for work, switching"),
    (r"", "SQLite: B-trees, VDBE, parsing the SQL"),
]
KERNEL = [
    (r"(writev|sock_write_iter|sendmsg|sendto).*(net_rx_action|tcp_v4_rcv)"
     r"|(net_rx_action|tcp_v4_rcv).*(writev|sock_write_iter|sendmsg|sendto)",
     "sends: loopback receive (the generator's sockets)"),
    (r"writev|sock_write_iter|sendmsg|sendto", "sends: TCP send (writev, sendmsg)"),
    (r"eventfd", "wake-ups: eventfd (the I/O driver)"),
    (r"futex", "wake-ups: futex (parking, unparking threads)"),
    (r"epoll_wait", "epoll_wait"),
    (r"sys_read|tcp_recvmsg", "read: socket"),
    (r"finish_task_switch", "context switches (other)"),
    (r"page_fault", "page faults"),
    (r"", "kernel (other)"),
]
# Matched against "symbol (dso)" of the frame the sample was taken in.
USER = [
    (r"(malloc|free|realloc|calloc|_int_).*\(.*libc", "allocation (malloc, free)"),
    (r"memmove|memcpy|memset", "memcpy, memmove"),
    (r"serde|format_escaped", "JSON encoding, decoding"),
    (r"tokio::|mio::|futures_core|AtomicWaker|Pin<P>|PollFn", "tokio: scheduling, wakers, polling"),
    (r"outbox", "Outbox: queueing a frame per recipient"),
    (r"connection|http::ws|frames", "connection layer (frames, reader, writer)"),
    (r"cabildo::", "domain and hub (decide, apply, audiences)"),
    (r"sqlx|flume|rusqlite", "sqlx, flume, rusqlite"),
    (r"", "other (std, hashing, bytes, libc)"),
]


def first_match(rules, text):
    return next(name for pattern, name in rules if re.search(pattern, text))


def classify(comm, frames):
    # sqlx's threads (readers, the checkpointer) and the writer thread (store/sqlite/writer.rs).
    if comm.startswith(("sqlx", "sqlite-writer")):
        return first_match(SQLITE, " ".join(s for s, _ in frames))
    if frames and "kallsyms" in frames[0][1]:
        return first_match(KERNEL, " ".join(s for s, _ in frames))
    leaf, dso = frames[0] if frames else ("", "")
    return first_match(USER, f"{leaf} ({dso})")


def main():
    by_class, by_thread, total = collections.Counter(), collections.Counter(), 0
    for comm, frames in samples(sys.stdin):
        by_class[classify(comm, frames)] += 1
        by_thread[comm] += 1
        total += 1
    if not total:
        sys.exit("no samples")
    print(f"{total} samples")
    for name, n in by_thread.most_common():
        print(f"thread {name}: {100 * n / total:.1f} %")
    print("| share | where |\n|---|---|")
    for name, n in by_class.most_common():
        print(f"| {100 * n / total:.1f} % | {name} |")


if __name__ == "__main__":
    main()
