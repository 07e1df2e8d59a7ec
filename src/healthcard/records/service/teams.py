"""Family-doctor teams (家庭医生团队) of an institution, and who is responsible for a record."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.accounts.exceptions import StaffNotFound
from healthcard.core import audit
from healthcard.core.errors import FieldError
from healthcard.core.principal import Principal
from healthcard.models import DoctorTeam, DoctorTeamMember, HealthRecord
from healthcard.records import repository
from healthcard.records.exceptions import RecordInvalid, TeamConflict, TeamNotFound
from healthcard.records.programmes import service as programmes_service
from healthcard.records.schemas import TeamIn, TeamMemberIn
from healthcard.records.service.records import check_area, writable_record


@dataclass(frozen=True)
class TeamView:
    team: DoctorTeam
    members: list[tuple[DoctorTeamMember, str]]  # membership, staff display name
    records: int


def create_team(session: Session, *, actor: Principal, data: TeamIn) -> DoctorTeam:
    """A new team of ``actor``'s institution; its leader joins it as leader."""
    if actor.institution_id is None:
        raise RecordInvalid("团队须属于一个机构。")
    institution = accounts_service.get_institution(
        session, actor=actor, institution_id=actor.institution_id
    )
    errors: list[FieldError] = []
    if data.area_code:
        check_area(session, errors, "body.area_code", data.area_code, institution.division_code)
    if data.leader_id is not None and _staff_name(session, actor, data.leader_id) is None:
        errors.append(FieldError("body.leader_id", "队长须是本机构人员。", "unknown"))
    if errors:
        raise RecordInvalid(errors=errors)
    if repository.team_by_name(session, institution.id, data.name) is not None:
        raise TeamConflict(f"本机构已有名为“{data.name}”的团队。")
    team = DoctorTeam(
        institution_id=institution.id,
        name=data.name,
        leader_id=data.leader_id,
        area_code=data.area_code,
    )
    try:
        with session.begin_nested():
            repository.add(session, team)
    except IntegrityError as error:
        raise TeamConflict(f"本机构已有名为“{data.name}”的团队。") from error
    if data.leader_id is not None:
        repository.add(
            session, DoctorTeamMember(team_id=team.id, staff_id=data.leader_id, role="leader")
        )
    audit.record(
        session, actor=actor, action="team.create", resource_type="DoctorTeam", resource_id=team.id
    )
    return team


def _staff_name(session: Session, actor: Principal, staff_id: int) -> str | None:
    """The display name of a staff member of ``actor``'s institution, or None."""
    try:
        view = accounts_service.get_staff(session, actor=actor, user_id=staff_id)
    except StaffNotFound:
        return None
    if view.user.institution_id != actor.institution_id:
        return None
    return view.user.display_name


def kept_team(session: Session, *, actor: Principal, team_id: int) -> DoctorTeam:
    """A team of ``actor``'s institution (404 otherwise)."""
    team = repository.get_team(session, team_id)
    if team is None or not actor.may_act_in(team.institution_id):
        raise TeamNotFound()
    return team


def add_member(session: Session, *, actor: Principal, team_id: int, data: TeamMemberIn) -> TeamView:
    """Add a staff member of the institution to the team."""
    team = kept_team(session, actor=actor, team_id=team_id)
    if _staff_name(session, actor, data.staff_id) is None:
        raise RecordInvalid(errors=[FieldError("body.staff_id", "须是本机构人员。", "unknown")])
    if repository.team_member(session, team.id, data.staff_id) is not None:
        raise TeamConflict("该人员已在团队中。")
    repository.add(
        session, DoctorTeamMember(team_id=team.id, staff_id=data.staff_id, role=data.role)
    )
    if data.role == "leader":
        team.leader_id = data.staff_id
    audit.record(
        session,
        actor=actor,
        action="team.member.add",
        resource_type="DoctorTeam",
        resource_id=team.id,
        detail={"staff_id": data.staff_id},
    )
    return team_view(session, actor=actor, team=team)


def remove_member(session: Session, *, actor: Principal, team_id: int, staff_id: int) -> TeamView:
    """Take a staff member out of the team (their records keep them until reassigned)."""
    team = kept_team(session, actor=actor, team_id=team_id)
    member = repository.team_member(session, team.id, staff_id)
    if member is None:
        raise TeamNotFound("该人员不在团队中。")
    repository.delete(session, member)
    if team.leader_id == staff_id:
        team.leader_id = None
    audit.record(
        session,
        actor=actor,
        action="team.member.remove",
        resource_type="DoctorTeam",
        resource_id=team.id,
        detail={"staff_id": staff_id},
    )
    return team_view(session, actor=actor, team=team)


def team_view(session: Session, *, actor: Principal, team: DoctorTeam) -> TeamView:
    """A team with its members' names and the number of records it is responsible for."""
    members = [
        (m, _staff_name(session, actor, m.staff_id) or f"#{m.staff_id}")
        for m in repository.team_members(session, team.id)
    ]
    counts = repository.record_counts_by_team(session, team.institution_id)
    return TeamView(team, members, counts.get(team.id, 0))


def list_teams(
    session: Session, *, actor: Principal, institution_id: int | None = None
) -> list[TeamView]:
    """The teams of an institution (``actor``'s own unless platform-wide)."""
    target = institution_id if actor.platform_wide and institution_id else actor.institution_id
    if target is None:
        return []
    return [team_view(session, actor=actor, team=t) for t in repository.teams_of(session, target)]


def assign(
    session: Session,
    *,
    actor: Principal,
    record_id: int,
    team_id: int | None,
    responsible_staff_id: int | None,
) -> HealthRecord:
    """Put a record under a team and a responsible staff member (a member of that team)."""
    record = writable_record(session, actor=actor, record_id=record_id)
    errors: list[FieldError] = []
    if team_id is not None:
        team = repository.get_team(session, team_id)
        if team is None or team.institution_id != record.institution_id:
            errors.append(FieldError("body.team_id", "团队不存在或不属于本机构。", "unknown"))
        elif responsible_staff_id is not None and (
            repository.team_member(session, team_id, responsible_staff_id) is None
        ):
            errors.append(
                FieldError("body.responsible_staff_id", "责任人须是该团队成员。", "not_member")
            )
    if (
        responsible_staff_id is not None
        and _staff_name(session, actor, responsible_staff_id) is None
    ):
        errors.append(FieldError("body.responsible_staff_id", "责任人须是本机构人员。", "unknown"))
    if errors:
        raise RecordInvalid(errors=errors)
    record.team_id = team_id
    record.responsible_staff_id = responsible_staff_id
    session.flush()
    programmes_service.reassign_record(
        session,
        record_id=record.id,
        institution_id=record.institution_id,
        team_id=team_id,
        responsible_staff_id=responsible_staff_id,
    )
    audit.record(
        session,
        actor=actor,
        action="record.assign",
        resource_type="HealthRecord",
        resource_id=record.id,
        detail={"team_id": team_id, "responsible_staff_id": responsible_staff_id},
    )
    return record
