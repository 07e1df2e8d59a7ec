"""The programmes service: ``from healthcard.records.programmes import service as programmes``.

- ``enrolments``: enrolment in a programme, its end, keeping the record's keeper in step
- ``followups``: visits on each programme's form, hospital measurements that count
- ``tasks``: task lists (档案任务) with counts
- ``immunisation``: doses due and overdue against the national schedule, recording doses
- ``infectious``: notifiable-disease reports with deadlines, the CDC's review
- ``activities``: health education, referrals, consultations
- ``rules``: the versioned rule files; ``evaluate``: what they say about a visit
"""

from healthcard.records.programmes.service.activities import (
    add_consultation,
    add_education,
    add_referral,
    consultation_list,
    education_list,
    referral_list,
)
from healthcard.records.programmes.service.enrolments import (
    PROGRAMME_NAMES,
    ProgrammeCoverage,
    close_record,
    coverage_rates,
    end_enrolment,
    enrol,
    enrolment_page,
    enrolments_of,
    get_enrolment,
    person,
    reassign_record,
)
from healthcard.records.programmes.service.followups import (
    Recorded,
    followups_of,
    get_followup,
    measurement_from_hospital,
    miss_followup,
    record_followup,
    visit_label,
)
from healthcard.records.programmes.service.immunisation import (
    ChildSchedule,
    DoseStatus,
    child_schedule,
    dose_statuses,
    record_immunisation,
)
from healthcard.records.programmes.service.infectious import (
    CLASS_NAMES,
    file_report,
    get_report,
    list_reports,
    review_report,
)
from healthcard.records.programmes.service.tasks import WINDOWS, TaskList, task_list, teams

__all__ = [
    "CLASS_NAMES",
    "PROGRAMME_NAMES",
    "WINDOWS",
    "ChildSchedule",
    "DoseStatus",
    "ProgrammeCoverage",
    "Recorded",
    "TaskList",
    "add_consultation",
    "add_education",
    "add_referral",
    "child_schedule",
    "close_record",
    "consultation_list",
    "coverage_rates",
    "dose_statuses",
    "education_list",
    "end_enrolment",
    "enrol",
    "enrolment_page",
    "enrolments_of",
    "file_report",
    "followups_of",
    "get_enrolment",
    "get_followup",
    "get_report",
    "list_reports",
    "measurement_from_hospital",
    "miss_followup",
    "person",
    "reassign_record",
    "record_followup",
    "record_immunisation",
    "referral_list",
    "review_report",
    "task_list",
    "teams",
    "visit_label",
]
