#!/usr/bin/python3
"""The command line: usage errors (exit 2, one line on stderr), --help and
--version, and a target that cannot be tested at all (exit 3)."""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402


def closed_port(host="127.0.0.1"):
    """A port nothing listens on: bound, never listened, closed."""
    return mxtest.free_port(host)


class Usage(mxtest.MxTestCase):

    def assertUsageError(self, args):
        res = mxtest.run_mxprobe(args, timeout=20)
        self.assertExit(res, 2)
        err = res.stderr.strip()
        self.assertTrue(err, "no message on stderr\n" + res.describe())
        self.assertEq(res, len(err.splitlines()), 1, "one-line message on stderr")
        self.assertNotIn("AddressSanitizer", err)
        self.assertEq(res, res.stdout, "", "nothing on stdout for a usage error")
        return res

    def test_malformed_targets(self):
        for target in ("host:99999", "[::1", "ftp://x", "", "host:", "host:0",
                       "[::1]:99999", "smtp://", "a b", "host:25x"):
            with self.subTest(target=target):
                self.assertUsageError(["check", "--format", "json", target])

    def test_unknown_flag(self):
        self.assertUsageError(["check", "--no-such-flag", "127.0.0.1:25"])

    def test_bad_flag_values(self):
        for args in (["--format", "xml"], ["--policy", "sometimes"], ["--timeout", "-1"],
                     ["--timeout", "abc"], ["--format"], ["--greeting-timeout", "86401"],
                     ["--at", "2026-02-29T00:00:00Z"], ["--at", "2026-04-31"], ["--at", "2026-11-30T23:59:60Z"],
                     ["--sni", "127.0.0.1"], ["--sni", "::1"], ["--sni", "[127.0.0.1]"],
                     ["--source", "::1"]):
            with self.subTest(args=args):
                res = self.assertUsageError(["check"] + args + ["127.0.0.1:25"])
                if args[0].endswith("timeout"):  # the message gives the range it checks
                    self.assertIn("from 0.001 to 86400", res.stderr, res.describe())

    def test_at_range(self):
        # One rule for both forms: after 1970-01-01T00:00:00Z (0 means "now"
        # inside mxprobe), up to 9999-12-31T23:59:59Z; the message says so.
        for at in ("@0", "1970-01-01", "1970-01-01T00:00:00Z", "1969-12-31", "@-1", "@253402300800"):
            with self.subTest(at=at):
                res = self.assertUsageError(["check", "--at", at, "127.0.0.1:25"])
                self.assertIn("out of range", res.stderr, res.describe())
                self.assertIn("1970-01-01T00:00:00Z", res.stderr, res.describe())
        for at in ("@", "@x", "@ 5", "@+5", "yesterday"):
            with self.subTest(at=at):
                res = self.assertUsageError(["check", "--at", at, "127.0.0.1:25"])
                self.assertIn("expected a UTC time", res.stderr, res.describe())

    def test_var_only_with_run(self):
        # A scenario variable given to check or lab would be silently ignored.
        self.assertUsageError(["check", "--var", "X=1", "127.0.0.1:25"])
        self.assertUsageError(["lab", "--var", "X=1"])

    def test_no_target(self):
        self.assertUsageError(["check"])

    def test_unknown_command(self):
        self.assertUsageError(["no-such-command"])

    def test_help_version(self):
        res = mxtest.run_mxprobe(["--help"])
        self.assertExit(res, 0)
        self.assertIn("check", res.stdout, res.describe())
        res = mxtest.run_mxprobe(["--version"])
        self.assertExit(res, 0)
        self.assertRegex(res.stdout, r"\d+\.\d+\.\d+", res.describe())


class Untestable(mxtest.MxTestCase):

    def test_closed_port_ipv4(self):
        port = closed_port()
        res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "3",
                                  "127.0.0.1:%d" % port])
        self.assertExit(res, 3)
        t = res.target
        self.assertEq(res, t["status"], "untestable", "status")
        s = res.session
        self.assertFalse(s["connected"], res.describe())
        self.assertEq(res, s["failed_step"], "connect", "failed_step")
        self.assertEq(res, s["error"], "REFUSED", "error")
        self.assertFinding(res, "diag.connect")
        self.assertLess(res.elapsed, 5, res.describe())

    def test_closed_port_ipv6(self):
        if not mxtest.ipv6_loopback_works():
            self.skipTest("no IPv6 loopback on this machine")
        port = closed_port("::1")
        res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "3",
                                  "[::1]:%d" % port])
        self.assertExit(res, 3)
        self.assertEq(res, res.session["failed_step"], "connect", "failed_step")
        self.assertFinding(res, "diag.connect")

    def test_closed_port_text_and_log(self):
        port = closed_port()
        for fmt in ("text", "log"):
            with self.subTest(format=fmt):
                res = mxtest.run_mxprobe(["check", "--format", fmt, "--timeout", "3",
                                          "127.0.0.1:%d" % port])
                self.assertExit(res, 3)
                self.assertTrue(res.stdout.strip(), res.describe())

    def test_one_untestable_among_good(self):
        # A listener that accepts and answers like an SMTP server is not
        # needed here: a closed port next to another closed port still has to
        # give one result per target, both untestable.
        p1, p2 = closed_port(), closed_port()
        res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "3",
                                  "127.0.0.1:%d" % p1, "smtp://127.0.0.1:%d" % p2])
        self.assertExit(res, 3)
        self.assertEq(res, [t["status"] for t in res.json["targets"]],
                      ["untestable", "untestable"], "statuses")


if __name__ == "__main__":
    mxtest.main()
