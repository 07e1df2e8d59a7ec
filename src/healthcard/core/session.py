"""The request's database session: one transaction per request.

The dependency commits when the handler succeeds and rolls back when it raises. An error may
carry audit entries (a denied access, say) that must survive the rollback: they are written in a
fresh transaction after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from healthcard.core import audit
from healthcard.core.errors import AppError


def request_session(request: Request) -> Iterator[Session]:
    """Yield a session in a transaction that the end of the request commits or rolls back."""
    factory = request.app.state.session_factory
    session: Session = factory()
    try:
        session.begin()
        yield session
        session.commit()
    except AppError as error:
        session.rollback()
        if error.pending_audit:
            with session.begin():
                for entry in error.pending_audit:
                    audit.record(session, **entry)
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response is sent, so a failed commit is an error answer.
DbSession = Annotated[Session, Depends(request_session, scope="function")]
