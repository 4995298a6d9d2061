"""A trainee's personal data: exported whole for them (a JSON document), or deleted.

Deleting anonymises the account rather than removing its row, so that what others did stays
consistent: the user name and the name become `deleted-<id>`, the e-mail address goes, the
password can no longer match and every session ends. The trainee's own work goes: attempts
(with their grades and review records), map drawings, clip watching and notices; they leave
their cohorts. Certificates are never deleted (see trainer/certification/models.py): the
holder's name on them is replaced and they are revoked. The security audit log is kept, as
an administrator's record of who did what (the deletion itself is one of its events); its
events are the account's, and where one holds the user name typed at a log-in or a password
reset request, that name becomes `deleted-<id>` too (the event stays, the name goes).

Like every service, these take the session and the acting user and only flush.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from trainer.accounts.models import (
    AuditEvent,
    AuditKind,
    Cohort,
    Role,
    User,
    cohort_examiners,
    cohort_trainees,
    new_session_token,
)
from trainer.accounts.services import DELETED_PREFIX, record_audit, user_by_username
from trainer.api.models import ApiToken
from trainer.certification.models import Certificate
from trainer.core.errors import Forbidden
from trainer.core.i18n import N_
from trainer.db import utcnow
from trainer.fieldwork.models import Attempt
from trainer.maps.models import MapDrawing, MapTry
from trainer.review.models import Notification, Review
from trainer.video.models import WatchProgress

FORMAT = "census-enumerator-trainer/personal-data/1"
DISABLED_PASSWORD = "!"  # noqa: S105 - not a hash, so no password ever matches it
REVOKE_REASON = "The holder's personal data was deleted."


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export(db: Session, *, actor: User, user: User, ip: str | None = None) -> dict[str, Any]:
    """Everything the application holds about `user`, as one JSON-ready document; the
    export is audited."""
    record_audit(db, AuditKind.PERSONAL_DATA_EXPORTED, actor=actor, subject=user, ip=ip)
    cohorts = db.execute(
        select(Cohort.id, Cohort.name, cohort_trainees.c.user_id.is_not(None))
        .outerjoin(cohort_trainees, (cohort_trainees.c.cohort_id == Cohort.id)
                   & (cohort_trainees.c.user_id == user.id))
        .outerjoin(cohort_examiners, (cohort_examiners.c.cohort_id == Cohort.id)
                   & (cohort_examiners.c.user_id == user.id))
        .where(cohort_trainees.c.user_id.is_not(None) | cohort_examiners.c.user_id.is_not(None)
               | (Cohort.trainer_id == user.id))
        .order_by(Cohort.id)).all()
    return {
        "format": FORMAT,
        "exported_at": _time(utcnow()),
        "profile": {"id": user.id, "username": user.username, "full_name": user.full_name,
                    "email": user.email, "role": user.role.value, "active": user.active,
                    "locale": user.locale, "created_at": _time(user.created_at),
                    "last_login_at": _time(user.last_login_at)},
        "cohorts": [{"id": number, "name": name, "as": "trainee" if trainee else "staff"}
                    for number, name, trainee in cohorts],
        "attempts": [_attempt(db, attempt) for attempt in db.scalars(
            select(Attempt).where(Attempt.trainee_id == user.id).order_by(Attempt.id))],
        "map_drawings": [_drawing(db, drawing) for drawing in db.scalars(
            select(MapDrawing).where(MapDrawing.trainee_id == user.id)
            .order_by(MapDrawing.id))],
        "clip_watching": [_watching(progress) for progress in db.scalars(
            select(WatchProgress).where(WatchProgress.user_id == user.id)
            .order_by(WatchProgress.id))],
        "certificates": [_certificate(certificate) for certificate in db.scalars(
            select(Certificate).where(Certificate.holder_id == user.id)
            .order_by(Certificate.id))],
        "notifications": [{"message": notice.message, "params": notice.params,
                           "created_at": _time(notice.created_at),
                           "read_at": _time(notice.read_at)}
                          for notice in db.scalars(select(Notification).where(
                              Notification.user_id == user.id).order_by(Notification.id))],
        "api_tokens": [{"name": token.name, "prefix": token.prefix,
                        "created_at": _time(token.created_at),
                        "expires_at": _time(token.expires_at),
                        "revoked_at": _time(token.revoked_at)}
                       for token in db.scalars(select(ApiToken).where(
                           ApiToken.owner_id == user.id).order_by(ApiToken.id))],
        "audit_events": [{"kind": event.kind.value, "at": _time(event.at), "ip": event.ip,
                          "by_this_user": event.actor_id == user.id}
                         for event in db.scalars(select(AuditEvent).where(
                             (AuditEvent.subject_id == user.id)
                             | (AuditEvent.actor_id == user.id)).order_by(AuditEvent.id))],
    }


def _attempt(db: Session, attempt: Attempt) -> dict[str, Any]:
    review = db.scalar(select(Review).where(Review.attempt_id == attempt.id))
    released = review is not None and review.released_at is not None
    return {
        "id": attempt.id, "cohort_id": attempt.assignment.cohort_id,
        "scenario": attempt.version.scenario_id, "version": attempt.version.version,
        "mode": attempt.assignment.mode.value, "status": attempt.status.value,
        "started_at": _time(attempt.started_at), "submitted_at": _time(attempt.submitted_at),
        "steps": attempt.steps, "forms": attempt.forms, "register": attempt.register,
        "tally": attempt.tally, "hmt_forms": attempt.hmt_forms, "deaths": attempt.deaths,
        "map_drawing": attempt.map_drawing,
        "review_status": review.status.value if review is not None else None,
        "released_score": review.released_score if review is not None and released else None,
    }


def _drawing(db: Session, drawing: MapDrawing) -> dict[str, Any]:
    return {"task_id": drawing.task_id, "cohort_id": drawing.task.cohort_id,
            "status": drawing.status.value, "geojson": drawing.geojson,
            "result": drawing.result, "saves": drawing.saves,
            "started_at": _time(drawing.started_at),
            "submitted_at": _time(drawing.submitted_at),
            "earlier_tries": [{"number": kept.number, "geojson": kept.geojson,
                               "result": kept.result, "saves": kept.saves,
                               "submitted_at": _time(kept.submitted_at)}
                              for kept in db.scalars(select(MapTry).where(
                                  MapTry.drawing_id == drawing.id).order_by(MapTry.number))]}


def _watching(progress: WatchProgress) -> dict[str, Any]:
    return {"clip": progress.clip.slug, "title": progress.clip.title_zh,
            "segments": progress.segments, "watched_seconds": progress.watched,
            "position": progress.position, "completed_at": _time(progress.completed_at),
            "answers": progress.answers, "updated_at": _time(progress.updated_at)}


def _certificate(certificate: Certificate) -> dict[str, Any]:
    return {"code": certificate.code, "holder_name": certificate.holder_name,
            "cohort_name": certificate.cohort_name, "scenarios": certificate.scenarios,
            "issued_at": _time(certificate.issued_at),
            "revoked_at": _time(certificate.revoked_at),
            "revoke_reason": certificate.revoke_reason}


def _delete(db: Session, statement: Any) -> int:
    """Run a bulk delete; how many rows it removed."""
    return int(getattr(db.execute(statement), "rowcount", 0) or 0)


def delete_all(db: Session, *, actor: User, user: User, ip: str | None = None) -> dict[str, int]:
    """Anonymise a trainee and delete their work (see the module's docstring); returns what
    was removed, by kind, as the audit event records it."""
    if user.id == actor.id:
        raise Forbidden(N_("You cannot delete your own personal data."))
    if user.role != Role.TRAINEE:
        raise Forbidden(N_("Only a trainee's personal data can be deleted; change the role "
                           "first."))
    db.flush()
    # Bulk deletes: the database removes each attempt's grades and review records with it
    # (ON DELETE CASCADE); the session forgets what it had loaded of them.
    counts = {
        "attempts": _delete(db, delete(Attempt).where(Attempt.trainee_id == user.id)),
        "map_drawings": _delete(db, delete(MapDrawing).where(MapDrawing.trainee_id == user.id)),
        "clip_watching": _delete(db, delete(WatchProgress).where(
            WatchProgress.user_id == user.id)),
        "notifications": _delete(db, delete(Notification).where(
            Notification.user_id == user.id)),
        "cohorts": _delete(db, delete(cohort_trainees).where(
            cohort_trainees.c.user_id == user.id)),
    }
    db.expire_all()
    revoked = 0
    anonymous = f"{DELETED_PREFIX}{user.id}"
    holder = user_by_username(db, anonymous)
    if holder is not None and holder is not user:  # named so before the prefix was reserved
        anonymous += "-" + secrets.token_hex(4)
    for certificate in db.scalars(select(Certificate).where(Certificate.holder_id == user.id)):
        certificate.holder_name = anonymous
        if certificate.revoked_at is None:
            certificate.revoked_at, certificate.revoked_by = utcnow(), actor
            certificate.revoke_reason = REVOKE_REASON
            revoked += 1
    counts["certificates_revoked"] = revoked
    db.execute(update(AuditEvent).where(AuditEvent.username_tried == user.username)
               .values(username_tried=anonymous).execution_options(synchronize_session=False))
    user.username = user.full_name = anonymous
    user.email = user.locale = user.last_login_at = None
    user.password_hash = DISABLED_PASSWORD
    user.active = False
    user.must_change_password = False
    user.session_token = new_session_token()
    db.flush()
    record_audit(db, AuditKind.PERSONAL_DATA_DELETED, actor=actor, subject=user, ip=ip,
                 detail=counts)
    return counts
