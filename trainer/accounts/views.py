"""Log-in, own password, language, user administration, cohorts and trainee import."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from trainer.access import current_actor, logged_in, public, roles
from trainer.accounts import personal_data, services
from trainer.accounts.forms import (
    AddTraineeForm,
    ChangePasswordForm,
    CohortEditForm,
    CohortForm,
    ConfirmForm,
    DeletePersonalDataForm,
    ExaminersForm,
    ForgotPasswordForm,
    ImportForm,
    LanguageForm,
    LoginForm,
    RoleForm,
    UserForm,
    user_choices,
)
from trainer.accounts.labels import AUDIT_LABELS, audit_details, cohort_names, user_names
from trainer.accounts.models import AuditEvent, AuditKind, Cohort, Role, User
from trainer.core.errors import DomainError
from trainer.errors import form_error, status_for
from trainer.extensions import db_session, limiter

bp = Blueprint("accounts", __name__, template_folder="templates")

HOME_BY_ROLE = {
    Role.TRAINEE: "fieldwork.my_training",
    Role.TRAINER: "accounts.cohorts",
    Role.EXAMINER: "review.queue",
    Role.ADMIN: "accounts.users",
}


def client_ip() -> str | None:
    """The caller's address (a reverse proxy's X-Forwarded-For is trusted only via ProxyFix)."""
    return request.remote_addr


def _login_username_key() -> str:
    return "login-user:" + services.normalise_username(request.form.get("username", ""))[:64]


def _login_limit() -> str:
    from flask import current_app

    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _failed(response: Any) -> bool:
    return bool(response.status_code == 401)


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after log-in (no open redirect): none
    with a backslash (browsers read "/\\evil.example" as "//evil.example") or a control
    character (a newline cannot go into the Location header at all)."""
    if not target or "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.get("/")
@public
def index() -> Any:
    """Send each visitor to the page their role starts from."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return redirect(url_for(HOME_BY_ROLE[current_user.role]))


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed, key_func=_login_username_key)
def login() -> Any:
    """Log-in form; one message for every failure so no user name is revealed."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        db = db_session()
        user = services.authenticate(db, form.username.data or "", form.password.data or "",
                                     ip=client_ip())
        db.commit()
        if user is not None:
            session.clear()
            login_user(user)
            if user.locale:
                session["locale"] = user.locale
            return redirect(_safe_next(request.args.get("next")) or url_for("accounts.index"))
        flash(_("The user name or password is not correct."), "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@logged_in
def logout() -> Any:
    """End the session. The session lives in a signed cookie, so a copy of it (taken from a
    shared PAD, a proxy log) stays valid until the account's session token changes: log-out
    changes it, which ends the user's other sessions too."""
    db = db_session()
    user = current_actor()
    services.log_out(db, user, ip=client_ip())
    db.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password() -> Any:
    """Ask an administrator for a new password; the answer is the same for every name."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        db = db_session()
        services.request_password_reset(db, form.username.data or "", ip=client_ip())
        db.commit()
        flash(_("If this account exists, an administrator has been asked to reset its "
                "password. They will give you a temporary password."), "info")
        return redirect(url_for("accounts.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/account/password", methods=["GET", "POST"])
@logged_in
def change_password() -> Any:
    """Change one's own password (required after a reset or an import)."""
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        db = db_session()
        user = current_actor()
        try:
            services.change_password(db, user, current=form.current_password.data or "",
                                     new=form.new_password.data or "", ip=client_ip())
        except DomainError as error:
            status = form_error(form, error)
        else:
            db.commit()
            login_user(user)  # the token changed: keep this browser logged in
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("accounts.index"))
    elif request.method == "POST":
        status = 400
    return render_template("accounts/change_password.html", form=form), status


@bp.post("/language")
@public
def set_language() -> Any:
    """Switch the interface language (saved on the account when logged in)."""
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session["locale"] = form.locale.data
    if current_user.is_authenticated:
        db = db_session()
        user = current_actor()
        user.locale = form.locale.data
        db.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("accounts.index"))


# Administration ---------------------------------------------------------------------


@bp.get("/admin/users")
@roles(Role.ADMIN)
def users() -> Any:
    """All accounts, filterable by role and name; pending reset requests on top."""
    db = db_session()
    role_filter = request.args.get("role") or None
    try:
        role = Role(role_filter) if role_filter else None
    except ValueError:
        abort(400)
    query = request.args.get("q", "")[:64]
    return render_template(
        "accounts/users.html",
        users=services.list_users(db, role=role, query=query),
        role=role,
        query=query,
        resets=services.pending_reset_requests(db),
        role_choices=UserForm().role.choices,
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def create_user() -> Any:
    """Create one account; a generated temporary password is shown once."""
    form = UserForm()
    status = 200
    if form.validate_on_submit():
        db = db_session()
        try:
            user, generated = services.create_user(
                db, actor=current_actor(), username=form.username.data or "",
                full_name=form.full_name.data or "", role=Role(form.role.data),
                password=form.password.data or None, email=form.email.data, ip=client_ip(),
            )
        except DomainError as error:
            status = form_error(form, error)
        else:
            db.commit()
            return render_template("accounts/password_issued.html", user=user,
                                   password=generated, created=True)
    elif request.method == "POST":
        status = 400
    return render_template("accounts/user_form.html", form=form), status


@bp.get("/admin/users/<int:user_id>")
@roles(Role.ADMIN)
def user_detail(user_id: int) -> Any:
    """One account: role, status, cohorts and its audit trail."""
    return _user_page(services.get_user(db_session(), user_id))


def _user_page(user: User, status: int = 200,
               delete_form: DeletePersonalDataForm | None = None) -> Any:
    """The page of one account; a refused action comes back on it with its status (a
    redirect with a 4xx status is not followed by a browser)."""
    db = db_session()
    events = db.scalars(
        select(AuditEvent)
        .where((AuditEvent.subject_id == user.id) | (AuditEvent.actor_id == user.id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(50)
    ).all()
    role_form = RoleForm(role=user.role.value)
    return render_template("accounts/user_detail.html", user=user, events=events,
                           details=_details(db, events),
                           role_form=role_form, confirm_form=ConfirmForm(),
                           delete_form=delete_form or DeletePersonalDataForm(formdata=None),
                           deleted=user.password_hash == personal_data.DISABLED_PASSWORD,
                           cohorts=services.cohorts_visible_to(db, user)
                           if user.role != Role.ADMIN else []), status


def _admin_action(user_id: int, action: Any) -> Any:
    """Run an admin action on a user; a domain refusal comes back on the user's page."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    db = db_session()
    user = services.get_user(db, user_id)
    actor = current_actor()
    try:
        result = action(db, actor, user)
    except DomainError as error:
        db.rollback()
        flash(_(error.message, **error.params), "error")
        return _user_page(services.get_user(db, user_id), status_for(error))
    db.commit()
    return result


@bp.post("/admin/users/<int:user_id>/role")
@roles(Role.ADMIN)
def change_role(user_id: int) -> Any:
    """Give the user another role."""
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)

    def action(db: Any, actor: User, user: User) -> Any:
        services.change_role(db, actor=actor, user=user, role=Role(form.role.data),
                             ip=client_ip())
        flash(_("The role has been changed."), "success")
        return redirect(url_for("accounts.user_detail", user_id=user_id))

    return _admin_action(user_id, action)


@bp.post("/admin/users/<int:user_id>/reset-password")
@roles(Role.ADMIN)
def reset_password(user_id: int) -> Any:
    """Issue a temporary password, shown once."""

    def action(db: Any, actor: User, user: User) -> Any:
        password = services.reset_password(db, actor=actor, user=user, ip=client_ip())
        return render_template("accounts/password_issued.html", user=user, password=password,
                               created=False)

    return _admin_action(user_id, action)


@bp.post("/admin/users/<int:user_id>/active")
@roles(Role.ADMIN)
def set_active(user_id: int) -> Any:
    """Deactivate or reactivate the account (records are kept)."""
    make_active = request.form.get("active") == "1"

    def action(db: Any, actor: User, user: User) -> Any:
        services.set_active(db, actor=actor, user=user, active=make_active, ip=client_ip())
        flash(_("The account has been reactivated.") if make_active
              else _("The account has been deactivated."), "success")
        return redirect(url_for("accounts.user_detail", user_id=user_id))

    return _admin_action(user_id, action)


@bp.post("/admin/users/<int:user_id>/personal-data/export")
@roles(Role.ADMIN)
def export_personal_data(user_id: int) -> Any:
    """Download everything held about the user as one JSON file (the export is audited)."""

    def action(db: Any, actor: User, user: User) -> Any:
        document = personal_data.export(db, actor=actor, user=user, ip=client_ip())
        return Response(json.dumps(document, ensure_ascii=False, indent=2),
                        mimetype="application/json", headers={
                            "Content-Disposition":
                                f'attachment; filename="personal-data-{user.id}.json"',
                            "Cache-Control": "no-store"})

    return _admin_action(user_id, action)


@bp.post("/admin/users/<int:user_id>/personal-data/delete")
@roles(Role.ADMIN)
def delete_personal_data(user_id: int) -> Any:
    """Anonymise a trainee and delete their work, once their user name is typed to confirm."""
    form = DeletePersonalDataForm()
    if not form.validate_on_submit():
        abort(400)
    db = db_session()
    user = services.get_user(db, user_id)
    if services.normalise_username(form.confirm_username.data or "") != user.username:
        form.confirm_username.errors = [
            _("The user name typed does not match; nothing was deleted.")]
        return _user_page(user, 400, delete_form=form)

    def action(db: Any, actor: User, user: User) -> Any:
        personal_data.delete_all(db, actor=actor, user=user, ip=client_ip())
        flash(_("The personal data has been deleted; the account is anonymised."), "success")
        return redirect(url_for("accounts.user_detail", user_id=user_id))

    return _admin_action(user_id, action)


@bp.get("/admin/audit")
@roles(Role.ADMIN)
def audit_log() -> Any:
    """The security audit log, newest first, a page at a time; filtered by kind and user."""
    db = db_session()
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)
    per_page = 50
    try:
        kind = AuditKind(request.args["kind"]) if request.args.get("kind") else None
    except ValueError:
        abort(400)
    who = services.normalise_username(request.args.get("user", ""))[:64]
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if kind is not None:
        query = query.where(AuditEvent.kind == kind)
    if who:
        named = select(User.id).where(User.username == who).scalar_subquery()
        query = query.where((AuditEvent.actor_id == named) | (AuditEvent.subject_id == named)
                            | (AuditEvent.username_tried == who))
    events = db.scalars(query.offset((page - 1) * per_page).limit(per_page + 1)).all()
    shown = events[:per_page]
    filters = {name: value for name, value in (("kind", kind and kind.value), ("user", who))
               if value}
    return render_template("accounts/audit.html", events=shown, page=page,
                           has_next=len(events) > per_page, kind=kind, who=who,
                           filters=filters, kinds=AUDIT_LABELS,
                           details=_details(db, shown))


def _details(db: Any, events: Any) -> dict[int, list[tuple[str, str]]]:
    """Each event's details in words, by event id."""
    names, users = cohort_names(db, events), user_names(db, events)
    return {event.id: audit_details(event, names, users) for event in events}


# Cohorts ----------------------------------------------------------------------------


def _people(role: Role) -> list[SelectChoice]:
    return user_choices(services.list_users(db_session(), role=role))


def _editable_cohort(cohort_id: int) -> Cohort:
    """A cohort the current user may change: admins any, trainers their own."""
    db = db_session()
    actor = current_actor()
    cohort = services.cohort_for_user(db, actor, cohort_id)
    if actor.role not in (Role.ADMIN, Role.TRAINER):
        abort(403)
    return cohort


@bp.get("/cohorts")
@roles(Role.ADMIN, Role.TRAINER)
def cohorts() -> Any:
    """Cohorts: every cohort for an admin, a trainer's own for a trainer."""
    db = db_session()
    actor = current_actor()
    return render_template("accounts/cohorts.html",
                           cohorts=services.cohorts_visible_to(db, actor))


@bp.route("/cohorts/new", methods=["GET", "POST"])
@roles(Role.ADMIN, Role.TRAINER)
def create_cohort() -> Any:
    """A new cohort; a trainer's cohort is their own."""
    db = db_session()
    actor = current_actor()
    form = CohortForm()
    form.trainer_id.choices = _people(Role.TRAINER)
    form.examiner_ids.choices = _people(Role.EXAMINER)
    if actor.role == Role.TRAINER:
        form.trainer_id.choices = user_choices([actor])
        form.trainer_id.data = actor.id
    status = 200
    if form.validate_on_submit():
        try:
            cohort = services.create_cohort(
                db, actor=actor, name=form.name.data or "",
                trainer=services.get_user(db, form.trainer_id.data or 0),
                description=form.description.data or "",
                examiners=[services.get_user(db, uid) for uid in form.examiner_ids.data or []],
                ip=client_ip(),
            )
        except DomainError as error:
            status = form_error(form, error)
        else:
            db.commit()
            flash(_("The cohort has been created."), "success")
            return redirect(url_for("accounts.cohort_detail", cohort_id=cohort.id))
    elif request.method == "POST":
        status = 400
    return render_template("accounts/cohort_form.html", form=form), status


@bp.get("/cohorts/<int:cohort_id>")
@roles(Role.ADMIN, Role.TRAINER)
def cohort_detail(cohort_id: int) -> Any:
    """A cohort's trainees and examiners."""
    cohort = _editable_cohort(cohort_id)
    form = ExaminersForm(examiner_ids=[user.id for user in cohort.examiners])
    form.examiner_ids.choices = _people(Role.EXAMINER)
    return render_template("accounts/cohort_detail.html", cohort=cohort, examiners_form=form,
                           add_form=_add_trainee_form(cohort), confirm_form=ConfirmForm())


def _add_trainee_form(cohort: Cohort) -> AddTraineeForm:
    form = AddTraineeForm()
    form.user_id.choices = user_choices(user for user in services.list_users(
        db_session(), role=Role.TRAINEE) if user not in cohort.trainees)
    return form


def _trainer_choices(cohort: Cohort | None) -> list[SelectChoice]:
    """Trainers a cohort may be given to: any active one for an admin, oneself for a trainer;
    the cohort's own trainer always."""
    actor = current_actor()
    people = [actor] if actor.role == Role.TRAINER else list(
        services.list_users(db_session(), role=Role.TRAINER))
    if cohort is not None and cohort.trainer not in people:
        people.insert(0, cohort.trainer)
    return [SelectChoice(user.id, f"{user.full_name} ({user.username})")
            for user in people if user.active or (cohort and user == cohort.trainer)]


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN, Role.TRAINER)
def edit_cohort(cohort_id: int) -> Any:
    """Rename a cohort, change its description or (an admin) its trainer."""
    cohort = _editable_cohort(cohort_id)
    form = CohortEditForm(obj=cohort, trainer_id=cohort.trainer_id)
    form.trainer_id.choices = _trainer_choices(cohort)
    status = 200
    if form.validate_on_submit():
        db = db_session()
        try:
            services.update_cohort(db, cohort, name=form.name.data or "",
                                   description=form.description.data or "",
                                   trainer=services.get_user(db, form.trainer_id.data or 0),
                                   actor=current_actor(), ip=client_ip())
        except DomainError as error:  # refused before anything changed
            status = form_error(form, error)
        else:
            db.commit()
            flash(_("The cohort has been saved."), "success")
            return redirect(url_for("accounts.cohort_detail", cohort_id=cohort_id))
    elif request.method == "POST":
        status = 400
    return render_template("accounts/cohort_form.html", cohort=cohort, form=form), status


@bp.post("/cohorts/<int:cohort_id>/trainees")
@roles(Role.ADMIN, Role.TRAINER)
def add_trainee(cohort_id: int) -> Any:
    """Put an existing trainee in the cohort."""
    cohort = _editable_cohort(cohort_id)
    form = _add_trainee_form(cohort)
    if not form.validate_on_submit():
        abort(400)
    db = db_session()
    user = services.get_user(db, form.user_id.data or 0)
    services.add_trainee(db, cohort, user, actor=current_actor(), ip=client_ip())
    db.commit()
    flash(_("%(name)s is now in the cohort.", name=user.full_name), "success")
    return redirect(url_for("accounts.cohort_detail", cohort_id=cohort_id))


@bp.post("/cohorts/<int:cohort_id>/trainees/<int:user_id>/remove")
@roles(Role.ADMIN, Role.TRAINER)
def remove_trainee(cohort_id: int, user_id: int) -> Any:
    """Take a trainee out of the cohort (their work in it is kept)."""
    cohort = _editable_cohort(cohort_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db = db_session()
    user = services.get_user(db, user_id)
    if user not in cohort.trainees:
        abort(404)
    services.remove_trainee(db, cohort, user, actor=current_actor(), ip=client_ip())
    db.commit()
    flash(_("%(name)s has left the cohort.", name=user.full_name), "success")
    return redirect(url_for("accounts.cohort_detail", cohort_id=cohort_id))


@bp.post("/cohorts/<int:cohort_id>/examiners")
@roles(Role.ADMIN, Role.TRAINER)
def cohort_examiners(cohort_id: int) -> Any:
    """Replace the examiners who mark this cohort."""
    cohort = _editable_cohort(cohort_id)
    form = ExaminersForm()
    form.examiner_ids.choices = _people(Role.EXAMINER)
    if not form.validate_on_submit():
        abort(400)
    db = db_session()
    try:
        services.change_examiners(
            db, cohort, [services.get_user(db, uid) for uid in form.examiner_ids.data or []],
            actor=current_actor(), ip=client_ip())
    except DomainError as error:
        flash(_(error.message, **error.params), "error")
        return redirect(url_for("accounts.cohort_detail", cohort_id=cohort_id)), 400
    db.commit()
    flash(_("The examiners have been saved."), "success")
    return redirect(url_for("accounts.cohort_detail", cohort_id=cohort_id))


@bp.route("/cohorts/<int:cohort_id>/import", methods=["GET", "POST"])
@roles(Role.ADMIN, Role.TRAINER)
def import_trainees(cohort_id: int) -> Any:
    """Import trainees from a CSV file; the report lists every created and refused line."""
    cohort = _editable_cohort(cohort_id)
    form = ImportForm()
    status = 200
    if form.validate_on_submit():
        db = db_session()
        try:
            report = services.import_trainees(
                db, actor=current_actor(), cohort=cohort,
                raw=form.file.data.read(), ip=client_ip(),
            )
        except DomainError as error:
            status = form_error(form, error)
        else:
            db.commit()
            return render_template("accounts/import_report.html", cohort=cohort,
                                   report=report), 200 if not report.errors else 422
    elif request.method == "POST":
        status = 400
    return render_template("accounts/import_form.html", cohort=cohort, form=form,
                           columns=services.CSV_COLUMNS), status
