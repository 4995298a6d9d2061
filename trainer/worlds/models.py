"""A world is stored as its spec and seed; every part is drawn again on demand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.accounts.models import User
from trainer.db import Base, utcnow


class World(Base):
    """A synthetic world: (spec, seed) plus the summary counted when it was generated."""

    __tablename__ = "worlds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    seed: Mapped[int] = mapped_column(BigInteger)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    region: Mapped[str] = mapped_column(String(6))
    grids: Mapped[int]
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # While a job counts the world (`services.start_count`): the grids counted so far and when
    # the job last said so (a count silent for `services.STALE_COUNT` died with its worker and
    # is queued again). Both None once counted. A count that failed keeps its error here:
    # {"message": msgid, "params": {...}} (a domain error, shown translated) or {"text": ...}.
    counted_grids: Mapped[int | None] = mapped_column(default=None)
    count_touched_at: Mapped[datetime | None] = mapped_column(default=None)
    count_error: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True),
                                                               default=None)

    created_by: Mapped[User | None] = relationship()

    @property
    def counting(self) -> bool:
        """Whether a job is counting the world (its figures are not known yet)."""
        return self.counted_grids is not None
