#!/usr/bin/python3
"""The demo lab (`mxprobe lab`, the README's main command): every setup
starts, is probed, and tells its story; the JSON validates; the lab exits 0
because its failures are the demo's point."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402


def ids(target):
    return {f["id"]: f["severity"] for p in target["probes"] for f in p["findings"]}


class Lab(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.res = mxtest.run_mxprobe(["lab", "--format", "json"], timeout=60)
        cls.by_setup = {t["input"].split()[0]: t for t in cls.res.json["targets"]}

    def test_exit_and_setups(self):
        self.assertExit(self.res, 0)
        self.assertEq(self.res, sorted(self.by_setup),
                      sorted(["lab:good", "lab:no-starttls", "lab:expired-cert", "lab:starttls-454",
                              "lab:plaintext-after-starttls", "lab:banner-421", "lab:tarpit",
                              "lab:silent"]), "the lab's setups")
        for t in self.res.json["targets"]:
            self.assertTrue(t["address"].startswith("127.0.0.1:"), t["address"])
            self.assertEq(self.res, t["connections"] >= 1, True, "connections counted")

    def test_good_is_clean(self):
        t = self.by_setup["lab:good"]
        f = ids(t)
        self.assertEq(self.res, t["session"]["tls_ok"], True)
        for fid in ("starttls.offered", "starttls.accepted", "tls.handshake", "cert.chain-valid",
                    "cert.validity-ok", "cert.name-match"):
            self.assertEq(self.res, f.get(fid), "pass", fid)
        bad = [k for k, v in f.items() if v in ("warn", "fail", "error")]
        self.assertEq(self.res, bad, [], "the good lab server has no warning or failure")

    def test_each_setup_tells_its_story(self):
        expect = {
            "lab:no-starttls": ("starttls.missing", "fail"),
            # the lab judges at verify unless --policy is given: a sender
            # that verifies refuses an expired certificate
            "lab:expired-cert": ("cert.expired", "fail"),
            "lab:starttls-454": ("diag.starttls", "fail"),
            "lab:plaintext-after-starttls": ("starttls.plaintext-after-reply", "fail"),
            "lab:banner-421": ("diag.banner", "error"),
            "lab:tarpit": ("smtp.greeting-delay", "info"),
            "lab:silent": ("diag.banner", "error"),
        }
        for setup, (fid, sev) in expect.items():
            with self.subTest(setup=setup):
                self.assertEq(self.res, ids(self.by_setup[setup]).get(fid), sev, "%s: %s" % (setup, fid))
        s = self.by_setup["lab:starttls-454"]["session"]
        self.assertEq(self.res, s["starttls"]["reply"]["code"], 454)
        s = self.by_setup["lab:plaintext-after-starttls"]["session"]
        self.assertTrueIn(self.res, "250 injected" in (s["starttls"]["bytes_after_reply"] or ""),
                          "the injected bytes are shown")
        s = self.by_setup["lab:silent"]["session"]
        self.assertEq(self.res, s["error"], "TIMEOUT")

    def test_text_and_log(self):
        text = mxtest.run_mxprobe(["lab"], timeout=60)
        self.assertExit(text, 0)
        self.assertTrueIn(text, "== lab:good" in text.stdout and "Summary:" in text.stdout,
                          "text report with a summary")
        self.assertTrueIn(text, "\x1b[" not in text.stdout, "no colour without a terminal")
        log = mxtest.run_mxprobe(["lab", "--format", "log"], timeout=60)
        self.assertExit(log, 0)
        lines = log.stdout.splitlines()
        self.assertTrueIn(log, ">STARTTLS" in lines and "*Received certificate" in lines,
                          "Exchange-style log lines")


if __name__ == "__main__":
    mxtest.main()
