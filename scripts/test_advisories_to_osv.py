#!/usr/bin/env python3
"""Tests for scripts/advisories-to-osv.py. Run from the repository root:

    python3 scripts/test_advisories_to_osv.py

The fixtures under testdata/advisory-sources/ are real advisory files copied byte-exact
(see the README there). The tests convert them, then evaluate the produced OSV ranges on
sample versions with the script's own version orderings, so a wrong bound, a wrong
inclusive/exclusive choice or a wrong ordering shows up as a version on the wrong side.
"""

import importlib.util
import io
import json
import os
import sys
import tempfile
import unittest
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "testdata", "advisory-sources")

_spec = importlib.util.spec_from_file_location("advisories_to_osv",
                                               os.path.join(ROOT, "scripts", "advisories-to-osv.py"))
a2o = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(a2o)


def gem_lt(x, y):
    return a2o.GemVersion(x) < a2o.GemVersion(y)


def composer_lt(x, y):
    return a2o.composer_key(x) < a2o.composer_key(y)


def affected(record, version, lt):
    """OSV evaluation of one version against every range of a record's single package:
    inside a range when >= introduced ("0" = from the start) and < fixed / <= last_affected."""
    for rng in record["affected"][0]["ranges"]:
        assert rng["type"] == "ECOSYSTEM"
        state = False
        lo = hi = None
        kinds = set()
        for ev in rng["events"]:
            (kind, v), = ev.items()
            kinds.add(kind)
            if kind == "introduced":
                lo = v
            else:
                hi = (kind, v)
        assert not {"fixed", "last_affected"} <= kinds, "a range mixes fixed and last_affected"
        above = lo == "0" or not lt(version, lo)
        if hi is None:
            below = True
        elif hi[0] == "fixed":
            below = lt(version, hi[1])
        else:
            below = not lt(hi[1], version)
        state = above and below
        if state:
            return True
    return False


def convert(kind):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "all.zip")
        log = io.StringIO()
        records, skipped = a2o.convert(kind, os.path.join(FIXTURES, kind), out, log=log)
        with open(out, "rb") as f:
            data = f.read()
    return {r["id"]: r for r in records}, skipped, data, log.getvalue()


class GemVersionOrder(unittest.TestCase):
    def test_prerelease_sorts_before_release(self):
        self.assertTrue(gem_lt("1.0.0.rc1", "1.0.0"))
        self.assertTrue(gem_lt("1.0.0.beta2", "1.0.0.rc1"))
        self.assertTrue(gem_lt("1.0.0", "1.0.0.1"))
        self.assertTrue(gem_lt("6.1.0.rc1", "6.1.0.rc2"))
        self.assertTrue(gem_lt("5.0.0.beta1", "5.0.0.beta1.1"))
        self.assertTrue(gem_lt("4.2.9", "5.0.0.beta1"))

    def test_trailing_zeros_and_numeric_segments(self):
        self.assertEqual(a2o.GemVersion("1.0"), a2o.GemVersion("1.0.0"))
        self.assertEqual(a2o.GemVersion("1"), a2o.GemVersion("1.0.0.0"))
        self.assertTrue(gem_lt("1.9", "1.10"))  # numbers, not strings
        self.assertTrue(gem_lt("2.0.0-alpha", "2.0.0"))  # '-' is '.pre.'
        self.assertTrue(gem_lt("1.a", "1.0.b"))

    def test_bump(self):
        self.assertEqual(a2o.GemVersion("5.2.4").bump().text, "5.3")
        self.assertEqual(a2o.GemVersion("5.2").bump().text, "6")
        self.assertEqual(a2o.GemVersion("5").bump().text, "6")
        self.assertEqual(a2o.GemVersion("3.1.0.rc6").bump().text, "3.2")


class ComposerOrder(unittest.TestCase):
    def test_stabilities(self):
        for lo, hi in [("2.0.0-dev", "2.0.0-alpha1"), ("2.0.0-alpha1", "2.0.0-alpha2"),
                       ("2.0.0-alpha9", "2.0.0-beta1"), ("2.0.0-beta1", "2.0.0-RC1"),
                       ("2.0.0-rc1", "2.0.0"), ("2.0.0", "2.0.0-p1"), ("2.3.2-p2", "2.3.3"),
                       ("2.0.9", "2.0.10"), ("v1.2", "1.2.0.1")]:
            self.assertTrue(composer_lt(lo, hi), (lo, hi))
        self.assertEqual(a2o.composer_key("v2.3"), a2o.composer_key("2.3.0.0"))


class RubySec(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.recs, cls.skipped, cls.data, cls.log = convert("rubysec")

    def check(self, rid, inside, outside):
        rec = self.recs[rid]
        for v in inside:
            self.assertTrue(affected(rec, v, gem_lt), f"{rid}: {v} should be affected")
        for v in outside:
            self.assertFalse(affected(rec, v, gem_lt), f"{rid}: {v} should not be affected")

    def test_pessimistic_patched_set(self):
        # unaffected < 4.0.0; patched "~> 5.2.4, >= 5.2.4.3" and ">= 6.0.3.1"
        rid = "x_RUBYSEC-actionpack-CVE-2020-8164"
        self.check(rid,
                   inside=["4.0.0", "4.2.11.1", "5.2.4", "5.2.4.2", "5.3", "6.0.0", "6.0.3"],
                   outside=["3.2.22", "5.2.4.3", "5.2.4.4", "5.2.9", "6.0.3.1", "6.1.0", "7.0.0"])
        events = [r["events"] for r in self.recs[rid]["affected"][0]["ranges"]]
        self.assertEqual(events, [[{"introduced": "4.0.0"}, {"fixed": "5.2.4.3"}],
                                  [{"introduced": "5.3"}, {"fixed": "6.0.3.1"}]])

    def test_prerelease_bounds(self):
        # unaffected < 6.1.0.rc2; patched >= 6.1.3.2
        self.check("x_RUBYSEC-actionpack-CVE-2021-22903",
                   inside=["6.1.0.rc2", "6.1.0", "6.1.3.1"],
                   outside=["6.1.0.rc1", "6.0.9", "6.1.3.2", "7.0.0.alpha"])

    def test_exclusive_patched_gives_last_affected(self):
        # unaffected < 3.0.0; patched "~> 2.3.11" and "> 3.0.4"
        rid = "x_RUBYSEC-activerecord-CVE-2011-0448"
        self.check(rid, inside=["3.0.0", "3.0.4"], outside=["2.3.11", "3.0.4.1", "3.0.5"])
        self.assertEqual(self.recs[rid]["affected"][0]["ranges"][0]["events"],
                         [{"introduced": "3.0.0"}, {"last_affected": "3.0.4"}])

    def test_single_version(self):
        self.check("x_RUBYSEC-simple_captcha2-CVE-2019-14282",
                   inside=["0.2.3"], outside=["0.2.2", "0.2.3.1", "0.2.4"])

    def test_no_versions_means_all(self):
        rec = self.recs["x_RUBYSEC-Arabic-Prawn-CVE-2014-2322"]
        self.assertEqual(rec["affected"][0]["ranges"], [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}])

    def test_skips_with_reasons(self):
        self.assertEqual(sorted(self.skipped), ["exclusive lower bound", "platform restricted"])
        self.assertEqual([f for f, _ in self.skipped["exclusive lower bound"]], ["gems/rack/CVE-2018-16470.yml"])
        self.assertIn("2.0.3", self.skipped["exclusive lower bound"][0][1])
        self.assertEqual([f for f, _ in self.skipped["platform restricted"]], ["gems/nokogiri/CVE-2022-24839.yml"])
        self.assertIn("skip gems/rack/CVE-2018-16470.yml: exclusive lower bound", self.log)
        self.assertNotIn("x_RUBYSEC-rack-CVE-2018-16470", self.recs)

    def test_fields(self):
        rec = self.recs["x_RUBYSEC-actionpack-CVE-2020-8164"]
        self.assertEqual(rec["schema_version"], "1.6.0")
        self.assertEqual(rec["aliases"], ["CVE-2020-8164", "GHSA-8727-m6gj-mc37"])
        self.assertEqual(rec["published"], "2020-05-18T00:00:00Z")
        self.assertEqual(rec["summary"], "Possible Strong Parameters Bypass in ActionPack")
        self.assertNotIn("severity", rec)  # the source has a bare score, not a vector
        self.assertEqual(rec["database_specific"]["cvss_v3"], 7.5)
        self.assertEqual(rec["affected"][0]["package"],
                         {"ecosystem": "RubyGems", "name": "actionpack", "purl": "pkg:gem/actionpack"})
        self.assertEqual(self.recs["x_RUBYSEC-actionpack-CVE-2021-22903"]["related"], ["CVE-2021-22881"])

    def test_zip_layout_and_reproducible(self):
        _, _, again, _ = convert("rubysec")
        self.assertEqual(self.data, again)
        zf = zipfile.ZipFile(io.BytesIO(self.data))
        names = zf.namelist()
        self.assertEqual(names, sorted(names))
        self.assertEqual(names, sorted(r + ".json" for r in self.recs))
        for info in zf.infolist():
            self.assertEqual(info.date_time, (1980, 1, 1, 0, 0, 0))
            self.assertEqual(json.loads(zf.read(info))["id"] + ".json", info.filename)


class FriendsOfPHP(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.recs, cls.skipped, cls.data, cls.log = convert("friendsofphp")

    def check(self, rid, inside, outside):
        rec = self.recs[rid]
        for v in inside:
            self.assertTrue(affected(rec, v, composer_lt), f"{rid}: {v} should be affected")
        for v in outside:
            self.assertFalse(affected(rec, v, composer_lt), f"{rid}: {v} should not be affected")

    def test_le_becomes_last_affected(self):
        rid = "x_FOP-illuminate-auth-CVE-2017-9303"
        ranges = self.recs[rid]["affected"][0]["ranges"]
        self.assertEqual([r["events"] for r in ranges],
                         [[{"introduced": "5.3.0"}, {"last_affected": "5.3.31"}],
                          [{"introduced": "5.4.0"}, {"fixed": "5.4.22"}]])
        self.check(rid, inside=["5.3.0", "5.3.31", "5.4.21"], outside=["5.2.9", "5.3.32", "5.4.22"])
        self.assertIsNone(ranges[0]["database_specific"]["time"])
        self.assertEqual(self.recs[rid]["affected"][0]["package"]["name"], "illuminate/auth")

    def test_branches_and_prerelease_lower_bound(self):
        rid = "x_FOP-composer-composer-CVE-2021-29472"
        # branch 1.10.x has no lower bound: introduced 0
        self.check(rid, inside=["1.0.0", "1.10.21", "2.0.0-alpha1", "2.0.0-RC2", "2.0.12"],
                   outside=["1.10.22", "1.10.23", "2.0.0-dev", "2.0.13", "2.1.0"])
        self.assertIn("GHSA-h5h8-pc6h-jvvx", self.recs[rid]["aliases"])
        self.assertEqual(self.recs[rid]["aliases"][0], "CVE-2021-29472")

    def test_time_with_offset_is_utc(self):
        ranges = self.recs["x_FOP-sylius-grid-CVE-2019-12186"]["affected"][0]["ranges"]
        self.assertEqual(ranges[-1]["database_specific"]["time"], "2019-05-21T14:01:24Z")  # +0800 source
        self.assertEqual(ranges[0]["database_specific"]["time"], None)
        self.check("x_FOP-sylius-grid-CVE-2019-12186", inside=["1.0.0", "1.1.18", "1.5.0"],
                   outside=["1.1.19", "1.5.1", "0.9.0"])

    def test_skips_with_reasons(self):
        self.assertEqual({k: [f for f, _ in v] for k, v in self.skipped.items()},
                         {"exclusive lower bound": ["amphp/artax/CVE-2016-5385.yaml"],
                          "not on packagist.org": ["cart2quote/module-quotation/2017-02-01.yaml"]})
        self.assertIn("'>0.7.1'", self.skipped["exclusive lower bound"][0][1])

    def test_reproducible(self):
        _, _, again, _ = convert("friendsofphp")
        self.assertEqual(self.data, again)
        rec = self.recs["x_FOP-illuminate-auth-CVE-2017-9303"]
        self.assertEqual(rec["modified"], "2017-05-07T17:49:26Z")  # no --git-dir: latest branch time
        self.assertNotIn("published", rec)


class Intervals(unittest.TestCase):
    def test_bad_operator_is_a_skip(self):
        with self.assertRaises(a2o.Skip) as cm:
            a2o.gem_affected_ranges(["!= 1.2.3"], [])
        self.assertEqual(cm.exception.kind, "unsupported requirement")

    def test_touching_safe_sets_merge(self):
        # "< 1.0" and ">= 1.0, < 1.2" touch: one safe interval, affected from 1.2 to 2.0
        ranges = a2o.gem_affected_ranges([">= 2.0"], ["< 1.0", ">= 1.0, < 1.2"])
        self.assertEqual([r["events"] for r in ranges], [[{"introduced": "1.2"}, {"fixed": "2.0"}]])
        # "< 1.0" and "= 1.0" merge to "<= 1.0": affected would start just after 1.0, a skip
        with self.assertRaises(a2o.Skip) as cm:
            a2o.gem_affected_ranges([">= 2.0"], ["< 1.0", "= 1.0"])
        self.assertEqual(cm.exception.kind, "exclusive lower bound")

    def test_exclusive_start_is_skipped(self):
        with self.assertRaises(a2o.Skip) as cm:
            a2o.gem_affected_ranges([">= 2.0"], ["<= 1.0"])
        self.assertEqual(cm.exception.kind, "exclusive lower bound")

    def test_two_segment_pessimistic(self):
        # "~> 1.5" is >= 1.5, < 2: everything from 1.5.3 on is patched
        ranges = a2o.gem_affected_ranges(["~> 1.5, >= 1.5.3", ">= 2.0"], ["< 1.0"])
        self.assertEqual([r["events"] for r in ranges], [[{"introduced": "1.0"}, {"fixed": "1.5.3"}]])

    def test_adjacent_sets(self):
        ranges = a2o.gem_affected_ranges(["~> 1.5.0, >= 1.5.3", ">= 2.0"], ["< 1.0", "~> 1.0.0"])
        self.assertEqual([r["events"] for r in ranges],
                         [[{"introduced": "1.1"}, {"fixed": "1.5.3"}], [{"introduced": "1.6"}, {"fixed": "2.0"}]])


if __name__ == "__main__":
    unittest.main(verbosity=1)
