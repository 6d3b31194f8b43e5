"""A real SMTP relay for agent-mouth-email's integration tests.

aiosmtpd (from PyPI, installed by scripts/smtp-server.sh into target/smtp)
on 127.0.0.1, started by the tests as a child process. It prints
`PORT <n>` on stdout once it accepts connections, then stores what it
receives in the directory given as --dir:

  message-NNN.json  one per accepted message: envelope sender and
                    recipients, whether the session was TLS and
                    authenticated (and as whom), the headers and body as
                    Python's email package decodes them, and the raw bytes
  events.jsonl      one line per refusal it was told to make (451 at DATA,
                    550 at RCPT) and per failed AUTH, so a test can count
                    attempts

Options: --tls-cert/--tls-key offer STARTTLS (--require-starttls refuses
everything before it; --implicit-tls speaks TLS from the first byte
instead); --auth-user/--auth-password require AUTH (only over
TLS); --defer N answers 451 to the first N messages; --reject ADDR answers
550 to that recipient (repeatable).
"""

import argparse
import email
import email.policy
import json
import os
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, out_dir, defer, reject):
        self.out_dir = out_dir
        self.defer = defer
        self.reject = set(reject)
        self.lock = threading.Lock()
        self.count = 0

    def event(self, **fields):
        with self.lock, open(os.path.join(self.out_dir, "events.jsonl"), "a") as f:
            f.write(json.dumps(fields) + "\n")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            self.event(event="rcpt_rejected", address=address)
            return "550 5.1.1 <%s>: mailbox unavailable (test relay)" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.defer > 0:
            self.defer -= 1
            self.event(event="data_deferred")
            return "451 4.3.0 try again later (test relay)"
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "starttls": session.ssl is not None,
            "authenticated": bool(session.authenticated),
            "auth_user": (
                session.auth_data.login.decode()
                if isinstance(session.auth_data, LoginPassword)
                else None
            ),
            "subject": str(msg["subject"]),
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "message_id": str(msg["message-id"]),
            "content_type": msg.get_content_type(),
            "body": msg.get_content().replace("\r\n", "\n"),
            "raw": raw.decode("utf-8", "replace"),
        }
        with self.lock:
            self.count += 1
            name = os.path.join(self.out_dir, "message-%03d.json" % self.count)
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name)
        return "250 OK stored"


def authenticator(user, password, handler):
    def check(server, session, envelope, mechanism, auth_data):
        if (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        ):
            return AuthResult(success=True, auth_data=auth_data)
        handler.event(event="auth_failed", mechanism=mechanism)
        return AuthResult(success=False, handled=False)

    return check


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--auth-user")
    p.add_argument("--auth-password")
    p.add_argument("--defer", type=int, default=0)
    p.add_argument("--reject", action="append", default=[])
    args = p.parse_args()

    handler = Handler(args.dir, args.defer, args.reject)
    kwargs = {}
    if args.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.implicit_tls:
            kwargs["ssl_context"] = ctx
        else:
            kwargs["tls_context"] = ctx
            kwargs["require_starttls"] = args.require_starttls
    if args.auth_user:
        kwargs["authenticator"] = authenticator(args.auth_user, args.auth_password, handler)
        kwargs["auth_required"] = True
        kwargs["auth_require_tls"] = True
    # aiosmtpd's Controller checks readiness by connecting to its port, so
    # it needs a real one: the OS picks a free one first.
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), ready_timeout=30, **kwargs
    )
    controller.start()
    print("PORT %d" % controller.port, flush=True)
    # Serve until killed (the test's Drop) or stdin closes.
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
