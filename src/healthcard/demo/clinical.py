"""Demo clinical data: the demo hospital (烟台毓璜顶医院) pushes, as its HIS would over FHIR,
outpatient visits, an inpatient stay with its discharge summary, ICD-10 diagnoses, lab results,
blood pressures, prescriptions and a vaccination for residents who have a health record. Every
resource goes through the same validation and service as the API's."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.core.config import Settings
from healthcard.core.db import utcnow
from healthcard.core.principal import Principal, system_principal
from healthcard.demo import service as demo_service
from healthcard.fhir.service.clinical import ICD10_CN, LOINC, UCUM, parse
from healthcard.records.programmes import service as programmes
from healthcard.records.service import clinical as clinical_service
from healthcard.records.service import records as records_service

SYSTEM = "urn:healthcard:demo:yhd"
ADULTS = 8


@dataclass(frozen=True)
class Story:
    """What happened to one resident at the hospital: a diagnosis and its treatment."""

    icd10: str
    diagnosis: str
    department: str
    drug: str
    dosage: str
    lab: tuple[str, str, float, str] | None  # LOINC, name, value, UCUM unit
    bp: tuple[int, int] | None = None
    admitted_days: int = 0  # an inpatient stay of this many days, with a discharge summary
    summary: str = ""


STORIES = (
    Story(
        "I10.x00x002",
        "高血压 2 级",
        "心内科",
        "苯磺酸氨氯地平片 5mg",
        "每日一次，每次 5mg，口服",
        None,
        bp=(168, 102),
    ),
    Story(
        "E11.900",
        "2 型糖尿病",
        "内分泌科",
        "盐酸二甲双胍片 0.5g",
        "每日三次，每次 0.5g，餐中服",
        ("14771-0", "空腹血糖", 8.6, "mmol/L"),
    ),
    Story(
        "J18.900",
        "社区获得性肺炎",
        "呼吸内科",
        "头孢呋辛酯片 0.25g",
        "每日两次，每次 0.25g，口服",
        ("6690-2", "白细胞计数", 12.8, "10*9/L"),
        admitted_days=6,
        summary="因发热、咳嗽 5 天入院，胸部 CT 示右下肺炎症。予抗感染、化痰治疗 6 天，体温正常，"
        "复查血常规正常，好转出院。出院后继续口服头孢呋辛酯 3 天，1 周后门诊复查胸片。",
    ),
    Story(
        "E78.500",
        "高脂血症",
        "心内科",
        "阿托伐他汀钙片 20mg",
        "每晚一次，每次 20mg，口服",
        ("2093-3", "总胆固醇", 6.8, "mmol/L"),
    ),
    Story(
        "I25.103",
        "冠状动脉粥样硬化性心脏病",
        "心内科",
        "阿司匹林肠溶片 100mg",
        "每日一次，每次 100mg，口服",
        ("2093-3", "总胆固醇", 5.9, "mmol/L"),
        bp=(146, 88),
        admitted_days=4,
        summary="因活动后胸闷 1 月入院，冠脉造影示前降支狭窄 70%，予抗血小板、调脂、控制血压治疗，"
        "症状缓解出院。嘱低盐低脂饮食，规律服药，1 个月后心内科门诊复诊。",
    ),
    Story(
        "K29.700",
        "慢性胃炎",
        "消化内科",
        "雷贝拉唑钠肠溶片 10mg",
        "每日一次，每次 10mg，早餐前",
        None,
    ),
    Story(
        "M17.900",
        "膝关节骨性关节炎",
        "骨科",
        "塞来昔布胶囊 0.2g",
        "每日一次，每次 0.2g，口服",
        None,
    ),
    Story(
        "E11.900",
        "2 型糖尿病",
        "内分泌科",
        "格列美脲片 2mg",
        "每日一次，每次 2mg，早餐前",
        ("4548-4", "糖化血红蛋白", 7.4, "%"),
        bp=(138, 84),
    ),
)


@dataclass(frozen=True)
class ClinicalLoad:
    residents: int
    resources: dict[str, int]


def load_clinical(session: Session, *, settings: Settings) -> ClinicalLoad:
    """Push the demo hospital's clinical documents for residents who have a health record."""
    del settings  # the loaders share one signature; this one needs no secrets
    hospital = _hospital(session)
    actor = Principal(
        kind="client",
        id=0,
        name=f"{hospital[1]} HIS",
        institution_id=hospital[0],
        permissions=frozenset({"clinical.submit", "records.read"}),
    )
    adults, child = _residents(session)
    counts: Counter[str] = Counter()
    today = utcnow()
    for n, (person_id, story) in enumerate(zip(adults, STORIES, strict=False)):
        for resource in _story(person_id, story, n, today - timedelta(days=12 + 9 * n)):
            _push(session, actor, resource)
            counts[resource["resourceType"]] += 1
    if child is not None:
        dose = _due_dose(session, child)
        if dose is not None:
            _push(session, actor, _vaccination(child, *dose))
            counts["Immunization"] += 1
    return ClinicalLoad(len(adults) + (child is not None), dict(counts))


def _hospital(session: Session) -> tuple[int, str]:
    name = next(d.name for d in demo_service.INSTITUTIONS if d.key == "yhd")
    found = next(i for i in accounts_service.list_all_institutions(session) if i.name == name)
    return found.id, found.name


def _residents(session: Session) -> tuple[list[int], int | None]:
    """Adults (35+) with an active health record, and one child under six with one."""
    rows, _ = records_service.search(
        session, actor=system_principal("demo"), status="active", limit=200
    )
    today = utcnow().date()
    adults: list[int] = []
    child: int | None = None
    for _, person in sorted(rows, key=lambda row: row[1].id):
        age = records_service.age_on(person.birth_date, today)
        if age is not None and age >= 35 and len(adults) < ADULTS:
            adults.append(person.id)
        elif age is not None and age < 6 and child is None:
            child = person.id
    return adults, child


def _push(session: Session, actor: Principal, resource: dict[str, Any]) -> None:
    def resolve(subject: dict[str, Any], _path: str) -> int:
        return int(str(subject["reference"]).removeprefix("Patient/"))

    data = parse(resource["resourceType"], resource, resolve=resolve)
    clinical_service.store(session, actor=actor, data=data)


def _at(when: datetime) -> str:
    return when.replace(microsecond=0).isoformat()


def _story(person_id: int, story: Story, n: int, start: datetime) -> Iterator[dict[str, Any]]:
    subject = {"reference": f"Patient/{person_id}"}
    key = f"{person_id}-{n}"
    inpatient = story.admitted_days > 0
    end = start + (timedelta(days=story.admitted_days) if inpatient else timedelta(minutes=40))
    encounter = {
        "resourceType": "Encounter",
        "identifier": [
            {"system": f"{SYSTEM}:encounter", "value": f"ZY{key}" if inpatient else f"MZ{key}"}
        ],
        "status": "finished",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "IMP" if inpatient else "AMB",
        },
        "type": [{"text": story.department}],
        "subject": subject,
        "period": {"start": _at(start), "end": _at(end)},
    }
    yield encounter
    yield {
        "resourceType": "Condition",
        "identifier": [{"system": f"{SYSTEM}:diagnosis", "value": f"DX{key}"}],
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {"coding": [{"system": ICD10_CN, "code": story.icd10, "display": story.diagnosis}]},
        "subject": subject,
        "recordedDate": _at(start + timedelta(minutes=20)),
    }
    if story.bp is not None:
        yield _blood_pressure(subject, key, start + timedelta(minutes=5), *story.bp)
    if story.lab is not None:
        code, name, value, unit = story.lab
        yield {
            "resourceType": "Observation",
            "identifier": [{"system": f"{SYSTEM}:lis", "value": f"LIS{key}"}],
            "status": "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "laboratory",
                        }
                    ]
                }
            ],
            "code": {"coding": [{"system": LOINC, "code": code}], "text": name},
            "subject": subject,
            "effectiveDateTime": _at(start + timedelta(hours=2)),
            "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
        }
    yield {
        "resourceType": "MedicationRequest",
        "identifier": [{"system": f"{SYSTEM}:rx", "value": f"RX{key}"}],
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": story.drug},
        "subject": subject,
        "authoredOn": _at(end - timedelta(minutes=10)),
        "dosageInstruction": [{"text": story.dosage}],
    }
    if inpatient:
        yield {
            "resourceType": "DiagnosticReport",
            "identifier": [{"system": f"{SYSTEM}:emr", "value": f"CY{key}"}],
            "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "18842-5"}], "text": "出院小结"},
            "subject": subject,
            "effectiveDateTime": _at(end),
            "conclusion": story.summary,
        }


def _blood_pressure(
    subject: dict[str, str], key: str, when: datetime, sbp: int, dbp: int
) -> dict[str, Any]:
    def part(code: str, value: int) -> dict[str, Any]:
        return {
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "valueQuantity": {"value": value, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"},
        }

    return {
        "resourceType": "Observation",
        "identifier": [{"system": f"{SYSTEM}:vitals", "value": f"BP{key}"}],
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}], "text": "血压"},
        "subject": subject,
        "effectiveDateTime": _at(when),
        "component": [part("8480-6", sbp), part("8462-4", dbp)],
    }


def _due_dose(session: Session, child: int) -> tuple[str, int, date] | None:
    """The child's earliest dose due or overdue by now, as the schedule has it."""
    schedule = programmes.child_schedule(session, actor=system_principal("demo"), person_id=child)
    for dose in schedule.doses:
        if dose.status in ("due", "overdue") and dose.due_date <= schedule.as_of:
            return (
                dose.vaccine_code,
                dose.dose_number,
                max(dose.due_date, schedule.as_of - timedelta(days=3)),
            )
    return None


def _vaccination(child: int, vaccine: str, dose: int, given_on: date) -> dict[str, Any]:
    return {
        "resourceType": "Immunization",
        "identifier": [{"system": f"{SYSTEM}:vaccination", "value": f"YM{child}-{vaccine}-{dose}"}],
        "status": "completed",
        "vaccineCode": {"coding": [{"system": "urn:healthcard:vaccine", "code": vaccine}]},
        "patient": {"reference": f"Patient/{child}"},
        "occurrenceDateTime": given_on.isoformat(),
        "lotNumber": "202609A017",
        "protocolApplied": [{"doseNumberPositiveInt": dose}],
    }
