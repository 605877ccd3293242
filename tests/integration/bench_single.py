#!/usr/bin/python3
"""Benchmark (not a test): one check, mxprobe against the one-connection
tools, in one paired run against the same private Postfix on loopback.

Called by tests/bench_single.sh.  What it does:

- a test PKI whose leaf names a CRL distribution point and an OCSP responder
  served by a loopback HTTP front, so mxprobe's default check really checks
  revocation; the OCSP answer is signed ahead without a nonce, as big CAs'
  responders serve them (--fresh-ocsp: `openssl ocsp` per request, as in
  test_revocation.py, which mostly measures that process's start);
- one Postfix with that chain on port 25 (STARTTLS) and 587 (submission);
- interleaved runs (tool order rotated each round) of mxprobe's default
  check, posttls-finger, `openssl s_client -starttls smtp` and swaks, each
  verifying the chain against the test root; wall and CPU time (user + system
  of the child) with min / median / max;
- mxprobe's submission check with every probe;
- the same default checks through a relay that adds 50 ms of round-trip
  time (25 ms each way, and one round trip before it connects on, as a TCP
  handshake costs); the relay counts the sequential round trips: the server's
  flights (data after the client spoke) plus the connect.  The HTTP front
  sits behind a relay too, so revocation fetches pay the same delay.

Goals (issue 16): default check within 1.2x posttls-finger's median wall
time; submission check with every probe under 0.3 s; the default check under
0.5 s at 50 ms RTT.  A tool that is not installed is left out (swaks needs
Debian's swaks and libnet-ssleay-perl; posttls-finger is in postfix).
"""

import argparse
import asyncio
import http.server
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402

NAME = mxtest.LEAF_NAME
RTT_MS = 50.0
ALL_PROBES = ("starttls,diagnose,chain,expiry,names,revocation,mtls,auth,access,relay,require-tls,"
              "injection,stripping")


# ---- a relay that delays every byte ------------------------------------

class DelayRelay:
    """TCP relay on 127.0.0.1 to an upstream address: every chunk is
    forwarded one_way seconds after it arrived, in order; before connecting
    on, one round trip (2 * one_way) passes, as a TCP handshake would take.
    Per connection it counts the server's flights (data from upstream after
    the client spoke, or the first)."""

    def __init__(self, loop, upstream):
        self.loop = loop
        self.upstream = upstream
        self.one_way = 0.0
        self.stats = []
        self.lock = threading.Lock()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0), loop).result()
        self.port = self.server.sockets[0].getsockname()[1]

    def take_stats(self):
        with self.lock:
            out, self.stats = self.stats, []
        return out

    @staticmethod
    def _nodelay(writer):
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def _handle(self, creader, cwriter):
        st = {"server_flights": 0, "last": None}
        delay = self.one_way
        try:
            if delay:
                await asyncio.sleep(2 * delay)
            ureader, uwriter = await asyncio.open_connection(*self.upstream)
        except OSError:
            cwriter.close()
            return
        self._nodelay(cwriter)
        self._nodelay(uwriter)

        async def pump(src, dst, side):
            queue = asyncio.Queue()

            async def out():
                while True:
                    due, data = await queue.get()
                    wait = due - self.loop.time()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    if data is None:
                        try:
                            dst.write_eof()
                        except (OSError, RuntimeError):
                            pass
                        return
                    dst.write(data)
                    try:
                        await dst.drain()
                    except OSError:
                        return

            task = asyncio.ensure_future(out())
            while True:
                try:
                    data = await src.read(65536)
                except OSError:
                    data = b""
                if data and st["last"] != side:
                    st["last"] = side
                    if side == "server":
                        st["server_flights"] += 1
                queue.put_nowait((self.loop.time() + delay, data or None))
                if not data:
                    break
            await task

        await asyncio.gather(pump(creader, uwriter, "client"), pump(ureader, cwriter, "server"))
        for w in (cwriter, uwriter):
            w.close()
        with self.lock:
            self.stats.append(st["server_flights"] + 1)  # + the TCP connect


# ---- the CRL / OCSP front (as in test_revocation.py) -------------------

class Front(http.server.ThreadingHTTPServer):
    daemon_threads = True


def make_handler(state):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _send(self, code, body, ctype):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            path = state["files"].get(self.path)
            if not path:
                self._send(404, b"", "text/plain")
                return
            with open(path, "rb") as f:
                self._send(200, f.read(), "application/pkix-crl")

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(n, 65536))
            if state.get("presigned"):
                # Like a big CA's responder behind a CDN: one answer signed
                # ahead, without a nonce, for every request.
                self._send(200, state["presigned"], "application/ocsp-response")
                return
            with state["lock"]:
                state["n"] += 1
                k = state["n"]
            req = os.path.join(state["dir"], "req-%d.der" % k)
            resp = os.path.join(state["dir"], "resp-%d.der" % k)
            with open(req, "wb") as f:
                f.write(body)
            try:
                state["respond"](req, resp)
                with open(resp, "rb") as f:
                    self._send(200, f.read(), "application/ocsp-response")
            except Exception:  # noqa: BLE001 - a 500 shows in mxprobe's output
                self._send(500, b"", "text/plain")

    return Handler


# ---- timing -------------------------------------------------------------

def timed(cmd, env=None, stdin=None):
    """(wall s, CPU s of the child, exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.run(cmd, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          env=env, timeout=60)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode


def summary(vals):
    ms = [v * 1000.0 for v in vals]
    return "%7.1f %7.1f %7.1f" % (min(ms), statistics.median(ms), max(ms))


def tools(args, root, target, addr, port, mail_config):
    """name -> (argv, env, stdin) for one check of target."""
    env = dict(os.environ, NO_COLOR="1", MAIL_CONFIG=mail_config)
    out = {"mxprobe": ([args.mxprobe, "check", "--ca-file", root, "--sni", NAME, target], env, None)}
    if args.baseline:
        out["mxprobe baseline"] = ([args.baseline, "check", "--ca-file", root, "--sni", NAME, target], env, None)
    if shutil.which("posttls-finger"):
        # -c: no SMTP chat log; -l verify -F: the chain against the root.
        out["posttls-finger"] = (["posttls-finger", "-c", "-l", "verify", "-F", root,
                                  "[%s]:%d" % (addr, port)], env, None)
    out["openssl s_client"] = (["openssl", "s_client", "-starttls", "smtp", "-connect", "%s:%d" % (addr, port),
                                "-CAfile", root, "-verify_return_error", "-servername", NAME, "-quiet",
                                "-ign_eof"], env, b"QUIT\r\n")
    if shutil.which("swaks"):
        out["swaks"] = (["swaks", "--server", addr, "--port", str(port), "--tls", "--tls-verify",
                         "--tls-ca-path", root, "--tls-sni", NAME, "--quit-after", "HELO",
                         "--suppress-data"], env, None)
    return out


def paired(runs, cmds):
    """Interleaved runs, the order rotated each round: name -> [(wall, cpu)]."""
    names = list(cmds)
    res = {n: [] for n in names}
    codes = {n: set() for n in names}
    for i in range(runs):
        order = names[i % len(names):] + names[:i % len(names)]
        for n in order:
            argv, env, stdin = cmds[n]
            wall, cpu, rc = timed(argv, env, stdin)
            res[n].append((wall, cpu))
            codes[n].add(rc)
    return res, codes


def report(title, res, codes, base=None, flights=None):
    print(title)
    print("  %-18s %-23s %-23s %s" % ("", "wall ms min/med/max", "CPU ms min/med/max", "exit"))
    for n, vals in res.items():
        line = "  %-18s %s  %s  %s" % (n, summary([w for w, _ in vals]), summary([c for _, c in vals]),
                                        sorted(codes[n]))
        if flights and n in flights:
            line += "  round trips %s" % flights[n]
        print(line)
    if base and base in res and "mxprobe" in res:
        m = statistics.median([w for w, _ in res["mxprobe"]])
        b = statistics.median([w for w, _ in res[base]])
        print("  mxprobe / %s (median wall): %.2fx" % (base, m / b))


def startup(mxprobe, runs):
    walls = [timed([mxprobe, "--version"])[0] for _ in range(runs)]
    ldd = subprocess.run(["ldd", mxprobe], capture_output=True, text=True).stdout
    libs = [line for line in ldd.splitlines() if "=>" in line]
    print("start-up: mxprobe --version  wall ms min/med/max %s   shared libraries %d"
          % (summary(walls), len(libs)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mxprobe", default=os.environ.get("MXPROBE") or "build/mxprobe")
    ap.add_argument("-n", "--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "15")))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--baseline", help="another mxprobe binary (an older build) to run alongside")
    ap.add_argument("--fresh-ocsp", action="store_true",
                    help="answer each OCSP request with `openssl ocsp` (a process per request, the nonce "
                         "echoed) instead of one answer signed ahead")
    args = ap.parse_args()
    args.mxprobe = os.path.abspath(args.mxprobe)
    if args.baseline:
        args.baseline = os.path.abspath(args.baseline)
    if not os.access(args.mxprobe, os.X_OK):
        sys.stderr.write("bench: no mxprobe binary at %s\n" % args.mxprobe)
        return 2
    os.environ["MXPROBE"] = args.mxprobe
    if args.keep:
        os.environ["MXTEST_KEEP"] = "1"

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    tmp = mxtest.make_tempdir("mxbench-")
    front = None
    try:
        # posttls-finger reads main.cf; an empty one is enough (FACTS.md).
        mail_config = os.path.join(tmp, "etc-postfix")
        os.makedirs(mail_config)
        open(os.path.join(mail_config, "main.cf"), "w").close()

        state = {"lock": threading.Lock(), "n": 0, "files": {}, "dir": os.path.join(tmp, "ocsp")}
        os.makedirs(state["dir"])
        front = Front(("127.0.0.1", 0), make_handler(state))
        threading.Thread(target=front.serve_forever, daemon=True).start()
        http_relay = DelayRelay(loop, ("127.0.0.1", front.server_address[1]))
        base = "http://127.0.0.1:%d" % http_relay.port

        pki = mxtest.Pki(os.path.join(tmp, "pki"))
        leaf = pki._make("bench-leaf", "/O=mxprobe tests/CN=" + NAME, pki.inter,
                         ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature",
                          "extendedKeyUsage=serverAuth", "subjectAltName=DNS:%s,IP:127.0.0.1" % NAME,
                          "subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid",
                          "crlDistributionPoints=URI:%s/inter.crl" % base,
                          "authorityInfoAccess=OCSP;URI:%s/ocsp" % base], days=365)
        responder = pki._make("ocsp-signer", "/O=mxprobe tests/CN=mxprobe Test OCSP", pki.inter,
                              ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature",
                               "extendedKeyUsage=OCSPSigning", "subjectKeyIdentifier=hash",
                               "authorityKeyIdentifier=keyid"])
        state["files"]["/inter.crl"] = pki.gen_crl(pki.inter, os.path.join(pki.dir, "inter.crl"))
        state["respond"] = lambda req, resp: pki.ocsp_respond(pki.inter, responder, req, resp)
        if not args.fresh_ocsp:
            req = os.path.join(state["dir"], "presigned-req.der")
            mxtest.run(["openssl", "ocsp", "-issuer", pki.inter.cert, "-cert", leaf.cert, "-no_nonce",
                        "-reqout", req])
            with open(pki.ocsp_respond(pki.inter, responder, req, req + ".resp"), "rb") as f:
                state["presigned"] = f.read()
        chain = pki._concat("bench-full.pem", [leaf.key, leaf.cert, pki.inter.cert])
        root = pki.root.cert

        cases = [mxtest.PostfixCase("bench", {"smtpd_tls_security_level": "may",
                                              "smtpd_tls_chain_files": chain,
                                              "syslog_name": "postfix-bench"}),
                 mxtest.PostfixCase("bench-sub", {"smtpd_tls_security_level": "may",
                                                  "smtpd_tls_chain_files": chain,
                                                  "syslog_name": "postfix-bench-sub"}, port=587)]
        pfdir = os.path.join(tmp, "postfix")
        os.makedirs(pfdir)
        os.chmod(pfdir, 0o755)
        with mxtest.Postfix(pfdir, cases) as pf:
            case = pf.cases["bench"]
            sub = pf.cases["bench-sub"]
            smtp_relay = DelayRelay(loop, (case.addr, case.port))

            # Warm-up (and a look at mxprobe's verdict).
            res = mxtest.run_mxprobe(["check", "--format", "json", "--ca-file", root, "--sni", NAME,
                                      case.target], validate=False)
            worst = res.json["targets"][0]["worst"] if res.json else "?"
            print("mxprobe single-check benchmark, %d interleaved runs per tool" % args.runs)
            print("  binary  %s" % args.mxprobe)
            print("  target  %s (Postfix %s), chain leaf + intermediate, CRL and OCSP on a loopback "
                  "HTTP front; mxprobe's default check: worst finding %s" % (
                      case.target, mxtest.run(["postconf", "-h", "-d", "mail_version"]).stdout.strip(), worst))
            startup(args.mxprobe, args.runs)

            cmds = tools(args, root, case.target, case.addr, case.port, mail_config)
            for argv, env, stdin in cmds.values():
                timed(argv, env, stdin)
            res, codes = paired(args.runs, cmds)
            report("\nloopback, default check (mxprobe checks revocation: OCSP + CRL)", res, codes,
                   base="posttls-finger")

            sub_cmd = {"mxprobe submission, every probe": (
                [args.mxprobe, "check", "--ca-file", root, "--sni", NAME, "--probes", ALL_PROBES,
                 "submission://" + sub.target], dict(os.environ, NO_COLOR="1"), None)}
            one = mxtest.run_mxprobe(["check", "--format", "json"] + sub_cmd["mxprobe submission, every probe"][0][2:],
                                     validate=False)
            if one.json:
                t = one.json["targets"][0]
                print("\n  one submission check: %d connections, target %.0f ms; probes over 2 ms: %s; "
                      "failed: %s" % (t["connections"], t["duration_ms"],
                                      ", ".join("%s %.0f ms" % (p["name"], p["duration_ms"])
                                                for p in t["probes"] if p["duration_ms"] > 2) or "none",
                                      ", ".join(f["id"] for p in t["probes"] for f in p["findings"]
                                                if f["severity"] == "fail") or "none"))
            if args.baseline:
                sub_cmd["baseline submission"] = ([args.baseline] + sub_cmd["mxprobe submission, every probe"][0][1:],
                                                  dict(os.environ, NO_COLOR="1"), None)
            res, codes = paired(args.runs, sub_cmd)
            report("\nloopback, submission check with every probe (%s)" % ALL_PROBES, res, codes)

            smtp_relay.one_way = http_relay.one_way = RTT_MS / 2000.0
            relayed = "127.0.0.1:%d" % smtp_relay.port
            cmds = tools(args, root, relayed, "127.0.0.1", smtp_relay.port, mail_config)
            flights = {}
            for n, (argv, env, stdin) in cmds.items():
                smtp_relay.take_stats()
                timed(argv, env, stdin)
                time.sleep(0.3)  # the relay sees the close one delay later
                flights[n] = smtp_relay.take_stats()
            res, codes = paired(max(5, args.runs // 3), cmds)
            report("\n%.0f ms RTT through a relay (SMTP and the HTTP front), default check" % RTT_MS, res, codes,
                   base="posttls-finger", flights=flights)
            time.sleep(0.3)
            http_relay.take_stats()
            timed(cmds["mxprobe"][0], cmds["mxprobe"][1])
            time.sleep(0.3)
            http_flights = http_relay.take_stats()
            print("  mxprobe's revocation fetches: %d HTTP connections, %s round trips each"
                  % (len(http_flights), http_flights))
        return 0
    finally:
        if front is not None:
            front.shutdown()
            front.server_close()
        loop.call_soon_threadsafe(loop.stop)
        mxtest.remove_tempdir(tmp)


if __name__ == "__main__":
    sys.exit(main())
