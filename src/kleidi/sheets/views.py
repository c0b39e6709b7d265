"""Secretariat sheet pages: thin shells over kleidi.sheets.services (R8, R19).

Every view requires the sheets permission and the upload's school in the
user's scope; an upload outside it is "not found", like one that does not exist.
"""

from collections import defaultdict

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kleidi.accounts.selectors import can_act_for_school, schools_for
from kleidi.errors import message
from kleidi.language import resolve
from kleidi.request import client_ip
from kleidi.sheets import headers, reports, services
from kleidi.sheets.forms import UploadForm
from kleidi.sheets.models import SheetKind, SheetState, SheetUpload
from kleidi.sheets.reader import SheetError, read_sheet
from kleidi.sheets.validation import render as render_error
from kleidi.sheets.validation import shorten

PREVIEW_ALL_ROWS = 500
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


def _preview(upload: SheetUpload, result: dict) -> dict:
    """The uploaded rows with each erroneous cell and its messages."""
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
    by_row = defaultdict(lambda: defaultdict(list))
    for entry in result.get("errors", []):
        if entry.get("row") is not None:
            by_row[entry["row"]][entry.get("column")].append(render_error(entry))
    outcome = {o["row"]: o["action"] for o in result.get("outcomes", [])}
    data = rows[position + 1 :]
    only_errors = len(data) > PREVIEW_ALL_ROWS
    header_cells = rows[position][1]
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
                "other": unplaced,
            }
        )
        if len(table) >= PREVIEW_MAX_ROWS:
            break
    return {
        "header": [
            {"text": shorten(h) if isinstance(h, str) else h, "field": column_of.get(i)}
            for i, h in enumerate(header_cells)
        ],
        "rows": table,
        "only_errors": only_errors,
        "header_row": mapping.row,
    }


@login_required
@require_GET
def detail(request, pk):
    upload = _upload_for(request, pk)
    services.recover_stale(upload)
    result = upload.result or {}
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
            "preview": _preview(upload, result),
            "can_apply": upload.can_apply and request.user.has_perm("sheets.add_sheetupload"),
            "interrupted": message("sheet.apply_interrupted")
            if upload.state == SheetState.INTERRUPTED
            else "",
        },
    )


def _example_params(result: dict, code: str) -> dict:
    for entry in result.get("errors", []):
        if entry["code"] == code:
            return entry.get("params") or {}
    return {}


@login_required
@require_POST
def apply(request, pk):
    upload = _upload_for(request, pk)
    _require(request, "sheets.add_sheetupload")
    services.recover_stale(upload)
    if upload.is_running:
        messages.error(request, message("sheet.apply_running"))
        return redirect("sheets:detail", pk=upload.pk)
    if not upload.can_apply:
        messages.error(request, message("sheet.not_clean"))
        return redirect("sheets:detail", pk=upload.pk)
    result = services.request_apply(upload, actor=request.user, client_ip=client_ip(request))
    if result is None:
        return redirect("sheets:progress", pk=upload.pk)
    _announce(request, result)
    return redirect("sheets:detail", pk=upload.pk)


def _announce(request, result) -> None:
    if not result.ok:
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
            "percent": 100 if done else upload.progress_percent,
            "done": done,
            "url": reverse("sheets:detail", kwargs={"pk": upload.pk}),
        }
    )


@login_required
@require_GET
def results(request, pk):
    upload = _upload_for(request, pk)
    content = reports.results_workbook(bytes(upload.content), upload.result or {}, resolve())
    return _download(content, f"kleidi-results-{upload.pk}.xlsx")


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
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
