"""The portal's own pages: home, help, the member's account page, the demo mailbox."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from kleidi import linkseal
from kleidi.accounts.models import StaffRole
from kleidi.language import resolve
from kleidi.notifications.models import OutboxMessage

# The guide's sections, with the stable short links members already know.
HELP_PAGES = {
    "new-undergraduate": _("I am a new undergraduate: how do I get my credentials?"),
    "external-email": _("Why do I need an email address outside NTUA?"),
    "forgot-password": _("I forgot my password"),
    "bulk-provisioning": _("Bulk accounts for postgraduate and PhD students (secretariats)"),
    "bulk-renewal": _("Bulk renewal of postgraduate and PhD accounts (secretariats)"),
}


def home(request):
    return render(request, "portal/home.html", {"help_pages": HELP_PAGES})


@login_required
def landing(request):
    """Where sign-in leads (LOGIN_REDIRECT_URL, issue 12 §4): a secretariat to its
    sheets; the helpdesk and members to their account page, as before."""
    user = request.user
    if user.role == StaffRole.SECRETARIAT and user.has_perm("sheets.view_sheetupload"):
        return redirect("sheets:index")
    return redirect("account")


@login_required
def account(request):
    return render(request, "portal/account.html", {"account": request.user})


def help_index(request):
    return render(request, "portal/help_index.html", {"help_pages": HELP_PAGES})


def help_page(request, slug):
    if slug not in HELP_PAGES:
        raise Http404
    language = resolve()
    return render(
        request,
        f"portal/help/{slug}.{language}.html",
        {"title": HELP_PAGES[slug], "slug": slug, "help_pages": HELP_PAGES},
    )


def short_link(request, slug):
    """Stable short links (`/go/forgot-password`) that outlive page reorganisations."""
    if slug not in HELP_PAGES:
        raise Http404
    if slug == "forgot-password":
        return redirect("password-forgot")
    return redirect("help-page", slug=slug)


@never_cache
def demo_mailbox(request):
    """The demo's stand-in for a mail client: the outbox, newest first (demo only).

    Like a mail client it shows what was sent, so sealed links are filled in
    here, at display time (kleidi.linkseal); the database keeps only their nonces.
    """
    if not settings.DEMO_MODE:
        raise Http404
    mails = [
        (message, linkseal.unseal(message.body_text))
        for message in OutboxMessage.objects.all()[:100]
    ]
    # Not "messages": that name is the messages framework's, which base.html shows.
    return render(request, "portal/demo_mailbox.html", {"mails": mails})
