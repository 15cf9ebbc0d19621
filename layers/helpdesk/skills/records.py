"""The skills' own items in the table (data access): the claim and record of a decision on one customer
message (`SkillDecision`, in the ticket's partition)."""
from __future__ import annotations

from pynamodb.exceptions import PynamoDBException

from helpdesk.clock import now_iso
from helpdesk.store.failures import applied, saved, transient
from helpdesk.store.keys import key_id, ticket_pk
from helpdesk.store.models import Message, SkillDecision


def _item(account_id: str, message: Message) -> SkillDecision:
    return SkillDecision(ticket_pk(account_id, message.ticket_id), f"SKILL#{key_id(message.message_id)}")


def claim(account_id: str, message: Message, skill: str) -> bool:
    """Take the decision on `message` for `skill`: False when it was taken before (a redelivery)."""
    item = _item(account_id, message)
    item.skill, item.message_id, item.claimed_at = skill, message.message_id, now_iso()
    return saved(item, SkillDecision.pk.does_not_exist())


def release(account_id: str, message: Message) -> None:
    """Give a claim back whose decision failed (its retry decides), unless it was decided meanwhile."""
    try:
        _item(account_id, message).delete(condition=SkillDecision.decided_at.does_not_exist())
    except PynamoDBException as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise transient(error) from error


def record(account_id: str, message: Message, *, intent: str, action: str, order: dict[str, str] | None,
           handed_off: bool, answer_id: str | None) -> None:
    """What was decided, on the claim (once: a claim is decided only by the request that holds it)."""
    actions = [SkillDecision.decided_at.set(now_iso()), SkillDecision.intent.set(intent),
               SkillDecision.action.set(action), SkillDecision.handed_off.set(handed_off)]
    if order:
        actions += [SkillDecision.order_name.set(order["name"]), SkillDecision.order_state.set(order["state"])]
    if answer_id:
        actions.append(SkillDecision.answer_id.set(answer_id))
    applied(_item(account_id, message), actions, SkillDecision.pk.exists() & SkillDecision.decided_at.does_not_exist())
