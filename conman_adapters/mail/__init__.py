"""Conman adapters: mail (SMTP delivery and the local file outbox)."""

from conman_adapters.mail.outbox import FileMailer, MailFile, list_mails
from conman_adapters.mail.smtp import SmtpMailer

__all__ = ["FileMailer", "MailFile", "SmtpMailer", "list_mails"]
