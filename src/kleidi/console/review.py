"""The review queue in the console: the helpdesk decides, a secretariat reads (R4, R16, §6).

The list is scoped like every console page (SchoolScopedAdmin): a secretariat
sees its own school's items and another school's item is "not found". The
item page shows the record beside each candidate person, and, to a helpdesk
operator only, two POST forms (approve: a new person or this candidate;
reject), each with a mandatory reason. There is no Save button: an item
changes only through the review services, which check the scope again.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kleidi.accounts.selectors import is_helpdesk
from kleidi.console.base import SchoolScopedAdmin
from kleidi.errors import error
from kleidi.request import client_ip
from kleidi.review import selectors, services
from kleidi.review.models import ItemState, ReviewItem

NEW_PERSON = "new"
ALL = "all"


class StateFilter(admin.SimpleListFilter):
    """The queue opens on what waits for a decision; decided items are a click away."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [*ItemState.choices, (ALL, _("all"))]

    def value(self):
        return super().value() or ItemState.OPEN

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        return queryset if self.value() == ALL else queryset.filter(state=self.value())


@admin.register(ReviewItem)
class ReviewItemAdmin(SchoolScopedAdmin):
    list_display = ("created_at", "names", "number", "source", "reason", "school", "state")
    list_display_links = ("created_at", "names")
    list_filter = (StateFilter, "source", "reason", "school")
    search_fields = ("key",)
    search_help_text = _("Names (accents and case ignored), registration number or email")
    list_select_related = ("school",)

    @admin.display(description=_("names"))
    def names(self, item):
        record = item.record
        return " ".join(str(record.get(k) or "") for k in ("surname", "given_name")).strip()

    @admin.display(description=_("registration number"))
    def number(self, item):
        return item.record.get("registration_number") or ""

    def get_search_results(self, request, queryset, search_term):
        return selectors.search_items(search_term, queryset), False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/approve/", wrap(self.approve_view), name="review_approve"),
            path("<path:object_id>/reject/", wrap(self.reject_view), name="review_reject"),
            *super().get_urls(),
        ]

    def _item(self, request, object_id) -> ReviewItem:
        item = self.get_object(request, unquote(object_id))
        if item is None:
            raise Http404(gettext("No such item in the review queue."))
        return item

    def change_view(self, request, object_id, form_url="", extra_context=None):
        item = self._item(request, object_id)
        if not self.has_view_or_change_permission(request, item):
            raise PermissionDenied
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        people, hidden = selectors.candidates_for(item, request.user)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Review: %(item)s") % {"item": self.names(item) or item.key},
            "item": item,
            "people": people,
            "hidden": hidden,
            "lines": selectors.comparison(item, people),
            "others": selectors.other_values(item),
            "can_decide": item.is_open and is_helpdesk(request.user),
            "new_person": NEW_PERSON,
            "reason_max": services.REASON_MAX_CHARS,
        }
        return TemplateResponse(request, "review/item.html", context)

    def approve_view(self, request, object_id):
        return self._decide(request, object_id, approve=True)

    def reject_view(self, request, object_id):
        return self._decide(request, object_id, approve=False)

    def _decide(self, request, object_id, *, approve: bool):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        item = self._item(request, object_id)
        if not is_helpdesk(request.user):
            raise PermissionDenied  # the services refuse it too (review.helpdesk_only)
        # What the operator saw: the service refuses if the record changed since.
        item.fingerprint = request.POST.get("fingerprint", "")
        audit = {"actor": request.user, "client_ip": client_ip(request)}
        reason = request.POST.get("reason", "")
        here = reverse("admin:review_reviewitem_change", args=[item.pk])
        try:
            if approve:
                person = self._chosen(item, request.POST.get("decision", ""))
                services.approve(item, reason=reason, person=person, **audit)
            else:
                services.reject(item, reason=reason, **audit)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(here)
        done = gettext("Approved.") if approve else gettext("Rejected.")
        self.message_user(request, format_html("{} {}", done, str(item)), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:review_reviewitem_changelist"))

    @staticmethod
    def _chosen(item, decision: str):
        """None for a new person ("new"), else the chosen one of the item's candidates."""
        if decision == NEW_PERSON:
            return None
        for person in selectors.candidates_of(item):
            if str(person.pk) == decision:
                return person
        raise error("review.not_a_candidate", person=decision[:20])
