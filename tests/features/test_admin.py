"""User administration: create, roles, reset, deactivate; the audit log is append-only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from trainer.accounts import services
from trainer.accounts.models import AuditEvent, AuditKind, Role
from trainer.core.errors import Conflict, Forbidden, InvalidInput
from trainer.db import AppendOnlyError


def test_admin_creates_user_with_generated_password(client, csrf, login_as, db):
    login_as(Role.ADMIN)
    response = client.post("/admin/users/new", data={
        "username": "Li.Na", "full_name": "李娜", "role": "trainee", "csrf_token": csrf()})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    user = services.user_by_username(db, "li.na")
    assert user is not None and user.must_change_password and user.role == Role.TRAINEE
    password = page.split('data-testid="temporary-password"><code>')[1].split("</code>")[0]
    assert services.authenticate(db, "li.na", password, ip=None) is not None


def test_duplicate_username_is_shown_on_the_field(client, csrf, login_as, make_user):
    login_as(Role.ADMIN)
    make_user(Role.TRAINEE, username="dup")
    response = client.post("/admin/users/new", data={
        "username": "DUP", "full_name": "x", "role": "trainee", "csrf_token": csrf()})
    assert response.status_code == 409
    assert b"The user name dup is already taken." in response.data
    assert b'value="DUP"' in response.data  # what was typed is kept


def test_create_user_refuses_unknown_role(client, csrf, login_as):
    login_as(Role.ADMIN)
    response = client.post("/admin/users/new", data={
        "username": "x1", "full_name": "x", "role": "superuser", "csrf_token": csrf()})
    assert response.status_code == 400


@pytest.mark.parametrize("name", ["a", "has space", "-leading", "x" * 65, "中文"])
def test_bad_usernames_are_refused(db, name):
    with pytest.raises(InvalidInput) as caught:
        services.create_user(db, actor=None, username=name, full_name="X", role=Role.TRAINEE)
    assert caught.value.field == "username"


def test_short_password_is_refused(db):
    with pytest.raises(InvalidInput) as caught:
        services.create_user(db, actor=None, username="shorty", full_name="X",
                             role=Role.TRAINEE, password="short")
    assert caught.value.field == "password"


def test_role_change_is_audited_and_logs_the_user_out(app, client, csrf, login_as, make_user,
                                                      db):
    admin = login_as(Role.ADMIN)
    target = make_user(Role.TRAINEE)
    theirs = app.test_client()
    with theirs.session_transaction() as session:
        session["_user_id"] = target.get_id()
    assert theirs.get("/training").status_code == 200
    response = client.post(f"/admin/users/{target.id}/role",
                           data={"role": "examiner", "csrf_token": csrf()})
    assert response.status_code == 302
    db.refresh(target)
    assert target.role == Role.EXAMINER
    assert theirs.get("/review").status_code == 302  # must log in again
    event = db.scalars(select(AuditEvent).where(AuditEvent.kind == AuditKind.ROLE_CHANGED)).one()
    assert (event.actor_id, event.subject_id) == (admin.id, target.id)
    assert event.detail == {"before": "trainee", "after": "examiner"}


def test_last_admin_keeps_the_role(client, csrf, login_as, db):
    admin = login_as(Role.ADMIN)
    response = client.post(f"/admin/users/{admin.id}/role",
                           data={"role": "trainee", "csrf_token": csrf()})
    assert response.status_code == 403
    db.refresh(admin)
    assert admin.role == Role.ADMIN


def test_admin_cannot_deactivate_self(db, make_user):
    admin = make_user(Role.ADMIN)
    with pytest.raises(Forbidden):
        services.set_active(db, actor=admin, user=admin, active=False)


def test_deactivation_logs_out_and_reactivation_restores(app, client, csrf, login_as, make_user,
                                                         db):
    login_as(Role.ADMIN)
    target = make_user(Role.TRAINER)
    theirs = app.test_client()
    with theirs.session_transaction() as session:
        session["_user_id"] = target.get_id()
    client.post(f"/admin/users/{target.id}/active", data={"active": "0", "csrf_token": csrf()})
    db.refresh(target)
    assert target.active is False
    assert theirs.get("/cohorts").status_code == 302
    assert services.authenticate(db, target.username, PASSWORD, ip=None) is None
    client.post(f"/admin/users/{target.id}/active", data={"active": "1", "csrf_token": csrf()})
    db.refresh(target)
    assert services.authenticate(db, target.username, PASSWORD, ip=None) is not None
    kinds = [e.kind for e in db.scalars(select(AuditEvent).where(
        AuditEvent.subject_id == target.id).order_by(AuditEvent.id))]
    assert AuditKind.USER_DEACTIVATED in kinds and AuditKind.USER_REACTIVATED in kinds


def test_reset_password_issues_a_working_temporary_password(client, csrf, login_as, make_user,
                                                            db):
    login_as(Role.ADMIN)
    target = make_user(Role.TRAINEE)
    services.request_password_reset(db, target.username, ip="10.0.0.9")
    assert [event.subject_id for event in services.pending_reset_requests(db)] == [target.id]
    assert target.full_name in client.get("/admin/users").get_data(as_text=True)
    response = client.post(f"/admin/users/{target.id}/reset-password",
                           data={"csrf_token": csrf()})
    assert response.status_code == 200
    temporary = response.get_data(as_text=True).split(
        'data-testid="temporary-password"><code>')[1].split("</code>")[0]
    db.refresh(target)
    assert target.must_change_password
    assert services.authenticate(db, target.username, temporary, ip=None) is not None
    assert services.authenticate(db, target.username, PASSWORD, ip=None) is None
    assert services.pending_reset_requests(db) == []


def test_user_list_filters(client, login_as, make_user):
    login_as(Role.ADMIN)
    make_user(Role.EXAMINER, username="exam-wang", full_name="王考官")
    make_user(Role.TRAINEE, username="trainee-zhao", full_name="赵学员")
    page = client.get("/admin/users?role=examiner").get_data(as_text=True)
    assert "exam-wang" in page and "trainee-zhao" not in page
    page = client.get("/admin/users?q=赵").get_data(as_text=True)
    assert "trainee-zhao" in page and "exam-wang" not in page
    assert client.get("/admin/users?role=nonsense").status_code == 400


def test_audit_log_page_lists_events(client, login_as, make_user, db):
    login_as(Role.ADMIN)
    services.authenticate(db, "nobody-at-all", "x", ip="192.0.2.1")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "nobody-at-all" in page and "192.0.2.1" in page and "Failed log-in" in page


def test_audit_events_cannot_be_changed_or_deleted(db):
    event = services.record_audit(db, AuditKind.LOGIN_FAILED, username_tried="x")
    event.username_tried = "y"
    with pytest.raises(AppendOnlyError):
        db.flush()
    db.rollback()
    event = services.record_audit(db, AuditKind.LOGIN_FAILED, username_tried="z")
    db.delete(event)
    with pytest.raises(AppendOnlyError):
        db.flush()


def test_cohort_creation_rules(db, make_user):
    admin = make_user(Role.ADMIN)
    trainer = make_user(Role.TRAINER)
    trainee = make_user(Role.TRAINEE)
    with pytest.raises(InvalidInput):
        services.create_cohort(db, actor=admin, name="A", trainer=trainee)
    with pytest.raises(InvalidInput):
        services.create_cohort(db, actor=admin, name="A", trainer=trainer, examiners=[trainee])
    services.create_cohort(db, actor=admin, name="A", trainer=trainer)
    with pytest.raises(Conflict):
        services.create_cohort(db, actor=admin, name="A", trainer=trainer)


def test_trainer_creates_own_cohort_even_if_form_names_another(client, csrf, login_as,
                                                                make_user, db):
    trainer = login_as(Role.TRAINER)
    other = make_user(Role.TRAINER)
    response = client.post("/cohorts/new", data={"name": "Sneaky", "trainer_id": other.id,
                                                 "csrf_token": csrf()})
    assert response.status_code == 302
    assert [c.name for c in services.cohorts_visible_to(db, trainer)] == ["Sneaky"]
    assert services.cohorts_visible_to(db, other) == []
