#!/usr/bin/python3
"""docs/scale.md's GNU parallel recipe, run as written (extracted from the
document between its markers) over twelve targets on loopback (mxtestsrv
"good" servers with the test PKI) in chunks of five with three runs at
once: the merged JSON lines must equal one run's over the same file, once
timings, ports and timestamps are set aside."""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402

DOC = os.path.join(mxtest.SOURCE_DIR, "docs", "scale.md")
# What differs between two runs of the same targets: clocks and the local port.
VOLATILE = {"started", "duration_ms", "t_ms", "local", "handshake_ms", "connect_ms",
            "banner_wait_ms", "banner_first_byte_ms", "transcript", "slow", "evaluated_at"}


def recipe():
    with open(DOC) as f:
        text = f.read()
    m = re.search(r"<!-- recipe:begin -->\s*```sh\n(.*?)```\s*<!-- recipe:end -->", text, re.S)
    if not m:
        raise AssertionError("no recipe between the markers in docs/scale.md")
    return m.group(1)


def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in VOLATILE}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v


class Scale(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-scale-")
        cls.servers = []
        try:
            cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"))
            for _ in range(12):
                cls.servers.append(mxtest.TestServer("good", pki=cls.pki).start())
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            for s in cls.servers:
                s.stop()
        finally:
            mxtest.remove_tempdir(cls.tmp)

    def test_sharded_equals_single_run(self):
        targets = os.path.join(self.tmp, "targets.txt")
        with open(targets, "w") as f:
            for s in self.servers:
                f.write(s.target + "\n")
        script = os.path.join(self.tmp, "shard.sh")
        with open(script, "w") as f:
            f.write(recipe())
        # The standard session alone: the default probes' details carry
        # timings (the injection probe's reply time), which differ per run.
        one = "--probes -require-tls,-relay,-injection --one-key"
        args = "--ca-file %s --timeout 10 %s" % (self.pki.root.cert, one)
        env = dict(os.environ, TARGETS=targets, OUT=os.path.join(self.tmp, "merged.jsonl"),
                   SHARD="5", JOBS="3", MXPROBE=mxtest.mxprobe_path(), MXPROBE_ARGS=args,
                   NO_COLOR="1", HOME=self.tmp)
        proc = subprocess.run(["sh", script], env=env, capture_output=True, text=True, timeout=240)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        with open(env["OUT"]) as f:
            merged = [json.loads(x) for x in f]
        for d in merged:
            mxtest.validate_json(d)
        single = mxtest.run_mxprobe(["check", "--targets-file", targets, "--format", "jsonl",
                                     "--ca-file", self.pki.root.cert, "--timeout", "10"] + one.split(),
                                    timeout=120)
        self.assertExit(single, 0)
        one = [json.loads(x) for x in single.stdout.splitlines()]
        self.assertEqual(len(merged), 12)
        self.assertEqual([d["targets"][0]["input"] for d in merged],
                         [s.target for s in self.servers])
        self.assertEqual([strip(d) for d in merged], [strip(d) for d in one])


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
