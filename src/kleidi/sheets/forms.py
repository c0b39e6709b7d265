"""The upload form (R8: only the schools the user acts for are offered)."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kleidi.accounts.selectors import schools_for
from kleidi.errors import error
from kleidi.people.models import School
from kleidi.sheets.models import SheetKind


class UploadForm(forms.Form):
    school = forms.ModelChoiceField(
        label=_("School"), queryset=School.objects.none(), empty_label=None
    )
    kind = forms.ChoiceField(label=_("Kind of sheet"), choices=SheetKind.choices)
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_("Excel (.xlsx, .xls), LibreOffice (.ods) or CSV, up to the size limit."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools_for(user)
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.xls,.ods,.csv,.txt"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.SHEET_MAX_BYTES:
            raise error("sheet.too_large", max_mb=max(1, settings.SHEET_MAX_BYTES // 2**20))
        return upload
