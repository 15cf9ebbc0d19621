"""Knowledge-base articles in the table (helpdesk/kb.py is the domain). Every write of an article is one
transaction with the account's KbState: a new article counts against the account's limit (the
condition on `article_count`, so concurrent creates cannot pass it), and every write bumps `version`, which a
container compares with the version of the search index it keeps."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from helpdesk.errors import Conflict, NotFound, Transient
from helpdesk.store.failures import read_cancellation, transient
from helpdesk.store.models import Item, KbArticle, KbState, account_pk

STATE_SK = "KB~STATE"
_ATTEMPTS = 4  # a transaction cancelled by a concurrent write of the same state item is tried again


def article_sk(article_id: str) -> str:
    return f"KB#{article_id}"


def state(account_id: str) -> KbState:
    """The account's knowledge-base state, read consistently (version 0 and no articles if never written)."""
    try:
        return KbState.get(account_pk(account_id), STATE_SK, consistent_read=True)
    except KbState.DoesNotExist:
        return KbState(account_pk(account_id), STATE_SK, article_count=0, version=0)
    except PynamoDBException as error:
        raise transient(error) from error


def articles(account_id: str) -> list[KbArticle]:
    """Every article of the account: one Query of its partition (paged), read consistently."""
    try:
        return [a for a in KbArticle.query(account_pk(account_id), KbArticle.sk.startswith("KB#"),
                                           consistent_read=True) if isinstance(a, KbArticle)]
    except PynamoDBException as error:
        raise transient(error) from error


def get(account_id: str, article_id: str) -> KbArticle | None:
    try:
        return KbArticle.get(account_pk(account_id), article_sk(article_id), consistent_read=True)
    except KbArticle.DoesNotExist:
        return None
    except PynamoDBException as error:
        raise transient(error) from error


def _bump(account_id: str, articles: int) -> tuple[KbState, list[Any]]:
    actions = [KbState.type.set(KbState), KbState.version.add(1)]
    if articles:
        actions.append(KbState.article_count.add(articles))
    return KbState(account_pk(account_id), STATE_SK), actions


def _commit(write: Callable[[TransactWrite], None]) -> list[str | None] | None:
    """Run one transaction, again while a concurrent one cancels it; None when it went through, else
    the cancellation code of each item, in the order pynamodb sends them (condition checks, deletes,
    puts, updates)."""
    for _ in range(_ATTEMPTS):
        transaction = TransactWrite(connection=Item._get_connection().connection)
        write(transaction)
        try:
            with transaction:
                pass
        except TransactWriteError as error:
            refused = read_cancellation(error)
            if refused.retryable and not any(refused.failed(i) for i in range(len(refused.codes))):
                continue
            return refused.codes
        return None
    raise Transient("the knowledge base is being changed by someone else; try again")


def create(article: KbArticle, max_articles: int) -> bool:
    """Put a new article and count it; False (nothing written) when the account has `max_articles`."""
    account_id = article.pk[len("A#"):]
    item, actions = _bump(account_id, 1)

    def write(t: TransactWrite) -> None:
        t.save(article, condition=KbArticle.pk.does_not_exist())
        t.update(item, actions=actions,
                 condition=KbState.article_count.does_not_exist() | (KbState.article_count < max_articles))

    codes = _commit(write)
    if codes is None:
        return True
    if codes[1] == "ConditionalCheckFailed":
        return False
    raise Transient("the article could not be stored; try again")  # a random id that exists: retry


def update(account_id: str, article_id: str, values: dict[str, Any], *, who: str, now: str,
           expected_version: int | None) -> None:
    """Set `values` on the article and bump its version (and the account's), on condition that it
    exists (else NotFound) and, with `expected_version`, that it is still at that version (else Conflict)."""
    target = KbArticle(account_pk(account_id), article_sk(article_id))
    changes = [getattr(KbArticle, name).set(value) for name, value in values.items()]
    changes += [KbArticle.version.add(1), KbArticle.updated_at.set(now), KbArticle.updated_by.set(who)]
    condition = KbArticle.pk.exists()
    if expected_version is not None:
        condition &= KbArticle.version == expected_version
    item, actions = _bump(account_id, 0)

    def write(t: TransactWrite) -> None:
        t.update(target, actions=changes, condition=condition)
        t.update(item, actions=actions)

    codes = _commit(write)
    if codes is None:
        return
    if codes[0] == "ConditionalCheckFailed":
        found = get(account_id, article_id)
        if found is None:
            raise NotFound("no such article")
        raise Conflict(f"the article is at version {int(found.version)}, not {expected_version}; read it again")
    raise Transient("the article could not be changed; try again")


def delete(account_id: str, article_id: str) -> None:
    """Delete the article and uncount it; NotFound when there is none."""
    target = KbArticle(account_pk(account_id), article_sk(article_id))
    item, actions = _bump(account_id, -1)

    def write(t: TransactWrite) -> None:
        t.delete(target, condition=KbArticle.pk.exists())
        t.update(item, actions=actions)

    codes = _commit(write)
    if codes is None:
        return
    if codes[0] == "ConditionalCheckFailed":
        raise NotFound("no such article")
    raise Transient("the article could not be deleted; try again")
