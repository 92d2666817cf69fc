"""The exception types for problems a user can cause and fix."""


class UserError(Exception):
    """A bad config, file or checkpoint: the CLI prints the message as one line and exits 2.

    The message must say what is wrong and how to fix it.
    """


class ConfigError(UserError):
    """A config value, key, file, preset or part name the user gave is wrong."""


class CollectiveError(UserError):
    """A failure every rank of a distributed run meets together (a non-finite step, rank 0's bad config): only
    rank 0 prints its line; the others exit with the same code, silently."""


def one_line(text: object, limit: int | None = None) -> str:
    """`text` (a library's message, an exception) with its whitespace collapsed, so that it fits in a one-line
    `UserError`; `shortened` to `limit` characters when given (a message that quotes a whole file's contents)."""
    line = " ".join(str(text).split())
    return line if limit is None else shortened(line, limit)


def shortened(text: str, limit: int) -> str:
    """`text` whole if it has at most `limit` characters, else its first `limit` and how long it was (a number of
    thousands of digits, a pasted text): how every error cuts what it quotes."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"
