"""Which shards this process runs: all of them (the default), or a slice, when several processes
share one PostgreSQL and together are one bot."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ShardSlice", "parse_shard_ids", "shard_of"]


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord puts a guild on."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True, slots=True)
class ShardSlice:
    """`ids` of `count` shards. A process claims jobs, takes locks and spends its share of the global
    rate limit for these shards only."""

    count: int
    ids: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError("the shard count must be at least 1")
        if (
            not self.ids
            or any(not 0 <= i < self.count for i in self.ids)
            or len(set(self.ids)) != len(self.ids)
        ):
            raise ValueError(f"shard ids must be distinct numbers from 0 to {self.count - 1}")

    @property
    def whole(self) -> bool:
        """Whether this process runs every shard (then nothing needs filtering)."""
        return len(self.ids) == self.count

    def owns(self, guild_id: int) -> bool:
        return shard_of(guild_id, self.count) in self.ids

    def share(self, rate: float) -> float:
        """This process's part of a bot-wide rate: in proportion to its shards, so the processes
        together can never exceed it."""
        return rate * len(self.ids) / self.count

    def sql(self, column: str = "guild_id") -> str:
        """A condition on `column` that holds for this slice's guilds ("" when it runs every shard).
        Only integers from the configuration are written into it."""
        if self.whole:
            return ""
        ids = ", ".join(str(int(i)) for i in self.ids)
        return f" AND ({column} >> 22) % {int(self.count)} IN ({ids})"

    def describe(self) -> str:
        return f"shards {format_ids(self.ids)} of {self.count}"


def format_ids(ids: tuple[int, ...]) -> str:
    """`(0, 1, 2, 5)` as "0-2,5"."""
    parts: list[str] = []
    ordered = sorted(ids)
    start = prev = ordered[0]
    for i in [*ordered[1:], None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if i is not None:
            start = prev = i
    return ",".join(parts)


def parse_shard_ids(raw: str, count: int) -> tuple[int, ...]:
    """ "0-4" or "0,2,5-7" as shard ids; ValueError with the reason otherwise."""
    ids: list[int] = []
    for part in raw.replace(" ", "").split(","):
        if not part:
            raise ValueError("an empty item")
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"{part!r} is not a number or a range like 0-4")
        first, last = int(low), int(high) if dash else int(low)
        if first > last:
            raise ValueError(f"the range {part!r} runs backwards")
        ids.extend(range(first, last + 1))
    if len(set(ids)) != len(ids):
        raise ValueError("a shard is listed twice")
    if any(i >= count for i in ids):
        raise ValueError(f"shard ids go from 0 to {count - 1} when SHARD_COUNT is {count}")
    return tuple(sorted(ids))
