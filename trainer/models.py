"""Imports every feature's models so that Base.metadata is complete (Alembic, tests)."""

from trainer.accounts.models import AuditEvent, Cohort, User
from trainer.api.models import ApiToken, ApiTokenEvent
from trainer.certification.models import Certificate, PassRule
from trainer.db import Base
from trainer.fieldwork.models import Assignment, Attempt, Grade
from trainer.maps.models import MapDrawing, MapTask
from trainer.review.models import Notification, Review, ReviewEvent
from trainer.scenarios.models import ScenarioPlay, ScenarioVersion
from trainer.video.models import Clip, ClipLink, Upload, WatchProgress
from trainer.worlds.models import World

__all__ = ["ApiToken", "ApiTokenEvent", "Assignment", "Attempt", "AuditEvent", "Base",
           "Certificate", "Clip", "ClipLink", "Cohort", "Grade", "MapDrawing", "MapTask",
           "Notification", "PassRule", "Review", "ReviewEvent", "ScenarioPlay", "ScenarioVersion",
           "Upload", "User", "WatchProgress", "World"]
