#!/usr/bin/python3
"""DNS for the integration tests: Debian's unbound in the foreground with a
private configuration on a loopback address and a free port (stopped by
its PID), serving local-data zones and, for DNSSEC and DANE, zone files
signed at test time with ldns-signzone (ldnsutils) under a throwaway key
made by ldns-keygen, served as unbound auth-zones (RRSIGs answered to
queries with the DO bit).  The key's DS file is the trust anchor mxprobe
gets with --trust-anchor."""

import glob
import os
import shutil
import signal
import socket
import subprocess
import time

import mxtest

UNBOUND = os.environ.get("UNBOUND") or "/usr/sbin/unbound"


def free_udp_tcp_port(host):
    """A port free for both UDP and TCP on host (unbound listens on both)."""
    for _ in range(50):
        port = mxtest.free_port(host)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            u.close()
    raise RuntimeError("no free UDP+TCP port on %s" % host)


class Unbound:
    """Debian's unbound in the foreground with a private configuration."""

    START_DEADLINE = 15.0

    def __init__(self, directory, local_data, host="127.0.0.1", auth_zones=None):
        """local_data: {zone: [RR text]}; auth_zones: {zone: zone file}
        served as an authoritative zone (signed or not)."""
        self.dir = directory
        self.host = host
        self.port = None
        self.local_data = local_data
        self.auth_zones = auth_zones or {}
        self.proc = None

    def start(self):
        if not os.access(UNBOUND, os.X_OK):
            raise RuntimeError("%s not found: install Debian's unbound package" % UNBOUND)
        mxtest._assert_loopback(self.host)
        self.port = free_udp_tcp_port(self.host)
        conf = os.path.join(self.dir, "unbound.conf")
        lines = [
            "server:",
            "  interface: %s@%d" % (self.host, self.port),
            "  port: %d" % self.port,
            "  do-daemonize: no",
            '  chroot: ""',
            '  username: ""',
            '  directory: "%s"' % self.dir,
            '  pidfile: "%s"' % os.path.join(self.dir, "unbound.pid"),
            "  use-syslog: no",
            '  logfile: "%s"' % os.path.join(self.dir, "unbound.log"),
            "  verbosity: 1",
            '  module-config: "iterator"',   # no validator, no trust anchor fetches
            "  do-ip6: no",
            "  access-control: 127.0.0.0/8 allow",
            '  local-zone: "." static',        # everything else: NXDOMAIN, never recursed
        ]
        for zone, records in self.local_data.items():
            lines.append('  local-zone: "%s." static' % zone)
            for rr in records:
                # a TXT record's own quotes: the line in single quotes
                q = "'" if '"' in rr else '"'
                lines.append("  local-data: %s%s%s" % (q, rr, q))
        # An auth-zone answers after the local zones: a transparent one
        # lets its queries past "." static.
        for zone in self.auth_zones:
            lines.append('  local-zone: "%s." transparent' % zone)
        for zone, path in self.auth_zones.items():
            lines += ["auth-zone:", '  name: "%s."' % zone, '  zonefile: "%s"' % path,
                      "  for-downstream: yes", "  for-upstream: no"]
        lines += ["remote-control:", "  control-enable: no", ""]
        with open(conf, "w") as f:
            f.write("\n".join(lines))
        if shutil.which("unbound-checkconf"):
            mxtest.run(["unbound-checkconf", conf])     # fail early, with unbound's words
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", conf], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     preexec_fn=mxtest._die_with_parent)
        mxtest._live.add(self)
        end = time.monotonic() + self.START_DEADLINE
        while not mxtest.port_open(self.host, self.port):
            if self.proc.poll() is not None or time.monotonic() > end:
                out = self.proc.stdout.read().decode(errors="replace") if self.proc.poll() is not None \
                    else ""
                self.stop()
                raise RuntimeError("unbound did not listen on %s:%d; output: %s; log: %s"
                                   % (self.host, self.port, out, self.log()))
            time.sleep(0.05)
        return self

    def log(self):
        try:
            with open(os.path.join(self.dir, "unbound.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        mxtest._live.discard(self)
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)     # by its PID: the one we started
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()

    @property
    def resolver(self):
        return "%s:%d" % (self.host, self.port)


def signed_zone(directory, zone, records, tamper=()):
    """Writes zone (SOA, NS and records, RR text relative to nothing:
    absolute names) to DIRECTORY/ZONE.zone, signs it with a new
    ECDSAP256SHA256 key (ldns-keygen, then ldns-signzone with NSEC), and
    breaks the signature of every RRSIG over (owner, type) in tamper, so
    that a validator finds that RRset bogus.  Returns (signed zone file,
    DS file for --trust-anchor)."""
    for tool in ("ldns-keygen", "ldns-signzone"):
        if not shutil.which(tool):
            raise RuntimeError("%s not found: install Debian's ldnsutils" % tool)
    path = os.path.join(directory, zone + ".zone")
    with open(path, "w") as f:
        f.write("$TTL 300\n")
        f.write("%s. IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n" % (zone, zone, zone))
        f.write("%s. IN NS ns.%s.\n" % (zone, zone))
        f.write("ns.%s. IN A 127.0.0.1\n" % zone)
        for rr in records:
            f.write(rr + "\n")
    key = mxtest.run(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", zone], cwd=directory).stdout.strip()
    mxtest.run(["ldns-signzone", path, key], cwd=directory)
    signed = path + ".signed"
    if tamper:
        out = []
        with open(signed) as f:
            for line in f:
                w = line.split()
                if len(w) > 5 and w[3] == "RRSIG" and (w[0].rstrip("."), w[4]) in tamper:
                    sig = w[-1]
                    w[-1] = ("A" if sig[0] != "A" else "B") + sig[1:]
                    line = "\t".join(w) + "\n"
                out.append(line)
        with open(signed, "w") as f:
            f.writelines(out)
    ds = os.path.join(directory, key + ".ds")
    if not os.path.exists(ds):
        ds = glob.glob(os.path.join(directory, "K%s.*.ds" % zone))[0]
    return signed, ds
