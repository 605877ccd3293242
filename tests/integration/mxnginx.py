"""A private nginx (Debian's nginx-light) serving HTTPS on one loopback
address, port 443, for the MTA-STS tests.

    web = mxnginx.Nginx(directory, addr, servers).start()
    ...
    web.stop()

`servers` is a list of dicts, one per virtual host (chosen by SNI):
  name      the server_name (mta-sts.DOMAIN)
  cert,key  PEM files (the chain first in cert)
  body      the policy file's bytes (served at /.well-known/mta-sts.txt), or
  redirect  a URL: answer 301 with this Location instead
  type      the Content-Type to serve the file as (default text/plain)

nginx runs in the foreground with one process (daemon off, master_process
off), its own configuration, pid file, error log and temporary paths below
`directory`, and is stopped by its PID.  /usr/sbin/policy-rc.d keeps the
package from starting a system daemon; nothing here touches /etc/nginx.
"""

import os
import signal
import subprocess
import time

import mxtest

NGINX = os.environ.get("NGINX") or "/usr/sbin/nginx"


class Nginx:
    START_DEADLINE = 10.0

    def __init__(self, directory, addr, servers, port=443):
        self.dir = directory
        self.addr = addr
        self.port = port
        self.servers = servers
        self.proc = None

    def _write(self):
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        lines = [
            "daemon off;",
            "master_process off;",
            "worker_processes 1;",
            "pid %s/nginx.pid;" % self.dir,
            "error_log %s/error.log info;" % self.dir,
            "events { worker_connections 64; }",
            "http {",
            "  access_log off;",
            "  types { }",
            "  server_tokens off;",
        ]
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            lines.append("  %s_temp_path %s/tmp/%s;" % (kind, self.dir, kind))
        for i, s in enumerate(self.servers):
            root = os.path.join(self.dir, "www%d" % i)
            os.makedirs(os.path.join(root, ".well-known"), exist_ok=True)
            lines += [
                "  server {",
                "    listen %s:%d ssl;" % (self.addr, self.port),
                "    server_name %s;" % s["name"],
                "    ssl_certificate %s;" % s["cert"],
                "    ssl_certificate_key %s;" % s["key"],
                "    root %s;" % root,
                "    default_type %s;" % s.get("type", "text/plain"),
            ]
            if "redirect" in s:
                lines.append("    location = /.well-known/mta-sts.txt { return 301 %s; }" % s["redirect"])
            else:
                with open(os.path.join(root, ".well-known", "mta-sts.txt"), "wb") as f:
                    f.write(s["body"])
            lines.append("  }")
        lines.append("}")
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        return conf

    def start(self):
        if not os.access(NGINX, os.X_OK):
            raise RuntimeError("%s not found: install Debian's nginx-light package" % NGINX)
        mxtest._assert_loopback(self.addr)
        conf = self._write()
        mxtest.run([NGINX, "-t", "-q", "-p", self.dir, "-e", os.path.join(self.dir, "error.log"),
                    "-c", conf])
        self.proc = subprocess.Popen([NGINX, "-p", self.dir, "-e", os.path.join(self.dir, "error.log"),
                                      "-c", conf], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=mxtest._die_with_parent)
        mxtest._live.add(self)
        end = time.monotonic() + self.START_DEADLINE
        while not mxtest.port_open(self.addr, self.port):
            if self.proc.poll() is not None or time.monotonic() > end:
                self.stop()
                raise RuntimeError("nginx did not listen on %s:%d; log: %s"
                                   % (self.addr, self.port, self.log()))
            time.sleep(0.05)
        return self

    def log(self):
        try:
            with open(os.path.join(self.dir, "error.log"), errors="replace") as f:
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
