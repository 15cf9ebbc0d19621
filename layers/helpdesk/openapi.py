"""The OpenAPI description of the external surfaces, served at /api/openapi.json."""
from __future__ import annotations

from typing import Any

_TICKET = {
    "type": "object",
    "required": ["id", "channel", "status", "assignee_id", "tags", "contact", "created_at", "updated_at", "spam"],
    "properties": {
        "id": {"type": "string"},
        "channel": {"type": "string", "enum": ["sms", "whatsapp", "email", "instagram", "webchat"]},
        "status": {"type": "string", "enum": ["open", "snoozed", "closed"]},
        "assignee_id": {"type": ["string", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "contact": {"type": "string", "description": "E.164, Instagram-scoped id, email or visitor id"},
        "profile_id": {"type": ["string", "null"]},
        "contact_name": {"type": ["string", "null"], "description": "the customer's name, where the channel gave one"},
        "subject": {"type": ["string", "null"], "description": "email: the subject of the first mail"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "spam": {"type": "boolean"},
        "snooze_until": {"type": ["string", "null"], "format": "date-time"},
        "last_inbound_at": {"type": ["string", "null"], "format": "date-time"},
        "message_count": {"type": "integer"},
        "version": {"type": "integer", "description": "goes up with every write; send it back as If-Match"},
        "assignment_reason": {
            "type": ["object", "null"], "description": "why the ticket has its assignee (null: it has none yet)",
            "properties": {
                "kind": {"enum": ["round_robin", "manual", "waiting", "unknown"],
                         "description": "round_robin: the rotation (in a team when a rule chose one); manual: a "
                                        "person; waiting: nobody online, or everyone at capacity"},
                "rule": {"type": ["integer", "null"], "description": "the routing rule that matched (0-based)"},
                "team_id": {"type": ["string", "null"]},
                "load": {"type": "integer", "description": "the assignee's open tickets when chosen"},
                "capacity": {"type": ["integer", "null"]},
                "eligible": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "string"}, "load": {"type": "integer"},
                    "capacity": {"type": ["integer", "null"]}}}},
                "why": {"type": "string"}}},
        "team_id": {"type": ["string", "null"], "description": "the team routing sent it to"},
        "tag_details": {"type": "array", "description": "each tag with its source and (ai) confidence",
                        "items": {"type": "object", "properties": {
                            "name": {"type": "string"}, "source": {"enum": ["ai", "rule", "agent"]},
                            "confidence": {"type": ["number", "null"]}}}},
        "priority": {"type": ["string", "null"], "enum": ["low", "normal", "high", "urgent", None]},
        "auto_closed": {"type": "boolean", "description": "closed by auto-close for the customer's silence"},
        "first_response_at": {"type": ["string", "null"], "format": "date-time",
                              "description": "the first reply by a person (not a note, not automatic)"},
        "unread": {"type": "boolean", "description": "for the caller: the customer wrote since they last opened it"},
        "preview": {"type": ["string", "null"], "description": "the first message's first line (ticket lists)"},
        "reply_window": {"type": ["object", "null"], "description": "WhatsApp and Instagram only",
                         "properties": {"closes_at": {"type": "string", "format": "date-time"},
                                        "hours_left": {"type": "number"}, "open": {"type": "boolean"},
                                        "human_agent_until": {"type": "string", "format": "date-time"}}},
        "can_reply": {"type": "object", "description": "GET /api/tickets/{id} only: the reply rules, consent included",
                      "properties": {"allowed": {"type": "boolean"}, "reason": {"type": ["string", "null"]},
                                     "code": {"enum": ["no_customer_message", "window_closed", "opted_out",
                                                       "not_subscribed", None],
                                              "description": "what the reason says, for showing it translated"}}},
    },
}
_AGENT = {
    "type": "object",
    "required": ["id", "name", "role", "status", "active"],
    "properties": {
        "id": {"type": "string", "description": "the user's Cognito sub"},
        "name": {"type": ["string", "null"]},
        "email": {"type": ["string", "null"]},
        "role": {"type": "string", "enum": ["owner", "admin", "manager", "support"]},
        "active": {"type": "boolean"},
        "status": {"enum": ["online", "offline"], "description": "online only while heartbeats keep coming"},
        "presence_at": {"type": ["string", "null"], "format": "date-time"},
        "capacity": {"type": ["integer", "null"], "description": "most open tickets round robin gives them"},
        "unread_count": {"type": "integer", "description": "GET /api/agents/me only: the unread badge"},
        "unread_badge": {"type": "boolean", "description": "GET /api/agents/me only: the account's setting"},
    },
}
_MESSAGE = {
    "type": "object",
    "required": ["id", "direction", "body", "created_at"],
    "properties": {
        "id": {"type": "string"},
        "direction": {"type": "string", "enum": ["inbound", "outbound", "note"]},
        "body": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "media": {"type": "array", "items": {"type": "object"}},
        "story": {"type": "object", "properties": {"id": {"type": "string"}, "url": {"type": "string"}}},
        "delivery": {"type": "string", "enum": ["queued", "sent", "delivered", "failed"],
                     "description": "outbound only, moved forward by the providers' delivery reports; a reply "
                                    "that failed before reaching the provider is retried with the same "
                                    "Idempotency-Key"},
        "delivery_error": {"type": "string", "description": "why a failed message failed"},
        "read": {"type": "boolean", "description": "the customer read it (WhatsApp, Instagram)"},
        "automatic": {"type": "boolean", "description": "sent by the helpdesk itself (autoresponder, order skill)"},
        "card": {"type": "object", "description": "the order skill's order card with its options, as sent"},
    },
}
_PATCH = {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
    "status": {"enum": ["open", "snoozed", "closed"]},
    "assignee_id": {"type": ["string", "null"]},
    "snooze_until": {"type": ["string", "null"], "format": "date-time"},
    "tags": {"type": "array", "maxItems": 50, "items": {"type": "string", "minLength": 1, "maxLength": 100},
             "description": "the whole list"},
    "add_tags": {"type": "array", "maxItems": 50, "items": {"type": "string", "minLength": 1, "maxLength": 100},
                 "description": "added to the ticket's tags as they are (not with tags)"},
    "remove_tags": {"type": "array", "maxItems": 50, "items": {"type": "string", "minLength": 1, "maxLength": 100},
                    "description": "taken from the ticket's tags as they are (not with tags)"},
    "spam": {"type": "boolean"}}}
_ERROR = {"type": "object", "properties": {"error": {"type": "string"}}}
# --- the customer beside the conversation (helpdesk/customers.py) ---
_PREDICTIVE = {"type": ["object", "null"], "additionalProperties": False, "properties": {
    "lifetime_value": {"type": ["number", "null"], "minimum": 0},
    "order_count": {"type": ["integer", "null"], "minimum": 0},
    "churn_risk": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
    "expected_next_order_date": {"type": ["string", "null"], "format": "date"}}}
_PROFILE = {"type": "object", "required": ["id", "name", "email", "phone", "consent", "segments", "predictive",
                                           "ticket_count"], "properties": {
    "id": {"type": "string"}, "name": {"type": ["string", "null"]}, "email": {"type": ["string", "null"]},
    "phone": {"type": ["string", "null"], "description": "E.164"},
    "consent": {"type": "object", "description": "per channel; null: never asked", "properties": {
        c: {"enum": ["subscribed", "unsubscribed", None]} for c in ("sms", "whatsapp", "email")}},
    "segments": {"type": "array", "items": {"type": "string"}, "description": "the marketing system's"},
    "predictive": {**_PREDICTIVE, "description": "the marketing system's predictive analytics; null: none"},
    "ticket_count": {"type": "integer", "description": "this profile's tickets, this one included"}}}
_PROFILE_WITHHELD = {"type": "object", "required": ["id", "name", "profile_details"], "properties": {
    "id": {"type": "string"}, "name": {"type": ["string", "null"]},
    "profile_details": {"type": "string", "description": "why no more is shown: the reason, naming the plan"}}}
_TICKET_SCREEN = {
    "messages_next": {"type": ["string", "null"], "description": "cursor of the messages before these 50: "
                                                                "GET /api/tickets/{id}/messages?before=; null: none"},
    "profile": {"description": "the customer (null: the ticket has none); on plan inbox only who they are, and "
                               "`profile_details` saying why not more",
                "oneOf": [_PROFILE, _PROFILE_WITHHELD, {"type": "null"}]}}
_IDENTITY_FIELDS = {"email": {"type": "string", "maxLength": 254}, "phone": {"type": "string", "maxLength": 40}}
_IDENTITY = {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": _IDENTITY_FIELDS,
             "description": "the customer, by email and/or phone (E.164); unknown: a profile is made for them"}
_EVENT_IN = {"type": "object", "additionalProperties": False, "required": ["id", "metric", "time", "profile"],
             "properties": {
                 "id": {"type": "string", "minLength": 1, "maxLength": 200,
                        "description": "the marketing system's event id: a replay of it is stored once"},
                 "metric": {"type": "string", "minLength": 1, "maxLength": 100, "example": "Placed Order"},
                 "time": {"type": "string", "format": "date-time", "description": "with its offset"},
                 "properties": {"type": "object", "description": "any JSON object, up to 16 KB"},
                 "profile": _IDENTITY}}
_PROFILE_IN = {"type": "object", "additionalProperties": False, "minProperties": 2,
               "description": "email and/or phone, with segments and/or predictive: each replaced whole",
               "properties": {**_IDENTITY_FIELDS,
                              "segments": {"type": "array", "maxItems": 100,
                                           "items": {"type": "string", "minLength": 1, "maxLength": 100}},
                              "predictive": {**_PREDICTIVE, "description": "null clears it"}}}
_EVENT = {"type": "object", "properties": {
    "id": {"type": "string"}, "metric": {"type": "string"}, "time": {"type": "string", "format": "date-time"},
    "properties": {"type": "object"}}}


def _older_messages(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    return {
        "summary": "Older messages of a ticket, a page at a time, oldest first", "security": bearer,
        "parameters": [
            {"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "string"}},
            {"name": "before", "in": "query", "schema": {"type": "string"},
             "description": "the ticket's `messages_next`, or a page's `next` (none: the latest messages)"},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                        "default": 50}}],
        "responses": {"200": _answer("a page", {"type": "object", "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
            "next": {"type": ["string", "null"], "description": "cursor of the page before; null: none"}}}),
            "404": _answer("no such ticket", _ERROR),
            "400": _answer("a bad cursor (or one of another ticket), or a bad limit", _ERROR), **_ERRORS}}


_OUTBOUND_IN = {"type": "object", "additionalProperties": False,
                "required": ["channel", "to", "kind", "source_id", "message_id", "received_at"], "properties": {
                    "channel": {"enum": ["sms"]},
                    "to": {"type": "string", "description": "the recipient's number, E.164"},
                    "kind": {"enum": ["campaign", "flow"]},
                    "source_id": {"type": "string", "minLength": 1, "maxLength": 200,
                                  "description": "the campaign or flow"},
                    "message_id": {"type": "string", "minLength": 1, "maxLength": 200},
                    "received_at": {"type": "string", "format": "date-time",
                                    "description": "when the recipient received it"}}}


def _attribution_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    return {
        "/api/outbound-messages": {"post": {
            "summary": "Campaign and flow messages the marketing system sent, one record per recipient, or "
                       "{messages: [...]} for a bulk send (owner, admin, integration); a replay is harmless",
            "security": bearer,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"anyOf": [
                _OUTBOUND_IN,
                {"type": "object", "additionalProperties": False, "required": ["messages"], "properties": {
                    "messages": {"type": "array", "minItems": 1, "maxItems": 500, "items": _OUTBOUND_IN}}}]}}}},
            "responses": {"202": _answer("stored", {"type": "object", "properties": {
                "accepted": {"type": "integer"},
                "duplicates": {"type": "integer", "description": "records stored before (a replay)"}}}),
                **_ERRORS, "400": _answer("bad input, naming the record and field: nothing stored", _ERROR),
                "403": _answer("not an owner, admin or integration", _ERROR)}}},
    }


def _customer_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    plan = "on plan inbox: 403 naming the plan"
    return {
        "/api/profile-events": {"post": {
            "summary": "The marketing system's events, segments and predictive analytics of customers (owner, "
                       "admin, integration); all checked before anything is stored",
            "security": bearer,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
                    "events": {"type": "array", "maxItems": 100, "items": _EVENT_IN},
                    "profiles": {"type": "array", "maxItems": 100, "items": _PROFILE_IN}}}}}},
            "responses": {"202": _answer("stored", {"type": "object", "properties": {
                "accepted": {"type": "integer", "description": "events stored now"},
                "duplicates": {"type": "integer", "description": "events whose id was stored before"},
                "profiles": {"type": "integer", "description": "profiles updated"}}}),
                **_ERRORS, "400": _answer("bad input, naming the field: nothing stored", _ERROR),
                "403": _answer(f"a manager, support agent or non-agent; {plan}", _ERROR)}}},
        "/api/profiles/{profile_id}/events": {"get": {
            "summary": "A customer's events, newest first, of one metric or all", "security": bearer,
            "parameters": [
                {"name": "profile_id", "in": "path", "required": True, "schema": {"type": "string"},
                 "description": "a ticket's `profile_id`"},
                {"name": "metric", "in": "query", "schema": {"type": "string"}},
                {"name": "next", "in": "query", "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                            "default": 25}}],
            "responses": {"200": _answer("a page", {"type": "object", "properties": {
                "items": {"type": "array", "items": _EVENT}, "next": {"type": ["string", "null"]}}}),
                "404": _answer("no such profile (in this account)", _ERROR),
                **_ERRORS, "403": _answer(f"not an agent; {plan}", _ERROR)}}},
    }


_KB_IN = {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "body": {"type": "string", "minLength": 1, "maxLength": 20000, "description": "the brand's own words"},
    "locale": {"enum": ["en", "ko"], "description": "its language; on create without it, told from the text"},
    "tags": {"type": "array", "maxItems": 20, "items": {"type": "string", "minLength": 1, "maxLength": 50},
             "description": "the whole list"}}}
_KB_ARTICLE = {"type": "object", "properties": {
    "id": {"type": "string"}, "title": {"type": "string"}, "locale": {"enum": ["en", "ko"]},
    "tags": {"type": "array", "items": {"type": "string"}},
    "body": {"type": "string", "description": "a single article; a list has `excerpt`, its first 200 characters"},
    "excerpt": {"type": "string"},
    "version": {"type": "integer", "description": "goes up with every change; send it back as If-Match"},
    "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
    "created_by": {"type": ["string", "null"]}, "updated_by": {"type": ["string", "null"]},
    "score": {"type": "number", "description": "a search (q): how well it answers, 0 to 1"},
    "passage": {"type": "string", "description": "a search (q): the part of the body that best answers"}}}


def _kb_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    one = {"200": _answer("the article", _KB_ARTICLE), "404": _answer("no such article (in this account)", _ERROR)}
    return {
        "/api/kb/articles": {
            "get": {"summary": "The knowledge base's articles by title, or with q those that answer it, best first "
                               "(BM25 over English and Korean); every agent",
                    "security": bearer,
                    "parameters": [
                        {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 500},
                         "description": "a search, as a shopper would write it"},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 50,
                                                                    "default": 10}, "description": "with q"}],
                    "responses": {"200": _answer("the articles", {"type": "object", "properties": {
                        "items": {"type": "array", "items": _KB_ARTICLE}}}), **_ERRORS}},
            "post": {"summary": "A new article (owner, admin); at most 500 per account", "security": bearer,
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         **_KB_IN, "required": ["title", "body"]}}}},
                     "responses": {"201": _answer("the article", _KB_ARTICLE), **_ERRORS,
                                   "400": _answer("bad input, naming the field: nothing stored", _ERROR),
                                   "409": _answer("the account has 500 articles already", _ERROR)}}},
        "/api/kb/articles/{article_id}": {
            "parameters": [{"name": "article_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {"summary": "An article, whole", "security": bearer, "responses": {**one, **_ERRORS}},
            "patch": {"summary": "Change an article's title, body, locale or tags (owner, admin)", "security": bearer,
                      "parameters": [{"name": "If-Match", "in": "header", "schema": {"type": "string"},
                                      "description": "the version the change is meant for"}],
                      "requestBody": {"required": True, "content": {"application/json": {"schema": _KB_IN}}},
                      "responses": {**one, **_ERRORS,
                                    "409": _answer("If-Match named a version that is gone", _ERROR)}},
            "delete": {"summary": "Delete an article (owner, admin)", "security": bearer,
                       "responses": {"204": {"description": "deleted"},
                                     "404": _answer("no such article (in this account)", _ERROR), **_ERRORS}}},
    }


_SKILL_ORDER = {"type": ["object", "null"], "properties": {
    "name": {"type": "string", "example": "#1042"},
    "state": {"enum": ["unfulfilled", "partially_fulfilled", "fulfilled", "cancelled", "on_hold"]}}}
_SKILL_DECISION = {"type": "object", "required": ["intent", "action", "text", "order"], "properties": {
    "intent": {"enum": ["change_order", "cancel_order", "add_item", "order_status", "return_or_exchange", "other"]},
    "action": {"enum": ["login_required", "edit_order", "partial_edit", "redirect_returns", "add_item_unsupported",
                        "order_status", "no_policy", "handoff", "none"],
               "description": "no_policy and handoff hand the customer over to a person"},
    "text": {"type": "string", "description": "what the customer is told, in their language (English or Korean); "
                                              "empty for none"},
    "order": _SKILL_ORDER,
    "link": {"type": "string", "description": "the customer hub's order tab (edit_order, partial_edit), or the "
                                              "order's status page (order_status; a handoff without a hub)"},
    "card": {"type": "object", "description": "web chat: the order card (`order`, `lines` each with `actions`, "
                                              "`actions`, `url`) the widget shows with inline options"}}}


def _skills_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    return {
        "/api/skills": {"get": {
            "summary": "The AI customer agent's skills: Live when every prerequisite holds, else Unavailable with "
                       "what is missing (every helpdesk role)",
            "security": bearer,
            "responses": {"200": _answer("the skills", {"type": "object", "properties": {"items": {
                "type": "array", "items": {"type": "object", "properties": {
                    "name": {"enum": ["order_editing"]}, "status": {"enum": ["Live", "Unavailable"]},
                    "missing": {"type": "array", "items": {"enum": [
                        "helpdesk_plan", "skill_enabled", "shopify", "customer_hub", "order_edit_policy",
                        "order_cancel_policy"]}}}}}}}), **_ERRORS}}},
        "/api/skills/order_editing/preview": {"post": {
            "summary": "What the order skill would answer a test message, as the customer with that email (without "
                       "one: a customer who is not signed in); reads Shopify and the knowledge base, stores and "
                       "sends nothing (owner, admin)",
            "security": bearer,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["message", "channel"], "additionalProperties": False, "properties": {
                    "message": {"type": "string", "minLength": 1, "maxLength": 5000},
                    "channel": {"enum": ["webchat", "sms", "whatsapp", "email"]},
                    "customer_email": {"type": "string", "minLength": 3, "maxLength": 320,
                                       "description": "a customer of the shop, as if signed in"}}}}}},
            "responses": {"200": _answer("the decision", _SKILL_DECISION), **_ERRORS,
                          "503": _answer("Shopify is throttling or unreachable, or AWS failed: try again", _ERROR)}}},
    }


_CONFIRM = {"type": "boolean", "description": "true: the agent confirmed the action (missing or false: a 400, "
                                              "nothing done)"}
_ORDER_ID = {"type": "string", "minLength": 1, "maxLength": 100,
             "description": "one of the customer's orders (GET /api/tickets/{id}/orders): its id, or its number"}
_SUBSCRIPTION_ID = {"type": "integer", "minimum": 1,
                    "description": "one of the customer's subscriptions (GET /api/tickets/{id}/orders)"}
_ORDER_ACTIONS_IN: dict[str, dict[str, Any]] = {
    "set_quantities": {"required": ["order_id", "quantities"], "properties": {
        "order_id": _ORDER_ID,
        "quantities": {"type": "object", "minProperties": 1, "maxProperties": 20,
                       "propertyNames": {"minLength": 1, "maxLength": 100},
                       "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 10000},
                       "description": "line item id -> its new quantity (0 removes the line)"},
        "restock": {"type": "boolean", "description": "what is taken off goes back to stock (default true)"},
        "notify_customer": {"type": "boolean", "description": "Shopify emails the updated invoice (default true)"}}},
    "cancel_order": {"required": ["order_id", "reason", "refund", "restock"], "properties": {
        "order_id": _ORDER_ID,
        "reason": {"enum": ["CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "STAFF", "OTHER"]},
        "refund": {"enum": ["original", "store_credit", "none"],
                   "description": "to the original payment methods, as store credit, or not at all"},
        "restock": {"type": "boolean"},
        "notify_customer": {"type": "boolean", "description": "Shopify emails the cancellation (default true)"}}},
    "skip_charge": {"required": ["subscription_id"], "properties": {"subscription_id": _SUBSCRIPTION_ID}},
    "cancel_subscription": {"required": ["subscription_id", "reason"], "properties": {
        "subscription_id": _SUBSCRIPTION_ID, "reason": {"type": "string", "minLength": 1, "maxLength": 255},
        "comments": {"type": "string", "maxLength": 1000}}},
    "change_subscription": {"required": ["subscription_id"], "properties": {
        "subscription_id": _SUBSCRIPTION_ID, "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
        "next_charge_date": {"type": "string", "format": "date", "description": "a day after today"}},
        "description": "quantity, next_charge_date or both"},
}
# One shape per action, chosen by `action` (if/then), so a 400 names the field of that action's shape.
_ORDER_ACTION_IN = {
    "type": "object", "required": ["action"],
    "properties": {"action": {"enum": list(_ORDER_ACTIONS_IN)}, "confirm": _CONFIRM},
    "allOf": [{"if": {"required": ["action"], "properties": {"action": {"const": name}}},
               "then": {**shape, "type": "object", "additionalProperties": False,
                        "properties": {"action": {"const": name}, "confirm": _CONFIRM, **shape["properties"]}}}
              for name, shape in _ORDER_ACTIONS_IN.items()]}
_ORDER_LINE = {"type": "object", "properties": {
    "id": {"type": "string", "example": "gid://shopify/LineItem/1"}, "title": {"type": "string"},
    "sku": {"type": ["string", "null"]},
    "quantity": {"type": "integer", "description": "now, after edits and removals"},
    "unfulfilled_quantity": {"type": "integer"}, "fulfilled_quantity": {"type": "integer"},
    "editable": {"type": "boolean", "description": "some of it is unfulfilled and not being prepared"},
    "editable_quantity": {"type": "integer"},
    "state": {"enum": ["unfulfilled", "partially_fulfilled", "fulfilled", "on_hold", "removed"]}}}
_ORDER = {"type": "object", "properties": {
    "id": {"type": "string", "example": "gid://shopify/Order/1"}, "name": {"type": "string", "example": "#1001"},
    "state": {"enum": ["unfulfilled", "partially_fulfilled", "fulfilled", "cancelled", "on_hold"]},
    "created_at": {"type": "string", "format": "date-time"},
    "status_url": {"type": ["string", "null"], "description": "the order's status page"},
    "fulfillment_status": {"type": "string"}, "financial_status": {"type": ["string", "null"]},
    "cancelled_at": {"type": ["string", "null"], "format": "date-time"}, "editable": {"type": "boolean"},
    "complete": {"type": "boolean", "description": "false: the order has more lines than these 20"},
    "lines": {"type": "array", "items": _ORDER_LINE}}}
_SUBSCRIPTION = {"type": "object", "properties": {
    "id": {"type": "integer"}, "status": {"type": "string", "example": "active"},
    "product_title": {"type": "string"}, "variant_title": {"type": ["string", "null"]},
    "quantity": {"type": "integer"}, "price": {"type": ["string", "null"]},
    "next_charge_scheduled_at": {"type": ["string", "null"], "format": "date"},
    "order_interval_unit": {"type": ["string", "null"]}, "order_interval_frequency": {"type": ["integer", "null"]},
    "cancelled_at": {"type": ["string", "null"]}, "cancellation_reason": {"type": ["string", "null"]}}}


def _order_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    ticket = {"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "/api/tickets/{ticket_id}/orders": {"get": {
            "summary": "The ticket's customer (its profile's email, else the SMS or WhatsApp number or email it came "
                       "from, else a verified web-chat email; never one the caller names), their ten most recent "
                       "Shopify orders and their Recharge subscriptions (every helpdesk role; plan helpdesk)",
            "security": bearer, "parameters": [ticket],
            "responses": {"200": _answer("the customer's orders and subscriptions", {"type": "object", "properties": {
                "customer": {"type": ["object", "null"], "description": "null: the ticket's customer is not known",
                             "properties": {"email": {"type": ["string", "null"]},
                                            "phone": {"type": ["string", "null"]},
                                            "name": {"type": ["string", "null"]},
                                            "shopify_customer_id": {"type": ["string", "null"]}}},
                "orders": {"type": "array", "items": _ORDER, "description": "newest first"},
                "subscriptions": {"type": "array", "items": _SUBSCRIPTION,
                                  "description": "empty when Recharge is not connected"},
                "connected": {"type": "object", "properties": {"shopify": {"type": "boolean"},
                                                               "recharge": {"type": "boolean"}}}}}),
                "404": _answer("no such ticket", _ERROR), **_ERRORS,
                "502": _answer("Shopify or Recharge is misconfigured (the reason names the setting)", _ERROR),
                "503": _answer("Shopify or Recharge is throttling or unreachable, or AWS failed: try again", _ERROR)}}},
        "/api/tickets/{ticket_id}/order-actions": {"post": {
            "summary": "Once the agent confirms: change an order's quantities or cancel it (Shopify), skip, cancel or "
                       "change a subscription (Recharge), for the ticket's customer only; noted on the ticket, by the "
                       "agent (owner, admin, manager, support; plan helpdesk)",
            "security": bearer,
            "parameters": [ticket, {"name": "Idempotency-Key", "in": "header", "schema": {
                "type": "string", "minLength": 1, "maxLength": 128},
                "description": "a repeat of the request answers the first and acts never"}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ORDER_ACTION_IN}}},
            "responses": {"200": _answer("done and noted on the ticket", {"type": "object", "properties": {
                "action": {"enum": list(_ORDER_ACTIONS_IN)},
                "result": {"type": "object", "description": "what Shopify or Recharge did (the order, its changes, "
                                                            "the cancellation's job; the subscription, the charge)"},
                "note_id": {"type": "string", "description": "the note on the ticket"}}}),
                **_ERRORS,
                "400": _answer("bad input, naming the field, or not confirmed by the agent: nothing done", _ERROR),
                "404": _answer("no such ticket, or the order or subscription is not one of the ticket's customer's "
                               "(or their store is not connected): nothing done", _ERROR),
                "409": _answer("Shopify or Recharge refused, in its own words (a line shipped or not on the order, "
                               "an order cancelled already); or the Idempotency-Key is another action's, or one "
                               "whose first request is under way or was cut off: nothing done", _ERROR),
                "502": _answer("Shopify or Recharge is misconfigured, or answered an error of its own", _ERROR),
                "503": _answer("Shopify or Recharge is throttling or unreachable (the reason says so, and whether "
                               "the change may have been saved), or AWS failed", _ERROR)}}},
    }


_MACRO_IN = {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 100},
    "body": {"type": "string", "minLength": 1, "maxLength": 5000,
             "description": "variables: {{customer.first_name}}, {{customer.last_name}}, "
                            "{{ticket.id}}, {{agent.first_name}}, {{store.name}}"}}}
_MACRO = {"type": "object", "properties": {
    "id": {"type": "string"}, "name": {"type": "string"}, "body": {"type": "string"},
    "variables": {"type": "array", "items": {"type": "string"}},
    "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}}
_VIEW_FILTERS = {"type": "object", "additionalProperties": False, "properties": {
    "status": {"enum": ["open", "snoozed", "closed"]},
    "channel": {"enum": ["sms", "whatsapp", "email", "instagram", "webchat"]},
    "tag": {"type": "string", "minLength": 1, "maxLength": 100},
    "assignee_id": {"type": ["string", "null"], "description": "an agent, or null for the unassigned tickets"},
    "created_after": {"type": "string", "format": "date-time"},
    "created_before": {"type": "string", "format": "date-time"},
    "updated_after": {"type": "string", "format": "date-time"},
    "updated_before": {"type": "string", "format": "date-time"}}}
_VIEW_IN = {"type": "object", "additionalProperties": False, "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 100},
    "filters": _VIEW_FILTERS,
    "sort": {"enum": ["newest", "oldest"], "description": "by last update; newest first unless told"}}}
_VIEW = {"type": "object", "properties": {
    "id": {"type": "string"}, "name": {"type": "string"}, "filters": _VIEW_FILTERS,
    "sort": {"enum": ["newest", "oldest"]},
    "building": {"type": "boolean", "description": "its tickets are still being filed (a new view, or new "
                                                   "filters): a page may miss some until it is done"},
    "created_by": {"type": ["string", "null"]}, "created_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": "string", "format": "date-time"}}}
_SETTINGS = {"type": "object", "properties": {
    "plan": {"enum": ["inbox", "helpdesk"]},
    "channels": {"type": "array", "readOnly": True, "description": "GET only: the addresses the account receives on",
                 "items": {"type": "object", "properties": {
                     "channel": {"type": "string"}, "address": {"type": "string"},
                     "display_address": {"type": ["string", "null"]}}}},
    "features": {"type": "array", "readOnly": True, "items": {"enum": [
        "autoresponders", "channels", "macros", "multi_agent", "profile_details", "spam_filtering"]},
                 "description": "what the plan gives, sorted (inbox: none); what is missing answers 403 naming "
                                "the plan, or (autoresponders, spam filtering) does not run"},
    "auto_close": {"type": "object", "properties": {"enabled": {"type": "boolean"},
                                                    "after": {"type": "string", "example": "P3D"}}},
    "sms": {"type": "object", "properties": {
        "autoresponder": {"type": "object", "properties": {"enabled": {"type": "boolean"}, "text": {"type": "string"}}},
        "notify_emails": {"type": "array", "items": {"type": "string"}}, "shorten_links": {"type": "boolean"}}},
    "webchat": {"type": "object", "properties": {"autoresponder": {"type": "object", "properties": {
        "open": {"type": "string"}, "closed": {"type": "string"}}}}},
    "office_hours": {"type": ["object", "null"]}, "support_email": {"type": ["string", "null"]},
    "help_text": {"type": ["string", "null"]}, "unread_badge": {"type": "boolean"},
    "attribution": {"type": "object", "properties": {"sms_window": {"type": "string", "example": "PT24H"}}},
    "instagram": {"type": "object", "properties": {"human_agent_tag": {
        "type": "boolean", "description": "answer up to 7 days after the customer's message (HUMAN_AGENT tag)"}}},
    "skills": {"type": "object", "description": "the AI customer agent's skills (GET /api/skills)", "properties": {
        "handoff_message": {"type": "string", "maxLength": 1000,
                            "description": "what a skill tells a customer it hands over to a person; empty: its "
                                           "own words, in the customer's language"},
        "handoff_team": {"type": "string", "maxLength": 100, "description": "who a handoff goes to"},
        "customer_hub_url": {"type": ["string", "null"], "maxLength": 500,
                             "example": "https://shop.example/pages/hub#/orders/{order_number}",
                             "description": "the customer hub's order tab (https; placeholders {order_id} and "
                                            "{order_number}); empty: none"},
        "order_editing": {"type": "object", "properties": {"enabled": {"type": "boolean"}}}}},
    "tags": {"type": "object", "description": "the auto-tagger's set: renamed or disabled tags", "properties": {
        "renamed": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 100}},
        "disabled": {"type": "array", "items": {"type": "string"}}}},
    "version": {"type": "integer"}}}


_SECONDS = {"type": "object", "properties": {"median": {"type": ["integer", "null"]},
                                             "p90": {"type": ["integer", "null"]}},
            "description": "seconds, from histograms within 5% (docs/metrics.md); null without samples"}
_REPORT = {"type": "object", "properties": {
    "rows": {"type": "array", "items": {"type": "object", "properties": {
        "key": {"type": "string", "description": "the day (YYYY-MM-DD), agent id (or `unassigned`), tag or channel"},
        "created": {"type": "integer"}, "reopened": {"type": "integer"}, "closed": {"type": "integer"},
        "auto_closed": {"type": "integer", "description": "of the closes, those by auto-close"},
        "first_response_seconds": _SECONDS, "resolution_seconds": _SECONDS,
        "skill_answered": {"type": "integer", "description": "tickets the order skill answered itself"},
        "skill_handed_off": {"type": "integer", "description": "tickets the order skill handed to a person"},
        "skill_resolved": {"type": "integer", "description": "closes of tickets only the order skill answered "
                                                            "(its deflections)"}}}},
    "definitions": {"type": "string", "description": "the version of docs/metrics.md the figures follow"}}}


def _ticket_report(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    return {
        "summary": "Ticket volume, first response and resolution times, by day (the account's time zone), "
                   "agent, tag or channel (owner, admin, manager)",
        "security": bearer,
        "parameters": [
            {"name": "from", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
            {"name": "to", "in": "query", "required": True, "schema": {"type": "string", "format": "date"},
             "description": "included; at most 366 days from `from`"},
            {"name": "group_by", "in": "query", "schema": {"enum": ["day", "agent", "tag", "channel"],
                                                           "default": "day"}},
            {"name": "business_hours", "in": "query", "schema": {"type": "boolean", "default": False},
             "description": "durations counted in the account's office hours only"},
            {"name": "format", "in": "query", "schema": {"enum": ["json", "csv"], "default": "json"}}],
        "responses": {"200": {"description": "the report (CSV: a header line, then a line per row)",
                              "content": {"application/json": {"schema": _REPORT}, "text/csv": {}}},
                      **_ERRORS, "400": _answer("a bad date, range, group_by, business_hours or format", _ERROR),
                      "403": _answer("a support agent, or not an agent", _ERROR)}}


def _answer(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if schema:
        out["content"] = {"application/json": {"schema": schema}}
    return out


_ERRORS = {"400": _answer("bad input", _ERROR), "401": _answer("missing or bad token", _ERROR),
           "403": _answer("not an agent, the role may not do this, or the account's plan lacks it "
                          "(the error names the plan)", _ERROR),
           "503": _answer("AWS failed in a way a retry may cure", _ERROR)}


def document() -> dict[str, Any]:
    from helpdesk import openapi_routing

    bearer: list[dict[str, list[str]]] = [{"cognito": []}]
    more = openapi_routing.paths(bearer, _answer, _ERRORS, _ERROR)
    return {
        "openapi": "3.1.0",  # its schemas are JSON Schema (type lists with "null"), as 3.1 has them
        "info": {"title": "Helpdesk", "version": "1"},
        "components": {
            "securitySchemes": {"cognito": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {"Ticket": _TICKET, "Message": _MESSAGE, "Agent": _AGENT, "Error": _ERROR},
        },
        "paths": {
            **more,
            "/api/tickets": {"get": {
                "summary": "A view of tickets, most recently updated first",
                "security": bearer,
                "parameters": [
                    {"name": "view", "in": "query", "schema": {"type": "string"},
                     "description": "mine (default), all, unassigned, spam, or a saved view's id (GET /api/views)"},
                    {"name": "status", "in": "query", "schema": {"enum": ["open", "snoozed", "closed"]}},
                    {"name": "next", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                ],
                "responses": {"200": _answer("a page", {"type": "object", "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Ticket"}},
                    "next": {"type": ["string", "null"]}}}), **_ERRORS},
            }},
            "/api/tickets/{ticket_id}": {
                "parameters": [{"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "get": {"summary": "A ticket with its latest 50 messages, oldest first", "security": bearer,
                        "responses": {"200": _answer("the ticket", {"allOf": [
                            {"$ref": "#/components/schemas/Ticket"},
                            {"type": "object", "properties": {"messages": {
                                "type": "array", "items": {"$ref": "#/components/schemas/Message"}},
                                **_TICKET_SCREEN}}]}),
                            "404": _answer("no such ticket", _ERROR), **_ERRORS}},
                "patch": {"summary": "Change status, assignee, snooze, tags or spam, on the ticket as it is now",
                          "security": bearer,
                          "parameters": [{"name": "If-Match", "in": "header", "schema": {"type": "string"},
                                          "description": "the version (ETag) the change is meant for"}],
                          "requestBody": {"required": True, "content": {"application/json": {"schema": _PATCH}}},
                          "responses": {"200": _answer("the ticket", {"$ref": "#/components/schemas/Ticket"}),
                                        "404": _answer("no such ticket", _ERROR),
                                        "409": _answer("If-Match named a version that is gone", _ERROR), **_ERRORS}},
            },
            "/api/tickets/bulk": {"post": {
                "summary": "One change to up to 100 tickets, each whole or not at all",
                "security": bearer,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["ids", "changes"], "additionalProperties": False, "properties": {
                        "ids": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 64},
                                "minItems": 1, "maxItems": 100},
                        "changes": _PATCH}}}}},
                "responses": {"200": _answer("a result per ticket", {"type": "object", "properties": {
                    "results": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "string"}, "status": {"type": "integer"}, "error": {"type": "string"}}}}}}),
                    **_ERRORS}}},
            "/api/agents": {
                "get": {"summary": "The agents of the caller's account", "security": bearer,
                        "responses": {"200": _answer("the agents", {"type": "object", "properties": {
                            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Agent"}}}}),
                            **_ERRORS}},
                "post": {"summary": "Invite a user by email with a role (owner, admin)", "security": bearer,
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "type": "object", "required": ["email", "role"], "additionalProperties": False,
                             "properties": {
                                 "email": {"type": "string"},
                                 "role": {"enum": ["owner", "admin", "manager", "support"]},
                                 "name": {"type": "string"}}}}}},
                         "responses": {"201": _answer("the new agent", {"$ref": "#/components/schemas/Agent"}),
                                       "409": _answer("an agent already", _ERROR), **_ERRORS}},
            },
            "/api/settings": {
                "get": {"summary": "The account's settings, defaults filled in (every helpdesk role)",
                        "security": bearer, "responses": {"200": _answer("the settings", _SETTINGS), **_ERRORS}},
                "patch": {"summary": "Merge a change into the settings (owner, admin); 400 names the bad field",
                          "security": bearer,
                          "requestBody": {"content": {"application/json": {"schema": _SETTINGS}}},
                          "responses": {"200": _answer("the settings", _SETTINGS), **_ERRORS}},
            },
            "/api/agents/me": {"get": {
                "summary": "The caller", "security": bearer,
                "responses": {"200": _answer("the caller", {"$ref": "#/components/schemas/Agent"}), **_ERRORS}}},
            "/api/agents/{agent_id}": {"patch": {
                "summary": "Change an agent's role, name or capacity, or deactivate them (owner, admin)",
                "security": bearer,
                "parameters": [{"name": "agent_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
                    "role": {"enum": ["owner", "admin", "manager", "support"]}, "active": {"type": "boolean"},
                    "name": {"type": "string"},
                    "capacity": {"type": ["integer", "null"], "minimum": 0, "maximum": 1000}}}}}},
                "responses": {"200": _answer("the agent", {"$ref": "#/components/schemas/Agent"}),
                              "404": _answer("no such agent", _ERROR),
                              "409": _answer("your own role or activity, or a change that overtook this one", _ERROR),
                              **_ERRORS}}},
            "/api/agents/me/presence": {"put": {
                "summary": "Go online (a heartbeat: again within AGENT_PRESENCE_SECONDS) or offline; "
                           "round robin only assigns to agents online and heard from",
                "security": bearer,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["status"], "additionalProperties": False,
                    "properties": {"status": {"enum": ["online", "offline"]}}}}}},
                "responses": {"200": _answer("presence set", {"type": "object", "properties": {
                    "agent_id": {"type": "string"}, "status": {"enum": ["online", "offline"]},
                    "updated_at": {"type": "string", "format": "date-time"},
                    "expires_in": {"type": ["integer", "null"]}}}), **_ERRORS}}},
            **_customer_paths(bearer),
            **_attribution_paths(bearer),
            **_kb_paths(bearer),
            **_skills_paths(bearer),
            **_order_paths(bearer),
            "/api/tickets/{ticket_id}/messages": {"get": _older_messages(bearer), "post": {
                "summary": "An agent's reply on the ticket's channel, or an internal note",
                "security": bearer,
                "parameters": [{"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "string"}},
                               {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"body": {"type": "string"}, "type": {"enum": ["reply", "note"]},
                                   "macro_id": {"type": "string", "description": "a reply: the macro, rendered"}}}}}},
                "responses": {**_ERRORS,
                              "201": _answer("stored (and sent)", {"$ref": "#/components/schemas/Message"}),
                              "404": _answer("no such ticket", _ERROR),
                              "400": _answer("empty, too long for the channel, or too many links", _ERROR),
                              "409": _answer("refused by the channel's rules or the provider (no consent, opted "
                                             "out, window closed): nothing sent", _ERROR),
                              "503": _answer("the provider is throttling or unreachable: retry with the same "
                                             "Idempotency-Key", _ERROR)}}},
            "/webhooks/instagram": {
                "get": {"summary": "Meta subscription verification (hub.challenge echoed)",
                        "responses": {"200": {"description": "the challenge"}, "403": _answer("bad token")}},
                "post": {"summary": "Instagram Messaging notifications (X-Hub-Signature-256): DMs, story replies and "
                                    "mentions, echoes, deletes",
                         "responses": {"200": _answer("taken"), "401": _answer("missing signature"),
                                       "403": _answer("bad signature"), "404": _answer("account of no brand")}}},
            "/webhooks/email": {"post": {
                "summary": "Mailgun route (form or multipart; signature = hex HMAC-SHA256(key, timestamp+token))",
                "responses": {"200": _answer("taken"), "401": _answer("missing signature"),
                              "403": _answer("bad or stale signature"),
                              "406": _answer("cannot be taken (unknown recipient, malformed): not retried"),
                              "413": _answer("too large"), "415": _answer("wrong content type")}}},
            "/webchat/sessions": {"post": {
                "summary": "A widget session: {} (anonymous) or {email, identity_hash} (verified)",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                    "email": {"type": "string"}, "identity_hash": {"type": "string"},
                    "account_id": {"type": "string"}}}}}},
                "responses": {"201": _answer("the session", {"type": "object", "properties": {
                    "token": {"type": "string"}, "visitor_id": {"type": "string"},
                    "authenticated": {"type": "boolean"}, "expires_in": {"type": "integer"}}}),
                    "403": _answer("identity_hash does not match")}}},
            "/webhooks/webchat": {"post": {
                "summary": "A widget message {type: message, conversation_id?, message_id, text} or presence "
                           "{type: presence, conversation_id, state}",
                "security": bearer,
                "responses": {"200": _answer("taken", {"type": "object", "properties": {
                    "conversation_id": {"type": "string"}, "ticket_id": {"type": "string"}}}),
                    "401": _answer("missing, bad or expired session token")}}},
            "/webhooks/webchat/{conversation_id}/messages": {"get": {
                "summary": "Agent replies since the cursor `after` (reading marks them read)",
                "security": bearer,
                "parameters": [
                    {"name": "conversation_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "after", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": _answer("replies and the next cursor"), "404": _answer("no such conversation")}}},
            "/webhooks/sms": {"post": {
                "summary": "Twilio Messaging inbound webhook (form; X-Twilio-Signature)",
                "responses": {"200": {"description": "TwiML", "content": {"text/xml": {}}},
                              "401": _answer("missing signature"), "403": _answer("bad signature"),
                              "404": _answer("number of no account")}}},
            "/api/macros": {
                "get": {"summary": "The account's macros", "security": bearer,
                        "responses": {"200": _answer("{items: [macro]}"), **_ERRORS}},
                "post": {"summary": "A new macro (owner, admin); an unknown {{variable}} is a 400",
                         "security": bearer,
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             **_MACRO_IN, "required": ["name", "body"]}}}},
                         "responses": {"201": _answer("the macro", _MACRO), **_ERRORS}}},
            "/api/macros/{macro_id}": {
                "patch": {"summary": "Change a macro's name or body (owner, admin)", "security": bearer,
                          "parameters": [{"name": "macro_id", "in": "path", "required": True,
                                          "schema": {"type": "string"}}],
                          "requestBody": {"required": True, "content": {"application/json": {"schema": _MACRO_IN}}},
                          "responses": {"200": _answer("the macro", _MACRO), "404": _answer("no such macro"),
                                        **_ERRORS}},
                "delete": {"summary": "Delete a macro (owner, admin)", "security": bearer,
                           "parameters": [{"name": "macro_id", "in": "path", "required": True,
                                           "schema": {"type": "string"}}],
                           "responses": {"204": {"description": "deleted"}, "404": _answer("no such macro"),
                                         **_ERRORS}}},
            "/api/views": {
                "get": {"summary": "The account's saved views", "security": bearer,
                        "responses": {"200": _answer("the views", {"type": "object", "properties": {
                            "items": {"type": "array", "items": _VIEW}}}), **_ERRORS}},
                "post": {"summary": "Save a view from filters (any agent); list it with GET /api/tickets?view=<id>",
                         "security": bearer,
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             **_VIEW_IN, "required": ["name"]}}}},
                         "responses": {"201": _answer("the view", _VIEW), **_ERRORS}}},
            "/api/views/{view_id}": {
                "parameters": [{"name": "view_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "patch": {"summary": "Rename, re-sort or re-filter a view (who saved it, an owner or an admin)",
                          "security": bearer,
                          "requestBody": {"required": True, "content": {"application/json": {"schema": _VIEW_IN}}},
                          "responses": {"200": _answer("the view", _VIEW), "404": _answer("no such view", _ERROR),
                                        **_ERRORS}},
                "delete": {"summary": "Delete a view (who saved it, an owner or an admin)", "security": bearer,
                           "responses": {"204": {"description": "deleted"}, "404": _answer("no such view", _ERROR),
                                         **_ERRORS}}},
            "/api/reports/tickets": {"get": _ticket_report(bearer)},
            "/api/openapi.json": {"get": {"summary": "This document", "responses": {"200": _answer("the document")}}},
            "/api/tickets/{ticket_id}/macros/{macro_id}/preview": {"get": {
                "summary": "The macro's text as a reply on this ticket would send it, every variable filled (plan "
                           "helpdesk; nothing is stored or sent)", "security": bearer,
                "parameters": [{"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "string"}},
                               {"name": "macro_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _answer("the rendered text", {"type": "object", "required": ["text"],
                                                                   "properties": {"text": {"type": "string"}}}),
                              "404": _answer("no such ticket or macro"), **_ERRORS}}},
            "/console": {"get": {"summary": "The agent console (a page of plain ES modules); without the trailing "
                                            "slash, a redirect to it",
                                 "responses": {"200": {"description": "the page", "content": {"text/html": {}}},
                                               "301": {"description": "to console/"}}}},
            "/console/config.json": {"get": {
                "summary": "The console's configuration, from this deployment's settings: the user pool's app "
                           "client and endpoint, the presence expiry",
                "responses": {"200": _answer("the configuration", {"type": "object", "properties": {
                    "cognito": {"type": "object", "properties": {
                        "endpoint": {"type": "string"}, "user_pool_id": {"type": "string"},
                        "client_id": {"type": "string"}, "revoke_tokens": {"type": "boolean"}}},
                    "presence_seconds": {"type": "integer"}}})}}},
            "/console/{name}": {"get": {
                "summary": "A file of the console (ETag; 304 when unchanged)",
                "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "the file"}, "304": {"description": "unchanged"},
                              "404": _answer("no such file")}}},
            "/console/{folder}/{name}": {"get": {
                "summary": "A file of the console's folders (ETag; 304 when unchanged)",
                "parameters": [{"name": "folder", "in": "path", "required": True, "schema": {"type": "string"}},
                               {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "the file"}, "304": {"description": "unchanged"},
                              "404": _answer("no such file")}}},
            "/webhooks/sms/status": {"post": {
                "summary": "Twilio StatusCallback of a message we sent (form; X-Twilio-Signature): its delivery "
                           "moves forward only",
                "responses": {"200": {"description": "TwiML", "content": {"text/xml": {}}},
                              "400": _answer("not a status callback"), "401": _answer("missing signature"),
                              "403": _answer("bad signature")}}},
            "/l/{code}": {"get": {
                "summary": "A shortened link of an outbound SMS: redirects and counts the click",
                "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"302": {"description": "to the original URL (Location)"},
                              "404": {"description": "no such link"}}}},
            "/webhooks/whatsapp": {
                "get": {"summary": "Meta subscription verification (hub.challenge echoed)",
                        "responses": {"200": {"description": "the challenge"}, "403": _answer("bad token")}},
                "post": {"summary": "WhatsApp Cloud API notifications (X-Hub-Signature-256)",
                         "responses": {"200": _answer("taken"), "401": _answer("missing signature"),
                                       "403": _answer("bad signature"), "404": _answer("number of no account")}}},
        },
    }
