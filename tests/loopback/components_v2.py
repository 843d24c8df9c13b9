"""Components V2 messages in the loopback: what Discord refuses about them, and their text for assertions.

From Discord's documentation (components/reference, resources/message, the 2025-04-29 change log) and
the OpenAPI spec:

- The IS_COMPONENTS_V2 flag (1 << 15) makes `components` the whole message: `content`, `embeds`,
  `sticker_ids` and `poll` can't be sent beside it (400). Once set it can't be removed; an edit that
  sets it must reset `content` to null and `embeds` to [] if the message had them.
- Without the flag a message holds only action rows, at most 5 (legacy behaviour); Text Display,
  Container, Section, Separator, Media Gallery, File and Thumbnail need the flag.
- A message holds at most 40 components in all, nested ones included; the text of all its Text
  Displays together is at most 4,000 characters (the spec limits one Text Display to 4,000; discord.py's
  LayoutView.content_length documents the total).
- Mentions in a Text Display ping as `content` mentions would, under `allowed_mentions`.
The schema (Container `spoiler`, Text Display `content` of 1 to 4,000, which children a Container may
hold) is already checked by spec.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import Message

IS_COMPONENTS_V2 = 1 << 15
COMPONENT_LIMIT = 40
TEXT_LIMIT = 4000
LEGACY_ROWS = 5
ACTION_ROW, TEXT_DISPLAY, CONTAINER = 1, 10, 17
V2_ONLY = frozenset(
    {9, 10, 11, 12, 13, 14, 17}
)  # section, text display, thumbnail, gallery, file, separator, container


def walk(components: Any) -> Iterator[dict[str, Any]]:
    """Every component, depth first: children, a section's accessory and a label's component included."""
    for comp in components or []:
        if not isinstance(comp, dict):
            continue
        yield comp
        yield from walk(comp.get("components"))
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                yield from walk([comp[key]])


def texts(components: Any, *, spoiler: bool | None = None) -> list[str]:
    """The Text Display contents, in order; only those inside (True) or outside (False) a spoiler
    Container when `spoiler` is given."""
    out: list[str] = []

    def visit(items: Any, hidden: bool) -> None:
        for comp in items or []:
            if not isinstance(comp, dict):
                continue
            inside = hidden or (comp.get("type") == CONTAINER and bool(comp.get("spoiler")))
            if comp.get("type") == TEXT_DISPLAY and (spoiler is None or spoiler == inside):
                out.append(str(comp.get("content") or ""))
            visit(comp.get("components"), inside)

    visit(components, False)
    return out


def mention_text(content: str, components: Any) -> str:
    """The text whose mentions can ping: the content and every Text Display."""
    return "\n".join(part for part in [content, *texts(components)] if part)


def _has(value: Any) -> bool:
    return value not in (None, "", [])


def body_problems(payload: dict[str, Any], *, creating: bool) -> list[str]:
    """What Discord refuses in one message payload (create or edit) on its own; an edit's rules that
    depend on the message already there are in edit_problems."""
    problems: list[str] = []
    components = payload.get("components") or []
    v2 = bool(int(payload.get("flags") or 0) & IS_COMPONENTS_V2)
    if v2:
        for key in ("content", "embeds", "sticker_ids", "poll"):
            if _has(payload.get(key)):
                problems.append(
                    f"{key}: not allowed with the IS_COMPONENTS_V2 flag (text goes in a Text Display)"
                )
    all_components = list(walk(components))
    if v2 or any(c.get("type") in V2_ONLY for c in all_components):
        if len(all_components) > COMPONENT_LIMIT:
            problems.append(
                f"components: {len(all_components)} in all (nested ones count), the limit is {COMPONENT_LIMIT}"
            )
        total = sum(len(t) for t in texts(components))
        if total > TEXT_LIMIT:
            problems.append(f"components: Text Displays total {total} characters, the limit is {TEXT_LIMIT}")
    if not v2 and creating:
        problems.extend(legacy_problems(components))
    return problems


def legacy_problems(components: Any) -> list[str]:
    """A message without the flag: action rows only, at most 5."""
    problems = [
        f"components/{i}: type {c.get('type')} needs the IS_COMPONENTS_V2 flag (only action rows without it)"
        for i, c in enumerate(components or [])
        if isinstance(c, dict) and c.get("type") != ACTION_ROW
    ]
    if len(components or []) > LEGACY_ROWS:
        problems.append(
            f"components: {len(components)} action rows, the limit is {LEGACY_ROWS} without the flag"
        )
    return problems


def edit_problems(message: Message, body: dict[str, Any]) -> list[str]:
    """What Discord refuses in an edit of `message`, given what the message already is."""
    was_v2 = bool(message.flags & IS_COMPONENTS_V2)
    flags = body.get("flags")
    if was_v2 and flags is not None and not int(flags) & IS_COMPONENTS_V2:
        return ["flags: the IS_COMPONENTS_V2 flag can't be removed from a message"]
    setting = flags is not None and bool(int(flags) & IS_COMPONENTS_V2)
    if was_v2 or setting:
        problems = [
            f"{key}: not allowed on a message with the IS_COMPONENTS_V2 flag"
            for key in ("content", "embeds")
            if _has(body.get(key))
        ]
        if setting and not was_v2:
            if message.content and body.get("content", message.content):
                problems.append("content: must be reset to null when the IS_COMPONENTS_V2 flag is set")
            if message.embeds and body.get("embeds", message.embeds):
                problems.append("embeds: must be reset to [] when the IS_COMPONENTS_V2 flag is set")
        return problems
    return legacy_problems(body["components"]) if "components" in body else []
