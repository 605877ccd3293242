"""Drive mxprobe's TUI headlessly with tmux (FACTS.md "TUI tests"): a
private server socket, a fixed size, TERM=xterm-256color, send-keys, and
capture-pane (-e for attributes).  The program runs in a shell that, when it
exits, writes its exit status and the terminal modes (stty -a) to files, so
a test can tell that the terminal was given back clean."""

import os
import re
import shlex
import shutil
import subprocess
import time

import mxtest

TMUX = shutil.which("tmux") or "/usr/bin/tmux"

# Where the sample captures go when MXTEST_WRITE_SAMPLES=1 (samples/tui-*.txt).
SAMPLES = os.path.join(mxtest.SOURCE_DIR, "samples")


class Tui:
    """One mxprobe TUI in a tmux server of its own."""

    def __init__(self, tmp, args, width=80, height=24, env=None, name="tui"):
        self.tmp = tmp
        self.sock = os.path.join(tmp, name + ".sock")
        self.status_file = os.path.join(tmp, name + ".exit")
        self.stty_file = os.path.join(tmp, name + ".stty")
        self.stderr_file = os.path.join(tmp, name + ".stderr")
        e = {"TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "", "TZ": "UTC",
             "NO_COLOR": ""}
        e.update(env or {})
        unset = " ".join("-u %s" % k for k, v in e.items() if v == "")
        envs = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in e.items() if v != "")
        # The shell ignores Ctrl-C (mxprobe installs its own handler), so
        # that it lives on to record the exit status and the modes.
        cmd = "trap '' INT; cd %s && env %s %s %s %s 2>%s; echo $? > %s; stty -a > %s 2>&1; sleep 600" % (
            shlex.quote(tmp), unset, envs, shlex.quote(mxtest.mxprobe_path()),
            " ".join(shlex.quote(a) for a in args), shlex.quote(self.stderr_file),
            shlex.quote(self.status_file), shlex.quote(self.stty_file))
        self.tmux("new-session", "-d", "-x", str(width), "-y", str(height), "sh", "-c", cmd)

    def tmux(self, *args, check=True):
        return subprocess.run([TMUX, "-S", self.sock, "-f", "/dev/null"] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=20, check=check)

    def send(self, *keys, pause=0.25):
        for k in keys:
            self.tmux("send-keys", k)
            time.sleep(0.05)
        time.sleep(pause)

    def type(self, text, pause=0.25):
        self.tmux("send-keys", "-l", text)
        time.sleep(pause)

    def capture(self, attrs=False):
        args = ["capture-pane", "-p"] + (["-e"] if attrs else [])
        return self.tmux(*args).stdout

    def wait_for(self, pattern, timeout=30.0, attrs=False):
        """Waits until the screen matches pattern (a regular expression);
        returns the screen, or fails with the last one."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture(attrs)
            if re.search(pattern, screen):
                return screen
            time.sleep(0.1)
        raise AssertionError("screen never showed %r; last screen:\n%s\nstderr: %s"
                             % (pattern, screen, self.stderr()))

    def resize(self, width, height):
        self.tmux("resize-window", "-x", str(width), "-y", str(height))
        time.sleep(0.4)

    def display(self, fmt):
        return self.tmux("display-message", "-p", fmt).stdout.strip()

    def exit_status(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.status_file):
                with open(self.status_file) as f:
                    text = f.read().strip()
                if text:
                    time.sleep(0.2)  # stty -a after it
                    return int(text)
            time.sleep(0.1)
        raise AssertionError("mxprobe did not exit; screen:\n%s" % self.capture())

    def stty(self):
        with open(self.stty_file) as f:
            return f.read()

    def stderr(self):
        try:
            with open(self.stderr_file) as f:
                return f.read()
        except OSError:
            return ""

    def close(self):
        self.tmux("kill-server", check=False)

    def clean_terminal(self, testcase):
        """After mxprobe exited: the alternate screen is left, the cursor is
        shown, and the modes are back (canonical input, echo)."""
        testcase.assertEqual(self.display("#{alternate_on}"), "0", "still on the alternate screen")
        testcase.assertEqual(self.display("#{cursor_flag}"), "1", "cursor left hidden")
        modes = self.stty()
        for mode in ("icanon", "echo", "isig", "icrnl"):
            testcase.assertRegex(modes, r"(^|\s)%s(\s|$)" % mode,
                                 "terminal mode %s not restored:\n%s" % (mode, modes))


def save_sample(name, text):
    """Keeps a capture as samples/NAME when MXTEST_WRITE_SAMPLES=1."""
    if os.environ.get("MXTEST_WRITE_SAMPLES") != "1":
        return
    lines = [line.rstrip() for line in text.rstrip("\n").split("\n")]
    with open(os.path.join(SAMPLES, name), "w") as f:
        f.write("\n".join(lines) + "\n")


SGR = re.compile(r"\x1b\[([0-9;]*)m")


def sgr_params(text):
    """Every SGR parameter list in an attribute capture."""
    return SGR.findall(text)


def has_colour(text):
    for params in sgr_params(text):
        for p in params.split(";"):
            if p and int(p) not in (39, 49) and (30 <= int(p) <= 48 or 90 <= int(p) <= 107):
                return True
    return False
