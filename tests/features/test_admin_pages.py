"""The administrator's pages after the browser walk-through (tests/browser/test_admin_walk.py):
a refused action comes back on the user's page, not as a redirect with an error status that a
browser does not follow; passwords are refused in the service's words; cohorts are edited
and their trainees added and removed."""

from __future__ import annotations

from sqlalchemy import select

from trainer.accounts import personal_data, services
from trainer.accounts.models import AuditEvent, AuditKind, Role


def test_deactivating_oneself_is_refused_on_the_page(client, csrf, login_as):
    admin = login_as(Role.ADMIN)
    response = client.post(f"/admin/users/{admin.id}/active",
                           data={"active": "0", "csrf_token": csrf()})
    assert response.status_code == 403 and "Location" not in response.headers
    page = response.get_data(as_text=True)
    assert "You cannot deactivate your own account." in page
    assert f"({admin.username})" in page  # the user's page itself


def test_a_wrong_confirmation_name_is_shown_at_its_field(client, csrf, login_as, make_user):
    login_as(Role.ADMIN)
    trainee = make_user(Role.TRAINEE, username="keepme")
    response = client.post(f"/admin/users/{trainee.id}/personal-data/delete",
                           data={"confirm_username": "keep-me", "csrf_token": csrf()})
    assert response.status_code == 400 and "Location" not in response.headers
    page = response.get_data(as_text=True)
    assert 'id="confirm_username-error"' in page and 'value="keep-me"' in page
    assert trainee.username == "keepme"


def test_a_short_password_is_refused_in_words(client, csrf, login_as):
    login_as(Role.ADMIN)
    response = client.post("/admin/users/new", data={
        "username": "shorty", "full_name": "短", "role": "trainee", "password": "short",
        "csrf_token": csrf()})
    assert response.status_code == 400
    assert "A password needs at least 10 characters." in response.get_data(as_text=True)


def test_a_cohort_is_renamed_and_its_trainees_changed(client, csrf, login_as, make_user, db):
    admin = login_as(Role.ADMIN)
    trainer, other = make_user(Role.TRAINER), make_user(Role.TRAINER)
    pupil = make_user(Role.TRAINEE)
    cohort = services.create_cohort(db, actor=admin, name="旧名", trainer=trainer)
    services.create_cohort(db, actor=admin, name="别的班", trainer=trainer)
    refused = client.post(f"/cohorts/{cohort.id}/edit", data={
        "name": "别的班", "description": "保留", "trainer_id": other.id, "csrf_token": csrf()})
    assert refused.status_code == 409 and "保留" in refused.get_data(as_text=True)
    saved = client.post(f"/cohorts/{cohort.id}/edit", data={
        "name": "新名", "description": "", "trainer_id": other.id, "csrf_token": csrf()})
    assert saved.status_code == 302
    db.expire_all()
    assert (cohort.name, cohort.trainer) == ("新名", other)
    added = client.post(f"/cohorts/{cohort.id}/trainees",
                        data={"user_id": pupil.id, "csrf_token": csrf()})
    db.expire_all()
    assert added.status_code == 302 and cohort.trainees == [pupil]
    removed = client.post(f"/cohorts/{cohort.id}/trainees/{pupil.id}/remove",
                          data={"csrf_token": csrf()})
    db.expire_all()
    assert removed.status_code == 302 and cohort.trainees == []


def test_a_trainer_keeps_their_cohort(client, csrf, login_as, make_user, db):
    """A trainer renames their own cohort but cannot give it to another trainer."""
    trainer = login_as(Role.TRAINER)
    other = make_user(Role.TRAINER)
    cohort = services.create_cohort(db, actor=trainer, name="我的班", trainer=trainer)
    response = client.post(f"/cohorts/{cohort.id}/edit", data={
        "name": "我的班", "trainer_id": other.id, "csrf_token": csrf()})
    assert response.status_code == 400 and cohort.trainer == trainer


def test_the_audit_log_filters_by_user_and_kind(client, login_as, make_user, db):
    login_as(Role.ADMIN)
    user = make_user(Role.TRAINEE, username="filtered")
    services.authenticate(db, "filtered", "wrong password", ip=None)
    page = client.get("/admin/audit?user=FILTERED&kind=login_failed").get_data(as_text=True)
    assert page.count("<tr>") == 2  # the header and the one failed log-in
    assert "Reason: Wrong password" in page and user.username in page
    assert client.get("/admin/audit?kind=nonsense").status_code == 400


def test_the_cohorts_trainee_count_is_bracketed_in_the_pages_language(client, login_as,
                                                                      make_user, db):
    admin = login_as(Role.ADMIN)
    cohort = services.create_cohort(db, actor=admin, name="括号班",
                                    trainer=make_user(Role.TRAINER))
    zh = client.get(f"/cohorts/{cohort.id}", headers={"Accept-Language": "zh-CN"})
    assert "学员（0）</h2>" in zh.get_data(as_text=True)
    en = client.get(f"/cohorts/{cohort.id}", headers={"Accept-Language": "en"})
    assert "Trainees (0)</h2>" in en.get_data(as_text=True)


def test_changes_to_a_cohort_and_its_members_are_audited(client, csrf, login_as, make_user,
                                                         db):
    admin = login_as(Role.ADMIN)
    trainer, other = make_user(Role.TRAINER, username="before"), make_user(
        Role.TRAINER, username="after")
    pupil = make_user(Role.TRAINEE, username="pupil")
    marker = make_user(Role.EXAMINER, username="marker")
    cohort = services.create_cohort(db, actor=admin, name="审计班", trainer=trainer)
    assert client.post(f"/cohorts/{cohort.id}/edit", data={
        "name": "新审计班", "description": "", "trainer_id": other.id,
        "csrf_token": csrf()}).status_code == 302
    for url, data in ((f"/cohorts/{cohort.id}/trainees", {"user_id": pupil.id}),
                      (f"/cohorts/{cohort.id}/trainees/{pupil.id}/remove", {}),
                      (f"/cohorts/{cohort.id}/examiners", {"examiner_ids": marker.id})):
        assert client.post(url, data={**data, "csrf_token": csrf()}).status_code == 302, url
    # saving the same again changes nothing, and nothing is recorded
    assert client.post(f"/cohorts/{cohort.id}/examiners", data={
        "examiner_ids": marker.id, "csrf_token": csrf()}).status_code == 302

    def rows(kind: str) -> list[str]:
        page = client.get(f"/admin/audit?kind={kind}").get_data(as_text=True)
        return page.split("<tr>")[2:]  # after the header

    changed = rows("cohort_changed")
    assert len(changed) == 1 and "Former name: 审计班" in changed[0]
    assert "Cohort: 新审计班" in changed[0] and "Trainer before: before" in changed[0]
    assert "Trainer now: after" in changed[0]
    for kind in ("cohort_joined", "cohort_left"):
        found = rows(kind)
        assert len(found) == 1 and "pupil" in found[0] and "Cohort: 新审计班" in found[0], kind
    examiners = rows("cohort_examiners")
    assert len(examiners) == 1 and "Added: marker" in examiners[0]
    # users are kept by id and named when shown (as they are named then)
    event = db.scalars(select(AuditEvent).where(
        AuditEvent.kind == AuditKind.COHORT_EXAMINERS)).one()
    assert event.detail["added"] == [marker.id] and event.detail["removed"] == []
    # a trainee anonymised since is named as the account is now, in the subject column
    personal_data.delete_all(db, actor=admin, user=pupil, ip=None)
    db.commit()
    joined = rows("cohort_joined")
    assert pupil.username != "pupil" and pupil.username in joined[0]
    assert "pupil<" not in joined[0] and "pupil " not in joined[0]
