"""Scheduled sweep Lambda (every minute): snoozed tickets whose time has come, the web-chat
follow-up email, and auto-close of tickets whose customer has been silent for the account's period.
Idempotent: every step is a conditional write, so overlapping runs agree."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint, Rate

from helpdesk import sweep

bp = Blueprint(__name__)


@bp.schedule(Rate(1, unit=Rate.MINUTES), name="autoclose")
def handler(event: Any) -> dict[str, int]:
    return sweep.run()
