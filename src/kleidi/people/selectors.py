"""Reading people: searches that ignore accents, case and final sigma (§6)."""

from django.db.models import Q, QuerySet

from kleidi.people.models import Person
from kleidi.text import match_key


def search_people(term: str, queryset: QuerySet[Person] | None = None) -> QuerySet[Person]:
    """People whose names (by match key), email, mobile or registration number match `term`."""
    queryset = queryset if queryset is not None else Person.objects.all()
    key = match_key(term)
    if not key:
        return queryset
    query = Q()
    for word in key.split():
        query &= (
            Q(surname_key__contains=word)
            | Q(given_name_key__contains=word)
            | Q(email_key__contains=word)
            | Q(mobile__contains=word)
            | Q(affiliations__registration_number__iexact=word)
            | Q(accounts__username__iexact=word)
        )
    return queryset.filter(query).distinct()
