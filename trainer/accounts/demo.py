"""Demo accounts and a demo cohort for `make run` (idempotent)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from trainer.accounts import services
from trainer.accounts.models import Cohort, Role, User

# user name, full name, role, password. Printed by `flask demo seed` and listed in the README.
DEMO_USERS: list[tuple[str, str, Role, str]] = [
    ("admin", "系统管理员 Admin", Role.ADMIN, "demo-admin-2020"),
    ("trainer", "李老师 Trainer Li", Role.TRAINER, "demo-trainer-2020"),
    ("examiner", "王考官 Examiner Wang", Role.EXAMINER, "demo-examiner-2020"),
    ("trainee", "张伟 Trainee Zhang", Role.TRAINEE, "demo-trainee-2020"),
    ("trainee2", "刘秀英 Trainee Liu", Role.TRAINEE, "demo-trainee-2020"),
]
DEMO_COHORT = "岳阳楼区 2020 普查员培训 (demo)"


def seed(db: Session) -> list[tuple[str, str, str]]:
    """Create the demo users and cohort if missing; return (role, user name, password)."""
    users: dict[str, User] = {}
    for username, full_name, role, password in DEMO_USERS:
        user = services.user_by_username(db, username)
        if user is None:
            user, _ = services.create_user(db, actor=None, username=username,
                                           full_name=full_name, role=role, password=password)
        users[username] = user
    if db.scalar(select(Cohort).where(Cohort.name == DEMO_COHORT)) is None:
        cohort = services.create_cohort(
            db, actor=users["admin"], name=DEMO_COHORT, trainer=users["trainer"],
            description="Demo cohort: two trainees, one examiner.",
            examiners=[users["examiner"]],
        )
        cohort.trainees = [users["trainee"], users["trainee2"]]
        db.flush()
    return [(role.value, username, password) for username, _n, role, password in DEMO_USERS]
