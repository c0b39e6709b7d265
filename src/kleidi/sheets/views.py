"""Secretariat sheet pages: thin shells over kleidi.sheets.services (R8, R19).

Every view requires the sheets permission and the upload's school in the
user's scope; an upload outside it is "not found", like one that does not exist.
"""

import datetime as dt
from collections import defaultdict
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from kleidi.accounts.selectors import can_act_for_school, schools_for
from kleidi.errors import message
from kleidi.language import resolve
from kleidi.request import client_ip
from kleidi.sheets import headers, reports, selectors, services
from kleidi.sheets.forms import UploadForm
from kleidi.sheets.models import SheetKind, SheetState, SheetUpload
from kleidi.sheets.reader import SheetError, read_sheet
from kleidi.sheets.validation import CREATE, REACTIVATE, RENEW, UPDATE, shorten
from kleidi.sheets.validation import render as render_error

PREVIEW_ALL_ROWS = 500
CHANGES = (CREATE, REACTIVATE, RENEW, UPDATE)
PREVIEW_MAX_ROWS = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _upload_for(request, pk) -> SheetUpload:
    _require(request, "sheets.view_sheetupload")
    upload = (
        SheetUpload.objects.select_related("school", "uploaded_by", "applied_by")
        .filter(pk=pk)
        .first()
    )
    if upload is None or not can_act_for_school(request.user, upload.school):
        raise Http404
    return upload


@login_required
def index(request):
    _require(request, "sheets.view_sheetupload")
    form = UploadForm(user=request.user)
    if request.method == "POST":
        _require(request, "sheets.add_sheetupload")
        form = UploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            upload = services.upload_sheet(
                content=form.cleaned_data["file"].read(),
                filename=form.cleaned_data["file"].name,
                school=form.cleaned_data["school"],
                kind=form.cleaned_data["kind"],
                actor=request.user,
                client_ip=client_ip(request),
            )
            return redirect("sheets:detail", pk=upload.pk)
    uploads = list(
        SheetUpload.objects.filter(school__in=schools_for(request.user))
        .select_related("school", "uploaded_by")
        .defer("content", "result")[:50]
    )
    for upload in uploads:
        services.recover_stale(upload)
    return render(
        request,
        "sheets/index.html",
        {
            "form": form,
            "uploads": uploads,
            "max_mb": max(1, settings.SHEET_MAX_BYTES // 2**20),
            "max_rows": settings.SHEET_MAX_ROWS,
        },
    )


def _anchor(row: int, field: str | None) -> str:
    """The id of a preview cell (`r12-external_email`), or of its row's outcome cell."""
    return f"r{row}-{field or 'outcome'}"


def _preview(upload: SheetUpload, result: dict, *, errors_only: bool = False) -> dict:
    """The uploaded rows with each erroneous cell and its messages, and the list of
    every row error (issue 12 §5), each pointing at its cell."""
    sheet_kind = headers.RENEWAL if upload.kind == SheetKind.RENEWAL else headers.PROVISIONING
    try:
        rows = read_sheet(bytes(upload.content)).rows
    except SheetError:
        return {}
    found = headers.find_header(rows, sheet_kind)
    if found is None:
        return {}
    position, mapping = found
    column_of = {index: name for name, index in mapping.columns.items()}
    header_cells = rows[position][1]
    by_row = defaultdict(lambda: defaultdict(list))
    for entry in result.get("errors", []):
        if entry.get("row") is not None:
            by_row[entry["row"]][entry.get("column")].append(render_error(entry))
    outcome = {o["row"]: o["action"] for o in result.get("outcomes", [])}
    data = rows[position + 1 :]
    only_errors = errors_only or len(data) > PREVIEW_ALL_ROWS
    width = len(header_cells)
    table = []
    for number, cells in data:
        problems = by_row.get(number, {})
        if only_errors and not problems:
            continue
        row_cells = []
        for index in range(width):
            value = cells[index] if index < len(cells) else ""
            if isinstance(value, str):
                value = shorten(value)  # a cell may hold up to 4,000 characters
            name = column_of.get(index)
            row_cells.append(
                {
                    "value": value,
                    "field": name,
                    "anchor": _anchor(number, name) if name else "",
                    "messages": problems.get(name, []) if name else [],
                }
            )
        unplaced = [
            m for column, msgs in problems.items() for m in msgs if column not in mapping.columns
        ]
        table.append(
            {
                "number": number,
                "cells": row_cells,
                "action": outcome.get(number, ""),
                "anchor": _anchor(number, None),
                "other": unplaced,
            }
        )
        if len(table) >= PREVIEW_MAX_ROWS:
            break
    shown = {row["number"] for row in table}
    language = resolve()
    error_list = [
        {
            "row": entry["row"],
            "column": _column_name(entry.get("column"), mapping, header_cells, language),
            "message": render_error(entry),
            "code": entry["code"],
            "anchor": _anchor(entry["row"], _placed(entry.get("column"), mapping)),
        }
        for entry in result.get("errors", [])
        if entry.get("row") in shown
    ]
    return {
        "header": [
            {"text": shorten(h) if isinstance(h, str) else h, "field": column_of.get(i)}
            for i, h in enumerate(header_cells)
        ],
        "rows": table,
        "errors": error_list,
        "errors_cut": sum(1 for e in result.get("errors", []) if e.get("row") is not None)
        > len(error_list),
        "only_errors": only_errors,
        "large": len(data) > PREVIEW_ALL_ROWS,
        "header_row": mapping.row,
    }


def _placed(field: str | None, mapping) -> str | None:
    """The field if the sheet has its column (its cell has an anchor), else None."""
    return field if field in mapping.columns else None


def _column_name(field: str | None, mapping, header_cells: list, language: str) -> str:
    """The column as the sheet names it (its own header), else Kleidi's label for the field."""
    if not field:
        return ""
    index = mapping.columns.get(field)
    if index is not None and index < len(header_cells) and str(header_cells[index]).strip():
        return shorten(str(header_cells[index]))
    return headers.label(field, language)


def _plan_summary(result: dict) -> dict:
    """What applying will do (issue 12 §5): accounts created, reactivated, renewed, the
    welcome messages (R3: a new or reactivated account gets one), the rest."""
    counts = defaultdict(int)
    for outcome in result.get("outcomes", []):
        counts[outcome["action"]] += 1
    return {
        "create": counts["create"],
        "reactivate": counts["reactivate"],
        "renew": counts["renew"],
        "update": counts["update"],
        "unchanged": counts["unchanged"],
        "welcome": counts["create"] + counts["reactivate"],
    }


@login_required
@require_GET
def detail(request, pk):
    upload = _upload_for(request, pk)
    services.recover_stale(upload)
    result = upload.result or {}
    errors_only = request.GET.get("errors") == "1"
    sheet_errors = [
        {**e, "message": render_error(e)} for e in result.get("errors", []) if e.get("row") is None
    ]
    warnings = [{**w, "message": render_error(w)} for w in result.get("warnings", [])]
    summary = defaultdict(int)
    for entry in result.get("errors", []):
        summary[entry["code"]] += 1
    summary_rows = [
        {"code": code, "count": count, "message": message(code, _example_params(result, code))}
        for code, count in sorted(summary.items(), key=lambda kv: -kv[1])
    ]
    actions = defaultdict(int)
    for outcome in result.get("outcomes", []):
        actions[outcome["action"]] += 1
    labels = reports.ACTION_LABELS[resolve()]
    return render(
        request,
        "sheets/detail.html",
        {
            "upload": upload,
            "sheet_errors": sheet_errors,
            "warnings": warnings,
            "summary": summary_rows,
            "actions": [(labels.get(a, a), n) for a, n in actions.items()],
            "action_labels": labels,
            "plan": _plan_summary(result),
            "preview": _preview(upload, result, errors_only=errors_only),
            "errors_only": errors_only,
            "history": _history(upload),
            "can_apply": upload.can_apply and request.user.has_perm("sheets.add_sheetupload"),
            "interrupted": message("sheet.apply_interrupted")
            if upload.state == SheetState.INTERRUPTED
            else "",
        },
    )


HISTORY_LABELS = {
    "sheet.uploaded": gettext_lazy("Uploaded"),
    "sheet.validated": gettext_lazy("Checked (nothing changed)"),
    "sheet.apply_queued": gettext_lazy("Waiting to be applied"),
    "sheet.apply_started": gettext_lazy("Applying started"),
    "sheet.applied": gettext_lazy("Applied"),
    "sheet.apply_repeated": gettext_lazy("Applied again: nothing to change"),
    "sheet.apply_failed": gettext_lazy("Applying failed; nothing was changed"),
    "sheet.apply_interrupted": gettext_lazy("Applying was interrupted; nothing was changed"),
}


def _history(upload: SheetUpload) -> list[dict]:
    """The upload's events for its page; a repeat names the apply it repeated."""
    rows = []
    events = selectors.history(upload)
    applied = [e for e in events if e.action == "sheet.applied"]
    applied_anchor = f"event-{applied[-1].pk}" if applied else ""
    for event in events:
        note = ""
        details = event.details or {}
        if event.action == "sheet.applied":
            changes = sum(n for a, n in (details.get("actions") or {}).items() if a in CHANGES)
            note = ngettext("%(count)d change", "%(count)d changes", changes) % {"count": changes}
        elif event.action == "sheet.apply_repeated":
            first = details.get("original") or {}
            count = first.get("changes") or 0
            note = ngettext(
                "the original apply (%(date)s, %(count)d change) is kept as it was",
                "the original apply (%(date)s, %(count)d changes) is kept as it was",
                count,
            ) % {"date": _local(first.get("applied_at")), "count": count}
        rows.append(
            {
                "event": event,
                "action": event.action,
                "label": HISTORY_LABELS.get(event.action, event.action),
                "note": note,
                "original": applied_anchor if event.action == "sheet.apply_repeated" else "",
            }
        )
    return rows


def _local(iso: str | None) -> str:
    """An ISO time from a record, as the page prints times (Europe/Athens, genitive months)."""
    if not iso:
        return ""
    return date_format(timezone.localtime(dt.datetime.fromisoformat(iso)), "DATETIME_FORMAT")


def _example_params(result: dict, code: str) -> dict:
    for entry in result.get("errors", []):
        if entry["code"] == code:
            return entry.get("params") or {}
    return {}


@login_required
@require_http_methods(["GET", "POST"])
def apply(request, pk):
    """GET: the confirmation step, what applying will do; POST with `confirm`: apply.

    An unconfirmed POST (an old form, a crafted request) applies nothing and
    shows the confirmation. A double click or a second tab is answered by the
    upload's lock (kleidi.sheets.runs): one apply, the other "running" or
    "nothing to change".
    """
    upload = _upload_for(request, pk)
    _require(request, "sheets.add_sheetupload")
    services.recover_stale(upload)
    if upload.is_running:
        messages.error(request, message("sheet.apply_running"))
        return redirect("sheets:detail", pk=upload.pk)
    applied = upload.state == SheetState.APPLIED
    if not upload.can_apply and not applied:
        messages.error(request, message("sheet.not_clean"))
        return redirect("sheets:detail", pk=upload.pk)
    if request.method == "GET" or request.POST.get("confirm") != "1":
        return render(
            request,
            "sheets/confirm.html",
            {"upload": upload, "plan": _plan_summary(upload.result or {}), "applied": applied},
        )
    result = services.request_apply(upload, actor=request.user, client_ip=client_ip(request))
    if result is None:
        return redirect("sheets:progress", pk=upload.pk)
    _announce(request, result)
    return redirect("sheets:detail", pk=upload.pk)


def _announce(request, result) -> None:
    if result.repeat_of is not None:
        original = result.repeat_of
        when = original["applied_at"]
        messages.info(
            request,
            ngettext(
                "Nothing to change: this sheet was already applied on %(date)s by %(user)s "
                "(%(count)d change). That record and its results file are kept as they were; "
                "this attempt is recorded in the sheet's history.",
                "Nothing to change: this sheet was already applied on %(date)s by %(user)s "
                "(%(count)d changes). That record and its results file are kept as they were; "
                "this attempt is recorded in the sheet's history.",
                original["changes"],
            )
            % {
                "date": _local(when),
                "user": original["applied_by"] or "",
                "count": original["changes"],
            },
        )
    elif not result.ok:
        messages.error(request, render_error(result.errors[0]))
    elif result.changes() == 0:
        messages.info(request, _("Nothing to change: every row was already applied."))
    else:
        messages.success(
            request, _("The sheet was applied: %(count)d changes.") % {"count": result.changes()}
        )


@login_required
@require_GET
def progress(request, pk):
    upload = _upload_for(request, pk)
    services.recover_stale(upload)
    return render(request, "sheets/progress.html", {"upload": upload})


@login_required
@require_GET
def status(request, pk):
    upload = _upload_for(request, pk)
    services.recover_stale(upload)
    done = upload.state not in (SheetState.QUEUED, SheetState.APPLYING)
    return JsonResponse(
        {
            "state": upload.state,
            # In the request's language (issue 12 §7): the page shows it as it polls.
            "label": str(upload.get_state_display()),
            "percent": 100 if done else upload.progress_percent,
            "done": done,
            "url": reverse("sheets:detail", kwargs={"pk": upload.pk}),
        }
    )


@login_required
@require_GET
def results(request, pk):
    upload = _upload_for(request, pk)
    content = reports.results_workbook(
        bytes(upload.content), upload.result or {}, resolve(), stamp=_stamp(upload)
    )
    return _download(content, reports.results_filename(upload.filename))


def _stamp(upload: SheetUpload):
    """The results file's own date: its record's, so the same record gives the same bytes."""
    return upload.applied_at or upload.validated_at or upload.uploaded_at


@login_required
@require_GET
def template(request, kind):
    _require(request, "sheets.view_sheetupload")
    if kind not in SheetKind.values:
        raise Http404
    content = reports.template_workbook(kind, max_years=settings.RENEWAL_MAX_YEARS)
    name = "kleidi-renewal.xlsx" if kind == SheetKind.RENEWAL else f"kleidi-{kind}.xlsx"
    return _download(content, name)


def _download(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    # RFC 6266: an ASCII name for every client, and the UTF-8 one (RFC 5987) for a Greek name.
    disposition = f'attachment; filename="{reports.ascii_filename(filename)}"'
    if not filename.isascii() or reports.ascii_filename(filename) != filename:
        disposition += f"; filename*=UTF-8''{quote(filename, safe='')}"
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = "no-store"
    return response
