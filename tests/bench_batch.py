#!/usr/bin/python3
"""Benchmark (not a test) for many targets at once (issue 11), on loopback:

  1. STARTTLS + certificate checks per second for 100, 500 and 1000 targets
     (--probes starttls,chain,expiry,names: one connection per target),
     against SERVERS mxtestsrv "good" servers, each on its own loopback
     address, the targets spread over them round-robin;
  2. peak RSS per concurrent target: the same 100 targets with --jobs 1 and
     with --jobs 64, (RSS_64 - RSS_1) / 63;
  3. a mixed batch: 30 targets of which a third are hostile (silent, tarpit,
     421, reset), --timeout 4 --target-timeout 12: total time against the
     longest single deadline and against the sum of the targets' times.

    tests/bench_batch.py [--mxprobe build/rel/mxprobe] [--mxtestsrv ...] [--servers 40]

Use a build without sanitizers (cmake -DCMAKE_BUILD_TYPE=Release). The
servers run on the same cores as mxprobe, so the figures are a floor.
testssl.sh is not in Debian 12's packages and cannot be installed here; its
figures are not compared (docs/scale.md says what it does instead).
"""

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "integration"))

import mxtest  # noqa: E402


CPU = {}


def run(mx, targets_file, extra, timeout=900):
    """Wall time, peak RSS (KiB) of one mxprobe run, and its JSON lines;
    CPU["last"] gets mxprobe's user + system seconds (the machine may be
    shared: CPU time is the steadier figure)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", mx, "check", "--targets-file",
                             targets_file, "--format", "jsonl", "-q"] + extra,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=timeout)
    wall = time.monotonic() - t0
    rss, user, system = err.strip().splitlines()[-1].split()
    CPU["last"] = float(user) + float(system)
    return wall, int(rss), [x for x in out.splitlines() if x.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mxprobe", default=os.path.join(mxtest.SOURCE_DIR, "build", "rel", "mxprobe"))
    ap.add_argument("--mxtestsrv", default=os.path.join(mxtest.SOURCE_DIR, "build", "rel", "tests",
                                                        "testsrv", "mxtestsrv"))
    ap.add_argument("--servers", type=int, default=40)
    args = ap.parse_args()
    os.environ["MXTESTSRV"] = os.path.abspath(args.mxtestsrv)
    mx = os.path.abspath(args.mxprobe)
    tmp = mxtest.make_tempdir("mxbench-batch-")
    servers = []
    block = mxtest.Block(args.servers + 12)
    try:
        addrs = block.addrs(args.servers + 12)
        pki = mxtest.Pki(os.path.join(tmp, "pki"), ips=["127.0.0.1"] + addrs)
        for a in addrs[:args.servers]:
            servers.append(mxtest.TestServer("good", pki=pki, host=a).start())
        common = ["--ca-file", pki.root.cert, "--revocation", "off",
                  "--probes", "starttls,chain,expiry,names", "--timeout", "10",
                  "--target-timeout", "120"]
        print("mxprobe %s, %d mxtestsrv servers on their own loopback addresses, %d cores"
              % (mx, args.servers, os.cpu_count()))
        print("\n1. STARTTLS + certificate checks (one connection each), default --jobs and --per-host")
        for n in (100, 500, 1000):
            path = os.path.join(tmp, "t%d.txt" % n)
            with open(path, "w") as f:
                for i in range(n):
                    f.write(servers[i % len(servers)].target + "\n")
            wall, rss, lines = run(mx, path, common)
            print("   %5d targets: %6.2f s, %6.1f checks/s, mxprobe CPU %.1f s (%.1f checks per CPU s),"
                  " %d lines, peak RSS %d KiB"
                  % (n, wall, n / wall, CPU["last"], n / max(CPU["last"], 0.01), len(lines), rss))
        # The chain probe loads the trust stores (--ca-file and the system
        # store) once per target: without it, what the engine itself costs.
        path = os.path.join(tmp, "t500.txt")
        wall, rss, lines = run(mx, path, [a if a != "starttls,chain,expiry,names" else
                                          "starttls,expiry,names" for a in common])
        print("   500 targets without the chain probe (no trust store per target): %.2f s, %.1f checks/s,"
              " mxprobe CPU %.1f s, peak RSS %d KiB" % (wall, 500 / wall, CPU["last"], rss))
        print("   load average now: %s" % " ".join("%.1f" % x for x in os.getloadavg()))
        print("\n2. Peak RSS per concurrent target (100 targets)")
        path = os.path.join(tmp, "t100.txt")
        _, rss1, _ = run(mx, path, common + ["--jobs", "1"])
        _, rss64, _ = run(mx, path, common + ["--jobs", "64", "--per-host", "4"])
        print("   --jobs 1: %d KiB, --jobs 64: %d KiB -> %.1f KiB per concurrent target"
              % (rss1, rss64, (rss64 - rss1) / 63.0))
        print("\n3. Mixed batch, a third hostile (--timeout 4 --target-timeout 12)")
        hostile = []
        for a, b in zip(addrs[args.servers:], ["silent", "tarpit", "banner-421", "reset"] * 3):
            extra = ["--tarpit-ms", "70"] if b == "tarpit" else []
            s = mxtest.TestServer(b, pki=pki, host=a, extra=extra).start()
            servers.append(s)
            hostile.append(s)
        path = os.path.join(tmp, "mixed.txt")
        with open(path, "w") as f:
            for i in range(18):
                f.write(servers[i % args.servers].target + "\n")
                if i % 3 == 2:
                    f.write(hostile[(i // 3) % len(hostile)].target + "\n")
            for h in hostile[6:]:
                f.write(h.target + "\n")
        mixed = ["--ca-file", pki.root.cert, "--revocation", "off", "--timeout", "4",
                 "--target-timeout", "12"]
        wall, rss, lines = run(mx, path, mixed)
        import json
        docs = [json.loads(x) for x in lines]
        durs = [d["targets"][0]["duration_ms"] / 1000 for d in docs if d["targets"]]
        print("   %d targets (%d hostile): %.2f s in all; longest target %.2f s; sum of targets %.2f s;"
              " every target reported: %s" % (len(durs), len(hostile), wall, max(durs), sum(durs),
                                              len(durs) == 18 + len(hostile)))
        print("\ntestssl.sh --file --parallel: not run (testssl.sh is not in Debian 12's packages"
              " and cannot be installed on this machine)")
    finally:
        for s in servers:
            s.stop()
        block.release()
        mxtest.remove_tempdir(tmp)


if __name__ == "__main__":
    main()
