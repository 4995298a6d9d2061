"""Certification pages: a cohort's pass rules and who qualifies (trainers, examiners,
admins), issuing and revoking (trainers of the cohort, admins), a trainee's own certificates
(page and PDF), and the public check of a code, which shows no score or finding."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from trainer.access import current_actor, public, roles
from trainer.accounts.models import Cohort, Role, User
from trainer.accounts.services import cohort_for_user, cohorts_visible_to
from trainer.certification import pdf, services
from trainer.certification.forms import (
    ActionForm,
    IssueForm,
    RevokeForm,
    RulesForm,
    VerifyForm,
)
from trainer.certification.models import Certificate
from trainer.core.errors import Conflict, DomainError, InvalidInput, NotFound
from trainer.core.grading.certification import Shortfall
from trainer.core.grading.criteria import LABELS
from trainer.core.i18n import N_
from trainer.errors import form_error, status_for, translate
from trainer.extensions import db_session, is_english, limiter
from trainer.fieldwork.services import assignments_of

bp = Blueprint("certification", __name__, template_folder="templates")
ISSUERS = (Role.TRAINER, Role.ADMIN)
VIEWERS = (Role.TRAINER, Role.EXAMINER, Role.ADMIN)

SHORTFALL_LABELS = {Shortfall.BELOW_MINIMUM: N_("total below the minimum"),
                    Shortfall.RUBRIC_FAILED: N_("not passed by its rubric"),
                    Shortfall.CRITERION_FAILED: N_("a criterion that must not be failed was "
                                                   "failed")}


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    def my_certificates() -> list[Certificate]:
        """The logged-in trainee's certificates (My training lists them)."""
        if not current_user.is_authenticated or current_user.role != Role.TRAINEE:
            return []
        return list(services.certificates_of(db_session(), current_actor()))

    return {"my_certificates": my_certificates, "certificate_code": services.display_code,
            "shortfall_label": lambda shortfall: _(SHORTFALL_LABELS[shortfall])}


def _title(version: Any) -> str:
    return str(version.title_en if is_english() else version.title_zh)


def _scenario_title(scenario: dict[str, Any]) -> str:
    return str(scenario.get("en" if is_english() else "zh_CN") or scenario.get("id", ""))


def _criterion_label(name: str) -> str:
    pair = LABELS.get(name, (name, name))
    return pair[1] if is_english() else pair[0]


# A cohort's rules and standings ------------------------------------------------------------

@bp.get("/certification")
@roles(*VIEWERS)
def index() -> Any:
    """The cohorts I may certify or watch, with their rules and certificates counted."""
    db = db_session()
    cohorts = cohorts_visible_to(db, current_actor())
    rows = [(cohort, services.rules_of(db, cohort),
             sum(1 for c in services.certificates_of_cohort(db, cohort) if not c.revoked))
            for cohort in cohorts]
    return render_template("certification/index.html", rows=rows)


def _cohort_page(cohort: Cohort, status: int = 200, revoke: RevokeForm | None = None,
                 revoke_id: int | None = None) -> Any:
    db, actor = db_session(), current_actor()
    rule = services.rules_of(db, cohort)
    return render_template(
        "certification/cohort.html", cohort=cohort, rule=rule,
        rows=services.standings(db, cohort),
        certificates=services.certificates_of_cohort(db, cohort),
        may_issue=actor.role in ISSUERS, action=ActionForm(), revoke=revoke or RevokeForm(),
        revoke_id=revoke_id, title_of=_title, scenario_title=_scenario_title,
        criterion_label=_criterion_label), status


@bp.get("/cohorts/<int:cohort_id>/certification")
@roles(*VIEWERS)
def cohort(cohort_id: int) -> Any:
    """The cohort's pass rules, each trainee's standing, and the certificates issued."""
    return _cohort_page(cohort_for_user(db_session(), current_actor(), cohort_id))


def _rules_form(cohort: Cohort, form: RulesForm | None = None) -> RulesForm:
    db = db_session()
    form = form or RulesForm()
    form.required.choices = [
        SelectChoice(str(a.id), f"{_title(a.version)} · "
                                f"{_('Exam') if a.mode.value == 'exam' else _('Practice')}")
        for a in reversed(assignments_of(db, cohort))]
    form.must_not_fail.choices = [SelectChoice(name, _criterion_label(name))
                                  for name in services.criteria_of(db, cohort)]
    return form


def _rules_page(cohort: Cohort, form: RulesForm, status: int = 200) -> Any:
    return render_template("certification/rules.html", cohort=cohort, form=form), status


@bp.route("/cohorts/<int:cohort_id>/certification/rules", methods=["GET", "POST"])
@roles(*ISSUERS)
def rules(cohort_id: int) -> Any:
    """Set the cohort's pass rules."""
    db, actor = db_session(), current_actor()
    cohort = cohort_for_user(db, actor, cohort_id)
    form = _rules_form(cohort)
    if request.method == "GET":
        rule = services.rules_of(db, cohort)
        if rule is not None:
            form.required.data = [str(a.id) for a in rule.required]
            form.minimum_total.data = rule.minimum_total
            form.must_not_fail.data = list(rule.must_not_fail)
        return _rules_page(cohort, form)
    if not form.validate_on_submit():
        return _rules_page(cohort, form, 400)
    try:
        required = []
        for raw in form.required.data or []:
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
                raise InvalidInput(N_("Exercise %(id)s is not an exercise of this cohort."),
                                   field="required", id=raw[:20])
            required.append(int(raw))
        services.set_rules(db, actor=actor, cohort=cohort, required=required,
                           minimum_total=form.minimum_total.data,
                           must_not_fail=form.must_not_fail.data or [])
    except DomainError as error:
        db.rollback()
        return _rules_page(cohort, form, form_error(form, error))
    db.commit()
    flash(_("The pass rules are saved."), "success")
    return redirect(url_for("certification.cohort", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/certification/issue")
@roles(*ISSUERS)
def issue(cohort_id: int) -> Any:
    """Issue a certificate to one trainee who qualifies."""
    db, actor = db_session(), current_actor()
    cohort = cohort_for_user(db, actor, cohort_id)
    form = IssueForm()
    if not form.validate_on_submit():
        flash(_("Choose the trainee to certify."), "error")
        return _cohort_page(cohort, 400)
    trainee = db.get(User, form.trainee_id.data)
    if trainee is None:
        raise NotFound(N_("No such trainee in this cohort."))
    try:
        certificate = services.issue(db, actor=actor, cohort=cohort, trainee=trainee)
    except (InvalidInput, Conflict) as error:
        flash(translate(error), "error")
        return _cohort_page(cohort, status_for(error))
    db.commit()
    flash(_("Certificate %(code)s issued to %(name)s.",
            code=services.display_code(certificate.code), name=trainee.full_name), "success")
    return redirect(url_for("certification.cohort", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/certification/issue-all")
@roles(*ISSUERS)
def issue_all(cohort_id: int) -> Any:
    """Issue a certificate to everyone who qualifies and holds none yet."""
    db, actor = db_session(), current_actor()
    cohort = cohort_for_user(db, actor, cohort_id)
    if not ActionForm().validate_on_submit():
        return _cohort_page(cohort, 400)
    try:
        issued = services.issue_all(db, actor=actor, cohort=cohort)
    except InvalidInput as error:
        flash(translate(error), "error")
        return _cohort_page(cohort, status_for(error))
    db.commit()
    if issued:
        flash(_("%(count)s certificates issued.", count=len(issued)), "success")
    else:
        flash(_("Nobody else qualifies for a certificate now."), "info")
    return redirect(url_for("certification.cohort", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/certificates/<int:certificate_id>/revoke")
@roles(*ISSUERS)
def revoke(cohort_id: int, certificate_id: int) -> Any:
    """Revoke a certificate with the reason; it is kept, and its check says revoked."""
    db, actor = db_session(), current_actor()
    cohort = cohort_for_user(db, actor, cohort_id)
    certificate = services.certificate_in(db, [cohort], certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _cohort_page(cohort, 400, form, certificate.id)
    try:
        services.revoke(db, actor=actor, certificate=certificate, reason=form.reason.data or "")
    except DomainError as error:
        return _cohort_page(cohort, form_error(form, error), form, certificate.id)
    db.commit()
    flash(_("Certificate %(code)s is revoked.", code=services.display_code(certificate.code)),
          "success")
    return redirect(url_for("certification.cohort", cohort_id=cohort.id))


# A trainee's own certificates ---------------------------------------------------------------

@bp.get("/training/certification")
@roles(Role.TRAINEE)
def mine() -> Any:
    """What I must do to be certified in each of my cohorts, and how far I am."""
    db, actor = db_session(), current_actor()
    cohorts = []
    for cohort in cohorts_visible_to(db, actor):
        rule = services.rules_of(db, cohort)
        eligibility = services.eligibility_of(db, cohort, actor)
        standings = {s.assignment: s for s in eligibility.standings} if eligibility else {}
        cohorts.append({"cohort": cohort, "rule": rule, "eligibility": eligibility,
                        "standings": standings,
                        "met": sum(1 for s in standings.values() if s.met),
                        "certificate": services.valid_certificate(db, cohort, actor)})
    return render_template("certification/mine.html", cohorts=cohorts, title_of=_title,
                           criterion_label=_criterion_label)


def _verify_url(certificate: Certificate) -> str:
    return url_for("certification.verified", code=certificate.code, _external=True)


@bp.get("/training/certificates/<int:certificate_id>")
@roles(Role.TRAINEE)
def certificate(certificate_id: int) -> Any:
    """My certificate as a printable page."""
    found = services.certificate_for_holder(db_session(), current_actor(), certificate_id)
    return render_template("certification/certificate.html", certificate=found,
                           verify_url=_verify_url(found), scenario_title=_scenario_title)


@bp.get("/training/certificates/<int:certificate_id>.pdf")
@roles(Role.TRAINEE)
def certificate_pdf(certificate_id: int) -> Any:
    """My certificate as a PDF."""
    found = services.certificate_for_holder(db_session(), current_actor(), certificate_id)
    body = pdf.render(found, _verify_url(found))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="certificate-{found.code}.pdf"',
        "Cache-Control": "private, no-store"})


# The public check --------------------------------------------------------------------------

def _unknown(response: Any) -> bool:
    return bool(response.status_code == 404)


def _verify_limit() -> str:
    from flask import current_app

    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.get("/verify")
@public
def verify() -> Any:
    """A form to type a certificate's code; a typed code goes to its page (a code that cannot
    be one is answered here, with the same 404, without looking anything up)."""
    form = VerifyForm(request.args)
    if "code" not in request.args:
        return render_template("certification/verify.html", form=form)
    if not form.validate():
        return render_template("certification/verify.html", form=form), 400
    code = services.normalise_code(form.code.data or "")
    if code is None:
        return render_template("certification/verify.html", form=form, unknown=True), 404
    return redirect(url_for("certification.verified", code=code))


@bp.get("/verify/<code>")
@public
@limiter.limit(_verify_limit, deduct_when=_unknown)
def verified(code: str) -> Any:
    """Whether a certificate with this code exists and is valid: the holder, the cohort, the
    date and the scenarios passed; never a score. Unknown codes count against the caller's
    limit, as failed log-ins do."""
    try:
        found = services.by_code(db_session(), code)
    except NotFound:
        return render_template("certification/verify.html", form=VerifyForm(formdata=None),
                               unknown=True), 404
    return render_template("certification/verified.html", certificate=found,
                           scenario_title=_scenario_title)
