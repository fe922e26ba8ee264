"""The one exception type a user's mistake raises: the CLI prints it as one line."""


class UserError(Exception):
    """A mistake the user can fix (bad path, bad option, unreachable server).

    The command line prints ``servicepulse: error: <message>`` and exits 2;
    never a traceback.
    """
