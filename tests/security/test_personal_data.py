"""A trainee's personal data, exported whole and deleted by an administrator."""

from __future__ import annotations

import io
import json

from sqlalchemy import func, select

from tests.conftest import PASSWORD
from trainer.accounts.models import AuditEvent, AuditKind, Role, User
from trainer.certification.models import Certificate
from trainer.fieldwork.models import Attempt, Grade
from trainer.maps.models import MapDrawing, MapTry
from trainer.review.models import Notification, Review, ReviewEvent
from trainer.video.models import WatchProgress


def _count(db, model, **where):
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.scalar(stmt)


def _watch(db, estate):
    from trainer.video import services as video_services
    from trainer.video.models import Clip

    clip = db.get(Clip, estate.ids["clip"])
    video_services.record_progress(db, clip, estate.users["victim"], segments=[[0, 1]],
                                   position=1)
    db.add(Notification(user=estate.users["victim"], message="Your score is released."))
    db.flush()


def _earlier_try(db, estate):
    drawing = db.scalar(select(MapDrawing).where(
        MapDrawing.trainee_id == estate.users["victim"].id))
    db.add(MapTry(drawing_id=drawing.id, number=1, geojson={"properties": {"title": "try 1"}},
                  result={"total": 0.5}, saves=3))
    attempt = db.get(Attempt, estate.ids["attempt"])
    attempt.map_drawing = {"properties": {"title": "attempt map"}}
    attempt.deaths = {"rows": [], "complete": False}
    db.flush()


def test_the_export_holds_the_trainees_data(client, csrf, login_as, estate, db):
    _watch(db, estate)
    _earlier_try(db, estate)
    login_as(user=estate.users["admin"])
    response = client.post(estate.url("/admin/users/{victim}/personal-data/export"),
                           data={"csrf_token": csrf()})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    document = json.loads(response.get_data(as_text=True))
    victim = estate.users["victim"]
    assert document["profile"]["username"] == victim.username
    assert document["profile"]["full_name"] == victim.full_name
    assert [c["name"] for c in document["cohorts"]] == ["Cohort A"]
    attempts = {attempt["id"]: attempt for attempt in document["attempts"]}
    assert set(attempts) == {estate.ids["attempt"], estate.ids["reviewed"]}
    mine = attempts[estate.ids["attempt"]]
    assert mine["tally"] == {"present": 3} and mine["register"]["wang"]["head"] == "王秀英"
    assert attempts[estate.ids["reviewed"]]["review_status"] == "awaiting_review"
    assert document["map_drawings"][0]["geojson"]["properties"]["title"] == "victim's map"
    assert document["map_drawings"][0]["earlier_tries"] == [{
        "number": 1, "geojson": {"properties": {"title": "try 1"}}, "result": {"total": 0.5},
        "saves": 3, "submitted_at": None}]
    assert mine["map_drawing"]["properties"]["title"] == "attempt map"
    assert mine["deaths"] == {"rows": [], "complete": False} and mine["hmt_forms"] is None
    assert document["clip_watching"][0]["clip"] == "route-clip"
    assert document["certificates"][0]["code"] == estate.ids["code"]
    assert document["notifications"][0]["message"] == "Your score is released."
    assert "password" not in json.dumps(document).lower().replace("password_", "")
    assert PASSWORD not in json.dumps(document)
    event = db.scalar(select(AuditEvent).where(
        AuditEvent.kind == AuditKind.PERSONAL_DATA_EXPORTED))
    assert event.subject_id == victim.id and event.actor_id == estate.users["admin"].id
    # nothing of another trainee is in it
    assert estate.users["classmate"].username not in json.dumps(document)


def test_deleting_anonymises_the_trainee_and_deletes_their_work(app, client, csrf, login_as,
                                                                estate, db):
    _watch(db, estate)
    _earlier_try(db, estate)
    victim = estate.users["victim"]
    victim_id, old_name, old_full_name = victim.id, victim.username, victim.full_name
    victim_client = app.test_client()
    with victim_client.session_transaction() as session:
        session["_user_id"] = victim.get_id()
    assert victim_client.get("/training").status_code == 200
    assert _count(db, Review) == 1 and _count(db, Grade) >= 1
    client.post("/login", data={"username": old_name, "password": "not-the-password",
                                "csrf_token": csrf()})  # a failed log-in names the trainee
    assert _count(db, AuditEvent, username_tried=old_name) >= 1
    before_events = _count(db, AuditEvent)
    classmate_attempts = _count(db, Attempt, trainee_id=estate.ids["classmate"])

    login_as(user=estate.users["admin"])
    response = client.post(estate.url("/admin/users/{victim}/personal-data/delete"), data={
        "confirm_username": old_name.upper(), "csrf_token": csrf()})
    assert response.status_code == 302

    db.expire_all()
    user = db.get(User, victim_id)
    assert user.username == user.full_name == f"deleted-{victim_id}"
    assert user.email is None and not user.active
    assert _count(db, Attempt, trainee_id=victim_id) == 0
    assert _count(db, Review) == 0 and _count(db, ReviewEvent) == 0
    assert _count(db, Grade) == 0
    assert _count(db, MapDrawing, trainee_id=victim_id) == 0 and _count(db, MapTry) == 0
    assert _count(db, WatchProgress, user_id=victim_id) == 0
    assert _count(db, Notification, user_id=victim_id) == 0
    certificate = db.get(Certificate, estate.ids["certificate"])
    assert certificate.holder_name == f"deleted-{victim_id}" and certificate.revoked
    # others' work and the audit log are kept, with the deletion in it
    assert _count(db, Attempt, trainee_id=estate.ids["classmate"]) == classmate_attempts
    assert _count(db, AuditEvent) == before_events + 1
    # the name typed at the failed log-in is gone from it, the event stays
    assert _count(db, AuditEvent, username_tried=old_name) == 0
    assert _count(db, AuditEvent, username_tried=f"deleted-{victim_id}") >= 1
    event = db.scalar(select(AuditEvent).where(
        AuditEvent.kind == AuditKind.PERSONAL_DATA_DELETED))
    assert event.actor_id == estate.users["admin"].id and event.subject_id == victim_id
    assert event.detail["attempts"] == 2 and event.detail["certificates_revoked"] == 1
    # the trainee is logged out everywhere and cannot log in again, by any name
    assert victim_client.get("/training").status_code == 302
    client.delete_cookie("session")
    for name in (old_name, f"deleted-{victim_id}"):
        answer = client.post("/login", data={"username": name, "password": PASSWORD,
                                             "csrf_token": csrf()})
        assert answer.status_code == 401
    # and the public check of the certificate says revoked, with no name
    verified = client.get(estate.url("/verify/{code}")).get_data(as_text=True)
    assert old_full_name not in verified and "revoked" in verified.lower()


def test_deleting_needs_the_user_name_typed(client, csrf, login_as, estate, db):
    login_as(user=estate.users["admin"])
    response = client.post(estate.url("/admin/users/{victim}/personal-data/delete"), data={
        "confirm_username": "someone-else", "csrf_token": csrf()})
    assert response.status_code == 400
    db.expire_all()
    assert db.get(User, estate.ids["victim"]).username == "victim"
    assert _count(db, Attempt, trainee_id=estate.ids["victim"]) == 2


def test_only_trainees_data_is_deleted_and_never_ones_own(client, csrf, login_as, estate, db):
    admin = login_as(user=estate.users["admin"])
    for user in (estate.users["trainer_a"], admin):
        response = client.post(f"/admin/users/{user.id}/personal-data/delete", data={
            "confirm_username": user.username, "csrf_token": csrf()})
        assert response.status_code == 403
    db.expire_all()
    assert db.get(User, estate.users["trainer_a"].id).username == "trainer-a"


def test_the_user_page_offers_export_and_deletion(client, login_as, estate, make_user):
    login_as(user=estate.users["admin"])
    page = client.get(estate.url("/admin/users/{victim}")).get_data(as_text=True)
    assert "Export personal data" in page and "Delete personal data" in page
    trainer_page = client.get(f"/admin/users/{estate.users['trainer_a'].id}").get_data(
        as_text=True)
    assert "Export personal data" in trainer_page and "Delete personal data" not in trainer_page


def test_staff_cannot_export_or_delete(client, csrf, login_as, estate):
    for role in (Role.TRAINER, Role.EXAMINER, Role.TRAINEE):
        login_as(role)
        for action in ("export", "delete"):
            response = client.post(estate.url(f"/admin/users/{{victim}}/personal-data/{action}"),
                                   data={"confirm_username": "victim", "csrf_token": csrf()})
            assert response.status_code == 403


def test_a_user_name_taken_in_advance_cannot_block_a_deletion(client, csrf, login_as, estate,
                                                              db):
    """Deleting renames the trainee `deleted-<id>`. Before: a trainer could import a trainee
    (or an administrator create a user) of that name beforehand, and the deletion failed on
    the unique user name with a 500, every time. Now such names are refused when a user is
    made, and a deletion that meets one made before goes on under another name."""
    from trainer.accounts import services as account_services

    victim = estate.ids["victim"]
    login_as(user=estate.users["trainer_a"])
    imported = client.post(estate.url("/cohorts/{cohort_a}/import"), data={
        "file": (io.BytesIO(f"username,full_name,email\ndeleted-{victim},Squatter,\n".encode()),
                 "trainees.csv"), "csrf_token": csrf()})
    assert imported.status_code == 422
    assert _count(db, User, username=f"deleted-{victim}") == 0
    login_as(user=estate.users["admin"])
    made = client.post("/admin/users/new", data={
        "username": f"Deleted-{estate.ids['classmate']}", "full_name": "Squatter",
        "role": "trainee", "csrf_token": csrf()})
    assert made.status_code == 400
    assert "deleted-" in made.get_data(as_text=True)

    # one made before names were reserved
    squatter, _ = account_services.create_user(db, actor=None, username="placeholder",
                                               full_name="Squatter", role=Role.TRAINEE,
                                               password=PASSWORD)
    squatter.username = f"deleted-{victim}"
    db.flush()
    response = client.post(estate.url("/admin/users/{victim}/personal-data/delete"), data={
        "confirm_username": "victim", "csrf_token": csrf()})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    db.expire_all()
    deleted = db.get(User, victim)
    assert deleted.username.startswith(f"deleted-{victim}-") and not deleted.active
    assert _count(db, Attempt, trainee_id=victim) == 0
