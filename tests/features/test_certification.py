"""Certification: a cohort's pass rules (checked before anything is saved), who qualifies
(released scores only, the best attempt, criteria that must not be failed), issuing one or
all, revoking with a reason, the trainee's page and PDF, the public check (no score shown,
unknown codes a 404, rate-limited), access, and the API's certificates within a token's
scope."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.features.test_routes import LIBRARY
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.api import services as api_services
from trainer.certification import services
from trainer.certification.models import Certificate, CertificateDeleted, PassRule
from trainer.core.errors import Conflict, InvalidInput
from trainer.core.scenario import loader
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Mode
from trainer.review import services as review_services
from trainer.review.models import ReviewStatus
from trainer.scenarios import services as scenario_services

# distinctive numbers and texts that must never appear on a certificate or its public check
SECRET_TOTAL = 87.3
FINDING = "Asked the neighbour about the family's income"


def score(total: float, *, passed: bool = True, privacy: float = 1.0,
          coverage: float = 0.8) -> dict[str, Any]:
    """A released score as review.services stores it."""
    return {"grader": "test", "total": total, "passed": passed, "criteria": {
        "privacy": {"score": privacy, "applicable": True,
                    "findings": [{"text": [FINDING, FINDING], "event": 3, "good": False,
                                  "where": None}]},
        "coverage": {"score": coverage, "applicable": True, "findings": []},
        "disclosure": {"score": 0.0, "applicable": False, "findings": []}}}


def attempt_with(db: Session, trainee: Any, assignment: Any, released: dict[str, Any] | None,
                 *, status: ReviewStatus = ReviewStatus.RELEASED,
                 automatic: dict[str, Any] | None = None) -> Any:
    """A submitted attempt whose review has the given status and released score."""
    attempt = fieldwork.submit(db, fieldwork.start_attempt(db, trainee, assignment))
    review = review_services.review_of(db, attempt)
    assert review is not None
    review.status, review.released_score = status, released
    if automatic is not None:
        attempt.score = automatic
    db.flush()
    return attempt


def pdf_text(data: bytes) -> bytes:
    """The decoded content streams of a reportlab PDF (ASCII85, then Flate)."""
    import base64
    import zlib

    found = b""
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            found += zlib.decompress(base64.a85decode(stream.strip(), adobe=True))
        except (ValueError, zlib.error):
            continue
    return found


@pytest.fixture
def setting(db: Session, make_user: Any) -> dict[str, Any]:
    """A cohort with two trainees, an examiner, a practice and an exam; another cohort."""
    trainer, examiner = make_user(Role.TRAINER), make_user(Role.EXAMINER)
    ada = make_user(Role.TRAINEE, full_name="王小红 Ada Wang")
    ben = make_user(Role.TRAINEE, full_name="李明 Ben Li")
    cohort = accounts.create_cohort(db, actor=trainer, name="Certified cohort", trainer=trainer,
                                    examiners=[examiner])
    other = accounts.create_cohort(db, actor=trainer, name="Other cohort", trainer=trainer,
                                   examiners=[examiner])
    cohort.trainees = [ada, ben]
    version = scenario_services.publish(db, loader.load(LIBRARY / "cooperative-family.yaml"),
                                        actor=None)
    practice = fieldwork.assign(db, actor=trainer, cohort=cohort, version=version,
                                mode=Mode.PRACTICE, due_on=None)
    exam = fieldwork.assign(db, actor=trainer, cohort=cohort, version=version, mode=Mode.EXAM,
                            due_on=None)
    elsewhere = fieldwork.assign(db, actor=trainer, cohort=other, version=version,
                                 mode=Mode.PRACTICE, due_on=None)
    db.flush()
    return {"trainer": trainer, "examiner": examiner, "ada": ada, "ben": ben,
            "cohort": cohort, "other": other, "practice": practice, "exam": exam,
            "elsewhere": elsewhere, "version": version}


def set_rules(db: Session, s: dict[str, Any], *, required: list[Any] | None = None,
              minimum: float = 80, must_not_fail: tuple[str, ...] = ("privacy",)) -> PassRule:
    return services.set_rules(db, actor=s["trainer"], cohort=s["cohort"],
                              required=[a.id for a in (required or [s["practice"]])],
                              minimum_total=minimum, must_not_fail=must_not_fail)


def qualifies(db: Session, s: dict[str, Any], who: str) -> bool:
    standing = services.eligibility_of(db, s["cohort"], s[who])
    assert standing is not None
    return standing.qualifies


# Rules ----------------------------------------------------------------------------------------

def test_trainer_sets_the_rules_through_the_form(client: FlaskClient, login_as: Any,
                                                 csrf: Any, db: Session,
                                                 setting: dict[str, Any]) -> None:
    s = setting
    login_as(user=s["trainer"])
    url = f"/cohorts/{s['cohort'].id}/certification/rules"
    page = client.get(url).get_data(as_text=True)
    assert 'name="required"' in page and 'value="privacy"' in page
    answer = client.post(url, data={"csrf_token": csrf(), "minimum_total": "75",
                                    "required": [str(s["practice"].id), str(s["exam"].id)],
                                    "must_not_fail": ["privacy", "coverage"]})
    assert answer.status_code == 302
    rule = services.rules_of(db, s["cohort"])
    assert rule is not None and rule.minimum_total == 75.0
    assert [a.id for a in rule.required] == [s["practice"].id, s["exam"].id]
    assert rule.must_not_fail == ["coverage", "privacy"] and rule.updated_by_id == s["trainer"].id
    shown = client.get(f"/cohorts/{s['cohort'].id}/certification").get_data(as_text=True)
    assert "Who qualifies" in shown and "75.0" in shown
    # changing them replaces them
    client.post(url, data={"csrf_token": csrf(), "minimum_total": "60",
                           "required": [str(s["exam"].id)]})
    db.expire_all()
    rule = services.rules_of(db, s["cohort"])
    assert rule is not None and [a.id for a in rule.required] == [s["exam"].id]
    assert rule.must_not_fail == [] and rule.minimum_total == 60.0
    assert db.scalars(select(PassRule)).all() == [rule]


@pytest.mark.parametrize(("data", "message"), [
    ({"minimum_total": "80", "required": ["elsewhere"]}, "is not an exercise of this cohort"),
    ({"minimum_total": "80", "required": ["abc"]}, "Exercise abc is not an exercise"),
    ({"minimum_total": "80", "required": ["99999999"]}, "is not an exercise of this cohort"),
    ({"minimum_total": "150", "required": ["practice"]}, "runs from 0 to 100"),
    ({"minimum_total": "-1", "required": ["practice"]}, "runs from 0 to 100"),
    ({"minimum_total": "", "required": ["practice"]}, "Give the minimum total."),
    ({"minimum_total": "nan", "required": ["practice"]}, ""),
    ({"minimum_total": "80"}, "Choose at least one required exercise."),
    ({"minimum_total": "80", "required": ["practice"], "must_not_fail": ["charm"]},
     "There is no criterion charm."),
])
def test_bad_rules_are_refused_and_nothing_is_saved(client: FlaskClient, login_as: Any,
                                                    csrf: Any, db: Session,
                                                    setting: dict[str, Any],
                                                    data: dict[str, Any],
                                                    message: str) -> None:
    s = setting
    login_as(user=s["trainer"])
    names = {"practice": str(s["practice"].id), "elsewhere": str(s["elsewhere"].id)}
    sent = {**data, "required": [names.get(v, v) for v in data.get("required", [])]}
    answer = client.post(f"/cohorts/{s['cohort'].id}/certification/rules",
                         data={"csrf_token": csrf(), **sent})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert message in page and 'class="field-error"' in page
    assert services.rules_of(db, s["cohort"]) is None
    with pytest.raises(InvalidInput):
        services.set_rules(db, actor=s["trainer"], cohort=s["cohort"],
                           required=[s["elsewhere"].id], minimum_total=80, must_not_fail=[])


def test_changing_rules_that_fail_keeps_the_old_ones(client: FlaskClient, login_as: Any,
                                                      csrf: Any, db: Session,
                                                      setting: dict[str, Any]) -> None:
    s = setting
    set_rules(db, s, minimum=70)
    login_as(user=s["trainer"])
    answer = client.post(f"/cohorts/{s['cohort'].id}/certification/rules", data={
        "csrf_token": csrf(), "minimum_total": "90",
        "required": [str(s["practice"].id), str(s["elsewhere"].id)]})
    assert answer.status_code == 400
    db.expire_all()
    rule = services.rules_of(db, s["cohort"])
    assert rule is not None and rule.minimum_total == 70 and len(rule.required) == 1


# Who qualifies --------------------------------------------------------------------------------

def test_only_released_scores_count(db: Session, setting: dict[str, Any]) -> None:
    s = setting
    set_rules(db, s, required=[s["exam"]], minimum=80)
    # an exam with a fine automatic score, waiting for its examiner: does not count
    attempt = attempt_with(db, s["ada"], s["exam"], None, status=ReviewStatus.AWAITING,
                           automatic=score(95))
    assert not qualifies(db, s, "ada")
    review = review_services.review_of(db, attempt)
    assert review is not None
    review.status = ReviewStatus.IN_REVIEW
    db.flush()
    assert not qualifies(db, s, "ada")
    # released lower than the automatic score (an examiner's override): the released counts
    review.status, review.released_score = ReviewStatus.RELEASED, score(70)
    db.flush()
    assert not qualifies(db, s, "ada")
    review.released_score = score(SECRET_TOTAL)
    db.flush()
    assert qualifies(db, s, "ada")
    assert not qualifies(db, s, "ben")  # no attempt at all


def test_released_through_the_review_service_counts(db: Session,
                                                    setting: dict[str, Any]) -> None:
    """A real practice attempt, graded and released at submission, meets a minimum of 0 when
    its rubric passes it (and a minimum above its total never)."""
    s = setting
    attempt = fieldwork.submit(db, fieldwork.start_attempt(db, s["ada"], s["practice"]))
    review = review_services.review_of(db, attempt)
    assert review is not None and review.status == ReviewStatus.RELEASED
    total, passed = review.released_score["total"], review.released_score["passed"]
    set_rules(db, s, minimum=0, must_not_fail=())
    assert qualifies(db, s, "ada") is passed
    set_rules(db, s, minimum=min(100, total + 0.1), must_not_fail=())
    assert not qualifies(db, s, "ada") or total == 100


def test_the_best_attempt_counts(db: Session, setting: dict[str, Any]) -> None:
    s = setting
    set_rules(db, s, minimum=80)
    attempt_with(db, s["ada"], s["practice"], score(60))  # below the minimum
    attempt_with(db, s["ada"], s["practice"], score(95, privacy=0.2))  # privacy failed
    assert not qualifies(db, s, "ada")
    good = attempt_with(db, s["ada"], s["practice"], score(85))
    attempt_with(db, s["ada"], s["practice"], score(50, passed=False))  # a worse one later
    standing = services.eligibility_of(db, s["cohort"], s["ada"])
    assert standing is not None and standing.qualifies
    assert standing.standings[0].best is not None
    assert standing.standings[0].best.attempt == good.id


def test_a_failed_must_not_fail_criterion_blocks(db: Session, setting: dict[str, Any]) -> None:
    s = setting
    set_rules(db, s, minimum=80, must_not_fail=("privacy", "coverage"))
    attempt_with(db, s["ada"], s["practice"], score(96, coverage=0.4))
    standing = services.eligibility_of(db, s["cohort"], s["ada"])
    assert standing is not None and not standing.qualifies
    assert standing.standings[0].failed_criteria == ("coverage",)
    set_rules(db, s, minimum=80, must_not_fail=("privacy",))
    assert qualifies(db, s, "ada")
    # an attempt its own rubric failed never counts, whatever its total
    attempt_with(db, s["ben"], s["practice"], score(99, passed=False))
    assert not qualifies(db, s, "ben")


def test_every_required_exercise_must_be_met(db: Session, setting: dict[str, Any]) -> None:
    s = setting
    set_rules(db, s, required=[s["practice"], s["exam"]], minimum=80)
    attempt_with(db, s["ada"], s["practice"], score(90))
    assert not qualifies(db, s, "ada")
    attempt_with(db, s["ada"], s["exam"], score(81))
    assert qualifies(db, s, "ada")


def test_examiner_sees_who_qualifies_but_cannot_issue(client: FlaskClient, login_as: Any,
                                                      csrf: Any, db: Session,
                                                      setting: dict[str, Any]) -> None:
    s = setting
    set_rules(db, s)
    attempt_with(db, s["ada"], s["practice"], score(SECRET_TOTAL))
    login_as(user=s["examiner"])
    page = client.get(f"/cohorts/{s['cohort'].id}/certification").get_data(as_text=True)
    row = re.search(rf'data-test="standing-{s["ada"].username}">(.*?)</tr>', page, re.S)
    assert row is not None and "yes" in row.group(1)
    assert 'data-test="issue-all"' not in page
    answer = client.post(f"/cohorts/{s['cohort'].id}/certification/issue",
                         data={"csrf_token": csrf(), "trainee_id": s["ada"].id})
    assert answer.status_code == 403
    assert client.get(f"/cohorts/{s['cohort'].id}/certification/rules").status_code == 403


# Issuing and revoking ---------------------------------------------------------------------------

def test_issue_one_then_everyone_who_qualifies(client: FlaskClient, login_as: Any, csrf: Any,
                                               db: Session, make_user: Any,
                                               setting: dict[str, Any]) -> None:
    s = setting
    carl = make_user(Role.TRAINEE, full_name="Carl")
    s["cohort"].trainees = [*s["cohort"].trainees, carl]
    set_rules(db, s)
    attempt_with(db, s["ada"], s["practice"], score(90))
    attempt_with(db, carl, s["practice"], score(88))
    attempt_with(db, s["ben"], s["practice"], score(40))
    login_as(user=s["trainer"])
    base = f"/cohorts/{s['cohort'].id}/certification"
    # Ben does not qualify: refused, nothing issued
    refused = client.post(f"{base}/issue", data={"csrf_token": csrf(),
                                                  "trainee_id": s["ben"].id})
    assert refused.status_code == 400 and "does not meet the pass rules" in refused.get_data(
        as_text=True)
    assert services.certificates_of_cohort(db, s["cohort"]) == []
    # someone outside the cohort: not found
    outsider = make_user(Role.TRAINEE)
    assert client.post(f"{base}/issue", data={"csrf_token": csrf(),
                                              "trainee_id": outsider.id}).status_code == 404
    issued = client.post(f"{base}/issue", data={"csrf_token": csrf(),
                                                "trainee_id": s["ada"].id})
    assert issued.status_code == 302
    certificate = services.valid_certificate(db, s["cohort"], s["ada"])
    assert certificate is not None and certificate.issued_by_id == s["trainer"].id
    assert re.fullmatch(r"[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{12}", certificate.code)
    assert certificate.holder_name == "王小红 Ada Wang"
    assert certificate.cohort_name == "Certified cohort"
    assert certificate.scenarios == [{"id": "cooperative-family",
                                      "zh_CN": s["version"].title_zh,
                                      "en": s["version"].title_en}]
    assert certificate.issued_at is not None
    again = client.post(f"{base}/issue", data={"csrf_token": csrf(), "trainee_id": s["ada"].id})
    assert again.status_code == 409
    everyone = client.post(f"{base}/issue-all", data={"csrf_token": csrf()})
    assert everyone.status_code == 302
    holders = {c.holder_id for c in services.certificates_of_cohort(db, s["cohort"])}
    assert holders == {s["ada"].id, carl.id}
    assert client.post(f"{base}/issue-all", data={"csrf_token": csrf()}).status_code == 302
    assert len(services.certificates_of_cohort(db, s["cohort"])) == 2  # nobody twice
    codes = [c.code for c in services.certificates_of_cohort(db, s["cohort"])]
    assert len(set(codes)) == 2


def test_issuing_needs_rules(db: Session, client: FlaskClient, login_as: Any, csrf: Any,
                             setting: dict[str, Any]) -> None:
    s = setting
    login_as(user=s["trainer"])
    answer = client.post(f"/cohorts/{s['cohort'].id}/certification/issue-all",
                         data={"csrf_token": csrf()})
    assert answer.status_code == 400 and "pass rules first" in answer.get_data(as_text=True)


def test_revoke_with_a_reason_keeps_the_certificate(client: FlaskClient, login_as: Any,
                                                    csrf: Any, db: Session,
                                                    setting: dict[str, Any]) -> None:
    s = setting
    set_rules(db, s)
    attempt_with(db, s["ada"], s["practice"], score(90))
    certificate = services.issue(db, actor=s["trainer"], cohort=s["cohort"], trainee=s["ada"])
    login_as(user=s["trainer"])
    url = f"/cohorts/{s['cohort'].id}/certificates/{certificate.id}/revoke"
    short = client.post(url, data={"csrf_token": csrf(), "reason": "bad"})
    assert short.status_code == 400 and "at least 5 characters" in short.get_data(as_text=True)
    assert not certificate.revoked
    other_cohort = f"/cohorts/{s['other'].id}/certificates/{certificate.id}/revoke"
    assert client.post(other_cohort, data={"csrf_token": csrf(),
                                           "reason": "Wrong cohort."}).status_code == 404
    done = client.post(url, data={"csrf_token": csrf(),
                                  "reason": "The exam was taken by someone else."})
    assert done.status_code == 302
    db.expire_all()
    kept = db.get(Certificate, certificate.id)
    assert kept is not None and kept.revoked and kept.revoked_by_id == s["trainer"].id
    assert kept.revoke_reason == "The exam was taken by someone else."
    assert client.post(url, data={"csrf_token": csrf(),
                                  "reason": "Once more, please."}).status_code == 409
    check = client.get(f"/verify/{kept.code}").get_data(as_text=True)
    assert "Revoked" in check and "王小红 Ada Wang" in check
    # revoked: the trainee may be certified again, with a new code
    again = services.issue(db, actor=s["trainer"], cohort=s["cohort"], trainee=s["ada"])
    assert again.code != kept.code
    with pytest.raises(Conflict):
        services.revoke(db, actor=s["trainer"], certificate=kept, reason="Again and again.")
    db.delete(kept)
    with pytest.raises(CertificateDeleted):
        db.flush()
    db.rollback()


# The trainee's certificate ----------------------------------------------------------------------

def test_trainee_sees_their_certificate_and_pdf(client: FlaskClient, login_as: Any,
                                                db: Session, setting: dict[str, Any]) -> None:
    s = setting
    set_rules(db, s)
    attempt_with(db, s["ada"], s["practice"], score(SECRET_TOTAL))
    certificate = services.issue(db, actor=s["trainer"], cohort=s["cohort"], trainee=s["ada"])
    login_as(user=s["ada"])
    training = client.get("/training").get_data(as_text=True)
    assert f"/training/certificates/{certificate.id}" in training
    page = client.get(f"/training/certificates/{certificate.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "王小红 Ada Wang" in text and "Certified cohort" in text
    assert s["version"].title_en in text and services.display_code(certificate.code) in text
    assert f"http://localhost/verify/{certificate.code}" in text
    assert str(SECRET_TOTAL) not in text and FINDING not in text
    pdf = client.get(f"/training/certificates/{certificate.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert certificate.code.encode() in pdf.data  # in the document's metadata
    page_text = pdf_text(pdf.data)
    assert services.display_code(certificate.code).encode() in page_text  # printed on the page
    assert f"/verify/{certificate.code}".encode() in page_text
    assert str(SECRET_TOTAL).encode() not in page_text + pdf.data


def test_dates_are_beijing_calendar_days(client: FlaskClient, login_as: Any, db: Session,
                                         setting: dict[str, Any]) -> None:
    """Issued at 23:30 UTC is issued the next morning in Beijing: every page and the PDF
    show the Beijing day."""
    s = setting
    set_rules(db, s)
    attempt_with(db, s["ada"], s["practice"], score(90))
    certificate = services.issue(db, actor=s["trainer"], cohort=s["cohort"], trainee=s["ada"])
    certificate.issued_at = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    db.commit()
    login_as(user=s["ada"])
    for url in ("/training", f"/training/certificates/{certificate.id}",
                f"/verify/{certificate.code}"):
        text = client.get(url).get_data(as_text=True)
        assert "2026-11-30" in text and "2026-11-29" not in text, url
    page_text = pdf_text(client.get(f"/training/certificates/{certificate.id}.pdf").data)
    assert b"2026-11-30" in page_text and b"2026-11-29" not in page_text


def test_a_trainee_cannot_reach_another_trainees_certificate(client: FlaskClient,
                                                             login_as: Any, db: Session,
                                                             setting: dict[str, Any]) -> None:
    s = setting
    set_rules(db, s)
    attempt_with(db, s["ada"], s["practice"], score(90))
    certificate = services.issue(db, actor=s["trainer"], cohort=s["cohort"], trainee=s["ada"])
    login_as(user=s["ben"])
    for url in (f"/training/certificates/{certificate.id}",
                f"/training/certificates/{certificate.id}.pdf",
                "/training/certificates/2147483647"):
        assert client.get(url).status_code == 404, url
    assert "My certificates" not in client.get("/training").get_data(as_text=True)
    for url in (f"/cohorts/{s['cohort'].id}/certification",
                f"/cohorts/{s['cohort'].id}/certification/rules", "/certification"):
        assert client.get(url).status_code == 403, url


def test_a_trainer_reaches_only_their_cohorts(client: FlaskClient, login_as: Any, csrf: Any,
                                              db: Session, setting: dict[str, Any]) -> None:
    s = setting
    login_as(Role.TRAINER)  # another trainer
    base = f"/cohorts/{s['cohort'].id}/certification"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/rules").status_code == 404
    assert client.post(f"{base}/issue-all", data={"csrf_token": csrf()}).status_code == 404


# The public check -------------------------------------------------------------------------------

def test_public_check_shows_no_score(client: FlaskClient, db: Session,
                                     setting: dict[str, Any]) -> None:
    s = setting
    set_rules(db, s)
    attempt_with(db, s["ada"], s["practice"], score(SECRET_TOTAL))
    certificate = services.issue(db, actor=s["trainer"], cohort=s["cohort"], trainee=s["ada"])
    code = certificate.code
    for asked in (code, code.lower(), services.display_code(code)):
        answer = client.get(f"/verify/{asked}")
        text = answer.get_data(as_text=True)
        assert answer.status_code == 200, asked
        assert "Valid" in text and "王小红 Ada Wang" in text and "Certified cohort" in text
        assert s["version"].title_en in text
        assert fieldwork.local_today(certificate.issued_at).isoformat() in text  # Beijing day
        visible = text.replace(code, "").replace(services.display_code(code), "")
        for hidden in (str(SECRET_TOTAL), FINDING, "privacy", "coverage", "score", "Score"):
            assert hidden not in visible, hidden
    typed = client.get(f"/verify?code={services.display_code(code).lower()}")
    assert typed.status_code == 302 and typed.headers["Location"] == f"/verify/{code}"
    assert client.get("/verify").status_code == 200
    assert client.get("/verify?code=").status_code == 400
    for malformed in ("0OI1", "a/b", "ZZZZ-ZZZZ-ZZZ"):
        answer = client.get("/verify", query_string={"code": malformed})
        assert answer.status_code == 404, malformed
        assert "No certificate has this code" in answer.get_data(as_text=True)


@pytest.mark.parametrize("code", ["ZZZZZZZZZZZZ", "0OI1", "x" * 5000, "ABCD%20EFGH",
                                  "AAAAAAAAAAAAA", "'; DROP TABLE certificates; --"])
def test_unknown_or_malformed_code_is_a_localised_404(client: FlaskClient, code: str) -> None:
    answer = client.get(f"/verify/{code}")
    assert answer.status_code == 404
    assert "No certificate has this code" in answer.get_data(as_text=True)
    chinese = client.get(f"/verify/{code}", headers={"Accept-Language": "zh-CN"})
    assert chinese.status_code == 404
    assert "没有与此验证码对应的证书" in chinese.get_data(as_text=True)


def test_a_nul_in_the_code_is_a_bad_request(client: FlaskClient) -> None:
    """A NUL byte anywhere in a request is refused before any view (trainer/security.py)."""
    answer = client.get("/verify/ABCD%00EFGH")
    assert answer.status_code == 400
    assert "Traceback" not in answer.get_data(as_text=True)


def test_unknown_codes_are_rate_limited(app: Flask, client: FlaskClient, db: Session,
                                        setting: dict[str, Any]) -> None:
    s = setting
    set_rules(db, s)
    attempt_with(db, s["ada"], s["practice"], score(90))
    certificate = services.issue(db, actor=s["trainer"], cohort=s["cohort"], trainee=s["ada"])
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    assert client.get(f"/verify/{certificate.code}").status_code == 200  # not counted
    statuses = [client.get("/verify/ZZZZZZZZZZZZ").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    assert client.get(f"/verify/{certificate.code}").status_code == 429


# The API ----------------------------------------------------------------------------------------

def test_api_lists_certificates_within_the_tokens_scope(client: FlaskClient, db: Session,
                                                        make_user: Any,
                                                        setting: dict[str, Any]) -> None:
    s = setting
    set_rules(db, s)
    attempt_with(db, s["ada"], s["practice"], score(SECRET_TOTAL))
    attempt_with(db, s["ben"], s["practice"], score(90))
    first = services.issue(db, actor=s["trainer"], cohort=s["cohort"], trainee=s["ada"])
    services.revoke(db, actor=s["trainer"], certificate=first, reason="Issued by mistake.")
    second = services.issue(db, actor=s["trainer"], cohort=s["cohort"], trainee=s["ben"])
    elsewhere = Certificate(code=services.new_code(), cohort=s["other"], holder=s["ada"],
                            holder_name="x", cohort_name="Other cohort", scenarios=[])
    db.add(elsewhere)
    _token, raw = api_services.create_token(db, owner=s["examiner"], name="Certificates",
                                            cohort_ids=[s["cohort"].id])
    db.flush()
    headers = {"Authorization": f"Bearer {raw}"}
    url = f"/api/v1/cohorts/{s['cohort'].id}/certificates"
    page = client.get(url, headers=headers).json
    assert page is not None and page["total"] == 2 and page["next"] is None
    assert [c["id"] for c in page["items"]] == [first.id, second.id]
    revoked, valid = page["items"]
    assert revoked["revoked"] is True and revoked["revoke_reason"] == "Issued by mistake."
    assert valid["revoked"] is False and valid["revoked_at"] is None
    assert valid["verification_url"] == f"http://localhost/verify/{second.code}"
    assert valid["scenarios"][0]["title"]["en"] == s["version"].title_en
    assert str(SECRET_TOTAL) not in str(page) and "score" not in str(page)
    paged = client.get(f"{url}?limit=1", headers=headers).json
    assert paged is not None and paged["next"] == f"{url}?limit=1&offset=1"
    # the other cohort is marked by the same examiner but not given to the token: absent
    for outside in (f"/api/v1/cohorts/{s['other'].id}/certificates",
                    "/api/v1/cohorts/2147483647/certificates"):
        answer = client.get(outside, headers=headers)
        assert answer.status_code == 404 and answer.is_json, outside
    assert client.get(f"{url}?page=2", headers=headers).status_code == 400
    assert client.get(url).status_code == 401
    s["cohort"].examiners = []  # the owner no longer marks the cohort: the token loses it
    db.flush()
    assert client.get(url, headers=headers).status_code == 404


def test_pages_speak_chinese(client: FlaskClient, login_as: Any, db: Session,
                             setting: dict[str, Any]) -> None:
    s = setting
    set_rules(db, s, must_not_fail=("privacy", "coverage"))
    attempt_with(db, s["ada"], s["practice"], score(90))
    attempt_with(db, s["ben"], s["practice"], score(95, coverage=0.1))
    certificate = services.issue(db, actor=s["trainer"], cohort=s["cohort"], trainee=s["ada"])
    zh = {"Accept-Language": "zh-CN"}
    login_as(user=s["trainer"])
    page = client.get(f"/cohorts/{s['cohort'].id}/certification", headers=zh)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "合格标准" in text and "向所有合格学员发证" in text
    assert "有不得不及格的评分项不及格" in text  # Ben's coverage, named in Chinese
    from trainer.core.grading.criteria import LABELS

    both = f"{LABELS['coverage'][0]}、{LABELS['privacy'][0]}"  # 顿号, not ", "
    assert both in text, text
    english = html.unescape(client.get(f"/cohorts/{s['cohort'].id}/certification",
                                       headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert f"{LABELS['coverage'][1]}, {LABELS['privacy'][1]}" in english
    rules_page = client.get(f"/cohorts/{s['cohort'].id}/certification/rules", headers=zh)
    assert "必修练习" in rules_page.get_data(as_text=True)
    login_as(user=s["ada"])
    mine = client.get(f"/training/certificates/{certificate.id}", headers=zh)
    assert "普查员培训合格证书" in mine.get_data(as_text=True)
    assert s["version"].title_zh in mine.get_data(as_text=True)
    public = client.get(f"/verify/{certificate.code}", headers=zh).get_data(as_text=True)
    assert "有效" in public and s["version"].title_zh in public


# One valid certificate per trainee and cohort, in the database itself ---------------------------

def a_certificate(s: dict[str, Any], code: str, **fields: Any) -> Certificate:
    return Certificate(code=code, cohort=s["cohort"], holder=s["ada"],
                       holder_name=s["ada"].full_name, cohort_name=s["cohort"].name,
                       scenarios=[], issued_by=s["trainer"], **fields)


def test_the_database_refuses_a_second_valid_certificate(db: Session,
                                                         setting: dict[str, Any]) -> None:
    from datetime import UTC, datetime

    from sqlalchemy.exc import IntegrityError

    s = setting
    db.add(a_certificate(s, "ABCD2345EFGH"))
    db.flush()
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(a_certificate(s, "ABCD2345EFGJ"))
        db.flush()
    # revoked ones do not count, however many; and another cohort is another certificate
    revoked = {"revoked_at": datetime(2026, 11, 3, 9, 0, tzinfo=UTC),
               "revoked_by": s["trainer"], "revoke_reason": "Issued by mistake."}
    db.add_all([a_certificate(s, "ABCD2345EFGK", **revoked),
                a_certificate(s, "ABCD2345EFGL", **revoked)])
    other = a_certificate(s, "ABCD2345EFGM")
    other.cohort = s["other"]
    db.add(other)
    db.flush()
    valid = db.scalars(select(Certificate).where(Certificate.cohort_id == s["cohort"].id,
                                                 Certificate.revoked_at.is_(None))).all()
    assert [c.code for c in valid] == ["ABCD2345EFGH"]


def test_a_lost_race_is_the_localised_conflict(db: Session, setting: dict[str, Any],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    s = setting
    set_rules(db, s)
    attempt_with(db, s["ada"], s["practice"], score(90))
    first = services.issue(db, actor=s["trainer"], cohort=s["cohort"], trainee=s["ada"])
    # the other request checked before this one's insert: its check finds nothing
    real, blind = services.valid_certificate, [0]

    def check(*args: Any) -> Any:
        if blind[0]:
            blind[0] -= 1
            return None
        return real(*args)

    monkeypatch.setattr(services, "valid_certificate", check)
    blind[0] = 1
    with pytest.raises(Conflict, match="already holds a certificate of this cohort"):
        services.issue(db, actor=s["trainer"], cohort=s["cohort"], trainee=s["ada"])
    assert blind == [0]  # the check was blind: the database's index refused the insert
    # issuing to all: the standings saw no certificate (a race), the insert is refused
    monkeypatch.setattr(services, "standings", lambda db, cohort: [
        services.Row(s["ada"], services.eligibility_of(db, cohort, s["ada"]), None)])
    blind[0] = 1
    assert services.issue_all(db, actor=s["trainer"], cohort=s["cohort"]) == []
    assert blind == [0]
    # the transaction goes on: the first certificate stands, alone
    assert [c.id for c in services.certificates_of_cohort(db, s["cohort"])] == [first.id]
    services.revoke(db, actor=s["trainer"], certificate=first, reason="Taken by someone else.")
    second = services.issue(db, actor=s["trainer"], cohort=s["cohort"], trainee=s["ada"])
    assert second.id != first.id and not second.revoked
    assert services.valid_certificate(db, s["cohort"], s["ada"]) == second


def test_two_connections_at_once_leave_one_valid_certificate(tmp_path: Any,
                                                             tmp_path_factory: Any) -> None:
    """Two transactions insert a valid certificate for the same trainee and cohort at the same
    time, on a migrated database of their own: the second waits for the first and is refused
    (PostgreSQL: by the unique index once the first commits; SQLite: by the index, or by its
    single writer when the second's snapshot is older than the first's commit)."""
    import threading
    import time

    from sqlalchemy import func, insert
    from sqlalchemy.exc import IntegrityError, OperationalError

    from tests.features.live_database import migrate, separate_database
    from trainer.db import make_engine

    with separate_database(tmp_path, tmp_path_factory, "certificates") as url:
        migrate(url)
        engine = make_engine(url)
        try:
            with Session(engine) as db:
                trainer, _ = accounts.create_user(db, actor=None, username="race-trainer",
                                                  full_name="Trainer", role=Role.TRAINER,
                                                  password="correct-horse-battery")
                trainee, _ = accounts.create_user(db, actor=None, username="race-trainee",
                                                  full_name="Trainee", role=Role.TRAINEE,
                                                  password="correct-horse-battery")
                cohort = accounts.create_cohort(db, actor=trainer, name="Race",
                                                trainer=trainer)
                db.commit()
                ids = {"cohort_id": cohort.id, "holder_id": trainee.id,
                       "issued_by_id": trainer.id}
            table = Certificate.__table__

            def row(code: str) -> dict[str, Any]:
                return {**ids, "code": code, "holder_name": "Trainee", "cohort_name": "Race",
                        "scenarios": []}

            outcome: dict[str, str] = {}

            def second() -> None:
                try:
                    with engine.begin() as conn:
                        conn.execute(insert(table), row("BBBB2345BBBB"))
                    outcome["second"] = "inserted"
                except IntegrityError:
                    outcome["second"] = "refused by the index"
                except OperationalError:
                    outcome["second"] = "refused by the single writer"

            with engine.connect() as first:
                with first.begin():
                    first.execute(insert(table), row("AAAA2345AAAA"))
                    other = threading.Thread(target=second)
                    other.start()
                    time.sleep(0.5)  # the second is now waiting for the first's lock
                    assert "second" not in outcome
                other.join(30)
            assert outcome["second"].startswith("refused")
            if engine.dialect.name == "postgresql":
                assert outcome["second"] == "refused by the index"
            with engine.connect() as conn:
                valid = conn.execute(select(func.count()).select_from(table).where(
                    table.c.holder_id == ids["holder_id"], table.c.revoked_at.is_(None)))
                assert valid.scalar() == 1
        finally:
            engine.dispose()
