"""The CapabilityStatement: FHIR modules register what they serve; /fhir/metadata lists it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FHIR_VERSION = "4.0.1"


@dataclass
class ResourceCapability:
    """One resource type served under /fhir with its interactions and search parameters."""

    type: str
    interactions: list[str]
    search_params: list[tuple[str, str, str]] = field(default_factory=list)  # name, type, doc
    operations: list[tuple[str, str]] = field(default_factory=list)  # name, definition url
    profile: str | None = None


_RESOURCES: dict[str, ResourceCapability] = {}


def register(capability: ResourceCapability) -> None:
    """Declare a resource type served by this platform (called by each FHIR module at import)."""
    _RESOURCES[capability.type] = capability


def statement(*, base_url: str, software_version: str, published: str) -> dict[str, Any]:
    """The CapabilityStatement of this server, built from what is registered."""
    resources = []
    for cap in sorted(_RESOURCES.values(), key=lambda c: c.type):
        entry: dict[str, Any] = {
            "type": cap.type,
            "interaction": [{"code": code} for code in cap.interactions],
        }
        if cap.profile:
            entry["profile"] = cap.profile
        if cap.search_params:
            entry["searchParam"] = [
                {"name": n, "type": t, "documentation": d} for n, t, d in cap.search_params
            ]
        if cap.operations:
            entry["operation"] = [{"name": n, "definition": d} for n, d in cap.operations]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published,
        "publisher": "healthcard",
        "kind": "instance",
        "software": {"name": "healthcard", "version": software_version},
        "implementation": {
            "description": "居民健康卡与区域健康信息平台",
            "url": base_url + "/fhir",
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "OAuth",
                                }
                            ]
                        }
                    ],
                    "description": "OAuth2 client credentials at /oauth/token; Bearer tokens.",
                },
                "resource": resources,
            }
        ],
    }
