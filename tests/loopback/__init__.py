"""A loopback Discord that the real, unmodified discord.py client connects to in tests."""

from .actor import Actor, ClientRefused, Reply
from .server import BOT_TOKEN, DiscordError, Fault, LoopbackDiscord, running
from .state import Channel, ChannelType, Guild, Member, Message, Overwrite, Role, User

__all__ = [
    "BOT_TOKEN",
    "Actor",
    "Channel",
    "ChannelType",
    "ClientRefused",
    "DiscordError",
    "Fault",
    "Guild",
    "LoopbackDiscord",
    "Member",
    "Message",
    "Overwrite",
    "Reply",
    "Role",
    "User",
    "running",
]
