"""Sending one message over SMTP, and the SMTP settings (GUARDRAIL_SMTP_*)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from pydantic_settings import BaseSettings, SettingsConfigDict


class SmtpSettings(BaseSettings):
    """Where mail goes; read when used (never at import)."""

    model_config = SettingsConfigDict(
        env_prefix="GUARDRAIL_SMTP_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    host: str | None = None
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False
    sender: str = "guardrail@localhost"
    timeout: float = 15.0


class SmtpNotConfigured(RuntimeError):
    """GUARDRAIL_SMTP_HOST is not set."""


class SmtpRefused(RuntimeError):
    """The server refused the message; ``code`` is its SMTP reply code."""

    def __init__(self, message: str, code: int | None) -> None:
        super().__init__(message)
        self.code = code


def settings() -> SmtpSettings:
    return SmtpSettings()


def build(to: str, subject: str, body: str, *, sender: str, message_id: str) -> EmailMessage:
    """A plain-text message; ``message_id`` is stable per delivery so a resend is recognisable."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject.replace("\n", " ")[:250]
    message["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2] or "guardrail.local"
    message["Message-ID"] = make_msgid(idstring=message_id, domain=domain)
    message["X-Guardrail-Delivery"] = message_id
    message.set_content(body)
    return message


def send(message: EmailMessage, conf: SmtpSettings | None = None) -> int:
    """Send through the configured server; return its reply code (250). Failures raise."""
    conf = conf or settings()
    if not conf.host:
        raise SmtpNotConfigured("email is not set up: set GUARDRAIL_SMTP_HOST (and _PORT)")
    factory = smtplib.SMTP_SSL if conf.ssl else smtplib.SMTP
    try:
        with factory(conf.host, conf.port, timeout=conf.timeout) as smtp:
            if conf.starttls and not conf.ssl:
                smtp.starttls()
            if conf.username:
                smtp.login(conf.username, conf.password or "")
            refused = smtp.send_message(message)
            code, _ = smtp.noop()
    except smtplib.SMTPResponseException as exc:
        raise SmtpRefused(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", exc.smtp_code) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        first = next(iter(exc.recipients.values()), (None, b""))
        raise SmtpRefused(f"recipient refused: {first[1]!r}", first[0]) from exc
    if refused:
        raise SmtpRefused(f"recipients refused: {sorted(refused)}", None)
    return 250 if code == 250 else code
