"""Telling the coordinator at once that something is wrong at a door, outside the app.

A :class:`Notifier` sends one :class:`Message`; the safety alerts (``web.alerts``) hand each
new alert to every configured notifier and record what each said. E-mail goes through SMTP
(:class:`SmtpNotifier`: the cooperative's own mail server, STARTTLS and login when set). A
text message goes through whatever gateway the cooperative has: :class:`SmsNotifier` wraps
any object with ``send_sms(number, text)`` (``ALERT_SMS_GATEWAY = "package.module:Class"``,
built with the app's config), so a gateway plugs in without touching the alerts. The mail
server and the gateway are the service's (:class:`Channels`); whom they reach is each
cooperative's own choice (:func:`notifiers`), so one cooperative's alerts never go to
another's coordinator.

A message says *that* something is wrong and where to look, never more: no name, no address,
no phone number, no medicine (e-mail and SMS leave the service's protection). The coordinator
reads the rest in the app, where reading it is logged.
"""

from __future__ import annotations

import importlib
import re
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Mapping, Protocol

#: SMS longer than this is cut (one text message).
SMS_LENGTH = 160


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


class Notifier(Protocol):
    """Anything that can deliver a message; ``name`` says which channel in the alert's log."""

    name: str

    def send(self, message: Message) -> None: ...


class SmsGateway(Protocol):
    """An SMS provider's client: one text to one number; raise when it was not accepted."""

    def send_sms(self, number: str, text: str) -> None: ...


@dataclass
class SmtpNotifier:
    """E-mail through an SMTP server to a fixed list of addresses."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 10.0
    name: str = "e-mail"

    def send(self, message: Message) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail["Subject"] = message.subject
        mail.set_content(message.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(mail)


@dataclass
class SmsNotifier:
    """A text message to each number through a gateway."""

    gateway: SmsGateway
    numbers: tuple[str, ...]
    name: str = "sms"

    def send(self, message: Message) -> None:
        text = f"{message.subject}: {message.body}"
        if len(text) > SMS_LENGTH:
            text = text[:SMS_LENGTH - 1] + "…"
        for number in self.numbers:
            self.gateway.send_sms(number, text)


EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
NUMBER = re.compile(r"^\+?[0-9][0-9 ()-]{5,30}$")


def listed(value) -> tuple[str, ...]:
    """Comma-separated addresses or numbers as a tuple, blanks dropped."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    return tuple(v.strip() for v in items if v.strip())


@dataclass
class Channels:
    """The service's ways out (its mail server, its SMS gateway) and the recipients it uses
    for a cooperative that named none of its own."""

    smtp: dict | None = None
    gateway: SmsGateway | None = None
    email_to: tuple[str, ...] = ()
    sms_to: tuple[str, ...] = ()


def from_config(config: Mapping) -> Channels:
    """The channels the settings make: ``SMTP_HOST`` (and ``SMTP_PORT``, ``SMTP_FROM``,
    ``SMTP_STARTTLS``, ``SMTP_USERNAME``, ``SMTP_PASSWORD``) and ``ALERT_SMS_GATEWAY``, with
    the default recipients ``ALERT_EMAIL_TO`` and ``ALERT_SMS_TO``. A half setting is an error
    at start, named."""
    email_to, sms_to = listed(config.get("ALERT_EMAIL_TO")), listed(config.get("ALERT_SMS_TO"))
    if email_to and not config.get("SMTP_HOST"):
        raise ValueError("ALERT_EMAIL_TO needs SMTP_HOST (the mail server)")
    smtp = None
    if config.get("SMTP_HOST"):
        smtp = {"host": config["SMTP_HOST"], "port": int(config.get("SMTP_PORT") or 25),
                "sender": config.get("SMTP_FROM") or "buurtroute@localhost",
                "starttls": str(config.get("SMTP_STARTTLS", "")).lower() in ("1", "true",
                                                                              "yes"),
                "username": config.get("SMTP_USERNAME") or "",
                "password": config.get("SMTP_PASSWORD") or ""}
    gateway = None
    path = config.get("ALERT_SMS_GATEWAY") or ""
    if path:
        module, _sep, name = path.partition(":")
        if not module or not name:
            raise ValueError("ALERT_SMS_GATEWAY: must be 'package.module:Class'")
        gateway = getattr(importlib.import_module(module), name)(config)
    elif sms_to:
        raise ValueError("ALERT_SMS_TO needs ALERT_SMS_GATEWAY as 'package.module:Class'")
    return Channels(smtp, gateway, email_to, sms_to)


def notifiers(channels: Channels, email_to: str = "", sms_to: str = "") -> list[Notifier]:
    """The notifiers for one cooperative: its own recipients (``Organisation.alert_email``,
    ``alert_sms``), else the service's; only channels the service has."""
    out: list[Notifier] = []
    to = listed(email_to) or channels.email_to
    if to and channels.smtp is not None:
        out.append(SmtpNotifier(recipients=to, **channels.smtp))
    numbers = listed(sms_to) or channels.sms_to
    if numbers and channels.gateway is not None:
        out.append(SmsNotifier(channels.gateway, numbers))
    return out


def deliver(notifiers: list[Notifier], message: Message) -> str:
    """Send ``message`` through every notifier; what happened, in a line for the alert.
    A failing channel does not stop the others (the alert is on screen whatever happens)."""
    said = []
    for notifier in notifiers:
        try:
            notifier.send(message)
            said.append(f"{notifier.name}: sent")
        except Exception as exc:  # noqa: BLE001 (any failure of a channel is reported)
            said.append(f"{notifier.name}: failed ({type(exc).__name__})")
    return "; ".join(said)[:200]
