#!/usr/bin/python3
"""mxprobe listen --tui (issue 15: sessions appear live in the TUI), driven
through tmux (mxtui.py): a listener on 127.0.0.1 with the test PKI and
--partner partner.example; a small Python smtplib client (OpenSSL) sends
over STARTTLS once with the partner's client certificate and once without.
Both sessions must show as rows with their verdict words, the detail pane
must show the selected session's report, and q must stop the listener,
restore the terminal and print the summary as text mode does.
"""

import os
import smtplib
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402
import mxtui  # noqa: E402

PARTNER = "partner.example"


def send(port, client=None):
    """One message over STARTTLS; client: (cert, key) to present."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the listener's certificate is not the question here
    if client:
        ctx.load_cert_chain(client[0], client[1])
    helo = "relay.partner.example" if client else "nocert.other.example"
    # the screen is up before the listener has bound: retry a refused connect briefly
    # (no probe connection first: it would be a session of its own)
    deadline = time.monotonic() + 10
    while True:
        try:
            s = smtplib.SMTP("127.0.0.1", port, local_hostname=helo, timeout=20)
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    with s:
        s.starttls(context=ctx)
        s.ehlo(helo)
        try:
            s.sendmail("alice@" + PARTNER, ["bob@us.example"], "Subject: listen tui\r\n\r\nhello\r\n")
        except smtplib.SMTPDataError:
            pass  # 550 at DATA: the listener never takes mail without --accept-data


class ListenTui(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-listen-tui-")
        cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"))
        cls.partner = mxtest.PartnerPki(os.path.join(cls.tmp, "partner"))

    @classmethod
    def tearDownClass(cls):
        mxtest.remove_tempdir(cls.tmp)

    def test_sessions_live_then_q(self):
        port = mxtest.free_port("127.0.0.1")
        tui = mxtui.Tui(self.tmp, ["listen", "--tui", "--cert", self.pki.leaf_chain, "--key", self.pki.leaf.key,
                                   "--ca-file", self.partner.root.cert, "--partner", PARTNER, "--no-rdns",
                                   "--hostname", "mx.us.example", "--timeout", "10",
                                   "127.0.0.1:%d" % port], width=140, height=30)
        self.addCleanup(tui.close)
        tui.wait_for(r"waiting for a client", timeout=15)
        send(port, (self.partner.client.cert, self.partner.client.key))
        screen = tui.wait_for(r"1 session, 1 would pass", timeout=15)
        self.assertRegex(screen, r"1\s+127\.0\.0\.1\s+relay\.partner\.example\s+TLS1\.[23]")
        self.assertRegex(screen, r"CN=relay\.partner\.example.*would pass")
        # the detail pane: the selected session's report
        self.assertIn("ClientHello:", screen)
        self.assertRegex(screen, r"verdict:\s+would pass domain-secure receive for partner\.example")
        send(port)
        screen = tui.wait_for(r"2 sessions, 1 would pass, 1 would be refused", timeout=15)
        self.assertRegex(screen, r"2\s+127\.0\.0\.1\s+nocert\.other\.example\s+TLS1\.[23]")
        self.assertRegex(screen, r"\(no client certificate\)\s+would be refused: ")
        mxtui.save_sample("tui-listen.txt", screen)
        # the newest is selected: its detail says why
        self.assertRegex(screen, r"verdict:\s+would be refused domain-secure receive")
        tui.send("Up")
        tui.wait_for(r"verdict:\s+would pass", timeout=5)
        tui.send("Enter")  # the detail full screen
        screen = tui.wait_for(r"chain:\s+valid", timeout=5)
        self.assertNotIn("client certificate  ", screen)  # the list's header is gone
        tui.send("q")
        status = tui.exit_status(timeout=15)
        self.assertEqual(status, 1, tui.stderr())  # a session would be refused, as in text mode
        tui.clean_terminal(self)
        err = tui.stderr()
        self.assertIn("listening on 127.0.0.1:%d" % port, err)
        self.assertRegex(err, r"stopped \(SIGINT\): 2 sessions, 2 with TLS, 1 with a client certificate; "
                              r"partner\.example: 1 would pass domain-secure receive, 1 would be refused")

    def test_no_terminal_refused(self):
        res = mxtest.run_mxprobe(["listen", "--tui", "127.0.0.1:%d" % mxtest.free_port("127.0.0.1")],
                                 timeout=20)
        self.assertEqual(res.returncode, 2)
        self.assertIn("needs a terminal", res.stderr)


if __name__ == "__main__":
    mxtest.main()
