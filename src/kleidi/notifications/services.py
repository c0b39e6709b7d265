"""Writing messages to the outbox (R30): rendering, queueing, queueing again.

`queue_message` renders a message (Greek first, then English, in one mail)
and writes it in the caller's transaction; once that transaction commits a
task asks the worker to deliver (`kleidi.notifications.tasks`), which sends
what is due and backs off exponentially on failure
(`kleidi.notifications.delivery`), so nothing is lost while SMTP is down.
"""

import functools
import re
from html import escape as html_escape

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from kleidi.bulk import insert_rows, insert_values
from kleidi.notifications.models import OutboxMessage, OutboxStatus
from kleidi.notifications.tasks import schedule_delivery

TO_CHARS = OutboxMessage._meta.get_field("to").max_length
SUBJECT_CHARS = OutboxMessage._meta.get_field("subject").max_length


LANGUAGES = ("el", "en")
_PARAGRAPH = re.compile(r"\n\s*\n")
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


def text_to_html(text: str) -> str:
    """Escaped paragraphs with clickable links.

    Django's `urlize` was most of the cost of rendering a message (a bulk sheet
    writes thousands); message bodies only ever contain plain http(s) links.
    The escaping is `html.escape`, what Django's `escape` does without its
    lazy-string wrapper (a tenth of a 40,000-welcome import went to that wrapper).
    Each paragraph's HTML depends on that paragraph alone, so the paragraphs
    that every message of a template shares are converted once (one holding
    a sealed link is unique to its message and never kept).
    """
    return "\n".join(
        [
            _paragraph_html(block) if "~k" not in block else _convert(block)
            for block in _PARAGRAPH.split(text.strip())
        ]
    )


def _convert(block: str) -> str:
    pieces, last = [], 0
    for match in _URL.finditer(block):
        url = html_escape(match.group(0))
        pieces += [html_escape(block[last : match.start()]), f'<a href="{url}">{url}</a>']
        last = match.end()
    pieces.append(html_escape(block[last:]))
    return "<p>" + "".join(pieces).replace("\n", "<br>") + "</p>"


_paragraph_html = functools.lru_cache(maxsize=256)(_convert)


def _render_raw(template: str, lang: str, context: dict) -> str:
    with translation.override(lang):
        return render_to_string(
            f"notifications/email/{template}.{lang}.txt", {**context, "lang": lang}
        )


def _assemble(raws: list[str], layout=None) -> tuple[str, str, str]:
    """Subject, text and HTML from each language's rendered template (render_message's end)."""
    subjects, bodies = [], []
    for rendered in raws:
        subject, _, body = rendered.strip().partition("\n")
        subjects.append(subject.strip())
        bodies.append(body.strip())
    subject = " / ".join(dict.fromkeys(subjects))
    text = f"{bodies[0]}\n\n-- English --\n\n{bodies[1]}\n"
    parts = [mark_safe(text_to_html(body)) for body in bodies]  # noqa: S308 (escaped above)
    if layout is None:
        html = render_to_string("notifications/email/layout.html", {"parts": parts})
    else:
        html = layout.fill(parts)
    return subject, text, html


def render_message(template: str, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML of `template` in Greek followed by English.

    Each `notifications/email/<template>.<lang>.txt` has the subject on its
    first line, a blank line, then the body.
    """
    return _assemble([_render_raw(template, lang, context) for lang in LANGUAGES])


# --------------------------------------------------------------------------
# Many messages of one template: render once, substitute what differs.
#
# A sheet's 10,000 welcomes differ only in the username and the link. Each
# language's template is rendered once with a marker in place of each such
# value and the real values are put in its place; what follows (subject, text,
# HTML) is render_message's own code. This is exact only where a value is
# printed as it is, so it is used only when (1) the template's source uses
# each differing variable as a plain `{{ name }}` and nowhere else (no filter,
# no `{% if %}`, no include or inheritance), (2) two renders with different
# markers differ only by the markers (so nothing escaped or transformed them),
# and (3) every differing value is a non-empty string without a NUL. Anything
# else is rendered message by message, as before.

_MARK = "\x00kleidi-{}-{}\x00"
_TAG = re.compile(r"({%.*?%}|{{.*?}}|{#.*?#})", re.DOTALL)


def _marks(names, salt: str) -> dict[str, str]:
    return {name: _MARK.format(salt * (i + 1), i) for i, name in enumerate(names)}


def _plain_uses_only(source: str, names: list[str]) -> bool:
    for tag in _TAG.findall(source):
        if tag.startswith("{%") and re.match(r"{%\s*(include|extends|block)\b", tag):
            return False
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", tag))
        for name in names:
            if name in words and not re.fullmatch(r"{{\s*" + re.escape(name) + r"\s*}}", tag):
                return False
    return True


class _Skeleton:
    """One rendering with markers, filled in per message by plain replacement."""

    def __init__(self, rendered: str, marks: dict[str, str]):
        self.rendered = rendered
        self.marks = marks

    def fill(self, values) -> str:
        text = self.rendered
        items = values.items() if isinstance(values, dict) else enumerate(values)
        for name, value in items:
            text = text.replace(self.marks[name], value)
        return text


def _skeleton(render, names: list) -> _Skeleton | None:
    """`render(values)` with markers, if two marker sets differ only by the markers."""
    first, second = _marks(names, "a"), _marks(names, "bb&<")
    rendered, other = render(first), render(second)
    swapped, markers = rendered, 0
    for name in names:
        markers += rendered.count(first[name])
        swapped = swapped.replace(first[name], second[name])
    # Every NUL must belong to a marker, so that a value can never complete another one.
    if swapped != other or rendered.count("\x00") != 2 * markers:
        return None
    return _Skeleton(rendered, first)


def _layout_skeleton() -> _Skeleton | None:
    def render(marks):
        parts = [mark_safe(marks[i]) for i in range(len(LANGUAGES))]  # noqa: S308 (markers)
        return render_to_string("notifications/email/layout.html", {"parts": parts})

    return _skeleton(render, list(range(len(LANGUAGES))))


def _message_skeletons(template: str, context: dict, varying: list[str]):
    """Each language's skeleton of `template`, or None when substitution is not exact."""
    from django.template.loader import get_template

    skeletons = []
    for lang in LANGUAGES:
        name = f"notifications/email/{template}.{lang}.txt"
        source = getattr(getattr(get_template(name), "template", None), "source", None)
        if source is None or not _plain_uses_only(source, varying):
            return None
        skeleton = _skeleton(
            lambda marks, lang=lang: _render_raw(template, lang, {**context, **marks}), varying
        )
        if skeleton is None:
            return None
        skeletons.append(skeleton)
    return skeletons


def _substitutable(value) -> bool:
    return isinstance(value, str) and value != "" and "\x00" not in value


def render_messages(template: str, contexts: list[dict]) -> list[tuple[str, str, str]]:
    """`render_message` of each context, rendering the template once where that is exact."""
    if len(contexts) < 2:
        return [render_message(template, context) for context in contexts]
    first = contexts[0]
    keys = set(first)
    varying = sorted(
        {key for context in contexts for key in context if context.get(key) != first.get(key)}
    )
    if "lang" in varying or any(set(context) != keys for context in contexts):
        return [render_message(template, context) for context in contexts]
    constant = {key: first[key] for key in keys if key not in varying}
    skeletons = _message_skeletons(template, constant, varying) if varying else None
    layout = _layout_skeleton()
    results = []
    for context in contexts:
        if skeletons is not None and all(_substitutable(context[k]) for k in varying):
            values = {key: context[key] for key in varying}
            raws = [skeleton.fill(values) for skeleton in skeletons]
        else:
            raws = [_render_raw(template, lang, context) for lang in LANGUAGES]
        results.append(_assemble(raws, layout))
    return results


def queue_message(template: str, *, to: str, context: dict, account=None) -> OutboxMessage:
    """Write one message to the outbox in the current transaction."""
    return queue_messages(template, [(to, context, account)])[0]


def queue_messages(template: str, messages: list[tuple[str, dict, object]]) -> list[OutboxMessage]:
    """Write many messages of one template in one INSERT (bulk sheets write thousands).

    `messages` holds (to, context, account) triples; delivery is scheduled once.
    """
    rendered = render_messages(template, [context for _, context, _ in messages])
    rows = [
        OutboxMessage(
            template=template,
            to=to,
            subject=subject[:SUBJECT_CHARS],
            body_text=text,
            body_html=html,
            account=account,
        )
        for (to, _, account), (subject, text, html) in zip(messages, rendered, strict=True)
    ]
    insert_rows(rows, returning=True)
    _schedule(rows)
    return rows


# The columns `write_messages` fills; the others keep their defaults.
_MESSAGE_FIELDS = (
    "created_at",
    "template",
    "to",
    "subject",
    "body_text",
    "body_html",
    "account",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "sent_at",
)


def write_messages(template: str, messages: list[tuple[str, dict, object]]) -> int:
    """`queue_messages` without building the model instances; returns how many were written.

    The same rows (rendering, subject, defaults) for callers that do not need
    the messages afterwards, such as a sheet's welcomes.
    """
    if not messages:
        return 0
    rendered = render_messages(template, [context for _, context, _ in messages])
    now = timezone.now()
    pending = OutboxStatus.PENDING.value
    rows = [
        (
            now,
            template,
            to,
            subject[:SUBJECT_CHARS],
            text,
            html,
            account.pk if account is not None else None,
            pending,
            0,
            now,
            "",
            None,
        )
        for (to, _, account), (subject, text, html) in zip(messages, rendered, strict=True)
    ]
    insert_values(OutboxMessage, _MESSAGE_FIELDS, rows)
    _schedule(rows)
    return len(rows)


def _schedule(created) -> None:
    if created and not _delivery_scheduled():
        transaction.on_commit(schedule_delivery)


def _delivery_scheduled() -> bool:
    """Is a delivery already waiting for this transaction's commit? One is enough."""
    connection = transaction.get_connection()
    return any(func is schedule_delivery for _, func, _ in connection.run_on_commit)


def retry_unsent(ids: list[int] | None = None) -> tuple[list[int], list[int]]:
    """Put unsent messages (all waiting or failed ones, or the given ids) back in the queue now.

    A message being sent is left to its worker. Returns (requeued ids, skipped ids).
    """
    with transaction.atomic():
        chosen = OutboxMessage.objects.filter(
            status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED]
        )
        if ids:
            chosen = chosen.filter(pk__in=ids)
        requeued = sorted(chosen.select_for_update().values_list("pk", flat=True))
        OutboxMessage.objects.filter(pk__in=requeued).update(
            status=OutboxStatus.PENDING, next_attempt_at=timezone.now(), attempts=0
        )
        if requeued:
            transaction.on_commit(schedule_delivery)
    return requeued, sorted(set(ids or []) - set(requeued))


def retry_failed(ids: list[int] | None = None) -> int:
    """Put unsent (or the given) messages back in the queue now; how many."""
    return len(retry_unsent(ids)[0])
