#!/usr/bin/python3
"""mxprobe's TUI against a real, private Postfix on loopback (the standard
cases of mxtest): `mxprobe tui` over a good server and one without
STARTTLS (rows, counts, the finding that explains the failure), the chain
of the good server (validity bar with days left, the matched name), its
transcript, and `mxprobe run FILE.scn --tui`.  Driven through tmux
(mxtui.py)."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402
import mxtui  # noqa: E402


class TuiPostfix(mxtest.StandardPostfixTestCase):

    TEMP_PREFIX = "mxtest-tuipf-"

    def tui(self, args, name, **kw):
        t = mxtui.Tui(self.tmp, args, name=name, **kw)
        self.addCleanup(t.close)
        return t

    def test_check_in_tui(self):
        good = self.pf.cases["tls-good"].target
        none = self.pf.cases["tls-none"].target
        ca = self.pki.root.cert
        # The same run as check, for the counts the rows must show.
        res = mxtest.run_mxprobe(["check", "--format", "json", "--ca-file", ca, good, none])
        tui = self.tui(["tui", "--ca-file", ca, "-o", "out.json", "--format", "json", good, none], "check")
        screen = tui.wait_for(r"2 targets\s+done", timeout=60)
        self.assertRegex(screen, r"OK\s+%s" % good.replace(".", r"\."))
        self.assertRegex(screen, r"FAIL\s+%s" % none.replace(".", r"\."))
        for t in res.json["targets"]:
            c = {s: 0 for s in ("pass", "info", "warn", "fail", "error")}
            for p in t["probes"]:
                for f in p["findings"]:
                    c[f["severity"]] += 1
            line = [ln for ln in screen.split("\n") if t["input"] + " " in ln][0]
            self.assertIn("✓%d i%d !%d ✗%d ?%d" % (c["pass"], c["info"], c["warn"], c["fail"], c["error"]),
                          line, screen)
        mxtui.save_sample("tui-postfix.txt", screen)

        # The server without STARTTLS: why it fails, in the pane.
        tui.send("j")
        pane = tui.wait_for("starttls.missing")
        self.assertIn("STARTTLS     not offered", pane)

        # The good server's chain: leaf and intermediate, days left, the
        # name matched (the target is its address).
        tui.send("k", "c")
        chain = tui.wait_for("Certificate chain: ")
        self.assertIn("[0/2] leaf", chain)
        self.assertRegex(chain, r"now \S+: valid, \d+ days left")
        self.assertIn("IP:%s (matched)" % self.pf.cases["tls-good"].addr, chain)
        self.assertIn("CN=%s" % mxtest.LEAF_NAME, chain)
        mxtui.save_sample("tui-chain-postfix.txt", chain)
        # Tab goes on to the client-certificate request, then the transcript.
        tui.send("Tab")
        ccert = tui.wait_for("Client-certificate request")
        self.assertIn("requested", ccert)
        tui.send("Tab")
        log = tui.wait_for("Transcript")
        self.assertIn(">STARTTLS", log)
        self.assertIn("*Received certificate", log)
        tui.send("Escape", "q")
        self.assertEqual(tui.exit_status(), 1, "exit status as check's: a finding failed")
        tui.clean_terminal(self)
        # -o wrote the report after the interface closed.
        with open(os.path.join(self.tmp, "out.json")) as f:
            doc = json.load(f)
        mxtest.validate_json(doc)
        self.assertEqual([t["input"] for t in doc["targets"]], [good, none])

    def test_targets_file(self):
        """--targets-file: its targets are rows; a bad line stops the TUI
        before any connection (exit 2, the line named)."""
        good = self.pf.cases["tls-good"].target
        none = self.pf.cases["tls-none"].target
        path = os.path.join(self.tmp, "targets.txt")
        with open(path, "w") as f:
            f.write("# two servers\n%s\n\n%s\n" % (good, none))
        tui = self.tui(["tui", "--targets-file", path], "tfile")
        screen = tui.wait_for(r"2 targets\s+done", timeout=60)
        self.assertIn(good, screen)
        self.assertIn(none, screen)
        tui.send("q")
        self.assertEqual(tui.exit_status(), 1)
        bad = os.path.join(self.tmp, "bad.txt")
        with open(bad, "w") as f:
            f.write("%s\nnot a target!\n" % good)
        mark = self.pf.mark_log()
        tui = self.tui(["tui", "--targets-file", bad], "tbad")
        self.assertEqual(tui.exit_status(), 2)
        self.assertIn("bad.txt:2:", tui.stderr())
        self.assertEqual(self.pf.count_connects(self.pf.cases["tls-good"], mark), 0, "nothing was probed")
        tui.clean_terminal(self)

    def test_domain_in_tui(self):
        """--domain: each MX address is a row; the domain's row shows its MX
        list and what happens to its mail at each policy level."""
        from test_domain import Unbound
        dns_dir = os.path.join(self.tmp, "unbound")
        os.makedirs(dns_dir, exist_ok=True)
        good = self.pf.cases["tls-good"].addr
        bad = self.pf.cases["tls-none"].addr
        dns = Unbound(dns_dir, {
            "partner.example": [
                "partner.example. IN MX 20 mx2.partner.example.",
                "partner.example. IN MX 10 %s." % mxtest.LEAF_NAME,
                "mx2.partner.example. IN A %s" % bad,
            ],
            "test.example": ["%s. IN A %s" % (mxtest.LEAF_NAME, good)],
        }).start()
        self.addCleanup(dns.stop)
        tui = self.tui(["tui", "--timeout", "5", "--ca-file", self.pki.root.cert, "--resolver", dns.resolver,
                        "--domain", "partner.example"], "domain", height=40)
        screen = tui.wait_for(r"FAIL\s+domain partner.example", timeout=90)
        self.assertIn("OK     %s[%s]:25" % (mxtest.LEAF_NAME, good), screen)
        self.assertIn("FAIL   mx2.partner.example[%s]:25" % bad, screen)
        tui.send("End")
        pane = tui.wait_for("MX hosts")
        self.assertRegex(pane, r"10 %s" % mxtest.LEAF_NAME.replace(".", r"\."))
        self.assertIn("20 mx2.partner.example", pane)
        self.assertRegex(pane, r"may\s+deliver in clear")
        self.assertRegex(pane, r"encrypt\s+defer, then bounce")
        mxtui.save_sample("tui-domain.txt", pane)
        tui.send("q")
        self.assertEqual(tui.exit_status(), 1)
        tui.clean_terminal(self)

    def test_run_scenario_in_tui(self):
        good = self.pf.cases["tls-good"].target
        scn = os.path.join(mxtest.SOURCE_DIR, "scenarios", "opportunistic-tls.scn")
        tui = self.tui(["run", scn, "--tui", good], "run")
        screen = tui.wait_for(r"1 target\s+done", timeout=60)
        self.assertIn("run opportunistic-tls.scn", screen)
        self.assertRegex(screen, r"OK\s+%s" % good.replace(".", r"\."))
        pane = tui.wait_for("starttls.accepted")
        self.assertIn("220 to STARTTLS and a TLS handshake", pane)
        tui.send("q")
        self.assertEqual(tui.exit_status(), 0)
        tui.clean_terminal(self)


if __name__ == "__main__":
    mxtest.main()
