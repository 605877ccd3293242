#!/usr/bin/python3
"""Benchmark (not a test): wall time and TCP connections of one default
`mxprobe check` against the private test Postfix on loopback.

Called by tests/bench.sh.  Connections are counted on the wire, independently
of mxprobe's own count: client SYNs to the Postfix address captured with
tcpdump when it is installed (root needed), else the "connect from" lines of
that smtpd in the Postfix log.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402


class SynCounter:
    """tcpdump on lo, client SYNs (SYN without ACK) to ADDR:PORT."""

    def __init__(self, directory, addr, port):
        self.path = os.path.join(directory, "syn.pcap")
        self.addr, self.port = addr, port
        self.proc = None

    @staticmethod
    def available():
        return shutil.which("tcpdump") is not None and os.geteuid() == 0

    def start(self):
        filt = ("tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0 "
                "and dst host %s and dst port %d" % (self.addr, self.port))
        # --immediate-mode: with TPACKET_V3's block buffering, packets still in
        # the ring when tcpdump is interrupted are never written (0 captured).
        self.proc = subprocess.Popen(["tcpdump", "-i", "lo", "-n", "-U", "--immediate-mode",
                                      "-w", self.path, filt],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True)
        # tcpdump says "listening on lo" once the capture is armed.
        line = self.proc.stderr.readline()
        if "listening" not in line:
            self.stop()
            raise RuntimeError("tcpdump did not start: %s" % line.strip())

    def stop(self):
        if self.proc is None:
            return 0
        time.sleep(0.2)
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()
        self.proc = None
        out = mxtest.run(["tcpdump", "-n", "-r", self.path], check=False).stdout
        return sum(1 for line in out.splitlines() if line.strip())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mxprobe", default=os.environ.get("MXPROBE") or "build/mxprobe")
    ap.add_argument("-n", "--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "20")))
    ap.add_argument("--case", default="tls-good")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()

    mxprobe = os.path.abspath(args.mxprobe)
    if not os.access(mxprobe, os.X_OK):
        sys.stderr.write("bench: no mxprobe binary at %s (pass its path or set MXPROBE)\n"
                         % mxprobe)
        return 2
    os.environ["MXPROBE"] = mxprobe
    if args.keep:
        os.environ["MXTEST_KEEP"] = "1"

    tmp = mxtest.make_tempdir("mxbench-")
    try:
        pki, pf = mxtest.start_standard_postfix(tmp)
        with pf:
            case = pf.cases[args.case]
            cmd = ["check", case.target]

            # Warm-up, and mxprobe's own view of the check (JSON).
            res = mxtest.run_mxprobe(["check", "--format", "json", case.target], validate=False)
            if res.returncode not in (0, 1) or res.json is None:
                sys.stderr.write("bench: the check does not work:\n%s\n" % res.describe())
                return 1
            own = res.json["targets"][0].get("connections")

            # One check, connections counted on the wire.
            method = "Postfix log ('connect from' lines of %s)" % case.name
            counter = None
            if SynCounter.available():
                counter = SynCounter(tmp, case.addr, case.port)
                try:
                    counter.start()
                    method = "tcpdump on lo (client SYNs to %s)" % case.target
                except (RuntimeError, OSError) as exc:
                    sys.stderr.write("bench: %s; falling back to the Postfix log\n" % exc)
                    counter = None
            mark = pf.mark_log()
            one = mxtest.run_mxprobe(cmd)
            logged = pf.wait_log(mark, case)
            wire = counter.stop() if counter else logged

            # N timed runs of the default check (text output to a pipe).
            mark = pf.mark_log()
            times = []
            codes = set()
            for _ in range(args.runs):
                r = mxtest.run_mxprobe(cmd)
                codes.add(r.returncode)
                times.append(r.elapsed * 1000.0)
            total_logged = pf.wait_log(mark, case, minimum=args.runs)

            print("mxprobe benchmark: one default check against the test Postfix")
            print("  binary           %s" % mxprobe)
            print("  target           %s (%s, Postfix %s)" % (case.target, case.name,
                  mxtest.run(["postconf", "-h", "-d", "mail_version"]).stdout.strip()))
            print("  command          mxprobe %s" % " ".join(cmd))
            print("  runs             %d (exit codes %s)" % (args.runs, sorted(codes)))
            print("  wall time        median %.1f ms   min %.1f ms   max %.1f ms"
                  % (statistics.median(times), min(times), max(times)))
            print("  TCP connections  %d per check, on the wire" % wire)
            print("                   counted with %s" % method)
            print("                   %d connections logged by Postfix over the %d runs"
                  % (total_logged, args.runs))
            print("                   mxprobe's own count: %s" % own)
            if one.returncode not in (0, 1):
                print("  note: the counted check exited %d" % one.returncode)
        return 0
    finally:
        mxtest.remove_tempdir(tmp)


if __name__ == "__main__":
    sys.exit(main())
