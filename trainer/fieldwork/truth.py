"""Whether an attempt's true households are still drawn as they were when it began.

An attempt is stored as its steps and answers; its households are its scenario version and
seed, drawn again whenever they are needed (the doorstep's replies on replay, the true forms,
grading). A new version of the generator, or of a library it draws with, can draw them
otherwise, so an attempt keeps the digest of the households it began with
(`Attempt.truth_fingerprint`, `households.fingerprint`) and is compared with today's.
"""

from __future__ import annotations

from trainer.core.scenario import households
from trainer.fieldwork.models import Attempt, Grade
from trainer.scenarios.models import ScenarioVersion
from trainer.scenarios.services import scenario_of

_FINGERPRINTS: dict[tuple[int, str, int], str] = {}
KEPT = 4096


def fingerprint_of(version: ScenarioVersion, seed: int) -> str:
    """The digest of the households this version of the application draws for the scenario
    version and seed (kept per process: a version's text never changes)."""
    key = (version.id, version.checksum, seed)
    found = _FINGERPRINTS.get(key)
    if found is None:
        if len(_FINGERPRINTS) >= KEPT:
            _FINGERPRINTS.clear()
        found = _FINGERPRINTS[key] = households.fingerprint(scenario_of(version), seed)
    return found


def changed(attempt: Attempt) -> bool:
    """Whether this version of the application draws the attempt's true households otherwise
    than when the attempt began: what the doorstep says on replay, the true forms and a
    regrade would now follow households the trainee never met. Its pages say so. False for
    an attempt begun before the digest was kept (nothing to compare with)."""
    return (attempt.truth_fingerprint is not None
            and attempt.truth_fingerprint != fingerprint_of(attempt.version, attempt.seed))


def graded_otherwise(attempt: Attempt, last: Grade | None) -> bool:
    """Whether the attempt's last grade was given on households this version draws
    otherwise (a grade given after the change was given on today's, even when the attempt
    began before it); for a grade from before the digests were kept, the attempt's own."""
    behind = (last.truth_fingerprint if last is not None and last.truth_fingerprint
              else attempt.truth_fingerprint)
    return behind is not None and behind != fingerprint_of(attempt.version, attempt.seed)
