from django.urls import path

from kleidi.portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("account/", views.account, name="account"),
    path("start/", views.landing, name="landing"),
    path("help/", views.help_index, name="help"),
    path("help/<slug:slug>/", views.help_page, name="help-page"),
    path("go/<slug:slug>", views.short_link, name="short-link"),
    path("demo/mailbox/", views.demo_mailbox, name="demo-mailbox"),
]
