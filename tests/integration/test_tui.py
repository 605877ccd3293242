#!/usr/bin/python3
"""mxprobe's TUI on the demo lab, driven headlessly through tmux (mxtui.py):
the summary counts against the JSON report, the drill-down into the expired
certificate's validity bar, what the 454 server answered (pane and
transcript), search with n/N, the severity filter, save, re-run, resize
80x24 -> 200x60 -> 80x24, NO_COLOR, a non-UTF-8 locale, a mouse click,
--load of a saved report, a clean terminal after q and after Ctrl-C, and the
refusal without a terminal.  With MXTEST_WRITE_SAMPLES=1 the main screens
are kept as samples/tui-*.txt."""

import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402
import mxtui  # noqa: E402

SEVERITIES = ("pass", "info", "warn", "fail", "error")
# A sender that verifies certificates: the expired certificate fails (under
# the default, encrypt, it is a warning: such a sender still delivers).
POLICY = ("--policy", "verify")


class TuiLab(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-tui-")
        # What check says about the same lab: the counts the header must show.
        res = mxtest.run_mxprobe(["lab", "--format", "json"] + list(POLICY), timeout=120)
        cls.lab_json = res.json

    @classmethod
    def tearDownClass(cls):
        mxtest.remove_tempdir(cls.tmp)

    def start(self, *args, **kw):
        kw.setdefault("name", self.id().split(".")[-1])
        tui = mxtui.Tui(self.tmp, ["tui", "--lab"] + list(POLICY) + list(args), **kw)
        self.addCleanup(tui.close)
        return tui

    def finished(self, tui):
        return tui.wait_for(r"8 targets\s+done", timeout=60)

    def select(self, tui, name):
        """Selects the target whose name matches (search in the list)."""
        tui.send("Escape", "/")
        tui.type(name)
        tui.send("Enter")

    # -- the main screen

    def test_summary_counts(self):
        tui = self.start()
        screen = self.finished(tui)
        summary = self.lab_json["summary"]
        header = screen.split("\n")[0]
        marks = ("✓", "i", "!", "✗", "?")
        for sev, mark in zip(SEVERITIES, marks):
            self.assertIn("%s%d" % (mark, summary[sev]), header, "header counts\n" + screen)
        rows = {m.group(2): m.group(1) for m in re.finditer(r"^ \S+ (\w+)\s+lab:([\w-]+)", screen, re.M)}
        self.assertEqual(rows.get("good"), "OK", screen)
        self.assertEqual(rows.get("expired-cert"), "FAIL", screen)
        self.assertEqual(rows.get("starttls-454"), "FAIL", screen)
        self.assertEqual(rows.get("no-starttls"), "FAIL", screen)
        self.assertEqual(rows.get("banner-421"), "NOTEST", screen)
        self.assertEqual(len(rows), 8, screen)
        # Each row's own counts are the JSON target's.
        for t in self.lab_json["targets"]:
            name = t["input"].split(" ")[0]
            c = {s: 0 for s in SEVERITIES}
            for p in t["probes"]:
                for f in p["findings"]:
                    c[f["severity"]] += 1
            want = "✓%d i%d !%d ✗%d ?%d" % tuple(c[s] for s in SEVERITIES)
            line = [ln for ln in screen.split("\n") if name + " " in ln]
            self.assertTrue(line and want in line[0], "%s: %s\n%s" % (name, want, screen))
        self.assertIn("q quit", screen.split("\n")[-2] + screen.split("\n")[-1])
        mxtui.save_sample("tui-main.txt", screen)
        self.assertTrue(mxtui.has_colour(tui.capture(attrs=True)), "colours on a colour terminal")
        tui.send("?")
        help_screen = tui.wait_for("Keys")
        for key in ("Tab", "Enter", "Esc", "PgUp/PgDn", "Home/End", "f ", "s ", "r ", "/ "):
            self.assertIn(key, help_screen)
        tui.send("q", "q")
        self.assertEqual(tui.exit_status(), 0)
        tui.clean_terminal(self)

    def test_expired_certificate(self):
        tui = self.start()
        self.finished(tui)
        self.select(tui, "expired-cert")
        tui.send("Tab")
        # under verify: the chain does not validate, and the leaf expired
        tui.wait_for(r"FAIL \(2\)")
        tui.send("/")
        tui.type("cert.expired")
        tui.send("Enter")
        self.assertIn("cert.expired", tui.capture())
        tui.send("c")
        chain = tui.wait_for("Certificate chain: lab:expired-cert")
        self.assertRegex(chain, r"validity\s+█+·*▼", chain)
        self.assertRegex(chain, r"▲ now \S+: EXPIRED 30 days ago|EXPIRED 30 days ago ▲", chain)
        self.assertIn("notBefore", chain)
        self.assertIn("IP:127.0.0.1 (matched)", chain)
        mxtui.save_sample("tui-chain-expired.txt", chain)
        # The now mark stands out (colour or reverse video).
        attrs = tui.capture(attrs=True)
        mark = [ln for ln in attrs.split("\n") if "▼" in ln][0]
        self.assertRegex(mark, r"\x1b\[[0-9;]*m▼", mark)
        # Scrolling to the revocation section, then back.
        tui.send("End")
        self.assertRegex(tui.capture(), r"Revocation|revocation")
        tui.send("Home", "Escape")
        tui.wait_for(r"Findings \[all\]")
        tui.send("q")
        self.assertEqual(tui.exit_status(), 0)

    def test_mouse_click_454_and_search(self):
        tui = self.start()
        screen = self.finished(tui)
        row = [i for i, ln in enumerate(screen.split("\n")) if "lab:starttls-454" in ln][0]
        # An xterm SGR (1006) left click on that row, as the terminal sends it.
        tui.type("\x1b[<0;10;%dM\x1b[<0;10;%dm" % (row + 1, row + 1))
        pane = tui.wait_for("STARTTLS +refused: 454 4.7.0")
        self.assertIn("STARTTLS refused with 454", pane)
        mxtui.save_sample("tui-findings-454.txt", pane)
        tui.send("t")
        log = tui.wait_for("Transcript")
        self.assertIn(">STARTTLS", log)
        self.assertIn("<454 4.7.0 TLS not available", log)
        mxtui.save_sample("tui-transcript-454.txt", log)
        # Search: the hits are highlighted, n and N move between them.
        tui.send("/")
        tui.type("250-")
        tui.send("Enter")
        first = tui.capture()
        top1 = re.search(r"match (\d+)\]", first.split("\n")[0]).group(1)
        attrs = tui.capture(attrs=True)
        self.assertRegex(attrs, r"\x1b\[[0-9;]*m250-", "search hit not highlighted")
        tui.send("n")
        top2 = re.search(r"match (\d+)\]", tui.capture().split("\n")[0]).group(1)
        self.assertEqual(int(top2), int(top1) + 1, "n goes to the next 250- line")
        tui.send("N")
        top3 = re.search(r"match (\d+)\]", tui.capture().split("\n")[0]).group(1)
        self.assertEqual(top3, top1, "N goes back")
        tui.send("/")
        tui.type("no such text")
        tui.send("Enter")
        self.assertIn("not found: no such text", tui.capture())
        tui.send("Escape", "q")
        self.assertEqual(tui.exit_status(), 0)

    def test_filter(self):
        tui = self.start()
        self.finished(tui)
        self.select(tui, "expired-cert")
        tui.send("Tab", "/")
        tui.type("PASS (")
        tui.send("Enter")
        self.assertRegex(tui.capture(), r"PASS \(\d+\)")
        tui.send("Escape", "f")
        pane = tui.wait_for(r"Findings \[info\+\]")
        self.assertIn("FAIL (2)", pane)
        tui.send("Tab", "/")
        tui.type("PASS (")
        tui.send("Enter")
        self.assertIn("not found: PASS (", tui.capture())
        tui.send("Escape")
        tui.send("f")
        tui.wait_for(r"Findings \[warn\+\]")
        tui.send("f")
        pane = tui.wait_for(r"Findings \[fail\+\]")
        self.assertIn("FAIL (2)", pane)
        self.assertNotIn("INFO (", pane)
        self.select(tui, "good")
        pane = tui.wait_for("no findings at fail")
        tui.send("f")
        tui.wait_for(r"Findings \[all\]")
        tui.send("q")
        self.assertEqual(tui.exit_status(), 0)

    def test_save_rerun_and_load(self):
        tui = self.start()
        self.finished(tui)
        # Re-run the expired-certificate server: its row runs again.
        self.select(tui, "expired-cert")
        before = time.time()
        tui.send("r", pause=0)
        screen = tui.capture()
        self.assertRegex(screen, r"re-running lab:expired-cert|(WAIT|RUN)\s+lab:expired-cert", screen)
        tui.wait_for(r"FAIL\s+lab:expired-cert")
        tui.wait_for(r"8 targets\s+done")
        # Save, under a name typed over the suggested one.
        tui.send("s")
        self.assertIn("Save JSON to: mxprobe-report.json", tui.capture())
        tui.send(*(["BSpace"] * len("mxprobe-report.json")), pause=0.05)
        tui.type("saved.json")
        tui.send("Enter")
        tui.wait_for("saved the report \\(8 targets\\) to saved.json")
        tui.send("q")
        self.assertEqual(tui.exit_status(), 0)
        path = os.path.join(self.tmp, "saved.json")
        with open(path) as f:
            doc = json.load(f)
        mxtest.validate_json(doc)
        self.assertEqual(len(doc["targets"]), 8)
        expired = [t for t in doc["targets"] if t["input"].startswith("lab:expired-cert")][0]
        started = time.mktime(time.strptime(expired["started"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        self.assertGreaterEqual(started, int(before) - 1, "the saved result is the re-run's")
        self.assertIn("cert.expired",
                      [f["id"] for p in expired["probes"] for f in p["findings"] if f["severity"] == "fail"])

        # --load shows the same report.
        loaded = mxtui.Tui(self.tmp, ["tui", "--load", path], name="load")
        self.addCleanup(loaded.close)
        screen = loaded.wait_for("saved.json")
        self.assertIn("done", screen.split("\n")[0])
        for sev, mark in zip(SEVERITIES, ("✓", "i", "!", "✗", "?")):
            self.assertIn("%s%d" % (mark, doc["summary"][sev]), screen.split("\n")[0], screen)
        self.assertRegex(screen, r"FAIL\s+lab:expired-cert")
        mxtui.save_sample("tui-load.txt", screen)
        loaded.send("/")
        loaded.type("expired")
        loaded.send("Enter", "c")
        chain = loaded.wait_for("EXPIRED 30 days ago")
        self.assertIn("judged at", chain)
        loaded.send("Escape", "r")
        self.assertIn("cannot be re-run", loaded.capture())
        loaded.send("q")
        self.assertEqual(loaded.exit_status(), 1, "a loaded report exits as check would")

    def test_hostile_text_escaped(self):
        """Text from servers (here planted in a saved report) never reaches
        the terminal as control sequences: every control byte shows as ?."""
        doc = dict(self.lab_json)
        t = json.loads(json.dumps(doc["targets"][0]))
        t["input"] = "evil\x1b[2J\x1b]0;pwned\x07host"
        t["session"]["banner"]["text"] = "hi\x1b[31mRED\x9b2J\u200e"
        t["probes"][0]["findings"][0]["title"] = "title\r\nnext\x1b[?1049l"
        doc["targets"] = [t]
        path = os.path.join(self.tmp, "hostile.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        tui = mxtui.Tui(self.tmp, ["tui", "--load", path], name="hostile")
        self.addCleanup(tui.close)
        screen = tui.wait_for("evil")
        self.assertIn("evil?[2J?]0;pwned?host", screen)
        self.assertIn("hi?[31mRED?2J?", screen)
        tui.send("Tab", "/")
        tui.type("title")
        tui.send("Enter")
        self.assertIn("title??next?[?1049l", tui.capture())
        self.assertEqual(tui.display("#{alternate_on}"), "1", "still on the TUI's screen")
        self.assertNotIn("pwned", tui.display("#{pane_title}"))
        tui.send("Escape", "q")
        tui.exit_status()

    def test_resize(self):
        tui = self.start()
        self.finished(tui)
        small = tui.capture()
        self.assertTrue(all(len(ln) <= 80 for ln in small.split("\n")))
        tui.resize(200, 60)
        big = tui.wait_for(r"\d+ pass")  # the wide header spells the words out
        lines = big.rstrip("\n").split("\n")
        self.assertEqual(len(lines), 60, "the screen fills 60 rows")
        self.assertTrue(any(len(ln.rstrip()) > 100 for ln in lines), "rows use the width")
        self.assertTrue(all("lab:" in ln for ln in lines[2:10]), "all 8 rows shown:\n" + big)
        mxtui.save_sample("tui-main-200x60.txt", big)
        tui.resize(80, 24)
        time.sleep(0.3)
        again = tui.capture()
        self.assertTrue(all(len(ln) <= 80 for ln in again.split("\n")))
        self.assertNotRegex(again.split("\n")[0], r"\d+ pass")
        self.assertIn("q quit", again)
        # SIGTERM to our own process only: the child of the shell in our
        # tmux pane (q and a clean terminal: test_summary_counts).
        shell = tui.display("#{pane_pid}")
        pid = subprocess.run(["pgrep", "-P", shell], stdout=subprocess.PIPE, text=True).stdout.split()
        self.assertEqual(len(pid), 1, "mxprobe's pid")
        os.kill(int(pid[0]), 15)
        self.assertEqual(tui.exit_status(), 143)
        tui.clean_terminal(self)

    def test_no_color(self):
        # (colours on a colour terminal: test_summary_counts)
        mono = self.start(env={"NO_COLOR": "1"}, name="mono")
        self.finished(mono)
        attrs = mono.capture(attrs=True)
        self.assertFalse(mxtui.has_colour(attrs), "NO_COLOR: no colour at all")
        self.assertRegex(attrs, r"\x1b\[[0-9;]*7[0-9;]*m", "the header still stands out (reverse)")
        mono.send("q")
        self.assertEqual(mono.exit_status(), 0)

    def test_ascii_locale(self):
        tui = self.start(env={"LANG": "C", "LC_ALL": "C"}, name="ascii")
        screen = tui.wait_for(r"8 targets\s+done", timeout=60)
        self.assertTrue(all(ord(ch) < 128 for ch in screen), "non-ASCII on a C locale:\n" + screen)
        self.assertIn("-- Targets (8) ---", screen)
        self.assertRegex(screen, r"x FAIL\s+lab:expired-cert")
        mxtui.save_sample("tui-main-ascii.txt", screen)
        self.select(tui, "expired-cert")
        tui.send("c")
        chain = tui.wait_for("EXPIRED")
        self.assertRegex(chain, r"validity\s+#+\.*v")
        self.assertTrue(all(ord(ch) < 128 for ch in chain))
        tui.send("q", "q")
        self.assertEqual(tui.exit_status(), 0)
        tui.clean_terminal(self)

    def test_ctrl_c_while_running(self):
        tui = self.start(name="ctrlc")
        tui.wait_for(r"RUN|done")
        tui.send("C-c", pause=0)
        status = tui.exit_status(timeout=30)
        self.assertEqual(status, 130, "Ctrl-C: 128 + SIGINT")
        tui.clean_terminal(self)
        after = tui.capture()
        self.assertNotIn("Targets (8)", after, "the TUI's screen is gone")

    def test_refused_without_terminal(self):
        res = mxtest.run_mxprobe(["tui", "--lab"])
        self.assertEqual(res.returncode, 2, res.describe())
        self.assertIn("needs a terminal", res.stderr)
        self.assertEqual(res.stdout, "")
        res = mxtest.run_mxprobe(["lab", "--tui"])
        self.assertEqual(res.returncode, 2, res.describe())


if __name__ == "__main__":
    mxtest.main()
