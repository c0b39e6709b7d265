from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "kleidi.people"
    verbose_name = "People"
