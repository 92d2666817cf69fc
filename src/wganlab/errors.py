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
