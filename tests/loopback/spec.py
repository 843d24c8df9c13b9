"""Validate request bodies against Discord's OpenAPI spec, plus the limits the spec leaves out."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from . import components_v2

# A copy of ../shared/discord-api-spec/openapi.json (MIT, see openapi.LICENSE), kept in the repo so a
# clean clone can run the tests; tests/test_loopback.py checks it still matches the shared one.
SPEC_PATH = Path(__file__).resolve().parent / "openapi.json"
SHARED_SPEC_PATH = Path(__file__).resolve().parents[3] / "shared" / "discord-api-spec" / "openapi.json"


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    schema: dict[str, Any] | None


@functools.cache
def _load() -> tuple[dict[str, Any], list[Operation]]:
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    # Discord documents snowflakes as strings but accepts integers in request bodies, and
    # discord.py sends integers in places (allowed_mentions.roles/users); the spec only has strings.
    snowflake = spec["components"]["schemas"]["SnowflakeType"]
    spec["components"]["schemas"]["SnowflakeType"] = {
        "anyOf": [snowflake, {"type": "integer", "minimum": 0, "maximum": 2**64 - 1}]
    }
    ops: list[Operation] = []
    for template, item in spec["paths"].items():
        regex = "^" + re.sub(r"\\\{[a-z_]+\\\}", r"[^/]+", re.escape(template)) + "$"
        for method, op in item.items():
            if method == "parameters":
                continue
            content = (op.get("requestBody") or {}).get("content", {})
            schema = (content.get("application/json") or {}).get("schema")
            ops.append(Operation(method.upper(), template, re.compile(regex), schema))
    # Literal segments beat parameters: /messages/@original must not match /messages/{message_id}.
    ops.sort(key=lambda o: (o.template.count("{"), -len(o.template)))
    return spec, ops


def find_operation(method: str, path: str) -> Operation | None:
    _spec, ops = _load()
    for op in ops:
        if op.method == method and op.pattern.match(path):
            return op
    return None


@functools.cache
def _validator(method: str, template: str) -> Draft202012Validator | None:
    spec, ops = _load()
    op = next(o for o in ops if o.method == method and o.template == template)
    if op.schema is None:
        return None
    # Put the components beside the operation's schema so '#/components/...' resolves.
    root = {**op.schema, "components": spec["components"]}
    return Draft202012Validator(root)


def validate_body(method: str, path: str, body: Any) -> list[str]:
    """Problems with `body` for `method path`, as readable strings (empty when valid)."""
    op = find_operation(method, path)
    if op is None:
        return [f"{method} {path} is not an endpoint in Discord's OpenAPI spec"]
    problems: list[str] = []
    if body is not None:
        problems.extend(_schema_problems(op.method, op.template, json.dumps(body, sort_keys=True)))
    problems.extend(check_limits(body, creating=method == "POST"))
    return problems


@functools.lru_cache(maxsize=256)
def _schema_problems(method: str, template: str, body_json: str) -> tuple[str, ...]:
    """The schema's complaints about one body. Cached by the body's exact JSON: every bot start syncs
    the same command set, and validating it costs about 0.2 s (measured); the result is the same."""
    validator = _validator(method, template)
    if validator is None:
        return ()
    typed = _numeric_bitfields(json.loads(body_json))
    return tuple(
        f"{'/'.join(str(p) for p in error.absolute_path) or '(body)'}: {_short(error)}"
        for error in sorted(validator.iter_errors(typed), key=lambda e: list(e.absolute_path))
    )


@functools.cache
def _schema_validator(name: str) -> Draft202012Validator:
    spec, _ops = _load()
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": spec["components"]})


def validate_schema(name: str, body: Any) -> list[str]:
    """Problems with `body` against one named schema of the spec, for a route whose request schema is
    a union only the loopback's state can narrow (a rule update is checked as its rule's trigger type)."""
    validator = _schema_validator(name)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(body)'}: {_short(error)}"
        for error in sorted(
            validator.iter_errors(_numeric_bitfields(body)), key=lambda e: list(e.absolute_path)
        )
    ]


# Permission bitfields outgrow JavaScript's integers, so Discord documents them as strings and
# accepts a string of digits (discord.py always sends one); the OpenAPI spec types them as integers.
_BITFIELDS = frozenset({"permissions", "allow", "deny", "default_member_permissions"})


def _numeric_bitfields(body: Any) -> Any:
    """The body with string-encoded permission bitfields read as the integers Discord takes them for."""
    if isinstance(body, list):
        return [_numeric_bitfields(item) for item in body]
    if not isinstance(body, dict):
        return body
    return {
        key: int(value)
        if key in _BITFIELDS and isinstance(value, str) and value.isdigit()
        else _numeric_bitfields(value)
        for key, value in body.items()
    }


_DISCRIMINATORS = (["type"], ["trigger_type"])


def _short(error: Any) -> str:
    best = error
    while best.context:
        # A oneOf/anyOf failed: explain the branch the body was meant for, which is the one whose
        # discriminator (`type`, an AutoMod rule's `trigger_type`) matched, or else the branch with the
        # fewest complaints.
        branches: dict[Any, list[Any]] = {}
        for sub in best.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        candidates = [
            errs
            for errs in branches.values()
            if not any(list(e.relative_path) in _DISCRIMINATORS for e in errs)  # wrong discriminator
            and not any(e.validator == "type" and not list(e.relative_path) for e in errs)  # wrong JSON type
        ]
        chosen = min(candidates or list(branches.values()), key=len)
        best = max(chosen, key=lambda e: len(list(e.absolute_path)))
    where = "/".join(str(p) for p in best.absolute_path)
    message = f"{where}: {best.message}" if where and best is not error else str(best.message)
    return message if len(message) < 300 else message[:297] + "..."


# -- limits the schema does not carry (Discord's documentation) -------------------------------------
EMBED_TOTAL = 6000


def check_limits(body: Any, *, creating: bool = True) -> list[str]:
    """Documented limits the schema leaves out; `creating` a message rather than editing one."""
    if not isinstance(body, dict):
        return []
    problems: list[str] = []
    payloads = [body]
    if isinstance(body.get("data"), dict):  # interaction callbacks wrap the message in data
        payloads.append(body["data"])
    if isinstance(body.get("message"), dict):  # forum posts wrap the first message
        payloads.append(body["message"])
    for payload in payloads:
        wrapped = payload is body.get("data")
        if not (wrapped and body.get("type") == 9):  # a modal's components are no message's
            updating = wrapped and body.get("type") == 7  # a component's update of its message is an edit
            problems.extend(components_v2.body_problems(payload, creating=creating and not updating))
        content = payload.get("content")
        if isinstance(content, str) and len(content) > 2000:
            problems.append(f"content: {len(content)} characters, the limit is 2000")
        embeds = [e for e in payload.get("embeds") or [] if isinstance(e, dict)]
        if len(embeds) > 10:
            problems.append(f"embeds: {len(embeds)}, the limit is 10")
        for i, embed in enumerate(embeds):
            problems.extend(f"embeds/{i}/{p}" for p in _embed_problems(embed))
        # Discord counts the 6,000 characters across every embed of a message, not per embed.
        total = sum(_embed_text_length(e) for e in embeds)
        if total > EMBED_TOTAL and len(embeds) > 1:
            problems.append(f"embeds: {total} characters in all, the limit is {EMBED_TOTAL} per message")
        problems.extend(_mention_problems(payload.get("allowed_mentions")))
        problems.extend(_component_problems(payload.get("components") or []))
        choices = payload.get("choices")
        if isinstance(choices, list):
            problems.extend(_choice_problems(choices))
    return problems


def _choice_problems(choices: list[Any]) -> list[str]:
    """Autocomplete choices. The OpenAPI spec lets a string value run to 6,000 characters, but Discord
    refuses more than 100 (Application Commands docs, Application Command Option Choice Structure)."""
    problems = [f"choices: {len(choices)}, the limit is 25"] if len(choices) > 25 else []
    for i, choice in enumerate(choices):
        if not isinstance(choice, dict):
            continue
        value = choice.get("value")  # (the spec itself holds names to 100)
        if isinstance(value, str) and len(value) > 100:
            problems.append(f"choices/{i}/value: {len(value)} characters, the limit is 100")
    return problems


def _embed_problems(embed: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    total = 0

    def measure(label: str, value: Any, limit: int) -> None:
        nonlocal total
        if isinstance(value, str):
            total += len(value)
            if len(value) > limit:
                problems.append(f"{label}: {len(value)} characters, the limit is {limit}")

    measure("title", embed.get("title"), 256)
    measure("description", embed.get("description"), 4096)
    fields = embed.get("fields") or []
    if len(fields) > 25:
        problems.append(f"fields: {len(fields)}, the limit is 25")
    for i, field in enumerate(fields):
        measure(f"fields/{i}/name", field.get("name"), 256)
        measure(f"fields/{i}/value", field.get("value"), 1024)
        if not field.get("name") or not field.get("value"):
            problems.append(f"fields/{i}: name and value must both be non-empty")
    measure("footer/text", (embed.get("footer") or {}).get("text"), 2048)
    measure("author/name", (embed.get("author") or {}).get("name"), 256)
    if total > EMBED_TOTAL:
        problems.append(f"embed text totals {total} characters, the limit is {EMBED_TOTAL}")
    return problems


def _embed_text_length(embed: dict[str, Any]) -> int:
    """The characters Discord counts toward a message's 6,000: title, description, field names and
    values, footer text and author name."""
    parts = [embed.get("title"), embed.get("description")]
    for field in embed.get("fields") or []:
        parts += [field.get("name"), field.get("value")]
    parts += [(embed.get("footer") or {}).get("text"), (embed.get("author") or {}).get("name")]
    return sum(len(p) for p in parts if isinstance(p, str))


def _mention_problems(allowed: Any) -> list[str]:
    if not isinstance(allowed, dict):
        return []
    problems: list[str] = []
    parse = allowed.get("parse") or []
    for kind in ("users", "roles"):
        if kind in parse and allowed.get(kind):
            problems.append(
                f"allowed_mentions: parse {kind!r} together with a {kind} list is refused by Discord"
            )
    return problems


def _component_problems(components: list[Any], depth: int = 0) -> list[str]:
    problems: list[str] = []
    for comp in components:
        if not isinstance(comp, dict):
            continue
        custom_id = comp.get("custom_id")
        if isinstance(custom_id, str) and not 1 <= len(custom_id) <= 100:
            problems.append(f"components: custom_id of {len(custom_id)} characters, 1 to 100 allowed")
        label = comp.get("label")
        if isinstance(label, str) and len(label) > 80:
            problems.append(f"components: label of {len(label)} characters, the limit is 80")
        if comp.get("type") == 4 and (comp.get("max_length") or 0) > 4000:  # a text input
            problems.append("components: a text input's max_length is at most 4000")
        if comp.get("type") == 1 and len(comp.get("components") or []) > 5:
            problems.append("components: an action row holds at most 5 components")
        problems.extend(_component_problems(comp.get("components") or [], depth + 1))
        if isinstance(comp.get("component"), dict):
            problems.extend(_component_problems([comp["component"]], depth + 1))
    return problems
