"""mxprobe listen as a test peer: started on a loopback address, its
standard output (one JSON line per session with -f jsonl) read as it grows,
stopped by SIGTERM (its own clean stop), by PID only."""

import json
import os
import signal
import subprocess
import time

import mxtest


def validate(doc):
    """One jsonl record against docs/mxprobe.schema.json's listen_session
    or listen_summary definition."""
    import jsonschema
    main = mxtest.load_schema()
    name = "listen_session" if doc.get("type") == "session" else "listen_summary"
    schema = {"$schema": main["$schema"], "$defs": main["$defs"], "$ref": "#/$defs/" + name}
    cls = jsonschema.validators.validator_for(schema)
    errors = list(cls(schema).iter_errors(doc))
    if errors:
        raise AssertionError("mxprobe listen record does not validate (%s): %s\n%s"
                             % (name, "; ".join("/%s: %s" % ("/".join(map(str, e.absolute_path)),
                                                             e.message[:300]) for e in errors[:5]),
                                json.dumps(doc)[:2000]))


class Listener:
    def __init__(self, directory, addr, args, port=None, name="listen"):
        mxtest._assert_loopback(addr)
        self.addr = addr
        self.port = port or mxtest.free_port(addr)
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.out_path = os.path.join(directory, name + ".out")
        self.err_path = os.path.join(directory, name + ".err")
        self.args = list(args)
        self.proc = None
        self.returncode = None

    @property
    def where(self):
        return ("[%s]:%d" if ":" in self.addr else "%s:%d") % (self.addr, self.port)

    def start(self, deadline=20.0):
        cmd = [mxtest.mxprobe_path(), "listen"] + self.args + [self.where]
        self.out = open(self.out_path, "wb")
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=self.err, stdin=subprocess.DEVNULL)
        end = time.monotonic() + deadline
        while "listening on" not in self.stderr():
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError("mxprobe listen did not start (exit %s):\n%s"
                                   % (self.proc.poll(), self.stderr()))
            time.sleep(0.05)
        return self

    def stdout(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def records(self, kind="session"):
        out = []
        for line in self.stdout().splitlines():
            if line.startswith("{"):
                doc = json.loads(line)
                validate(doc)
                if doc.get("type") == kind:
                    out.append(doc)
        return out

    def wait_records(self, n, deadline=60.0):
        end = time.monotonic() + deadline
        while True:
            recs = self.records()
            if len(recs) >= n or time.monotonic() > end or self.proc.poll() is not None:
                return recs
            time.sleep(0.1)

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return None

    def stop(self, timeout=30):
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()       # our own child, by its PID
                self.proc.wait()
        self.returncode = self.proc.returncode
        self.proc = None
        self.out.close()
        self.err.close()
        return self.returncode

    def wait(self, timeout=30):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return self.stop()
        self.returncode = self.proc.returncode
        self.proc = None
        self.out.close()
        self.err.close()
        return self.returncode
