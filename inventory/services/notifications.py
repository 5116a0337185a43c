"""E-mail to users about their GPUs (API.md §11.4), through Django's e-mail backend (the
console in development; EMAIL_* settings). A message goes once its transaction commits: a
rolled-back change tells nobody. Users without an e-mail address are skipped."""
import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

logger = logging.getLogger(__name__)


def notify(user, subject, body):
    if user is None or not user.email:
        return
    transaction.on_commit(partial(_send, user.email, subject, body), robust=True)


def _send(address, subject, body):
    send_mail(f"[ITAM] {subject}", body, settings.DEFAULT_FROM_EMAIL, [address])
    logger.info("sent %r to %s", subject, address)
