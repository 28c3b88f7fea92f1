"""Errors that end a command with a one-line reason for the analyst (in Vietnamese)."""


class HoctapError(Exception):
    """A command cannot go on: bad arguments or unusable inputs. The message is for people."""
