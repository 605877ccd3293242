"""A private Exim daemon for the integration tests, from Debian's packages
unpacked without installing them (exim-sub.sh: Exim conflicts with Postfix
as a package).

    exim = mxexim.Exim(directory, ports, body).start()
    ...
    exim.stop()

`ports` are ports of 127.0.0.1 (mxtest.free_port); `body` is the rest of
the configuration (TLS options, ACLs, authenticators), with @DIR@ standing
for `directory`.  This module writes the part every test needs: spool,
log and pid file in `directory`, the listeners on loopback only, no DNS or
ident lookups, an empty environment.  A configuration with no routers and
no transports can deliver nothing.

The daemon runs in the foreground (`exim4 -C CONF -bdf`) as a child of the
test; stop() ends it by its PID.  Exim clears a parent-death signal, so a
test killed by SIGKILL (CTest's timeout) leaves it running: the next
mxtest.make_tempdir stops it (stop_stale, by the pid file Exim writes in
DIR) before it removes the dead run's directory.
"""

import glob
import os
import subprocess
import sys
import time

import mxtest

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("MXTEST_EXIM_CACHE", os.path.join("/tmp", "mxtest-exim-cache"))

HEADER = """\
primary_hostname = @HOST@
spool_directory = @DIR@/spool
log_file_path = @DIR@/log/%slog
pid_file_path = @DIR@/exim.pid
local_interfaces = <; @LISTEN@
host_lookup =
rfc1413_hosts =
keep_environment =
"""


def fetch():
    """(binary, LD_LIBRARY_PATH directory) of the unpacked Exim."""
    out = subprocess.run(["sh", os.path.join(HERE, "exim-sub.sh"), CACHE], capture_output=True,
                         text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError("exim-sub.sh failed: %s" % out.stderr)
    vals = dict(line.split("=", 1) for line in out.stdout.split())
    return vals["EXIM"], vals["LIBDIR"]


class Exim:
    def __init__(self, directory, ports, body, host=mxtest.LEAF_NAME):
        self.binary, self.libdir = fetch()
        self.dir = directory
        self.ports = list(ports)
        self.proc = None
        for sub in ("spool", "log"):
            os.makedirs(os.path.join(directory, sub), exist_ok=True)
            subprocess.run(["chown", "Debian-exim:Debian-exim", os.path.join(directory, sub)],
                           check=True)
        os.chmod(directory, 0o755)
        self.conf = os.path.join(directory, "exim.conf")
        listen = " ; ".join("127.0.0.1.%d" % p for p in self.ports)
        conf = (HEADER + body).replace("@HOST@", host).replace("@LISTEN@", listen)
        with open(self.conf, "w") as f:
            f.write(conf.replace("@DIR@", directory))

    def start(self, deadline=10.0):
        env = dict(os.environ, LD_LIBRARY_PATH=self.libdir)
        with open(os.path.join(self.dir, "exim.out"), "w") as out:
            self.proc = subprocess.Popen([self.binary, "-C", self.conf, "-bdf"], env=env,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        mxtest._live.add(self)
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("exim -bdf exited (%s): %s" % (self.proc.returncode, self.log()))
            if all(mxtest.port_open("127.0.0.1", p) for p in self.ports):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("exim did not listen within %.0f s: %s" % (deadline, self.log()))

    def stop(self):
        mxtest._live.discard(self)
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()   # our own daemon, by its PID
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def log(self):
        """stdout/stderr, main log and panic log, for failure messages."""
        text = []
        for name in ("exim.out", "log/mainlog", "log/paniclog"):
            try:
                with open(os.path.join(self.dir, name)) as f:
                    text.append("--- %s\n%s" % (name, f.read()))
            except OSError:
                pass
        return "\n".join(text)


def stop_stale(top):
    """For mxtest.reap_stale: stop an Exim that a killed test left running
    in the temporary directory `top` (the setuid-root-built daemon resets
    its parent-death signal, so it can outlive the test).  Found by the pid
    file it wrote, and stopped only if that process runs a configuration
    below `top`.  False if it would not stop."""
    for pidfile in glob.glob(os.path.join(top, "*", "exim.pid")):
        pid = mxtest._read_pid(pidfile)
        conf = os.path.join(os.path.dirname(pidfile), "exim.conf")
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except (OSError, TypeError):
            continue
        if conf.encode() not in argv:
            continue
        sys.stderr.write("mxtest: stopping the test Exim a killed run left in %s\n" % top)
        os.kill(pid, 15)
        end = time.monotonic() + 5
        while mxtest._alive(pid) and time.monotonic() < end:
            time.sleep(0.05)
        if mxtest._alive(pid):
            return False
    return True
