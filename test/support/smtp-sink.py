# A local SMTP sink for tests (Debian python3-aiosmtpd): STARTTLS required, AUTH PLAIN required
# inside TLS for the given user and password; each message is written to OUTDIR as NNNN.eml,
# headed by X-Sink-TLS and X-Sink-User lines saying how it arrived.
# Usage: smtp-sink.py PORT CERT KEY OUTDIR USER PASSWORD
import asyncio
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, outdir, user, password = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(outdir, "%04d.eml" % self.count)
        head = "X-Sink-TLS: %s\r\nX-Sink-User: %s\r\nX-Sink-Rcpt: %s\r\n" % (
            "yes" if session.ssl is not None else "no",
            session.auth_data.decode() if isinstance(session.auth_data, bytes) else session.auth_data,
            ",".join(envelope.rcpt_tos),
        )
        with open(path + ".tmp", "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
    return AuthResult(success=ok, auth_data=auth_data.login if ok else None)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(
    Sink(), hostname="127.0.0.1", port=int(port), tls_context=context, require_starttls=True,
    authenticator=authenticate, auth_required=True, auth_require_tls=True,
)
controller.start()
print("ready", flush=True)
try:
    asyncio.run(asyncio.Event().wait())
finally:
    controller.stop()
