#!/usr/bin/env python3
"""Seed corpora for the outbound fuzz targets (issue 18): outbound, github_api, email and
slack_payload. A few dozen small inputs, none of them real secrets (tokens are made up, with
valid checksums so the checksum paths are reached).
Run from the repository root: python3 fuzz/outbound_seeds.py"""
import hashlib, json, os, sys, zlib
root = sys.argv[1] if len(sys.argv) > 1 else "."
def save(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = f"{root}/fuzz/corpus/{target}"; os.makedirs(d, exist_ok=True)
    open(f"{d}/{hashlib.sha1(data).hexdigest()}", "wb").write(data)

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
def token(prefix, body="zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ"):
    n, check = zlib.crc32(body.encode()), ""
    for _ in range(6):
        check = B62[n % 62] + check; n //= 62
    return prefix + body + check

texts = [
    "LGTM",
    "deploy done: https://github.com/o/r/pull/7",
    "<!channel> deploy done",
    "@here @everyone <!subteam^S0123|@oncall> @octo-org/admins please look",
    f"Here is the token: {token('ghp_')}\nthanks",
    f"npm: {token('npm_')} and x{token('gho_')}",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abc",
    "xoxp-1234567890-1234567890-1234567890-abcdef0123456789abcdef0123456789",
    "https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/abcdefghijklmnop12345678",
    "AKIAIOSFODNN7EXAMPLE aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
    '{"password": "q8Zx3LmP0vR7tYw2Kc9B"} Authorization: Bearer q8Zx3LmP0vR7tYw2Kc9Bzz',
    "see [docs](https://evil.example/x) and <https://user:pw@github.com/|here> javascript:alert(1)",
    "https://аpple.com/ https://xn--pple-43d.com/ postgres://u:hunter2hunter2@db.internal/x",
    "é … 🔒 \u2028 done",
]
for t in texts:
    save("outbound", b"\x00" + t.encode())
save("outbound", b"\x01<!here> and @channel")
save("outbound", b"\x02DB_URL=postgres://u:pw@db/x\nother-secret-line-123\0the url is DB_URL=postgres://u:pw@db/x")

calls = [
    ("POST", "/repos/octo/app/issues/7/comments", '{"body": "Tests pass on the fix."}'),
    ("DELETE", "/repos/octo/app", None),
    ("GET", "https://api.github.com/repos/o/r/commits?path=src/main.rs&per_page=100", None),
    ("GET", "/repos/o/r/pulls?state=open&sort=created&direction=desc", None),
    ("PUT", "/repos/o/r/pulls/3/merge", '{"merge_method": "squash"}'),
    ("PATCH", "/repos/o/r/issues/9", '{"title": "x", "labels": ["bug"], "state": "closed"}'),
    ("POST", "/repos/o/r/pulls", '{"title": "fix", "head": "fix-1", "base": "main", "body": "see @org/team"}'),
    ("POST", "/repos/o/r/pulls/3/reviews", '{"event": "APPROVE", "comments": [{"path": "a.rs", "body": "ok"}]}'),
    ("post", "/repos/o/r/issues/1/../../../hooks", "{}"),
    ("GET", "/repos/o/r/%2e%2e/hooks", None),
    ("GET", "//evil.example/x", None),
    ("POST", "/repos/o/r/releases", '{"tag_name": "v1", "body": "' + token("ghp_") + '"}'),
    ("POST", "/repos/o/r/statuses/abc123", '{"state": "success", "target_url": "https://evil.example"}'),
]
for m, p, b in calls:
    save("github_api", f"{m}\n{p}" + ("" if b is None else f"\n{b}"))

drafts = [
    ("Autonomic", "deploy-frontend needs approval", "Run wf-20240315 waits for you.",
     ["oncall@example.com", "Ana@OPS.example.com"]),
    ("", "hi\r\nBcc: everyone@example.net", "body", ["oncall@example.com"]),
    ("Bot", "token", f"the token {token('ghp_')}", ["Ana.B+x@example.org", "evil@example.net"]),
    ("A\u2028B", "s", "b", ["a@b.c, evil@x.y", "Ana <a@b.c>", "a@[127.0.0.1]", "x@ops.example.com"]),
    ("", "", "", []),
]
for name, subject, body, to in drafts:
    save("email", "\0".join([name, subject, body] + to))

def block_actions(action_id, value):
    return {"type": "block_actions", "user": {"id": "U0ALICE", "name": "alice"},
            "container": {"type": "message", "message_ts": "1710498600.000001", "channel_id": "C0APPROVALS"},
            "channel": {"id": "C0APPROVALS"}, "message": {"ts": "1710498600.000001"},
            "actions": [{"action_id": action_id, "value": value, "type": "button"}]}
def thread_reply(text, **extra):
    p = {"type": "event_callback", "event": {"type": "message", "channel": "C0APPROVALS", "user": "U0BOB",
         "text": text, "ts": "1710498700.000200", "thread_ts": "1710498600.000001"}}
    p.update(extra); return p
payloads = [
    block_actions("autonomic_approve", "wf-20240315-abc123"),
    block_actions("autonomic_reject", "wf 1\n"),
    thread_reply("yes"), thread_reply("cancel 1710498600.000001"), thread_reply(" Resend ", fuzz_run="wf-1"),
    thread_reply("no", fuzz_run="../../etc"),
    {"command": "/autonomic", "text": "cancel wf-20240315-abc123", "user_id": "U0BOB", "channel_id": "C0APPROVALS"},
    {"command": "/autonomic", "text": "approve wf-1", "user_id": "W0BOB", "channel_id": "D0DM"},
]
for p in payloads:
    save("slack_payload", json.dumps(p))
