"""Outgoing email through the configured SMTP server (plain, STARTTLS or implicit TLS).

One connection per batch: inviting a whole CPTS sends dozens of messages, and most relays
limit connections, not messages. A failure for one recipient does not stop the others.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from scheduler.config.settings import Settings


class MailError(Exception):
    """The message could not be handed to the SMTP server; the text says why."""


class MailNotConfigured(MailError):
    """No SMTP host is configured."""


@dataclass(frozen=True, kw_only=True)
class Outgoing:
    """One plain-text message to one recipient."""

    to: str
    subject: str
    body: str


def build_message(settings: Settings, outgoing: Outgoing) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = outgoing.to
    message["Subject"] = outgoing.subject
    message["Message-ID"] = make_msgid(domain=_sender_domain(settings.smtp_sender))
    message.set_content(outgoing.body)
    return message


def _sender_domain(sender: str) -> str:
    # make_msgid's default is the local host name, which leaks the server's name.
    return sender.rsplit("@", 1)[-1].rstrip(">").strip() or "localhost"


def send_all(settings: Settings, messages: Sequence[Outgoing]) -> list[str]:
    """Send every message over one connection; returns one error text per message ("" = sent).

    Raises `MailError` when the server cannot be reached or refuses the login (nothing sent).
    """
    if not messages:
        return []
    with _connect(settings) as smtp:
        errors: list[str] = []
        for index, outgoing in enumerate(messages):
            if index:
                # A bounded rate: mail servers throttle (or blacklist) bursts.
                time.sleep(1 / settings.smtp_messages_per_second)
            try:
                smtp.send_message(build_message(settings, outgoing))
                errors.append("")
            except smtplib.SMTPRecipientsRefused:
                errors.append(f"address refused by the mail server: {outgoing.to}")
            except (smtplib.SMTPException, OSError) as exc:
                errors.append(f"not sent: {exc}")
        return errors


def send(settings: Settings, outgoing: Outgoing) -> None:
    """Send one message or raise `MailError`."""
    [error] = send_all(settings, [outgoing])
    if error:
        raise MailError(error)


def _connect(settings: Settings) -> smtplib.SMTP:
    if not settings.smtp_host:
        raise MailNotConfigured("no SMTP host configured (SCHEDULER_SMTP_HOST)")
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds
    smtp: smtplib.SMTP | None = None
    try:
        if settings.smtp_security == "ssl":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_username, password)
        return smtp
    except (smtplib.SMTPException, OSError) as exc:
        if smtp is not None:
            smtp.close()
        raise MailError(f"cannot use the SMTP server {host}:{port}: {exc}") from None
