"""The identity service (master patient index).

Other domains use it as ``from healthcard.identity import service as identity_service``.
"""

from healthcard.identity.idnumbers import IdNumberError, mask_id, mask_phone, parse_resident_id
from healthcard.identity.population import (
    PopulationRecord,
    generate_population,
    write_population_csv,
)
from healthcard.identity.service.models import activate_model
from healthcard.identity.service.persons import (
    Greeting,
    Holder,
    IdentifierView,
    PersonView,
    Query,
    by_identifier,
    card_holder,
    greeting,
    greetings,
    search,
    view,
)
from healthcard.identity.service.registration import (
    MatchCandidate,
    Registration,
    check_documents,
    document_system,
    identifier_index,
    institution_system,
    match,
    register,
)
from healthcard.identity.service.review import (
    FieldComparison,
    ReviewPair,
    decide,
    merge,
    merges_of,
    pair,
    queue,
    unmerge,
)

__all__ = [
    "FieldComparison",
    "Greeting",
    "Holder",
    "IdNumberError",
    "IdentifierView",
    "MatchCandidate",
    "PersonView",
    "PopulationRecord",
    "Query",
    "Registration",
    "ReviewPair",
    "activate_model",
    "by_identifier",
    "card_holder",
    "check_documents",
    "decide",
    "document_system",
    "generate_population",
    "greeting",
    "greetings",
    "identifier_index",
    "institution_system",
    "mask_id",
    "mask_phone",
    "match",
    "merge",
    "merges_of",
    "pair",
    "parse_resident_id",
    "queue",
    "register",
    "search",
    "unmerge",
    "view",
    "write_population_csv",
]
