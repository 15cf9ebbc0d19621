"""Accounts, their inbound addresses, and customers: their consent, their tickets, and what the
marketing system says of them."""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import PynamoDBException

from helpdesk.clock import now_iso
from helpdesk.conversation import Channel, profile_id_for
from helpdesk.errors import BadRequest, UnknownAddress
from helpdesk.store.counts import index_count
from helpdesk.store.failures import applied, transient
from helpdesk.store.keys import contact_pk, profile_pk, ref_pk
from helpdesk.store.models import Account, ChannelAddress, Contact, Item, MessageRef, Profile, account_pk
from helpdesk.store.transact import Transaction

# Inbound address -> account changes when a brand reconfigures a number: minutes of staleness are
# fine, and the cache keeps the lookup off the hot path (one GSI Query per address per container).
_ADDRESS_TTL_SECONDS = 300.0
_address_cache: dict[tuple[str, str], tuple[float, ChannelAddress]] = {}


def address_key(channel: Channel, address: str) -> str:
    return f"ADDR#{channel.value}#{address}"


def channel_address(channel: Channel, address: str) -> ChannelAddress:
    """The account and settings behind one of our inbound addresses, or UnknownAddress."""
    key = (channel.value, address)
    hit = _address_cache.get(key)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    try:
        found = [i for i in Item.gsi1.query(address_key(channel, address), limit=2)
                 if isinstance(i, ChannelAddress)]
    except PynamoDBException as error:
        raise transient(error) from error
    if not found:
        raise UnknownAddress(f"no account receives {channel.value} at this address")
    _address_cache[key] = (time.monotonic() + _ADDRESS_TTL_SECONDS, found[0])
    return found[0]


def forget_addresses() -> None:
    _address_cache.clear()
    _account_cache.clear()


def put_account(account_id: str, name: str, plan: str = "helpdesk", help_text: str | None = None,
                support_email: str | None = None, office_hours: dict[str, Any] | None = None,
                autoresponder: dict[str, Any] | None = None) -> Account:
    if office_hours is not None:
        from helpdesk.office_hours import validate

        validate(office_hours)
    account = Account(account_pk(account_id), "ACCOUNT", account_id=account_id, name=name, plan=plan,
                      help_text=help_text, support_email=support_email, office_hours=office_hours,
                      autoresponder=autoresponder, gsi1pk="ACCOUNTS", gsi1sk=account_pk(account_id))
    account.save()
    _account_cache.pop(account_id, None)
    return account


_ACCOUNT_TTL_SECONDS = 60.0
_account_cache: dict[str, tuple[float, Account]] = {}


def get_account(account_id: str, *, fresh: bool = False) -> Account:
    """An account's settings (cached a minute per container; `fresh`: read now, consistently)."""
    hit = _account_cache.get(account_id)
    if hit and hit[0] > time.monotonic() and not fresh:
        return hit[1]
    try:
        account = Account.get(account_pk(account_id), "ACCOUNT", consistent_read=fresh)
    except Account.DoesNotExist as exc:
        raise UnknownAddress("no such account") from exc
    except PynamoDBException as error:
        raise transient(error) from error
    _account_cache[account_id] = (time.monotonic() + _ACCOUNT_TTL_SECONDS, account)
    return account


def change_settings(account: Account, attributes: dict[str, Any], settings: dict[str, Any]) -> bool:
    """Write checked settings: the Account's own attributes named in `attributes` (plan,
    office_hours, support_email, help_text, webchat's autoresponder) and the `settings` map, on
    condition that the settings are still at the version read. False when they moved meanwhile."""
    actions: list[Any] = [Account.settings.set(settings), Account.settings_version.add(1)]
    for name in ("plan", "support_email", "help_text"):
        if name in attributes:
            actions.append(getattr(Account, name).set(attributes[name]))
    if "office_hours" in attributes:
        actions.append(Account.office_hours.set(attributes["office_hours"]) if attributes["office_hours"]
                       else Account.office_hours.remove())
    if "webchat" in attributes:
        current = account.autoresponder.as_dict() if account.autoresponder else {}
        webchat = {**(current.get("webchat") or {}), **attributes["webchat"]["autoresponder"]}
        actions.append(Account.autoresponder.set({**current, "webchat": webchat}))
    seen = account.settings_version
    condition = Account.settings_version.does_not_exist() if seen is None else (Account.settings_version == seen)
    if not applied(account, actions, condition):
        return False
    _account_cache.pop(account.account_id, None)
    return True


def all_accounts() -> list[Account]:
    try:
        return [a for a in Item.gsi1.query("ACCOUNTS") if isinstance(a, Account)]
    except PynamoDBException as error:
        raise transient(error) from error


def add_channel_address(account_id: str, channel: Channel, address: str,
                        display_address: str | None = None) -> ChannelAddress:
    """Configure an inbound address. An alphanumeric sender id cannot receive SMS: refused."""
    from helpdesk.phone import is_alphanumeric_sender

    if channel in (Channel.SMS,) and is_alphanumeric_sender(address):
        raise BadRequest("an alphanumeric sender id is one-way: customers cannot reply to it; "
                         "configure the helpdesk on a phone number instead")
    item = ChannelAddress(account_pk(account_id), f"CHANNEL#{channel.value}#{address}",
                          account_id=account_id, channel=channel.value, address=address,
                          display_address=display_address,
                          gsi1pk=address_key(channel, address), gsi1sk=account_pk(account_id))
    item.save()
    return item


def channel_addresses(account_id: str, channel: Channel) -> list[str]:
    """The account's addresses on a channel (one Query of the account's partition)."""
    try:
        return [c.address for c in ChannelAddress.query(account_pk(account_id),
                                                        ChannelAddress.sk.startswith(f"CHANNEL#{channel.value}#"))
                if isinstance(c, ChannelAddress)]
    except PynamoDBException as error:
        raise transient(error) from error


def all_channel_addresses(account_id: str) -> list[ChannelAddress]:
    """Every address the account receives on, every channel (one Query of the account's partition)."""
    try:
        return [c for c in ChannelAddress.query(account_pk(account_id), ChannelAddress.sk.startswith("CHANNEL#"))
                if isinstance(c, ChannelAddress)]
    except PynamoDBException as error:
        raise transient(error) from error


def revoke_consent(account_id: str, profile_id: str, channel: Channel) -> None:
    """The provider says the customer opted out (Twilio 21610: they texted STOP to a number of the
    same service and the STOP never reached us): record it, so no agent tries again."""
    field = {Channel.SMS: Profile.consent_sms, Channel.WHATSAPP: Profile.consent_whatsapp}[channel]
    applied(Profile(profile_pk(account_id, profile_id), "PROFILE"),
            [field.set("unsubscribed"), Profile.consent_updated_at.set(now_iso())], Profile.pk.exists())


def set_consent(account_id: str, channel: Channel, address: str, provider_message_id: str,
                consent: str, contact_name: str | None = None) -> bool:
    """Record a keyword's consent change once per provider message id; False for a replay.

    The keyword's message id is claimed in the same transaction, so a STOP replayed after a later
    START cannot undo the START.
    """
    now = now_iso()
    try:
        contact = Contact.get(contact_pk(account_id, channel, address), "CONTACT", consistent_read=True)
        profile_id = contact.profile_id
    except Contact.DoesNotExist:
        contact, profile_id = None, profile_id_for(account_id, channel, address)
    except PynamoDBException as error:
        raise transient(error) from error
    field = {Channel.SMS: Profile.consent_sms, Channel.WHATSAPP: Profile.consent_whatsapp}[channel]
    for attempt in range(5):
        t = Transaction()
        t.put("ref", MessageRef(ref_pk(account_id, channel, provider_message_id), "REF", event="keyword",
                                created_at=now), condition=MessageRef.pk.does_not_exist())
        t.update("profile", Profile(profile_pk(account_id, profile_id), "PROFILE"), actions=[
            Profile.type.set(Profile), Profile.account_id.set(account_id), Profile.profile_id.set(profile_id),
            Profile.created_at.set(Profile.created_at | now), field.set(consent),
            Profile.consent_updated_at.set(now), Profile.phone.set(Profile.phone | address),
        ])
        if contact is None:
            t.update("contact", Contact(contact_pk(account_id, channel, address), "CONTACT"), actions=[
                Contact.type.set(Contact), Contact.account_id.set(account_id), Contact.channel.set(channel.value),
                Contact.address.set(address), Contact.profile_id.set(Contact.profile_id | profile_id),
                Contact.first_seen_at.set(Contact.first_seen_at | now),
                *([Contact.name.set(contact_name)] if contact_name else []),
            ])
        refused = t.commit()
        if refused is None:
            return True
        if refused.failed("ref"):
            return False
        if not refused.retryable:
            raise transient(PynamoDBException("consent update refused for no stated reason"))
        time.sleep(0.02 * (attempt + 1))
    raise transient(PynamoDBException("consent update kept conflicting"))


def get_profile(account_id: str, profile_id: str) -> Profile | None:
    try:
        return Profile.get(profile_pk(account_id, profile_id), "PROFILE", consistent_read=True)
    except Profile.DoesNotExist:
        return None


def get_contact(account_id: str, channel: Channel, address: str) -> Contact | None:
    try:
        return Contact.get(contact_pk(account_id, channel, address), "CONTACT", consistent_read=True)
    except Contact.DoesNotExist:
        return None


def put_customer(account_id: str, channel: Channel, address: str, name: str | None = None,
                 consent: str | None = None) -> Profile:
    """A customer known before they write in (imported, or subscribed through a sign-up form)."""
    now = now_iso()
    profile_id = profile_id_for(account_id, channel, address)
    consent_field = {Channel.SMS: "consent_sms", Channel.WHATSAPP: "consent_whatsapp",
                     Channel.EMAIL: "consent_email"}.get(channel)
    profile = Profile(profile_pk(account_id, profile_id), "PROFILE", account_id=account_id, profile_id=profile_id,
                      name=name, created_at=now,
                      phone=address if channel in (Channel.SMS, Channel.WHATSAPP) else None,
                      email=address if channel is Channel.EMAIL else None)
    if consent and consent_field:
        setattr(profile, consent_field, consent)
        profile.consent_updated_at = now
    profile.save()
    Contact(contact_pk(account_id, channel, address), "CONTACT", account_id=account_id, channel=channel.value,
            address=address, profile_id=profile_id, name=name, first_seen_at=now).save()
    return profile


# --- a customer's tickets ----------------------------------------------------------------------------


def profile_ticket_keys(account_id: str, profile_id: str | None, created_at: str,
                        ticket_id: str) -> dict[str, str | None]:
    """Where a ticket is filed under its customer's profile (gsi6), to count their tickets."""
    if not profile_id:
        return {"gsi6pk": None, "gsi6sk": None}
    return {"gsi6pk": f"{profile_pk(account_id, profile_id)}#T", "gsi6sk": f"{created_at}#{ticket_id}"}


def profile_ticket_count(account_id: str, profile_id: str) -> int:
    """How many tickets the profile has: one Query of its entries in gsi6 with Select=COUNT."""
    return index_count("gsi6", f"{profile_pk(account_id, profile_id)}#T")


# --- customers as the marketing system names them ----------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """A customer named by email (lower-cased) and/or phone (E.164), as the marketing system does."""

    email: str | None = None
    phone: str | None = None

    def addresses(self) -> list[tuple[Channel, str]]:
        """Their contacts, in the order that decides whose profile they are: a phone number is
        theirs on SMS and on WhatsApp alike."""
        return ([(Channel.EMAIL, self.email)] if self.email else []) + \
            ([(Channel.SMS, self.phone), (Channel.WHATSAPP, self.phone)] if self.phone else [])


def profiles_of(account_id: str, identities: Iterable[Identity]) -> dict[Identity, str]:
    """The profile of each customer: the one their first known contact belongs to. One the helpdesk
    does not know gets a profile now, with a contact per address, so their tickets link to it when
    they write in; a known one gets contacts for the addresses not yet theirs (an address that is
    someone's already stays theirs). One BatchGetItem reads the contacts; writes only for the new."""
    wanted = list(dict.fromkeys(identities))
    keys = list(dict.fromkeys((contact_pk(account_id, ch, a), "CONTACT") for i in wanted for ch, a in i.addresses()))
    try:
        found = {(c.channel, c.address): str(c.profile_id) for c in Contact.batch_get(keys, consistent_read=True)}
    except PynamoDBException as error:
        raise transient(error) from error
    out: dict[Identity, str] = {}
    for identity in wanted:
        addresses = identity.addresses()
        known = [found[(ch.value, a)] for ch, a in addresses if (ch.value, a) in found]
        missing = [(ch, a) for ch, a in addresses if (ch.value, a) not in found]
        if missing:
            # New: the id intake would give them (derived from the email, or from the number on SMS).
            first, address = addresses[0]
            profile_id = known[0] if known else profile_id_for(
                account_id, Channel.SMS if first is Channel.WHATSAPP else first, address)
            profile_id = _link(account_id, profile_id, identity, missing, fresh=not known)
            for ch, a in missing:
                found.setdefault((ch.value, a), profile_id)
        else:
            profile_id = known[0]
        out[identity] = profile_id
    return out


def _link(account_id: str, profile_id: str, identity: Identity, addresses: list[tuple[Channel, str]],
          *, fresh: bool) -> str:
    """Make the profile (first: a contact must never point at a profile that is not there) and the
    contacts, each only if absent. When a `fresh` customer's first contact turns out to have been made
    meanwhile (they wrote in at this moment), theirs is the profile it points at; the one made here
    is then left unused."""
    now = now_iso()
    try:
        _upsert_profile(account_id, profile_id, identity, now)
        for n, (channel, address) in enumerate(addresses):
            contact = Contact(contact_pk(account_id, channel, address), "CONTACT")
            contact.update(actions=[
                Contact.type.set(Contact), Contact.account_id.set(account_id), Contact.channel.set(channel.value),
                Contact.address.set(address), Contact.profile_id.set(Contact.profile_id | profile_id),
                Contact.first_seen_at.set(Contact.first_seen_at | now)])
            if n == 0 and fresh and contact.profile_id != profile_id:
                profile_id = str(contact.profile_id)  # (the update answers the item as it now is)
    except PynamoDBException as error:
        raise transient(error) from error
    return profile_id


def _upsert_profile(account_id: str, profile_id: str, identity: Identity, now: str,
                    extra: list[Any] | None = None) -> None:
    Profile(profile_pk(account_id, profile_id), "PROFILE").update(actions=[
        Profile.type.set(Profile), Profile.account_id.set(account_id), Profile.profile_id.set(profile_id),
        Profile.created_at.set(Profile.created_at | now),
        *([Profile.email.set(Profile.email | identity.email)] if identity.email else []),
        *([Profile.phone.set(Profile.phone | identity.phone)] if identity.phone else []),
        *(extra or [])])


_UNSET: Any = object()


def set_marketing(account_id: str, profile_id: str, identity: Identity, *, segments: Any = _UNSET,
                  predictive: Any = _UNSET) -> None:
    """The marketing system's segments and predictive analytics of a customer, as it last sent them
    (each replaced whole; predictive None clears it). One UpdateItem, which makes the profile if needed."""
    actions: list[Any] = [Profile.marketing_updated_at.set(now_iso())]
    if segments is not _UNSET:
        actions.append(Profile.segments.set(list(segments)))
    if predictive is not _UNSET:
        actions.append(Profile.predictive.set(predictive) if predictive is not None else Profile.predictive.remove())
    try:
        _upsert_profile(account_id, profile_id, identity, now_iso(), actions)
    except PynamoDBException as error:
        raise transient(error) from error
