"""The FHIR service: reading and checking FHIR resources into what the domains' services take.

- ``elements``: FHIR JSON elements read by hand, each error naming the element at fault
- ``clinical``: hospitals' clinical resources (Encounter ... Immunization) as clinical documents
"""
