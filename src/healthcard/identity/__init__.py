"""Residents, identifiers and the master patient index (matching, review, merge/unmerge)."""
