#!/usr/bin/env python3
"""The service manager's end of NOTIFY_SOCKET, for tests (Node cannot bind a
unix datagram socket). Binds SOCKPATH, then prints one JSON line per datagram
on stdout: the payload, the sender's pid from SCM_CREDENTIALS, the number of
passed fds, and CLOCK_MONOTONIC at receipt in microseconds. Passed fds are
closed at once: systemd-notify's BARRIER=1 waits until its pipe fd is closed,
as systemd does once it has processed the earlier messages.
The first line is {"bound": true} once the socket exists.
usage: notify-receiver.py SOCKPATH"""
import array
import json
import os
import socket
import sys
import time

path = sys.argv[1]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)  # as systemd does: the kernel then attaches the sender's credentials
s.bind(path)
print(json.dumps({"bound": True}), flush=True)
ANCILLARY = socket.CMSG_SPACE(12) + socket.CMSG_SPACE(16 * 4)
while True:
    data, ancillary, _flags, _addr = s.recvmsg(65536, ANCILLARY)
    fds, pid = [], None
    for level, kind, cdata in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            a = array.array("i")
            a.frombytes(cdata[: len(cdata) - len(cdata) % 4])
            fds += list(a)
        elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = array.array("i", cdata[:12])[0]
    for fd in fds:
        os.close(fd)
    record = {"payload": data.decode("utf-8", "replace"), "pid": pid, "nfds": len(fds), "monotonic_usec": time.monotonic_ns() // 1000}
    print(json.dumps(record), flush=True)
