#!/usr/bin/python3
"""QEMU's QMP round trip on this host, without libvirt: starts a paused, empty QEMU (-S), asks
it N times for `query-status` and then once for every boolean property of its vCPU (what
libvirt's start does to verify a guest CPU: one qom-get each), and prints the times.
Usage: scripts/qmp-roundtrip.py [N] [ACCEL]   (used by scripts/bench-boot.sh)"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
accel = sys.argv[2] if len(sys.argv) > 2 else "tcg"
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "qmp.sock")
    qemu = subprocess.Popen(["qemu-system-x86_64", "-S", "-nodefaults", "-display", "none",
                             "-machine", "pc", "-accel", accel, "-m", "128",
                             "-qmp", "unix:%s,server=on,wait=off" % path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if os.path.exists(path):
                break
            time.sleep(0.05)
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(path)
        stream = sock.makefile("rwb", buffering=0)

        def answer():
            while True:
                msg = json.loads(stream.readline())
                if "return" in msg or "error" in msg or "QMP" in msg:
                    return msg

        def ask(command, **args):
            stream.write(json.dumps({"execute": command, "arguments": args}).encode() + b"\n")
            return answer()

        answer()
        ask("qmp_capabilities")
        t = time.monotonic()
        for _ in range(n):
            ask("query-status")
        status = (time.monotonic() - t) / n
        cpu = "/machine/unattached/device[0]"
        props = [p["name"] for p in ask("qom-list", path=cpu)["return"] if p["type"] == "bool"]
        t = time.monotonic()
        for p in props:
            ask("qom-get", path=cpu, property=p)
        gets = time.monotonic() - t
    finally:
        qemu.kill()
        qemu.wait()
print("QMP round trip (raw QEMU, no libvirt): query-status %.2f ms; qom-get of the vCPU's %d "
      "boolean properties %.3f s (%.2f ms each)" % (status * 1000, len(props), gets,
                                                   gets * 1000 / len(props)))
