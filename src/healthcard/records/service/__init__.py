"""The records service, one module per part: ``from healthcard.records.service import records``.

- ``records``: health records, numbering, the basic-information form, termination, lists
- ``families``: family records (households) and their members
- ``exams``: health examinations
- ``teams``: family-doctor teams and who is responsible for a record
- ``migration``: moving a record between teams, institutions and districts (档随人走)
- ``access``: who may read a resident's shared record (presence, consent, break-glass)
- ``coverage``: coverage indicators for institution managers
- ``codes``: the versioned coded lists of the forms
- ``timeline``: the resident's record timeline, fed by every part and by hospitals
- ``clinical``: encounters, diagnoses, results, prescriptions and summaries pushed by hospitals
"""
