"""Following account and people changes into the directory queue (R28), in their transaction."""

from django.dispatch import receiver

from kleidi.accounts.signals import account_changed
from kleidi.directory.services.queue import queue_accounts, queue_people, queue_school
from kleidi.people.signals import people_changed, school_changed


@receiver(account_changed, dispatch_uid="directory_queue_accounts")
def queue_account_changes(sender, accounts, action, **kwargs):
    queue_accounts([account.pk for account in accounts], action)


@receiver(people_changed, dispatch_uid="directory_queue_people")
def queue_people_changes(sender, people, action, **kwargs):
    queue_people([person.pk for person in people], action)


@receiver(school_changed, dispatch_uid="directory_queue_school")
def queue_school_change(sender, school, changes, action, **kwargs):
    # Only the code reaches the entries (schacPersonalUniqueCode, mapping.py).
    if "code" in changes:
        queue_school(school.pk, action)
