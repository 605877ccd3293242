#!/usr/bin/python3
"""Benchmark (not a test): mxprobe's enumeration (versions, ciphers, groups,
weaknesses) against sslscan and, when installed, testssl.sh, paired in one
run against the same loopback servers as tests/integration/test_enum.py
(Postfix: stock, legacy TLS 1.0/1.1, DHE-1024, healthy; Exim with GnuTLS).

Per tool and server: wall time, TCP connections counted on the wire
(tcpdump, client SYNs to the server's address and port; root needed), and
whether mxprobe's accepted suites are sslscan's.  Called by
tests/bench_enum.sh.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402
import mxexim  # noqa: E402
import mxtest  # noqa: E402
import test_enum  # noqa: E402

PROBES = "versions,ciphers,groups,weaknesses"


def timed(tmp, addr, port, cmd, timeout=900):
    """(seconds, SYNs, CompletedProcess) of one run of cmd."""
    counter = bench.SynCounter(tmp, addr, port)
    counter.start()
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    elapsed = time.monotonic() - t0
    return elapsed, counter.stop(), proc


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mxprobe", default=os.environ.get("MXPROBE") or "build/mxprobe")
    ap.add_argument("--testssl", default="stock",
                    help="comma-separated servers to run testssl.sh against (slow: minutes each); "
                         "'all' or 'none'")
    args = ap.parse_args()
    mxprobe = os.path.abspath(args.mxprobe)
    if not os.access(mxprobe, os.X_OK):
        sys.stderr.write("bench_enum: no mxprobe binary at %s\n" % mxprobe)
        return 2
    if not bench.SynCounter.available() or not shutil.which("sslscan"):
        sys.stderr.write("bench_enum: needs root, tcpdump and sslscan\n")
        return 2
    os.environ["MXPROBE"] = mxprobe
    testssl = shutil.which("testssl") or shutil.which("testssl.sh")

    tmp = mxtest.make_tempdir("mxbench-enum-")
    pf = exim = None
    rows = []
    try:
        block = mxtest.Block(4)
        addrs = block.addrs(4)
        pki = mxtest.Pki(os.path.join(tmp, "pki"), ips=["127.0.0.1"] + addrs)
        pfdir = os.path.join(tmp, "postfix")
        os.makedirs(pfdir)
        os.chmod(pfdir, 0o755)
        pf = mxtest.Postfix(pfdir, test_enum.enum_cases(tmp, pki), block=block)
        pf.__enter__()
        exdir = os.path.join(tmp, "exim")
        os.makedirs(exdir)
        for src, dst in (("rsa.pem", "leaf.pem"), ("rsa.key", "leaf.key")):
            shutil.copy(os.path.join(tmp, src), os.path.join(exdir, dst))
            os.chmod(os.path.join(exdir, dst), 0o644)
        exim_port = mxtest.free_port()
        exim = mxexim.Exim(exdir, [exim_port], test_enum.EXIM_CONF).start()

        servers = [(c.name, c.addr, c.port) for c in pf.order] + [("exim", "127.0.0.1", exim_port)]
        want_testssl = {s[0] for s in servers} if args.testssl == "all" else set(args.testssl.split(","))
        for name, addr, port in servers:
            target = "%s:%d" % (addr, port)
            t_mx, c_mx, p_mx = timed(tmp, addr, port, [mxprobe, "check", target, "--probes", PROBES,
                                                        "--format", "json", "--target-timeout", "300"])
            import json
            doc = json.loads(p_mx.stdout)
            mine, iana = test_enum.ours(doc)
            own = doc["targets"][0]["tls_enumeration"]["connections"]
            t_ss, c_ss, _ = timed(tmp, addr, port, ["sslscan", "--no-colour", "--starttls-smtp", target])
            theirs = test_enum.sslscan(target)
            agree = all(sorted(mine.get(v, [])) == sorted(iana.get(n, n) for n in names)
                        for v, names in theirs.items())
            n_mine = sum(len(v) for k, v in mine.items() if k != "SSLv2")
            n_theirs = sum(len(v) for v in theirs.values())
            row = [name, n_mine, n_theirs, "yes" if agree else "NO", "%.2f" % t_mx, c_mx, own,
                   "%.2f" % t_ss, c_ss, "-", "-"]
            if testssl and name in want_testssl:
                t_ts, c_ts, _ = timed(tmp, addr, port, [testssl, "--quiet", "--color", "0", "--warnings", "off",
                                                        "--starttls", "smtp", "-p", "-e", "-f", target],
                                      timeout=1800)
                row[9:11] = ["%.1f" % t_ts, c_ts]
            rows.append(row)
            sys.stderr.write("bench_enum: %s done\n" % name)
    finally:
        if exim:
            exim.stop()
        if pf:
            pf.__exit__(None, None, None)
        mxtest.remove_tempdir(tmp)

    print("enumeration benchmark: mxprobe --probes %s vs sslscan 2.0.7 (default run)%s"
          % (PROBES, " vs testssl.sh -p -e -f" if testssl else ""))
    print("connections = client SYNs on lo (tcpdump); own = mxprobe's count; suites = accepted suite/version pairs")
    head = ("server", "suites", "sslscan", "same", "mx s", "mx conn", "own", "ss s", "ss conn", "ts s",
            "ts conn")
    print("  ".join("%-8s" % h for h in head))
    for r in rows:
        print("  ".join("%-8s" % str(x) for x in r))
    tot_mx = sum(r[5] for r in rows)
    tot_ss = sum(r[8] for r in rows)
    print("total connections: mxprobe %d, sslscan %d (%.1fx fewer)" % (tot_mx, tot_ss, tot_ss / max(tot_mx, 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
