#!/usr/bin/python3
"""Certificate conformance against a real, private Postfix on loopback: the
chain, expiry and names probes (issue 3, without revocation).

The test PKI (mxtest.Pki: root -> intermediate -> leaves, made with openssl)
gets the leaves a mail administrator meets: expired, not yet valid, expiring
in 5 days, wrong name, wildcard, CN only, self-signed, SHA-1 signed,
RSA-1024, no serverAuth.  Each is one Postfix service.  The good chain,
checked with --ca-file and the name the certificate was made for, must give
no warning and no failure.  --at pins the clock where a date is the point.
"""

import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402

NAME = mxtest.LEAF_NAME            # mail.test.example
DAY = datetime.timedelta(days=1)
AIA_URL = "http://ca.test.example/inter.crt"
IDN_DOMAIN_U, IDN_DOMAIN_A = "bücher.example", "xn--bcher-kva.example"
IDN_MX_U, IDN_MX_A = "mx." + IDN_DOMAIN_U, "mx." + IDN_DOMAIN_A

LEAF_EXTS = ["basicConstraints=critical,CA:FALSE",
             "keyUsage=critical,digitalSignature,keyEncipherment",
             "subjectKeyIdentifier=hash",
             "authorityKeyIdentifier=keyid"]

# OpenSSL 3 at Debian's security level 2 refuses to load an RSA-1024 key or
# a SHA-1 signed certificate; a real server configured for legacy peers runs
# at level 0, and so do the services that serve those leaves.
LEGACY_CNF = """\
openssl_conf = mxtest_init
[mxtest_init]
ssl_conf = mxtest_ssl
[mxtest_ssl]
mxtest = mxtest_sect
[mxtest_sect]
CipherString = DEFAULT@SECLEVEL=0
"""


def stamp(dt):
    return dt.strftime("%Y%m%d%H%M%SZ")


class CertPki(mxtest.Pki):
    """mxtest.Pki plus the leaves these tests need.  Dates other than "from
    now for N days" go through `openssl ca` (-startdate/-enddate)."""

    def __init__(self, directory):
        super().__init__(directory)
        ca_dir = os.path.join(directory, "ca")
        os.makedirs(os.path.join(ca_dir, "new"), exist_ok=True)
        open(os.path.join(ca_dir, "index.txt"), "w").close()
        self.ca_dir = ca_dir
        self.legacy_cnf = os.path.join(directory, "legacy.cnf")
        with open(self.legacy_cnf, "w") as f:
            f.write(LEGACY_CNF)
        os.chmod(self.legacy_cnf, 0o644)

    def full(self, name, cert, with_inter=True):
        parts = [cert.key, cert.cert] + ([self.inter.cert] if with_inter else [])
        return self._concat(name + "-full.pem", parts)

    def _key(self, name, rsa_bits=None):
        key = os.path.join(self.dir, name + ".key")
        if rsa_bits:
            mxtest.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:%d" % rsa_bits, "-out", key])
        else:
            mxtest.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-out", key])
        os.chmod(key, 0o644)
        return key

    def leaf_custom(self, name, cn, sans=None, eku="serverAuth", start=None, end=None,
                    md="sha256", rsa_bits=None, self_signed=False, extra=()):
        """A leaf signed by the intermediate (or by itself) with any dates,
        digest, key and names; sans=None means DNS:cn and IP:127.0.0.1, []
        means no subjectAltName at all."""
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        start = start or now - DAY
        end = end or now + 365 * DAY
        if sans is None:
            sans = ["DNS:" + cn, "IP:127.0.0.1"]
        exts = list(LEAF_EXTS)
        if eku:
            exts.append("extendedKeyUsage=" + eku)
        if sans:
            exts.append("subjectAltName=" + ",".join(sans))
        exts += list(extra)
        if self_signed:
            exts = [e for e in exts if not e.startswith("authorityKeyIdentifier")]
        key = self._key(name, rsa_bits)
        cert = os.path.join(self.dir, name + ".pem")
        cnf = os.path.join(self.dir, name + ".cnf")
        with open(cnf, "w") as f:
            f.write("[ca]\ndefault_ca = ca_sect\n[ca_sect]\n"
                    "database = %s/index.txt\nnew_certs_dir = %s/new\n"
                    "policy = policy_any\nunique_subject = no\nrand_serial = yes\n"
                    "[policy_any]\ncommonName = supplied\norganizationName = optional\n"
                    "[req]\ndistinguished_name = dn\n[dn]\n[v3]\n%s\n"
                    % (self.ca_dir, self.ca_dir, "\n".join(exts)))
        subj = "/O=mxprobe tests/CN=" + cn
        csr = os.path.join(self.dir, name + ".csr")
        mxtest.run(["openssl", "req", "-new", "-key", key, "-subj", subj, "-config", cnf,
                    "-out", csr])
        cmd = ["openssl", "ca", "-batch", "-notext", "-config", cnf, "-extensions", "v3",
               "-in", csr, "-out", cert, "-md", md,
               "-startdate", stamp(start), "-enddate", stamp(end)]
        if self_signed:
            cmd += ["-selfsign", "-keyfile", key]
        else:
            cmd += ["-cert", self.inter.cert, "-keyfile", self.inter.key]
        mxtest.run(cmd)
        return mxtest.Cert(cert, key)


    def cross_of_inter(self, name, start, end):
        """The intermediate's subject and key, cross-signed by a second,
        older root (self.old_root), valid from start to end: an old
        cross-signature a server may still send beside the current
        intermediate (issue 9, kind 3)."""
        if not hasattr(self, "old_root"):
            self.old_root = self._make("oldroot", "/O=mxprobe tests/CN=mxprobe Old Root CA", None,
                                       ["basicConstraints=critical,CA:TRUE",
                                        "keyUsage=critical,keyCertSign,cRLSign",
                                        "subjectKeyIdentifier=hash"])
            self.both_roots = self._concat("both-roots.pem", [self.root.cert, self.old_root.cert])
        cert = os.path.join(self.dir, name + ".pem")
        cnf = os.path.join(self.dir, name + ".cnf")
        with open(cnf, "w") as f:
            f.write("[ca]\ndefault_ca = ca_sect\n[ca_sect]\n"
                    "database = %s/index.txt\nnew_certs_dir = %s/new\n"
                    "policy = policy_any\nunique_subject = no\nrand_serial = yes\n"
                    "[policy_any]\ncommonName = supplied\norganizationName = optional\n"
                    "[v3]\nbasicConstraints=critical,CA:TRUE,pathlen:0\n"
                    "keyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n"
                    "authorityKeyIdentifier=keyid\n" % (self.ca_dir, self.ca_dir))
        mxtest.run(["openssl", "ca", "-batch", "-notext", "-config", cnf, "-extensions", "v3",
                    "-in", os.path.join(self.dir, "inter.csr"), "-out", cert, "-md", "sha256",
                    "-preserveDN", "-startdate", stamp(start), "-enddate", stamp(end),
                    "-cert", self.old_root.cert, "-keyfile", self.old_root.key])
        return mxtest.Cert(cert, self.inter.key)


def cert_cases(pki):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    leaves = {
        "expired": pki.leaf_custom("expired", NAME, start=now - 400 * DAY, end=now - 30 * DAY),
        "not-yet-valid": pki.leaf_custom("nyv", NAME, start=now + 10 * DAY, end=now + 400 * DAY),
        "expiring": pki.leaf_custom("expiring", NAME, end=now + 5 * DAY),
        "wrong-name": pki.leaf_custom("wrong", "other.test.example",
                                      sans=["DNS:other.test.example", "DNS:www.test.example"]),
        "wildcard": pki.leaf_custom("wild", "*.test.example", sans=["DNS:*.test.example"]),
        "cn-only": pki.leaf_custom("cnonly", NAME, sans=[]),
        "no-server-auth": pki.leaf_custom("noeku", NAME, eku="clientAuth"),
        "sha1": pki.leaf_custom("sha1", NAME, md="sha1"),
        "rsa1024": pki.leaf_custom("rsa1024", NAME, rsa_bits=1024),
    }
    cases = []
    for case, leaf in leaves.items():
        over = {"smtpd_tls_security_level": "may",
                "smtpd_tls_chain_files": pki.full(case, leaf),
                "syslog_name": "postfix-" + case}
        if case in ("sha1", "rsa1024"):
            over["tls_config_file"] = pki.legacy_cnf
            over["tls_config_name"] = "mxtest"
        cases.append(mxtest.PostfixCase(case, over))
    selfsigned = pki.leaf_custom("selfsigned", NAME, self_signed=True)
    cases.append(mxtest.PostfixCase("self-signed", {
        "smtpd_tls_security_level": "may",
        "smtpd_tls_chain_files": pki.full("self-signed", selfsigned, with_inter=False),
        "syslog_name": "postfix-self-signed"}))
    cases.append(mxtest.PostfixCase("good", {
        "smtpd_tls_security_level": "may",
        "smtpd_tls_chain_files": pki.leaf_full,
        "syslog_name": "postfix-good"}))
    # Out of order: the root between the leaf and its issuer.
    cases.append(mxtest.PostfixCase("misordered", {
        "smtpd_tls_security_level": "may",
        "smtpd_tls_chain_files": pki._concat("misordered-full.pem", [
            pki.leaf.key, pki.leaf.cert, pki.root.cert, pki.inter.cert]),
        "syslog_name": "postfix-misordered"}))
    # A leaf where the intermediate belongs: not a CA, and no path.
    cases.append(mxtest.PostfixCase("leaf-as-issuer", {
        "smtpd_tls_security_level": "may",
        "smtpd_tls_chain_files": pki._concat("leaf-as-issuer-full.pem", [
            pki.leaf.key, pki.leaf.cert, leaves["wrong-name"].cert]),
        "syslog_name": "postfix-leaf-as-issuer"}))
    # Intermediate missing, but the leaf says where to get it (never fetched).
    aia = pki.leaf_custom("aia", NAME, extra=["authorityInfoAccess=caIssuers;URI:" + AIA_URL])
    cases.append(mxtest.PostfixCase("leaf-only-aia", {
        "smtpd_tls_security_level": "may",
        "smtpd_tls_chain_files": pki.full("leaf-only-aia", aia, with_inter=False),
        "syslog_name": "postfix-leaf-only-aia"}))
    cases.append(mxtest.PostfixCase("leaf-only", {
        "smtpd_tls_security_level": "may",
        "smtpd_tls_chain_files": pki.leaf_only_full,
        "syslog_name": "postfix-leaf-only"}))
    # Issue 9, kind 3: the current intermediate, then an expired
    # cross-signature of it by an old root (Let's Encrypt's leaf, R3, and the
    # expired DST-signed ISRG Root X1 are the real-world case). The path
    # leaf -> intermediate -> root validates; the cross is off it.
    cross = pki.cross_of_inter("inter-cross", now - 800 * DAY, now - 60 * DAY)
    cases.append(mxtest.PostfixCase("cross-expired", {
        "smtpd_tls_security_level": "may",
        "smtpd_tls_chain_files": pki._concat("cross-expired-full.pem", [
            pki.leaf.key, pki.leaf.cert, pki.inter.cert, cross.cert]),
        "syslog_name": "postfix-cross-expired"}))
    # A stale intermediate left in the bundle: expired, issued by nobody here.
    stale = pki._make("stale", "/O=mxprobe tests/CN=mxprobe Stale Intermediate CA", pki.root,
                      ["basicConstraints=critical,CA:TRUE,pathlen:0",
                       "keyUsage=critical,keyCertSign,cRLSign", "subjectKeyIdentifier=hash",
                       "authorityKeyIdentifier=keyid"], start_days=-800, days=-100)
    cases.append(mxtest.PostfixCase("stale-extra", {
        "smtpd_tls_security_level": "may",
        "smtpd_tls_chain_files": pki._concat("stale-extra-full.pem", [
            pki.leaf.key, pki.leaf.cert, pki.inter.cert, stale.cert]),
        "syslog_name": "postfix-stale-extra"}))
    # Issue 9, kind 4: an RSA and an ECDSA certificate for the same name
    # (smtpd_tls_chain_files with two keys), one of them expired.
    rsa_good = pki.leaf_custom("rsa-good", NAME, rsa_bits=2048)
    rsa_expired = pki.leaf_custom("rsa-expired", NAME, rsa_bits=2048, start=now - 400 * DAY,
                                  end=now - 20 * DAY)
    ec_expired = leaves["expired"]
    def dual(case, rsa, ec):
        rsa_full, ec_full = pki.full(case + "-rsa", rsa), pki.full(case + "-ec", ec)
        return mxtest.PostfixCase(case, {
            "smtpd_tls_security_level": "may",
            "smtpd_tls_cert_file": rsa_full, "smtpd_tls_key_file": rsa_full,
            "smtpd_tls_eccert_file": ec_full, "smtpd_tls_eckey_file": ec_full,
            "syslog_name": "postfix-" + case})
    cases.append(dual("dual-rsa-expired", rsa_expired, pki.leaf))
    cases.append(dual("dual-ecdsa-expired", rsa_good, ec_expired))
    # Issue 9, kind 6: a certificate for an internationalised name, in its
    # A-label form (mx.bücher.example).
    idn = pki.leaf_custom("idn", IDN_MX_A, sans=["DNS:" + IDN_MX_A, "DNS:" + IDN_DOMAIN_A])
    cases.append(mxtest.PostfixCase("idn", {
        "smtpd_tls_security_level": "may",
        "smtpd_tls_chain_files": pki.full("idn", idn),
        "syslog_name": "postfix-idn"}))
    # The standard leaf has IP:127.0.0.1: a case on that address (on a free
    # port) shows IP SAN matching for an address target.
    ip = mxtest.PostfixCase("good-ip", {
        "smtpd_tls_security_level": "may",
        "smtpd_tls_chain_files": pki.leaf_full,
        "syslog_name": "postfix-good-ip"}, port=mxtest.free_port("127.0.0.1"))
    ip.addr = "127.0.0.1"
    cases.append(ip)
    return cases


def ev(f, key):
    evidence = f.get("evidence") or {}
    if isinstance(evidence, dict):
        return evidence.get(key)
    for e in evidence:
        if e.get("key") == key:
            return e.get("value")
    return None


class Certs(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-certs-")
        try:
            cls.pki = CertPki(os.path.join(cls.tmp, "pki"))
            pfdir = os.path.join(cls.tmp, "postfix")
            os.makedirs(pfdir)
            os.chmod(pfdir, 0o755)
            cls.pf = mxtest.Postfix(pfdir, cert_cases(cls.pki))
            cls.pf.__enter__()
        except BaseException:
            mxtest.remove_tempdir(cls.tmp)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.pf.__exit__(None, None, None)
        finally:
            mxtest.remove_tempdir(cls.tmp)

    def check(self, case, *extra, ca=True, sni=True, all_probes=False):
        args = ["check", "--format", "json", "--timeout", "10"]
        if not all_probes:
            args += ["--probes", "starttls,chain,expiry,names"]
        if ca:
            args += ["--ca-file", self.pki.root.cert]
        if sni:
            args += ["--sni", NAME]
        res = mxtest.run_mxprobe(args + list(extra) + [self.pf.cases[case].target])
        self.assertNotCrashed(res)
        self.assertTrueIn(res, res.json is not None, "JSON output")
        self.assertTrueIn(res, res.session["tls_ok"], "TLS came up")
        return res

    def cert_findings(self, res, severities):
        return [f for f in res.findings() if f["id"].startswith("cert.")
                and f["severity"] in severities]

    # -- the good chain: no warning, no failure

    def test_good_chain_is_clean(self):
        res = self.check("good", all_probes=True)
        self.assertExit(res, 0)
        f = self.assertFinding(res, "cert.chain-valid", "pass")
        self.assertEq(res, ev(f, "trusted_by"), "ca-file", "trusted_by")
        self.assertIn("Intermediate", ev(f, "cert[1]"), res.describe())
        self.assertFinding(res, "cert.validity-ok", "pass")
        f = self.assertFinding(res, "cert.name-match", "pass")
        self.assertEq(res, ev(f, "matched_by"), NAME, "matched_by")
        bad = [f for f in res.findings() if f["severity"] in ("warn", "fail", "error")]
        self.assertEq(res, bad, [], "the good chain gives no warning or failure")

    def test_good_chain_strict_policies(self):
        for policy in ("verify", "secure", "domain-secure"):
            res = self.check("good", "--policy", policy)
            self.assertEq(res, self.cert_findings(res, ("warn", "fail", "error")), [], policy)

    def test_ip_san_for_address_target(self):
        res = self.check("good-ip", sni=False)
        f = self.assertFinding(res, "cert.name-match", "pass")
        self.assertEq(res, ev(f, "name"), "127.0.0.1", "name")
        self.assertEq(res, ev(f, "matched_by"), "127.0.0.1", "matched_by")
        self.assertEq(res, ev(f, "checked_as"), "target address", "checked_as")

    def test_address_not_in_certificate(self):
        res = self.check("good", sni=False)
        f = self.assertFinding(res, "cert.name-mismatch", "warn")
        self.assertEq(res, ev(f, "nearest"), "127.0.0.1", "nearest")
        res = self.check("good", "--policy", "secure", sni=False)
        self.assertExit(res, 1)
        self.assertFinding(res, "cert.name-mismatch", "fail")

    # -- chain

    def test_unknown_root_without_ca_file(self):
        res = self.check("good", ca=False)
        self.assertExit(res, 0)
        f = self.assertFinding(res, "cert.chain-untrusted", "warn")
        self.assertIn("unknown root", ev(f, "reason"), res.describe())
        self.assertIn("system", ev(f, "stores"), res.describe())
        res = self.check("good", "--policy", "verify", ca=False)
        self.assertExit(res, 1)
        self.assertFinding(res, "cert.chain-untrusted", "fail")

    def test_missing_intermediate(self):
        res = self.check("leaf-only")
        f = self.assertFinding(res, "cert.chain-untrusted", "warn")
        self.assertIn("missing intermediate", ev(f, "reason"), res.describe())
        self.assertIn("none", ev(f, "aia_ca_issuers"), res.describe())
        self.assertNoFinding(res, "cert.chain-valid")

    def test_missing_intermediate_with_aia(self):
        res = self.check("leaf-only-aia")
        f = self.assertFinding(res, "cert.chain-untrusted", "warn")
        self.assertIn("missing intermediate", ev(f, "reason"), res.describe())
        self.assertEq(res, ev(f, "aia_ca_issuers"), AIA_URL, "aia_ca_issuers")

    def test_self_signed(self):
        res = self.check("self-signed")
        self.assertFinding(res, "cert.self-signed", "warn")
        self.assertNoFinding(res, "cert.chain-untrusted")
        res = self.check("self-signed", "--policy", "verify")
        self.assertExit(res, 1)
        self.assertFinding(res, "cert.self-signed", "fail")

    def test_sha1_signature(self):
        res = self.check("sha1")
        f = self.assertFinding(res, "cert.weak-signature", "warn")
        self.assertIn("SHA1", ev(f, "cert[0]"), res.describe())
        self.assertNoFinding(res, "cert.chain-valid")
        self.assertNoFinding(res, "cert.chain-untrusted")   # the hash is the only problem
        res = self.check("sha1", "--policy", "verify")
        self.assertFinding(res, "cert.weak-signature", "fail")

    def test_rsa1024(self):
        res = self.check("rsa1024")
        f = self.assertFinding(res, "cert.weak-key", "warn")
        self.assertIn("RSA 1024", ev(f, "cert[0]"), res.describe())
        self.assertFinding(res, "cert.chain-valid", "pass")

    def test_no_server_auth(self):
        res = self.check("no-server-auth")
        f = self.assertFinding(res, "cert.no-server-auth", "warn")
        self.assertIn("1.3.6.1.5.5.7.3.2", ev(f, "eku"), res.describe())
        res = self.check("no-server-auth", "--policy", "verify")
        self.assertFinding(res, "cert.no-server-auth", "fail")

    def test_chain_order(self):
        res = self.check("misordered")
        f = self.assertFinding(res, "cert.chain-order", "warn")
        self.assertIn("Root", ev(f, "cert[1]"), res.describe())
        self.assertIn("Intermediate", ev(f, "cert[2]"), res.describe())
        # GnuTLS, like most TLS 1.3 clients, sorts the list: still valid.
        self.assertFinding(res, "cert.chain-valid", "pass")

    def test_leaf_where_the_intermediate_belongs(self):
        # The other leaf issued nothing here: it is on no path (chain
        # hygiene, "not a CA"), and the leaf's issuer is missing.
        res = self.check("leaf-as-issuer")
        f = self.assertFinding(res, "cert.chain-hygiene", "warn")
        self.assertIn("other.test.example", ev(f, "off_path[1]"), res.describe())
        self.assertIn("not a CA", ev(f, "off_path[1]"), res.describe())
        f = self.assertFinding(res, "cert.chain-untrusted", "warn")
        self.assertIn("missing intermediate", ev(f, "reason"), res.describe())
        self.assertNoFinding(res, "cert.chain-order")
        res = self.check("leaf-as-issuer", "--policy", "verify")
        self.assertFinding(res, "cert.chain-untrusted", "fail")

    def test_good_has_no_chain_problems(self):
        res = self.check("good")
        for fid in ("cert.chain-order", "cert.weak-signature", "cert.weak-key",
                    "cert.no-server-auth", "cert.basic-constraints"):
            self.assertNoFinding(res, fid)

    # -- expiry

    def test_expired(self):
        # A sender that verifies (verify and up) refuses an expired chain;
        # one that only encrypts (Postfix encrypt, the default) checks no
        # certificate and delivers over TLS: warn, as cert.chain-untrusted.
        res = self.check("expired", "--policy", "verify")
        self.assertExit(res, 1)
        f = self.assertFinding(res, "cert.expired", "fail")
        self.assertIn("days_left=-30", ev(f, "cert[0]"), res.describe())
        self.assertNoFinding(res, "cert.validity-ok")
        for policy in ("may", "encrypt"):
            res = self.check("expired", "--policy", policy)
            self.assertFinding(res, "cert.expired", "warn")
            self.assertFinding(res, "cert.chain-untrusted", "warn")

    def test_not_yet_valid(self):
        res = self.check("not-yet-valid", "--policy", "verify")
        self.assertExit(res, 1)
        self.assertFinding(res, "cert.not-yet-valid", "fail")
        res = self.check("not-yet-valid", "--policy", "encrypt")
        self.assertFinding(res, "cert.not-yet-valid", "warn")

    def test_expiring_in_five_days(self):
        res = self.check("expiring")
        self.assertExit(res, 0)
        f = self.assertFinding(res, "cert.expiring-soon", "warn")
        self.assertIn("days_left=4", ev(f, "cert[0]"), res.describe())
        res = self.check("expiring", "--warn-days", "3")
        self.assertFinding(res, "cert.validity-ok", "pass")

    def test_at_pins_the_clock(self):
        # The good leaf is valid for 365 days from its making (mxtest.Pki).
        now = datetime.datetime.now(datetime.timezone.utc)
        soon = (now + 360 * DAY).strftime("%Y-%m-%dT%H:%M:%SZ")
        res = self.check("good", "--at", soon)
        f = self.assertFinding(res, "cert.expiring-soon", "warn")
        self.assertIn("(--at)", ev(f, "evaluated_at"), res.describe())
        later = "@%d" % int((now + 400 * DAY).timestamp())
        res = self.check("good", "--at", later, "--policy", "verify")
        self.assertExit(res, 1)
        f = self.assertFinding(res, "cert.expired", "fail")
        self.assertIsNotNone(ev(f, "cert[0]"), res.describe())
        # The root and the intermediate run for ten years: only the leaf expired.
        self.assertEq(res, len([x for x in res.findings() if x["id"] == "cert.expired"]), 1)
        earlier = (now - 30 * DAY).strftime("%Y-%m-%d")
        res = self.check("good", "--at", earlier, "--policy", "verify")
        self.assertFinding(res, "cert.not-yet-valid", "fail")

    # -- issue 9, kind 3: validity is judged on the path that validates

    def test_expired_cross_signature_off_the_path(self):
        # The old root is trusted too: the path through the expired cross
        # is complete but out of time, the one through the current
        # intermediate validates, and that is the one judged.
        res = self.check("cross-expired", "--ca-file", self.pki.both_roots, ca=False,
                         all_probes=True)
        self.assertExit(res, 0)
        f = self.assertFinding(res, "cert.chain-valid", "pass")
        self.assertEq(res, ev(f, "path"), "cert[0] -> cert[1] -> trust anchor", "path")
        self.assertFinding(res, "cert.validity-ok", "pass")
        self.assertNoFinding(res, "cert.expired")
        self.assertNoFinding(res, "cert.chain-order")
        h = self.assertFinding(res, "cert.chain-hygiene", "warn")
        self.assertIn("Old Root", ev(h, "off_path[2]"), res.describe())
        self.assertIn("expired", ev(h, "off_path[2]"), res.describe())
        self.assertIn("Chain hygiene", h["title"], res.describe())
        fails = [x for x in res.findings() if x["severity"] in ("fail", "error")]
        self.assertEq(res, fails, [], "an expired certificate off the path fails nothing")
        # With only the current root trusted, the same answer.
        res = self.check("cross-expired", "--policy", "verify")
        self.assertExit(res, 0)
        self.assertFinding(res, "cert.chain-valid", "pass")
        self.assertFinding(res, "cert.chain-hygiene", "warn")

    def test_stale_intermediate_in_the_bundle(self):
        res = self.check("stale-extra", "--policy", "verify")
        self.assertExit(res, 0)
        self.assertFinding(res, "cert.chain-valid", "pass")
        self.assertNoFinding(res, "cert.expired")
        h = self.assertFinding(res, "cert.chain-hygiene", "warn")
        self.assertIn("Stale Intermediate", ev(h, "off_path[2]"), res.describe())
        self.assertIn("expired", ev(h, "off_path[2]"), res.describe())

    def test_expired_leaf_never_beside_chain_valid(self):
        for policy in ("may", "encrypt", "verify"):
            res = self.check("expired", "--policy", policy)
            self.assertNoFinding(res, "cert.chain-valid")
            f = self.assertFinding(res, "cert.chain-untrusted")
            self.assertIn("expired", ev(f, "reason"), res.describe())
            self.assertIn("trust anchor", ev(f, "path"), res.describe())
            self.assertFinding(res, "cert.expired")

    # -- issue 9, kind 4: an RSA and an ECDSA certificate

    def key_findings(self, res, fid, key_type):
        return [f for f in res.findings() if f["id"] == fid
                and (ev(f, "key_type") or "").split()[0] == key_type]

    def test_dual_rsa_expired(self):
        # verify: an expired certificate fails (a warning under encrypt)
        res = self.check("dual-rsa-expired", "--policy", "verify", all_probes=True)
        self.assertExit(res, 1)
        # Every certificate finding names its key type.
        for f in res.findings():
            if f["id"].startswith("cert.") and f["id"] != "cert.key-types":
                self.assertIsNotNone(ev(f, "key_type"), "%s\n%s" % (f["id"], res.describe()))
        self.assertTrueIn(res, self.key_findings(res, "cert.chain-valid", "ECDSA"), "ECDSA valid")
        self.assertTrueIn(res, self.key_findings(res, "cert.validity-ok", "ECDSA"), "ECDSA in time")
        self.assertTrueIn(res, self.key_findings(res, "cert.expired", "RSA"), "RSA expired")
        self.assertFalse(self.key_findings(res, "cert.chain-valid", "RSA"), res.describe())
        self.assertFalse(self.key_findings(res, "cert.expired", "ECDSA"), res.describe())
        self.assertTrueIn(res, self.key_findings(res, "cert.name-match", "RSA"), "RSA names")
        # JSON carries both chains.
        # JSON carries both chains (which one comes first is the server's
        # choice for GnuTLS's default algorithms).
        other = res.target["other_key"]
        self.assertTrue(other["tls_ok"], res.describe())
        self.assertEq(res, other["chain"][0]["key_type"], other["asked_for"], "second chain")
        self.assertEq(res, sorted([res.target["chain"][0]["key_type"], other["asked_for"]]),
                      ["ECDSA", "RSA"], "both key types")
        # The default set: the standard session, the other key's handshake
        # and one each for require-tls, relay and injection.
        self.assertEq(res, res.target["connections"], 5, "one more connection than the default's four")
        f = self.assertFinding(res, "cert.key-types", "info")
        self.assertIn("RSA", ev(f, "presented"), res.describe())
        self.assertIn("ECDSA", ev(f, "presented"), res.describe())

    def test_dual_ecdsa_expired(self):
        res = self.check("dual-ecdsa-expired", "--policy", "verify")
        self.assertExit(res, 1)
        self.assertTrueIn(res, self.key_findings(res, "cert.expired", "ECDSA"), "ECDSA expired")
        self.assertTrueIn(res, self.key_findings(res, "cert.chain-valid", "RSA"), "RSA valid")
        self.assertFalse(self.key_findings(res, "cert.expired", "RSA"), res.describe())

    def test_single_key_server_one_chain(self):
        res = self.check("good", all_probes=True)
        self.assertExit(res, 0)
        other = res.target["other_key"]
        self.assertEq(res, other["asked_for"], "RSA", "asked for RSA")
        self.assertEq(res, len([f for f in res.findings() if f["id"] == "cert.chain-valid"]), 1,
                      "one chain judged")
        f = self.assertFinding(res, "cert.key-types", "info")
        self.assertIn("ECDSA", ev(f, "presented"), res.describe())
        res = self.check("good", "--one-key")
        self.assertEq(res, res.target["other_key"], None, "--one-key: no second handshake")
        self.assertEq(res, res.target["connections"], 1, "--one-key: one connection")

    # -- issue 9, kind 6: internationalised names

    def test_idn_domain_through_resolver(self):
        # --domain in U-labels: the MX query, the SNI and the name check all
        # use the A-labels; the report shows both forms.
        import test_domain
        dns_dir = os.path.join(self.tmp, "unbound-idn")
        os.makedirs(dns_dir, exist_ok=True)
        dns = test_domain.Unbound(dns_dir, {IDN_DOMAIN_A: [
            "%s. IN MX 10 %s." % (IDN_DOMAIN_A, IDN_MX_A),
            "%s. IN A %s" % (IDN_MX_A, self.pf.cases["idn"].addr)]}).start()
        try:
            res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "10", "--one-key",
                                      "--ca-file", self.pki.root.cert, "--resolver", dns.resolver,
                                      "--domain", IDN_DOMAIN_U, "--expect-name", IDN_DOMAIN_U],
                                     timeout=90)
        finally:
            dns.stop()
        self.assertExit(res, 0)
        d = res.json["domains"][0]
        self.assertEq(res, (d["domain"], d["domain_unicode"]), (IDN_DOMAIN_A, IDN_DOMAIN_U),
                      "the domain in A-labels, and its U-labels")
        self.assertEq(res, [m["host"] for m in d["mx"]], [IDN_MX_A], "MX from the resolver")
        t = res.json["targets"][0]
        self.assertEq(res, (t["mx_host"], t["name_unicode"]), (IDN_MX_A, IDN_MX_U), "both forms")
        self.assertEq(res, t["session"]["tls"]["sni"], IDN_MX_A, "SNI is the A-label")
        ms = {ev(f, "name"): f for f in res.findings(t) if f["id"] == "cert.name-match"}
        self.assertEq(res, sorted(ms), sorted([IDN_MX_A, IDN_DOMAIN_A]), "names matched")
        self.assertEq(res, ev(ms[IDN_MX_A], "name_unicode"), IDN_MX_U, "U-label form shown")
        self.assertEq(res, ev(ms[IDN_DOMAIN_A], "checked_as"), "--expect-name", "checked_as")

    def test_idn_target_and_sni(self):
        case = self.pf.cases["idn"]
        res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "10", "--one-key",
                                  "--probes", "starttls,chain,names", "--ca-file",
                                  self.pki.root.cert, "--sni", IDN_MX_U, case.target], timeout=60)
        self.assertExit(res, 0)
        self.assertEq(res, res.session["tls"]["sni"], IDN_MX_A, "SNI is the A-label")
        f = self.assertFinding(res, "cert.name-match", "pass")
        self.assertEq(res, (ev(f, "name"), ev(f, "name_unicode"), ev(f, "checked_as")),
                      (IDN_MX_A, IDN_MX_U, "--sni"), "matched as the A-label")
        # The same certificate does not cover another U-label name.
        res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "10", "--one-key",
                                  "--probes", "names", "--ca-file", self.pki.root.cert,
                                  "--sni", IDN_MX_A, "--expect-name", "mx.bucher.example",
                                  "--expect-name", "mx.büchern.example", case.target], timeout=60)
        miss = [ev(f, "name") for f in res.findings() if f["id"] == "cert.name-mismatch"]
        self.assertEq(res, sorted(miss), ["mx.bucher.example", "mx.xn--bchern-3ya.example"], "misses")
        # A host-name target in U-labels is resolved as its A-labels (here:
        # not at all, .example has no such name), shown in both forms.
        res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "3", IDN_MX_U])
        self.assertEq(res, (res.target["host"], res.target["name_unicode"]), (IDN_MX_A, IDN_MX_U),
                      "host")
        self.assertEq(res, res.target["input"], IDN_MX_U, "input as written")

    def test_idn_usage_errors(self):
        for args in (["mx.\u2603.example"], ["--sni", "a..b\u00fc", "127.0.0.1:1"],
                     ["--expect-name", "b\u00fc--\u0301x.example", "127.0.0.1:1"],
                     ["--domain", "\u2603.example"]):
            res = mxtest.run_mxprobe(["check"] + args)
            self.assertExit(res, 2)
            self.assertEq(res, len(res.stderr.strip().splitlines()), 1, "one line: %s" % args)
            self.assertTrue("internationalised" in res.stderr, res.describe())

    # -- names

    def test_wrong_name(self):
        res = self.check("wrong-name")
        f = self.assertFinding(res, "cert.name-mismatch", "warn")
        self.assertEq(res, ev(f, "name"), NAME, "name")
        self.assertEq(res, ev(f, "nearest"), "other.test.example", "nearest")
        self.assertIn("www.test.example", ev(f, "subject_alt_names"), res.describe())
        res = self.check("wrong-name", "--policy", "secure")
        self.assertExit(res, 1)
        self.assertFinding(res, "cert.name-mismatch", "fail")

    def test_wildcard(self):
        res = self.check("wildcard", "--expect-name", "a.b.test.example",
                         "--expect-name", "test.example")
        by_name = {ev(f, "name"): f for f in res.findings()
                   if f["id"] in ("cert.name-match", "cert.name-mismatch")}
        self.assertEq(res, by_name[NAME]["id"], "cert.name-match", NAME)
        self.assertEq(res, ev(by_name[NAME], "matched_by"), "*.test.example", "matched_by")
        self.assertEq(res, by_name["a.b.test.example"]["id"], "cert.name-mismatch", "two labels")
        self.assertEq(res, by_name["test.example"]["id"], "cert.name-mismatch", "bare domain")

    def test_cn_only(self):
        res = self.check("cn-only")
        f = self.assertFinding(res, "cert.cn-only", "warn")
        self.assertEq(res, ev(f, "matched_by"), "CN=" + NAME, "matched_by")
        self.assertNoFinding(res, "cert.name-mismatch")

    def test_expect_name(self):
        res = self.check("good", "--expect-name", NAME.upper() + ".",
                         "--expect-name", "partner.example", "--policy", "secure")
        self.assertExit(res, 1)
        ms = [f for f in res.findings() if f["id"] == "cert.name-match"]
        self.assertEq(res, len(ms), 2, "the host and the upper-case expected name")
        f = self.assertFinding(res, "cert.name-mismatch", "fail")
        self.assertEq(res, ev(f, "name"), "partner.example", "name")
        self.assertEq(res, ev(f, "checked_as"), "--expect-name", "checked_as")

    # -- usage errors

    def test_usage_errors(self):
        for args in (["--warn-days", "x"], ["--warn-days", "-1"], ["--at", "tomorrow"],
                     ["--at", "@"], ["--ca-file", "/nonexistent/ca.pem"],
                     ["--expect-name", "bad name"]):
            res = mxtest.run_mxprobe(["check"] + args + ["127.0.0.1:1"])
            self.assertExit(res, 2)
            self.assertEq(res, len(res.stderr.strip().splitlines()), 1, "one line: %s" % args)


if __name__ == "__main__":
    mxtest.main()
