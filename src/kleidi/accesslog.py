"""Access logs that never hold a link's token (R24, DESIGN §6).

A password link's path carries its token, and a line in an access log is as
good as the link until it is used. Every log Kleidi writes goes through
`mask`: the `django.server` log of `kleidi demo` (runserver), Django's own
request warnings, and gunicorn's access log through `GunicornLogger`
(`gunicorn --logger-class kleidi.accesslog.GunicornLogger`).
"""

import logging
import re

LINK_PATH = re.compile(r"(/password/link/)[^/\s?#\"']+", re.IGNORECASE)
MASK = "[masked]"


def mask(text: str) -> str:
    """`text` with the token of every link path replaced by a fixed mark."""
    return LINK_PATH.sub(rf"\g<1>{MASK}", text)


class MaskLinks(logging.Filter):
    """A logging filter that masks link tokens in the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text, so the traceback is masked as well.
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        return True


def __getattr__(name: str):
    """`GunicornLogger`, built on first use: every `kleidi` command loads this module
    through the logging settings, and only gunicorn's own processes need gunicorn."""
    if name != "GunicornLogger":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    logger_class = _gunicorn_logger()
    globals()[name] = logger_class
    return logger_class


def _gunicorn_logger():
    from gunicorn.glogging import Logger

    class GunicornLogger(Logger):
        """Gunicorn's logger: every access-log field masked, and its error log too.

        The error log names the request's URI when a request fails
        ("Error handling request /password/link/...").
        """

        def setup(self, cfg):
            super().setup(cfg)
            self.error_log.addFilter(MaskLinks())

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            return {key: mask(v) if isinstance(v, str) else v for key, v in atoms.items()}

    GunicornLogger.__qualname__ = "GunicornLogger"
    return GunicornLogger
