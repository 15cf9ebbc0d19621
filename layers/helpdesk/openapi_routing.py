"""The OpenAPI paths of teams, routing rules and the auto-tagger's preview (helpdesk/routing.py,
helpdesk/tagging.py), merged into helpdesk/openapi.py's document."""
from __future__ import annotations

from typing import Any

_PRIORITY = {"enum": ["low", "normal", "high", "urgent"]}
_CHANNEL = {"enum": ["sms", "whatsapp", "instagram", "email", "webchat"]}
_NAMES = {"type": "array", "minItems": 1, "maxItems": 50, "items": {"type": "string", "minLength": 1, "maxLength": 100}}
_TEAM = {"type": "object", "properties": {
    "id": {"type": "string"}, "name": {"type": "string"},
    "members": {"type": "array", "items": {"type": "string"}, "description": "agent ids"},
    "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}}
_TEAM_BODY = {"type": "object", "additionalProperties": False, "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 100},
    "members": {"type": "array", "maxItems": 100, "items": {"type": "string"}}}}
_RULE = {"type": "object", "additionalProperties": False, "required": ["team_id"], "properties": {
    "if": {"type": "object", "additionalProperties": False, "properties": {
        "tags_any": _NAMES, "segments_any": _NAMES,
        "channel": {"anyOf": [_CHANNEL, {"type": "array", "items": _CHANNEL}]},
        "language": {"anyOf": [{"enum": ["en", "ko"]}, {"type": "array", "items": {"enum": ["en", "ko"]}}]},
        "office_hours": {"enum": ["open", "closed"]}}},
    "team_id": {"type": "string"}, "priority": _PRIORITY}}
_RULES = {"type": "object", "properties": {"rules": {"type": "array", "items": _RULE}, "version": {"type": "integer"}}}


def paths(bearer: list[dict[str, list[str]]], answer: Any, errors: dict[str, Any], error: dict[str, Any]
          ) -> dict[str, Any]:
    team_id = [{"name": "team_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    return {
        "/api/teams": {
            "get": {"summary": "The account's teams (every role)", "security": bearer,
                    "responses": {"200": answer("the teams", {"type": "object", "properties": {
                        "items": {"type": "array", "items": _TEAM}}}), **errors}},
            "post": {"summary": "A new team (owner, admin)", "security": bearer,
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": {**_TEAM_BODY, "required": ["name"]}}}},
                     "responses": {"201": answer("the team", _TEAM), **errors,
                                   "409": answer("the account has 50 teams", error)}}},
        "/api/teams/{team_id}": {
            "parameters": team_id,
            "patch": {"summary": "Rename a team or set its members (owner, admin)", "security": bearer,
                      "requestBody": {"required": True, "content": {"application/json": {
                          "schema": {**_TEAM_BODY, "minProperties": 1}}}},
                      "responses": {"200": answer("the team", _TEAM), "404": answer("no such team", error),
                                    **errors}},
            "delete": {"summary": "Delete a team no routing rule names (owner, admin)", "security": bearer,
                       "responses": {"204": answer("deleted"), "404": answer("no such team", error),
                                     "409": answer("a routing rule sends tickets to it", error), **errors}}},
        "/api/tags/preview": {"post": {
            "summary": "The tags the auto-tagger gives a text, under the account's names; nothing is stored",
            "security": bearer,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": False, "required": ["text"],
                "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 20000}}}}}},
            "responses": {"200": answer("the tags, most confident first", {"type": "object", "properties": {
                "tags": {"type": "array", "items": {"type": "object", "properties": {
                    "name": {"type": "string"}, "confidence": {"type": "number", "minimum": 0, "maximum": 1}}}}}}),
                **errors}}},
        "/api/routing/rules": {
            "get": {"summary": "The routing rules, in order: the first match wins (every role)", "security": bearer,
                    "responses": {"200": answer("the rules", _RULES), **errors}},
            "put": {"summary": "Replace the routing rules (owner, admin); If-Match: <version> refuses a stale "
                               "editor's write", "security": bearer,
                    "parameters": [{"name": "If-Match", "in": "header", "schema": {"type": "string"}}],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "additionalProperties": False, "required": ["rules"], "properties": {
                            "rules": {"type": "array", "maxItems": 50, "items": _RULE}}}}}},
                    "responses": {"200": answer("the rules as stored", _RULES),
                                  "409": answer("the rules changed meanwhile", error), **errors}}},
    }
