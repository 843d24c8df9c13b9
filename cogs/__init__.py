"""Features: each module or package here is one discord.py extension, loaded at start-up."""
