"""Resident health records (居民健康档案): families, records, examinations, the shared record
timeline fed by hospitals, migration between institutions, termination and access to the record.
The public-health programmes live in :mod:`healthcard.records.programmes`."""
