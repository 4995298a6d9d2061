"""Moments: the second of a rubric clip that shows what a finding got wrong.

A scenario's rubric links clips to criteria, and a clip may list moments (`model.Moment`):
a second and the trap, action or conduct it illustrates. A finding of a criterion the attempt
did not fully meet points at an event; every moment of that criterion's clips that fits the
event becomes a link that opens the clip at its second.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from trainer.core.scenario.model import Clip, Moment


class Evented(Protocol):
    """What a moment is matched against: an event of the visit (`interview.engine.Event`)."""

    @property
    def seq(self) -> int: ...

    @property
    def trap(self) -> str | None: ...

    @property
    def action(self) -> str | None: ...

    @property
    def conduct(self) -> str | None: ...


def fits(moment: Moment, event: Evented) -> bool:
    """Whether the moment shows what the event did: every selector it names (trap, action,
    conduct) equals the event's; an action without a parameter fits the action with any."""
    action = event.action or ""
    return ((moment.trap is None or moment.trap == event.trap)
            and (moment.action is None or moment.action == action
                 or action.startswith(moment.action + ":"))
            and (moment.conduct is None or moment.conduct == event.conduct))


def failed(result: Mapping[str, Any]) -> bool:
    """A stored criterion result (see `criteria.score_data`) that cost points."""
    return bool(result.get("applicable", True)) and float(result.get("score", 1)) < 1


def finding_moments(clips: Iterable[Clip], graded: Mapping[str, Any] | None,
                    events: Iterable[Evented]) -> dict[tuple[str, int], list[tuple[str, Moment]]]:
    """(criterion, finding's index) -> the (clip id, moment) pairs that fit the finding's
    event, for the faulty findings of every criterion the stored score did not fully meet,
    in the rubric's order of clips and moments."""
    if not graded:
        return {}
    by_seq = {event.seq: event for event in events}
    found: dict[tuple[str, int], list[tuple[str, Moment]]] = {}
    for name, result in graded.get("criteria", {}).items():
        linked = [(clip.id, moment) for clip in clips if clip.criterion == name
                  for moment in clip.moments]
        if not linked or not failed(result):
            continue
        for index, finding in enumerate(result.get("findings", ())):
            event = by_seq.get(finding.get("event")) if not finding.get("good") else None
            pairs = [pair for pair in linked if event is not None and fits(pair[1], event)]
            if pairs:
                found[(name, index)] = pairs
    return found
