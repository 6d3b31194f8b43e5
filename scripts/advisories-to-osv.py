#!/usr/bin/env python3
"""Convert two YAML advisory databases into osv.dev-style OSV archives (`all.zip`).

What it converts
  rubysec       rubysec/ruby-advisory-db, files gems/<gem>/<stem>.yml  -> ecosystem "RubyGems"
                (rubies/, advisories about Ruby interpreters rather than gems, is not read)
  friendsofphp  FriendsOfPHP/security-advisories, files <vendor>/<package>/<stem>.yaml
                -> ecosystem "Packagist"

  Output: one zip, one OSV 1.6.0 JSON record per member `<ID>.json` at the top level, as in
  osv.dev's per-ecosystem archives. Members are sorted by name, every member has the fixed
  timestamp 1980-01-01 00:00:00, mode 0644 and deflate level 9, and the JSON is written with a
  fixed key order, indent 2 and a final newline, so two runs on the same input give identical
  bytes. Every record produced validates against the OSV JSON schema (ossf/osv-schema
  validation/schema.json); empty fields are left out.

How to run (from the repository root; needs Python 3 and PyYAML)
  python3 scripts/advisories-to-osv.py rubysec      SRC_DIR OUT_ZIP [--git-dir GIT_DIR]
  python3 scripts/advisories-to-osv.py friendsofphp SRC_DIR OUT_ZIP [--git-dir GIT_DIR]

  SRC_DIR is a checkout (or `git archive` extract) of the database. GIT_DIR, optional, is the
  same repository's git directory (a bare clone is fine); with it `modified` (and for
  friendsofphp `published`) come from the commit history, see "Dates" below. Records that
  cannot be converted faithfully are skipped; each skip is printed to stderr with its reason,
  followed by a count per reason. The test suite is scripts/test_advisories_to_osv.py.

Last run on (testdata/osv/RubyGems/all.zip and testdata/osv/Packagist/all.zip)
  rubysec/ruby-advisory-db          8cfcc07caea7a1931af181e1c98553e164060da1 (2026-08-22)
  FriendsOfPHP/security-advisories  73745a61e343b20f230f21a70b97ae77d65ae543 (2026-08-06)

Ids
  These are conversions, not records either project publishes in OSV form, so the ids carry
  the `x_` prefix that the OSV schema documents for a local database not aggregated by
  osv.dev (as testdata/osv's npm set does with x_NSWG-ECO-<n>):
    x_RUBYSEC-<gem>-<file stem>                e.g. x_RUBYSEC-actionpack-CVE-2020-8164
    x_FOP-<vendor>-<package>-<file stem>       e.g. x_FOP-symfony-http-kernel-CVE-2022-24894
  A duplicate id aborts the run.

Common field mapping
  summary = title; details = description (rubysec; friendsofphp has none, so details is left
  out); aliases = the record's own CVE and GHSA ids; references = the source file on GitHub
  (ADVISORY), the record's url/link (ADVISORY), rubysec related.url (WEB) and the package page
  (PACKAGE); affected[].package = {ecosystem, name, purl}; database_specific.source names the
  source file. Each affected interval is its own ECOSYSTEM range, so no range ever mixes
  `fixed` and `last_affected`.

RubyGems (rubysec)
  aliases: CVE-<cve>, GHSA-<ghsa>; related: related.cve and related.ghsa. osvdb ids (own and
  related), library and framework go to database_specific; `notes` (maintainers' remarks) is
  not carried. Severity: rubysec's cvss_v2,
  cvss_v3 and cvss_v4 are bare numbers, not vectors, so they go to database_specific
  (cvss_v2/cvss_v3/cvss_v4); a value that is a full CVSS:3.x / CVSS:4.0 vector string would go
  to `severity` as CVSS_V3 / CVSS_V4 (none in the data as last run).

  patched_versions and unaffected_versions are lists of Gem requirement strings; a string is
  a comma-separated AND of `OP VERSION` (OP one of = > < >= <= ~>, default =). A version is
  safe if any string matches it; affected = every version matched by none of them. Each
  string becomes an interval in Gem::Version order (`~> 5.2.4` = [5.2.4, 5.3),
  `~> 5.2` = [5.2, 6), `~> 5` = [5, 6)); the union of the safe intervals is complemented and
  each resulting affected interval becomes one range:
    lower bound: none -> introduced "0"; inclusive X -> introduced X
    upper bound: none -> no closing event; exclusive Y -> fixed Y; inclusive Y -> last_affected Y
  With no patched and no unaffected versions the record affects all versions (introduced 0).
  Version order follows Gem::Version: the string is split into runs of digits (numbers) and
  of letters (strings) ('-' counts as '.pre.'), trailing zero numbers of the release part
  and of the prerelease part are dropped (1.0 == 1.0.0), a missing segment counts as 0, and
  a string segment sorts before any number, so 1.0.0.rc1 < 1.0.0 < 1.0.0.1.
  Known, deliberate approximation: Gem's `~> 5.2.4` also refuses prereleases of the bump
  version (5.3.0.rc1, whose release part is not < 5.3); the interval [5.2.4, 5.3) here
  contains them, so such prereleases come out as not affected by that patched set.
  The source strings go to affected[].database_specific (source_patched_versions,
  source_unaffected_versions).

  Skipped, with the reason printed:
    - platform restricted (the `platform` key, e.g. jruby): OSV packages have no platform, so
      the record would also flag the gem on every other platform;
    - an affected interval with an exclusive lower bound (from `<= X` or `= X` safe sets, e.g.
      unaffected `<= 2.0.3` with patched `>= 2.0.6`): OSV `introduced` is inclusive and Gem
      versions have no "next version" to put there;
    - an operator or version the grammar above does not know (e.g. `!=`);
    - patched/unaffected sets that cover every version (nothing affected);
    - YAML that does not parse or lacks gem/title/date.

Packagist (friendsofphp)
  package name = `vendor/package` from `reference: composer://vendor/package` (it must match
  the folder). aliases: `cve`, plus a GHSA id when `link` is a GitHub advisory page.
  Each branch (the branches are ORed, the constraints inside one are ANDed) becomes one
  ECOSYSTEM range: `>=X` -> introduced X (no lower bound -> introduced "0"), `<Y` -> fixed Y,
  `<=Y` -> last_affected Y; a leading `v` is stripped. The branch name, its `time` (UTC, the
  date the fix was merged; null when unfixed) and the source constraints go to
  ranges[].database_specific. Constraints are checked with Composer's ordering (numeric
  segments padded to four, then the stability suffix dev < alpha < beta < RC < stable <
  patch/pl, then the suffix number): a branch whose lower bound is not below its upper bound
  is an error.
  Skipped, with the reason printed:
    - `composer-repository: false`: the package is not published on packagist.org (mostly
      Magento marketplace modules), so it is not in OSV's Packagist ecosystem;
    - an exclusive lower bound `>X` (OSV `introduced` is inclusive);
    - a constraint with another operator, more than one lower or upper bound in a branch, an
      unparseable version, or an empty branch;
    - YAML that does not parse, or a reference that is not composer:// or does not match the
      folder.

Dates
  rubysec: published = `date` (T00:00:00Z). modified = the commit date of the last commit
  that touched the file when --git-dir is given, else the same as published.
  friendsofphp (no dates of its own besides fix times): with --git-dir, published = the
  commit date of the first commit that added the file and modified = that of the last commit
  that touched it; without, published is left out and modified = the latest branch `time`,
  or 1970-01-01T00:00:00Z when no branch has one. All dates are UTC, to the second.
"""

import datetime
import functools
import io
import json
import os
import re
import subprocess
import sys
import zipfile

import yaml

SCHEMA_VERSION = "1.6.0"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class Skip(Exception):
    """A record that cannot be converted faithfully. `kind` groups the reasons for the summary."""

    def __init__(self, kind, detail):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


# ---------------------------------------------------------------------------------------------
# RubyGems versions (Gem::Version ordering, implemented from its documented behaviour)

GEM_VERSION_RE = re.compile(r"[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?")


class GemVersion:
    __slots__ = ("text", "segments", "key")

    def __init__(self, text):
        text = text.strip()
        if not GEM_VERSION_RE.fullmatch(text):
            raise ValueError(f"malformed gem version {text!r}")
        self.text = text
        norm = text.replace("-", ".pre.")
        self.segments = [int(s) if s.isdigit() else s for s in re.findall(r"[0-9]+|[a-zA-Z]+", norm)]
        # canonical form: release part and prerelease part, each without trailing zeros
        first_str = next((i for i, s in enumerate(self.segments) if isinstance(s, str)), len(self.segments))
        release, pre = self.segments[:first_str], self.segments[first_str:]
        while release and release[-1] == 0:
            release.pop()
        while pre and pre[-1] == 0:
            pre.pop()
        self.key = release + pre

    def is_prerelease(self):
        return any(isinstance(s, str) for s in self.segments)

    def bump(self):
        """The exclusive upper bound of `~> self`: drop prerelease segments, drop the last
        segment if more than one is left, increment the last."""
        rel = []
        for s in self.segments:
            if isinstance(s, str):
                break
            rel.append(s)
        if len(rel) > 1:
            rel.pop()
        rel[-1] += 1
        return GemVersion(".".join(str(n) for n in rel))

    def cmp(self, other):
        a, b = self.key, other.key
        for i in range(max(len(a), len(b))):
            x = a[i] if i < len(a) else 0
            y = b[i] if i < len(b) else 0
            if x == y:
                continue
            if isinstance(x, int) and isinstance(y, int):
                return -1 if x < y else 1
            if isinstance(x, str) and isinstance(y, str):
                return -1 if x < y else 1
            return -1 if isinstance(x, str) else 1  # a string segment sorts before a number
        return 0

    def __lt__(self, other):
        return self.cmp(other) < 0

    def __eq__(self, other):
        return isinstance(other, GemVersion) and self.cmp(other) == 0

    def __le__(self, other):
        return self.cmp(other) <= 0

    def __hash__(self):
        return hash(tuple(self.key))

    def __repr__(self):
        return f"GemVersion({self.text!r})"


# An interval is (lo, lo_incl, hi, hi_incl); lo/hi None mean unbounded.

def _sort_intervals(ivs):
    # sort by lower bound: unbounded first, then by version, inclusive before exclusive
    def cmp_lo(a, b):
        if a[0] is None or b[0] is None:
            return (a[0] is not None) - (b[0] is not None)
        c = a[0].cmp(b[0])
        if c:
            return c
        return (not a[1]) - (not b[1])
    return sorted(ivs, key=functools.cmp_to_key(cmp_lo))


def _intersect(a, b):
    lo, lo_incl = a[0], a[1]
    if b[0] is not None and (lo is None or b[0].cmp(lo) > 0 or (b[0] == lo and not b[1])):
        lo, lo_incl = b[0], b[1]
    hi, hi_incl = a[2], a[3]
    if b[2] is not None and (hi is None or b[2].cmp(hi) < 0 or (b[2] == hi and not b[3])):
        hi, hi_incl = b[2], b[3]
    return (lo, lo_incl, hi, hi_incl)


def _is_empty(iv):
    lo, lo_incl, hi, hi_incl = iv
    if lo is None or hi is None:
        return False
    c = lo.cmp(hi)
    return c > 0 or (c == 0 and not (lo_incl and hi_incl))


REQ_PART_RE = re.compile(r"\s*(~>|>=|<=|!=|=|>|<)?\s*(\S+)\s*")


def gem_requirement_interval(req):
    """A Gem requirement string (comma-separated AND) as one interval, or None if empty."""
    iv = (None, False, None, False)
    for part in req.split(","):
        m = REQ_PART_RE.fullmatch(part)
        if not m:
            raise Skip("unsupported requirement", f"cannot parse {part!r} in {req!r}")
        op, ver = m.group(1) or "=", m.group(2)
        if op == "!=":
            raise Skip("unsupported requirement", f"operator != in {req!r}")
        try:
            v = GemVersion(ver)
        except ValueError as e:
            raise Skip("unsupported requirement", f"{e} in {req!r}")
        part_iv = {
            ">=": (v, True, None, False),
            ">": (v, False, None, False),
            "<": (None, False, v, False),
            "<=": (None, False, v, True),
            "=": (v, True, v, True),
            "~>": (v, True, v.bump(), False),
        }[op]
        iv = _intersect(iv, part_iv)
    return None if _is_empty(iv) else iv


def union_intervals(ivs):
    out = []
    for iv in _sort_intervals(ivs):
        if not out:
            out.append(iv)
            continue
        lo, lo_incl, hi, hi_incl = out[-1]
        # does iv start inside or right at the end of the last one?
        if hi is None:
            continue
        c = iv[0].cmp(hi) if iv[0] is not None else -1
        if c < 0 or (c == 0 and (hi_incl or iv[1])):
            if iv[2] is None:
                out[-1] = (lo, lo_incl, None, False)
            else:
                d = iv[2].cmp(hi)
                if d > 0 or (d == 0 and iv[3]):
                    out[-1] = (lo, lo_incl, iv[2], iv[3] or (d == 0 and hi_incl))
        else:
            out.append(iv)
    return out


def complement_intervals(ivs):
    """Complement of a sorted, disjoint union of intervals."""
    out = []
    lo, lo_incl = None, False
    for a_lo, a_lo_incl, a_hi, a_hi_incl in ivs:
        if a_lo is not None:
            gap = (lo, lo_incl, a_lo, not a_lo_incl)
            if not _is_empty(gap):
                out.append(gap)
        if a_hi is None:
            return out
        lo, lo_incl = a_hi, not a_hi_incl
    out.append((lo, lo_incl, None, False))
    return out


def gem_affected_ranges(patched, unaffected):
    """OSV ECOSYSTEM ranges (one per affected interval) for rubysec's patched/unaffected lists."""
    safe = []
    for req in list(patched) + list(unaffected):
        iv = gem_requirement_interval(req)
        if iv is not None:
            safe.append(iv)
    affected = complement_intervals(union_intervals(safe))
    if not affected:
        raise Skip("nothing affected", "patched/unaffected versions cover every version")
    ranges = []
    for lo, lo_incl, hi, hi_incl in affected:
        if lo is None:
            events = [{"introduced": "0"}]
        elif lo_incl:
            events = [{"introduced": lo.text}]
        else:
            raise Skip("exclusive lower bound",
                       f"affected versions start just after {lo.text} (exclusive); OSV introduced is inclusive")
        if hi is not None:
            events.append({"last_affected" if hi_incl else "fixed": hi.text})
        ranges.append({"type": "ECOSYSTEM", "events": events})
    return ranges


# ---------------------------------------------------------------------------------------------
# Composer versions (Packagist)

COMPOSER_VERSION_RE = re.compile(
    r"[vV]?(\d+(?:\.\d+)*)(?:[-_.]?(dev|alpha|a|beta|b|RC|rc|patch|pl|p)[.-]?(\d+)?)?")
STABILITY_RANK = {"dev": 0, "alpha": 1, "a": 1, "beta": 2, "b": 2, "rc": 3, "stable": 4,
                  "patch": 5, "pl": 5, "p": 5}


def composer_key(text):
    """Sort key following Composer's normalisation: four numeric parts, stability, its number."""
    m = COMPOSER_VERSION_RE.fullmatch(text.strip())
    if not m:
        raise ValueError(f"malformed composer version {text!r}")
    nums = [int(n) for n in m.group(1).split(".")]
    if len(nums) > 4:
        raise ValueError(f"more than four numeric parts in {text!r}")
    nums += [0] * (4 - len(nums))
    stability = (m.group(2) or "stable").lower()
    return (tuple(nums), STABILITY_RANK[stability], int(m.group(3) or 0))


def composer_strip_v(text):
    text = text.strip()
    return text[1:] if text[:1] in ("v", "V") else text


CONSTRAINT_RE = re.compile(r"\s*(>=|<=|==|!=|=|>|<)?\s*(\S+)\s*")


def composer_branch_range(name, branch):
    versions = branch.get("versions") if isinstance(branch, dict) else None
    if isinstance(versions, str):
        versions = [versions]
    if not versions:
        raise Skip("malformed branch", f"branch {name!r} has no versions")
    lower = upper = None
    for c in versions:
        m = CONSTRAINT_RE.fullmatch(str(c))
        if not m or m.group(1) is None:
            raise Skip("unsupported constraint", f"branch {name!r}: {c!r}")
        op, ver = m.group(1), m.group(2)
        try:
            composer_key(ver)
        except ValueError as e:
            raise Skip("unsupported constraint", f"branch {name!r}: {e}")
        if op == ">":
            raise Skip("exclusive lower bound", f"branch {name!r}: {c!r}; OSV introduced is inclusive")
        if op in ("=", "==", "!="):
            raise Skip("unsupported constraint", f"branch {name!r}: operator {op}")
        if op == ">=":
            if lower is not None:
                raise Skip("unsupported constraint", f"branch {name!r}: two lower bounds")
            lower = ver
        else:
            if upper is not None:
                raise Skip("unsupported constraint", f"branch {name!r}: two upper bounds")
            upper = (op, ver)
    if lower is not None and upper is not None:
        lk, uk = composer_key(lower), composer_key(upper[1])
        if lk > uk or (lk == uk and upper[0] == "<"):
            raise Skip("empty branch", f"branch {name!r}: {versions!r} matches no version")
    events = [{"introduced": composer_strip_v(lower) if lower is not None else "0"}]
    if upper is not None:
        events.append({"fixed" if upper[0] == "<" else "last_affected": composer_strip_v(upper[1])})
    return {
        "type": "ECOSYSTEM",
        "events": events,
        "database_specific": {
            "branch": str(name),
            "time": fop_time(branch.get("time"), name),
            "source_versions": [str(v) for v in versions],
        },
    }


def fop_time(value, name=""):
    """A branch `time` as an RFC 3339 UTC string (None stays None)."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        dt = value
    elif isinstance(value, datetime.date):
        dt = datetime.datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)):
        dt = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    else:
        s = str(value).strip()
        m = re.fullmatch(r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\s*([+-]\d\d):?(\d\d))?", s)
        if not m:
            raise Skip("malformed branch", f"branch {name!r}: time {s!r}")
        dt = datetime.datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}")
        if m.group(3):
            sign = -1 if m.group(3).startswith("-") else 1
            off = datetime.timedelta(hours=int(m.group(3)[1:]), minutes=int(m.group(4)))
            dt = dt.replace(tzinfo=datetime.timezone(sign * off))
    return rfc3339(dt)


# ---------------------------------------------------------------------------------------------
# Shared helpers

def rfc3339(dt):
    if isinstance(dt, datetime.date) and not isinstance(dt, datetime.datetime):
        dt = datetime.datetime(dt.year, dt.month, dt.day)
    if dt.tzinfo is not None:
        dt = dt.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def git_file_dates(git_dir, subdir=None):
    """{path: (first commit date, last commit date)} over HEAD's history, in UTC."""
    if not git_dir:
        return None
    cmd = ["git", "--git-dir", git_dir, "log", "--no-renames", "--format=\x01%ct", "--name-only", "HEAD"]
    if subdir:
        cmd += ["--", subdir]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    dates = {}
    when = None
    for line in out.splitlines():
        if line.startswith("\x01"):
            when = rfc3339(datetime.datetime.fromtimestamp(int(line[1:]), datetime.timezone.utc))
        elif line:
            first, last = dates.get(line, (when, when))
            dates[line] = (when, last)  # log runs newest first: the latest seen is the first
    return dates


def git_head(git_dir):
    if not git_dir:
        return None
    return subprocess.run(["git", "--git-dir", git_dir, "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()


def cvss_severity(value):
    """A full CVSS vector string as an OSV severity entry, else None."""
    if isinstance(value, str):
        v = value.strip()
        if re.fullmatch(r"CVSS:3\.[01]/[A-Z:/]+", v):
            return {"type": "CVSS_V3", "score": v}
        if re.fullmatch(r"CVSS:4\.0/[A-Z:/]+", v):
            return {"type": "CVSS_V4", "score": v}
    return None


def ordered_record(rec):
    order = ["schema_version", "id", "modified", "published", "withdrawn", "aliases", "related",
             "summary", "details", "severity", "affected", "references", "database_specific"]
    return {k: rec[k] for k in order if k in rec and rec[k] not in (None, [], "")}


def write_zip(records, out_path):
    ids = {}
    for rec in records:
        if rec["id"] in ids:
            raise SystemExit(f"duplicate id {rec['id']} ({rec['database_specific']['source']} and "
                             f"{ids[rec['id']]})")
        ids[rec["id"]] = rec["database_specific"]["source"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for rec in sorted(records, key=lambda r: r["id"]):
            info = zipfile.ZipInfo(rec["id"] + ".json", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            data = json.dumps(ordered_record(rec), indent=2, ensure_ascii=False) + "\n"
            zf.writestr(info, data.encode("utf-8"), compresslevel=9)
    with open(out_path, "wb") as f:
        f.write(buf.getvalue())


def load_yaml(path):
    with open(path, "rb") as f:
        try:
            return yaml.safe_load(f)
        except yaml.YAMLError as e:
            raise Skip("unparseable YAML", str(e).splitlines()[0])


def str_list(value):
    if value is None:
        return []
    if isinstance(value, (str, int)):
        return [str(value)]
    return [str(v) for v in value]


# ---------------------------------------------------------------------------------------------
# rubysec

RUBYSEC_BLOB = "https://github.com/rubysec/ruby-advisory-db/blob/master/"


def convert_rubysec_file(src_dir, rel, git_dates):
    d = load_yaml(os.path.join(src_dir, rel))
    if not isinstance(d, dict) or not d.get("gem") or not d.get("title") or not d.get("date"):
        raise Skip("malformed record", "missing gem, title or date")
    gem = str(d["gem"])
    if gem != rel.split("/")[1]:
        raise Skip("malformed record", f"gem {gem!r} does not match its folder")
    if d.get("platform"):
        raise Skip("platform restricted", f"platform {d['platform']!r}; OSV packages have no platform")
    patched = str_list(d.get("patched_versions"))
    unaffected = str_list(d.get("unaffected_versions"))
    ranges = gem_affected_ranges(patched, unaffected)

    stem = os.path.splitext(os.path.basename(rel))[0]
    published = rfc3339(d["date"]) if isinstance(d["date"], datetime.date) else None
    if published is None:
        raise Skip("malformed record", f"date {d['date']!r} is not a date")
    modified = git_dates[rel][1] if git_dates and rel in git_dates else published

    aliases = []
    if d.get("cve"):
        aliases.append("CVE-" + str(d["cve"]))
    if d.get("ghsa"):
        aliases.append("GHSA-" + str(d["ghsa"]))
    related = []
    rel_d = d.get("related") or {}
    related += ["CVE-" + c for c in str_list(rel_d.get("cve"))]
    related += ["GHSA-" + g for g in str_list(rel_d.get("ghsa"))]
    related = [r for r in dict.fromkeys(related) if r not in aliases]

    severity, db = [], {"source": "rubysec/ruby-advisory-db " + rel}
    for key in ("cvss_v2", "cvss_v3", "cvss_v4"):
        v = d.get(key)
        if v is None:
            continue
        sev = cvss_severity(v)
        if sev:
            severity.append(sev)
        else:
            db[key] = v
    if d.get("osvdb"):
        db["osvdb"] = d["osvdb"]
    rel_osvdb = str_list(rel_d.get("osvdb"))
    if rel_osvdb:
        db["related_osvdb"] = [int(x) if x.isdigit() else x for x in rel_osvdb]
    for key in ("framework", "library"):
        if d.get(key):
            db[key] = str(d[key])

    refs = [{"type": "ADVISORY", "url": RUBYSEC_BLOB + rel}]
    if d.get("url"):
        refs.append({"type": "ADVISORY", "url": str(d["url"])})
    for u in str_list(rel_d.get("url")):
        if u != d.get("url"):
            refs.append({"type": "WEB", "url": u})
    refs.append({"type": "PACKAGE", "url": "https://rubygems.org/gems/" + gem})

    affected_db = {}
    if patched:
        affected_db["source_patched_versions"] = patched
    if unaffected:
        affected_db["source_unaffected_versions"] = unaffected
    affected = {"package": {"ecosystem": "RubyGems", "name": gem, "purl": "pkg:gem/" + gem},
                "ranges": ranges}
    if affected_db:
        affected["database_specific"] = affected_db

    return {
        "schema_version": SCHEMA_VERSION,
        "id": f"x_RUBYSEC-{gem}-{stem}",
        "modified": modified,
        "published": published,
        "aliases": aliases,
        "related": related,
        "summary": str(d["title"]).strip(),
        "details": str(d.get("description") or "").strip(),
        "severity": severity,
        "affected": [affected],
        "references": refs,
        "database_specific": db,
    }


def list_files(src_dir, top, depth, suffix):
    """Paths (relative to src_dir, '/'-separated) of the files under src_dir/top whose path has
    exactly `depth` parts and ends with suffix; hidden folders are not entered."""
    out = []
    root = os.path.join(src_dir, top) if top else src_dir
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        reldir = os.path.relpath(dirpath, src_dir)
        parts = [] if reldir == "." else reldir.split(os.sep)
        if len(parts) != depth - 1:
            continue
        for fn in sorted(filenames):
            if fn.endswith(suffix):
                out.append("/".join(parts + [fn]))
    return sorted(out)


# ---------------------------------------------------------------------------------------------
# friendsofphp

FOP_BLOB = "https://github.com/FriendsOfPHP/security-advisories/blob/master/"
GHSA_LINK_RE = re.compile(r"https://github\.com/(?:[^/]+/[^/]+/security/)?advisories/(GHSA(?:-[0-9a-z]{4}){3})")


def convert_fop_file(src_dir, rel, git_dates):
    d = load_yaml(os.path.join(src_dir, rel))
    if not isinstance(d, dict) or not d.get("title") or not d.get("reference") or not d.get("branches"):
        raise Skip("malformed record", "missing title, reference or branches")
    ref = str(d["reference"])
    if not ref.startswith("composer://"):
        raise Skip("malformed record", f"reference {ref!r} is not composer://")
    name = ref[len("composer://"):]
    if name != "/".join(rel.split("/")[:2]):
        raise Skip("malformed record", f"reference {ref!r} does not match its folder")
    if "composer-repository" in d and d["composer-repository"] is not True:
        repo = d["composer-repository"]
        if repo is False:
            raise Skip("not on packagist.org", "composer-repository: false")
        if str(repo).rstrip("/") not in ("https://repo.packagist.org", "https://packagist.org"):
            raise Skip("not on packagist.org", f"composer-repository: {repo}")
    if not isinstance(d["branches"], dict):
        raise Skip("malformed record", "branches is not a map")
    ranges = [composer_branch_range(bn, b) for bn, b in d["branches"].items()]

    vendor, package = name.split("/", 1)
    stem = os.path.splitext(os.path.basename(rel))[0]
    if git_dates and rel in git_dates:
        published, modified = git_dates[rel]
    else:
        published = None
        times = [r["database_specific"]["time"] for r in ranges if r["database_specific"]["time"]]
        modified = max(times) if times else "1970-01-01T00:00:00Z"

    aliases = []
    cve = d.get("cve")
    if cve:
        cve = str(cve).strip()
        aliases.append(cve if cve.startswith("CVE-") else "CVE-" + cve)
    link = str(d.get("link") or "").strip()
    m = GHSA_LINK_RE.match(link)
    if m and m.group(1) not in aliases:
        aliases.append(m.group(1))

    refs = [{"type": "ADVISORY", "url": FOP_BLOB + rel}]
    if link:
        refs.append({"type": "ADVISORY", "url": link})
    refs.append({"type": "PACKAGE", "url": "https://packagist.org/packages/" + name})

    return {
        "schema_version": SCHEMA_VERSION,
        "id": f"x_FOP-{vendor}-{package}-{stem}",
        "modified": modified,
        "published": published,
        "aliases": aliases,
        "summary": str(d["title"]).strip(),
        "affected": [{
            "package": {"ecosystem": "Packagist", "name": name, "purl": "pkg:composer/" + name},
            "ranges": ranges,
        }],
        "references": refs,
        "database_specific": {"source": "FriendsOfPHP/security-advisories " + rel},
    }


# ---------------------------------------------------------------------------------------------

def convert(kind, src_dir, out_zip, git_dir=None, log=sys.stderr):
    """Convert a source tree; returns (records written, {skip kind: [(file, detail)]})."""
    if kind == "rubysec":
        files = list_files(src_dir, "gems", 3, ".yml")
        dates = git_file_dates(git_dir, "gems")
        conv = convert_rubysec_file
    elif kind == "friendsofphp":
        files = list_files(src_dir, "", 3, ".yaml")
        dates = git_file_dates(git_dir)
        conv = convert_fop_file
    else:
        raise SystemExit(f"unknown source kind {kind!r}")
    records, skipped = [], {}
    for rel in files:
        try:
            records.append(ordered_record(conv(src_dir, rel, dates)))
        except Skip as s:
            skipped.setdefault(s.kind, []).append((rel, s.detail))
            print(f"skip {rel}: {s.kind}: {s.detail}", file=log)
    write_zip(records, out_zip)
    head = git_head(git_dir)
    print(f"{kind}: {len(records)} records written to {out_zip}"
          + (f" (source commit {head})" if head else ""), file=log)
    for k in sorted(skipped):
        print(f"  skipped {len(skipped[k])}: {k}", file=log)
    print(f"  skipped in all: {sum(len(v) for v in skipped.values())} of {len(files)} files", file=log)
    return records, skipped


def main(argv):
    import argparse
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("kind", choices=["rubysec", "friendsofphp"])
    p.add_argument("src_dir")
    p.add_argument("out_zip")
    p.add_argument("--git-dir", help="the source's git directory, for commit dates")
    a = p.parse_args(argv)
    convert(a.kind, a.src_dir, a.out_zip, a.git_dir)


if __name__ == "__main__":
    main(sys.argv[1:])
