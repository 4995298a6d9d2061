"""Account operations: authentication, user administration, cohorts and CSV import.

Every function takes the DB session and the acting user explicitly and only flushes; the
caller (a view, a CLI command or a test) commits. Messages are `N_` ids translated by the
web layer.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from trainer.accounts.models import (
    AuditEvent,
    AuditKind,
    Cohort,
    Role,
    User,
    new_session_token,
)
from trainer.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from trainer.core.i18n import N_
from trainer.db import utcnow

PASSWORD_METHOD = "scrypt"  # noqa: S105 - the hashing method's name
MIN_PASSWORD_LENGTH = 10
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# Deleting a trainee's personal data renames the account `deleted-<id>` (personal_data.py):
# nobody else may hold such a name, or the deletion could be blocked in advance.
DELETED_PREFIX = "deleted-"
# Checked against when a user name is unknown, so that a failed log-in costs the same time
# whether or not the account exists.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16), method=PASSWORD_METHOD)


def hash_password(password: str) -> str:
    """A salted scrypt hash (Werkzeug's format)."""
    return generate_password_hash(password, method=PASSWORD_METHOD)


def generate_password() -> str:
    """A random temporary password that is easy to read out: 4 groups of 4 characters."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def normalise_username(username: str) -> str:
    """User names are case-insensitive: stored and compared lower-case, without spaces."""
    return username.strip().lower()


def check_password_policy(password: str, *, field_name: str = "password") -> None:
    """Raise InvalidInput if the password is too short or only whitespace."""
    if len(password) < MIN_PASSWORD_LENGTH or not password.strip():
        raise InvalidInput(
            N_("A password needs at least %(n)s characters."),
            field=field_name,
            n=MIN_PASSWORD_LENGTH,
        )


def record_audit(
    db: Session,
    kind: AuditKind,
    *,
    actor: User | None = None,
    subject: User | None = None,
    ip: str | None = None,
    username_tried: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit log."""
    event = AuditEvent(
        kind=kind,
        actor=actor,
        subject=subject,
        ip=ip,
        username_tried=username_tried,
        detail=detail or {},
    )
    db.add(event)
    db.flush()
    return event


def user_by_username(db: Session, username: str) -> User | None:
    """The user with this (case-insensitive) name, or None."""
    return db.scalar(select(User).where(User.username == normalise_username(username)))


def authenticate(db: Session, username: str, password: str, *, ip: str | None) -> User | None:
    """The user if the name and password match an active account; audit either way.

    The caller shows one message for every failure, so a stranger cannot learn which user
    names exist.
    """
    user = user_by_username(db, username)
    hash_to_check = user.password_hash if user is not None else _DUMMY_HASH
    password_ok = check_password_hash(hash_to_check, password)
    if user is None or not password_ok or not user.active:
        reason = "unknown" if user is None else ("inactive" if password_ok else "password")
        record_audit(
            db,
            AuditKind.LOGIN_FAILED,
            subject=user,
            ip=ip,
            username_tried=normalise_username(username)[:64],
            detail={"reason": reason},
        )
        return None
    user.last_login_at = utcnow()
    record_audit(db, AuditKind.LOGIN, actor=user, subject=user, ip=ip)
    return user


def log_out(db: Session, user: User, *, ip: str | None = None) -> None:
    """End every session of the user (a new session token) and audit the log-out."""
    user.session_token = new_session_token()
    db.flush()
    record_audit(db, AuditKind.LOGOUT, actor=user, subject=user, ip=ip)


@dataclass(frozen=True)
class SignedIn:
    """The logged-in user as `current_user` sees it: the few columns that pages and the access
    check read, from one Core query a request rather than an ORM load (the hottest request,
    a dialogue step, reads nothing else of its user). Views that change data, or need the
    user's relationships, take the row itself through `access.current_actor()`."""

    id: int
    username: str
    full_name: str
    role: Role
    active: bool
    must_change_password: bool
    locale: str | None
    session_token: str

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"


_USERS: Table = User.__table__  # type: ignore[assignment]
_SIGNED_IN = select(*(_USERS.c[name] for name in SignedIn.__dataclass_fields__)).where(
    _USERS.c.id == bindparam("user_id"))


def load_user(db: Session, user_id: str) -> SignedIn | None:
    """Flask-Login's loader: `id:token`, valid only while the token is current."""
    raw_id, _, token = user_id.partition(":")
    if not raw_id.isdigit() or len(raw_id) > 18 or not token:
        return None
    row = db.connection().execute(_SIGNED_IN, {"user_id": int(raw_id)}).one_or_none()
    if row is None or not secrets.compare_digest(row.session_token, token):
        return None
    return SignedIn(*row)


def create_user(
    db: Session,
    *,
    actor: User | None,
    username: str,
    full_name: str,
    role: Role,
    password: str | None = None,
    email: str | None = None,
    ip: str | None = None,
) -> tuple[User, str | None]:
    """Create an account. Without a password a temporary one is generated and returned,
    and the user must change it at first log-in."""
    name = normalise_username(username)
    if not USERNAME_RE.match(name):
        raise InvalidInput(
            N_(
                "A user name has 2 to 64 characters: letters a-z, digits, '.', '_' or '-', "
                "starting with a letter or digit."
            ),
            field="username",
        )
    if name.startswith(DELETED_PREFIX):
        raise InvalidInput(N_("User names beginning with “%(prefix)s” are kept for deleted "
                              "accounts."), field="username", prefix=DELETED_PREFIX)
    if not full_name.strip():
        raise InvalidInput(N_("The full name is required."), field="full_name")
    if user_by_username(db, name) is not None:
        raise Conflict(N_("The user name %(name)s is already taken."), field="username", name=name)
    generated = None
    if password:
        check_password_policy(password)
    else:
        generated = password = generate_password()
    user = User(
        username=name,
        full_name=full_name.strip()[:120],
        email=(email or "").strip() or None,
        role=role,
        password_hash=hash_password(password),
        must_change_password=generated is not None,
    )
    db.add(user)
    db.flush()
    record_audit(
        db, AuditKind.USER_CREATED, actor=actor, subject=user, ip=ip,
        detail={"role": role.value},
    )
    return user, generated


def change_password(
    db: Session, user: User, *, current: str, new: str, ip: str | None = None
) -> None:
    """The user changes their own password; other sessions are logged out."""
    if not check_password_hash(user.password_hash, current):
        raise InvalidInput(N_("The current password is not correct."), field="current_password")
    check_password_policy(new, field_name="new_password")
    if check_password_hash(user.password_hash, new):
        raise InvalidInput(
            N_("The new password must differ from the current one."), field="new_password"
        )
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_token = new_session_token()
    db.flush()
    record_audit(db, AuditKind.PASSWORD_CHANGED, actor=user, subject=user, ip=ip)


def reset_password(db: Session, *, actor: User, user: User, ip: str | None = None) -> str:
    """An administrator sets a temporary password, returned once; it must be changed."""
    temporary = generate_password()
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.session_token = new_session_token()
    db.flush()
    record_audit(db, AuditKind.PASSWORD_RESET, actor=actor, subject=user, ip=ip)
    return temporary


def request_password_reset(db: Session, username: str, *, ip: str | None = None) -> None:
    """Someone asks for a reset; administrators see the request. Says nothing either way."""
    user = user_by_username(db, username)
    record_audit(
        db,
        AuditKind.RESET_REQUESTED,
        subject=user,
        ip=ip,
        username_tried=normalise_username(username)[:64],
    )


def pending_reset_requests(db: Session, limit: int = 20) -> Sequence[AuditEvent]:
    """Reset requests for existing accounts that no reset has answered since."""
    requests = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.kind == AuditKind.RESET_REQUESTED, AuditEvent.subject_id.is_not(None))
        .order_by(AuditEvent.at.desc())
        .limit(200)
    ).all()
    pending = []
    seen: set[int | None] = set()
    for request in requests:
        if request.subject_id in seen:
            continue
        seen.add(request.subject_id)
        answered = db.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.kind == AuditKind.PASSWORD_RESET,
                AuditEvent.subject_id == request.subject_id,
                AuditEvent.at >= request.at,
            )
        )
        if not answered:
            pending.append(request)
    return pending[:limit]


def _active_admins(db: Session) -> int:
    return db.scalar(
        select(func.count(User.id)).where(User.role == Role.ADMIN, User.active.is_(True))
    ) or 0


def set_active(
    db: Session, *, actor: User, user: User, active: bool, ip: str | None = None
) -> None:
    """Deactivate (log out everywhere, keep all records) or reactivate an account."""
    if user.id == actor.id and not active:
        raise Forbidden(N_("You cannot deactivate your own account."))
    if user.active == active:
        return
    user.active = active
    user.session_token = new_session_token()
    db.flush()
    kind = AuditKind.USER_REACTIVATED if active else AuditKind.USER_DEACTIVATED
    record_audit(db, kind, actor=actor, subject=user, ip=ip)


def change_role(
    db: Session, *, actor: User, user: User, role: Role, ip: str | None = None
) -> None:
    """Give a user another role; the last active administrator keeps theirs."""
    if user.role == role:
        return
    if user.role == Role.ADMIN and user.active and _active_admins(db) <= 1:
        raise Forbidden(N_("The last active administrator cannot lose the role."))
    before = user.role
    user.role = role
    user.session_token = new_session_token()
    db.flush()
    record_audit(
        db, AuditKind.ROLE_CHANGED, actor=actor, subject=user, ip=ip,
        detail={"before": before.value, "after": role.value},
    )


def list_users(db: Session, *, role: Role | None = None, query: str = "") -> Sequence[User]:
    """Users ordered by name, optionally filtered by role and a name fragment."""
    stmt = select(User).order_by(User.username)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if query.strip():
        pattern = f"%{query.strip().lower()}%"
        stmt = stmt.where(
            func.lower(User.username).like(pattern) | func.lower(User.full_name).like(pattern)
        )
    return db.scalars(stmt).all()


def get_user(db: Session, user_id: int) -> User:
    """The user with this id, or NotFound."""
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(N_("No such user."))
    return user


# Cohorts ------------------------------------------------------------------------------


def create_cohort(
    db: Session,
    *,
    actor: User,
    name: str,
    trainer: User,
    description: str = "",
    examiners: Iterable[User] = (),
    ip: str | None = None,
) -> Cohort:
    """A new cohort owned by `trainer`."""
    name = name.strip()
    if not name:
        raise InvalidInput(N_("The cohort needs a name."), field="name")
    if trainer.role != Role.TRAINER:
        raise InvalidInput(N_("A cohort's owner must be a trainer."), field="trainer_id")
    if db.scalar(select(Cohort).where(Cohort.name == name)) is not None:
        raise Conflict(N_("A cohort named %(name)s already exists."), field="name", name=name)
    cohort = Cohort(name=name[:120], trainer=trainer, description=description.strip()[:500])
    set_examiners(cohort, examiners)
    db.add(cohort)
    db.flush()
    record_audit(
        db, AuditKind.COHORT_CREATED, actor=actor, ip=ip,
        detail={"cohort_id": cohort.id, "name": cohort.name},
    )
    return cohort


def update_cohort(db: Session, cohort: Cohort, *, name: str, description: str,
                  trainer: User, actor: User | None = None, ip: str | None = None) -> None:
    """Rename a cohort, change its description or give it to another trainer (audited when
    anything changed, with what it was)."""
    name = name.strip()
    if not name:
        raise InvalidInput(N_("The cohort needs a name."), field="name")
    if trainer.role != Role.TRAINER:
        raise InvalidInput(N_("A cohort's owner must be a trainer."), field="trainer_id")
    if db.scalar(select(Cohort).where(Cohort.name == name, Cohort.id != cohort.id)) is not None:
        raise Conflict(N_("A cohort named %(name)s already exists."), field="name", name=name)
    changed: dict[str, Any] = {}
    if name[:120] != cohort.name:
        changed["renamed_from"] = cohort.name
    if trainer != cohort.trainer:
        changed["trainer_before"] = cohort.trainer.id  # by id: see labels.USER_DETAILS
        changed["trainer_after"] = trainer.id
    if description.strip()[:500] != (cohort.description or ""):
        changed["description_changed"] = True
    cohort.name, cohort.trainer = name[:120], trainer
    cohort.description = description.strip()[:500]
    db.flush()
    if changed:
        record_audit(db, AuditKind.COHORT_CHANGED, actor=actor, ip=ip,
                     detail={"cohort_id": cohort.id, **changed})


def add_trainee(db: Session, cohort: Cohort, user: User, *, actor: User | None = None,
                ip: str | None = None) -> None:
    """Put an existing trainee in the cohort (once; audited when they joined)."""
    if user.role != Role.TRAINEE:
        raise InvalidInput(N_("Only trainees can be added to a cohort."), field="user_id")
    if user not in cohort.trainees:
        cohort.trainees.append(user)
        record_audit(db, AuditKind.COHORT_JOINED, actor=actor, subject=user, ip=ip,
                     detail={"cohort_id": cohort.id})


def remove_trainee(db: Session, cohort: Cohort, user: User, *, actor: User | None = None,
                   ip: str | None = None) -> None:
    """Take a trainee out of the cohort (audited); the work they did in it is kept."""
    if user in cohort.trainees:
        cohort.trainees.remove(user)
        record_audit(db, AuditKind.COHORT_LEFT, actor=actor, subject=user, ip=ip,
                     detail={"cohort_id": cohort.id})


def set_examiners(cohort: Cohort, examiners: Iterable[User]) -> None:
    """Replace the cohort's examiners; only examiners qualify."""
    chosen = list(examiners)
    if any(user.role != Role.EXAMINER for user in chosen):
        raise InvalidInput(N_("Only examiners can be assigned to mark a cohort."),
                           field="examiner_ids")
    cohort.examiners = chosen


def change_examiners(db: Session, cohort: Cohort, examiners: Iterable[User], *,
                     actor: User | None = None, ip: str | None = None) -> None:
    """Replace the cohort's examiners (`set_examiners`), audited with who was added and who
    taken off when that changed anything."""
    before = {user.id for user in cohort.examiners}  # by id: see labels.USER_DETAILS
    set_examiners(cohort, examiners)
    after = {user.id for user in cohort.examiners}
    if before != after:
        record_audit(db, AuditKind.COHORT_EXAMINERS, actor=actor, ip=ip,
                     detail={"cohort_id": cohort.id, "added": sorted(after - before),
                             "removed": sorted(before - after)})


def get_cohort(db: Session, cohort_id: int) -> Cohort:
    """The cohort with this id, or NotFound."""
    cohort = db.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(N_("No such cohort."))
    return cohort


def cohorts_visible_to(db: Session, user: User) -> Sequence[Cohort]:
    """Admins see every cohort; trainers their own; examiners those they mark; trainees theirs."""
    stmt = select(Cohort).order_by(Cohort.name)
    if user.role == Role.TRAINER:
        stmt = stmt.where(Cohort.trainer_id == user.id)
    elif user.role == Role.EXAMINER:
        stmt = stmt.where(Cohort.examiners.any(User.id == user.id))
    elif user.role == Role.TRAINEE:
        stmt = stmt.where(Cohort.trainees.any(User.id == user.id))
    return db.scalars(stmt).all()


def cohort_for_user(db: Session, user: User, cohort_id: int) -> Cohort:
    """A cohort the user may see; others are reported as not found (no existence leak)."""
    cohort = get_cohort(db, cohort_id)
    if cohort not in cohorts_visible_to(db, user):
        raise NotFound(N_("No such cohort."))
    return cohort


# CSV import ---------------------------------------------------------------------------

CSV_COLUMNS = ("username", "full_name", "email")
MAX_IMPORT_ROWS = 2000


@dataclass
class ImportedRow:
    """A trainee created by an import, with the temporary password to hand over."""

    line: int
    user: User
    password: str | None
    added_existing: bool = False


@dataclass
class RowError:
    """A CSV line that was not imported, and why (an N_ message id with parameters)."""

    line: int
    message: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportReport:
    """What an import did: rows created or added, and rows refused."""

    imported: list[ImportedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def decode_csv(raw: bytes) -> str:
    """Text of an uploaded CSV: UTF-8 (with or without BOM) or GB18030, as Excel saves it."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(N_("The file is neither UTF-8 nor GB18030 text."), field="file")


def _readable_rows(reader: csv.DictReader[str],
                   report: ImportReport) -> Iterator[tuple[int, dict[str | Any, Any]]]:
    """The rows with their index, up to a line the csv module cannot read (an unclosed
    quote, a field over its size limit); that line is reported and the rest left unread."""
    try:
        yield from enumerate(reader)
    except csv.Error:
        report.errors.append(RowError(reader.line_num, N_(
            "This line is not valid CSV (an unclosed quote or a field that is too long); "
            "the rest of the file was not read.")))


def import_trainees(
    db: Session, *, actor: User, cohort: Cohort, raw: bytes, ip: str | None = None
) -> ImportReport:
    """Create trainees from CSV rows (username, full_name[, email][, password]) into `cohort`.

    Each row stands alone: a good row is kept even when others fail, a bad row writes
    nothing (it runs in a savepoint), and the report names every bad line. An existing
    trainee is added to the cohort rather than refused.
    """
    if not raw.strip():
        raise InvalidInput(N_("The file is empty."), field="file")
    if b"\x00" in raw:  # anywhere: a NUL deep in a text file is no name PostgreSQL can hold
        raise InvalidInput(N_("The file is not a CSV text file."), field="file")
    text = decode_csv(raw)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    # newline="": a lone CR ends a line, as in a file opened for the csv module
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as error:
        raise InvalidInput(N_("The file is not a CSV text file."), field="file") from error
    header = [(name or "").strip().lower() for name in fieldnames]
    missing = [col for col in ("username", "full_name") if col not in header]
    if missing:
        raise InvalidInput(
            N_("The first line must name the columns; missing: %(columns)s."),
            field="file",
            columns=", ".join(missing),
        )
    reader.fieldnames = header
    report = ImportReport()
    seen: set[str] = set()
    for index, row in _readable_rows(reader, report):
        line = index + 2  # line 1 is the header
        if index >= MAX_IMPORT_ROWS:
            report.errors.append(RowError(line, N_("More than %(n)s rows; the rest was not read."),
                                          {"n": MAX_IMPORT_ROWS}))
            break
        values = {key: (value or "").strip() for key, value in row.items() if key}
        if None in row:
            report.errors.append(RowError(line, N_("This line has more fields than the header.")))
            continue
        if not any(values.values()):
            continue
        username = normalise_username(values.get("username", ""))
        if username in seen:
            report.errors.append(
                RowError(line, N_("User name %(name)s appears twice in the file."),
                         {"name": username})
            )
            continue
        seen.add(username)
        existing = user_by_username(db, username)
        if existing is not None:
            if existing.role != Role.TRAINEE:  # say no more than a taken name
                report.errors.append(RowError(
                    line, N_("The user name %(name)s is already taken."), {"name": username}))
            elif existing in cohort.trainees:
                report.errors.append(RowError(
                    line, N_("User %(name)s is already in this cohort."), {"name": username}))
            else:
                cohort.trainees.append(existing)
                report.imported.append(ImportedRow(line, existing, None, added_existing=True))
            continue
        try:
            with db.begin_nested():
                user, password = create_user(
                    db,
                    actor=actor,
                    username=username,
                    full_name=values.get("full_name", ""),
                    role=Role.TRAINEE,
                    password=values.get("password") or None,
                    email=values.get("email"),
                    ip=ip,
                )
                cohort.trainees.append(user)
                db.flush()
        except (InvalidInput, Conflict) as error:
            report.errors.append(RowError(line, error.message, dict(error.params)))
            continue
        report.imported.append(ImportedRow(line, user, password))
    db.flush()
    record_audit(
        db, AuditKind.COHORT_IMPORT, actor=actor, ip=ip,
        detail={
            "cohort_id": cohort.id,
            "imported": len(report.imported),
            "refused_lines": [error.line for error in report.errors],
        },
    )
    return report
