"""Kleidi's date formats per language (settings.FORMAT_MODULE_PATH).

Greek long dates take the month in the genitive («1 Δεκεμβρίου 2027»): the
format letter ``E`` is Django's locale-specific alternative month name, which
for Greek is the genitive; ``F`` (the nominative) stays for month-and-year
headings («Δεκέμβριος 2027»). Templates write ``|date:"DATE_FORMAT"`` or
``|date:"DATETIME_FORMAT"``, Python code ``formats.date_format(value,
"DATE_FORMAT")``, so pages, emails and files print a date the same way.
"""
