"""Where an examiner's comment points in an attempt's evidence (Survey Solutions' comments
tied to a question, extended to the rest of the field work).

An anchor is stored as text of one of four shapes:

- ``event:<seq>``: a turn of the replayed visits (typed as ``#12`` too);
- ``form:<path>``: a place in the paperwork, as the findings' ``where`` names it: a household's
  form or one of its items (``form:he/persons[2]/D7``), the register (``form:register/he``),
  the quick tally (``form:tally/births``) or the death form (``form:deaths``);
- ``map:<n>``: the n-th feature of the small-area map drawn in the attempt;
- ``clip:<id>@<seconds>``: a moment of a clip the trainee watched (``clip:3@1:05`` too).

`normalise` checks a typed anchor against the attempt's own evidence, so a comment never
points at a turn, a form, a feature or a clip the attempt does not have.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trainer.core.errors import InvalidInput
from trainer.core.i18n import N_

MAX_LENGTH = 200  # of a stored anchor (the column `ReviewEvent.anchor`)
PAPERS = ("register", "tally", "deaths")  # paperwork of the whole area, beside the units' forms
_PATH = re.compile(r"[\w\-]+(?:\[\d{1,3}\])?(?:/[\w\-]+(?:\[\d{1,3}\])?){0,3}")
_CLIP = re.compile(r"(\d{1,9})@(?:(\d{1,3}):)?(\d{1,5}(?:\.\d{1,3})?)", re.ASCII)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What an anchor may point at in one attempt."""

    events: frozenset[int]  # the replayed visits' turn numbers
    units: frozenset[str]  # units with a form (filled or owed) or a register row
    map_features: Mapping[int, str]  # feature index -> how it reads ("building 12")
    clips: Mapping[int, float]  # clip id -> its length in seconds (clips the trainee watched)


@dataclass(frozen=True, slots=True)
class Anchor:
    """A checked anchor: its stored text, its kind and where it leads on the review page."""

    text: str
    kind: str  # event, form, map or clip
    target: str  # event seq, form path, feature index or clip id
    seconds: float | None = None  # a clip's moment


def _bad(message: str, **params: Any) -> InvalidInput:
    return InvalidInput(message, field="anchor", **params)


def parse(text: str) -> Anchor | None:
    """The anchor `text` names (None when empty), by its shape only; `normalise` checks it
    against an attempt. A bare ``#12`` is a turn and a bare path a place in the forms."""
    text = text.strip()
    if not text:
        return None
    if text.startswith("#"):
        text = "event:" + text[1:].strip()
    kind, colon, rest = text.partition(":")
    if not colon:
        kind, rest = "form", text
    rest = rest.strip()
    if kind == "event" and rest.isascii() and rest.isdigit() and len(rest) <= 9:
        return Anchor(f"event:{int(rest)}", "event", str(int(rest)))
    if kind == "form" and len(rest) <= MAX_LENGTH - len("form:") and _PATH.fullmatch(rest):
        return Anchor(f"form:{rest}", "form", rest)
    if kind == "map" and rest.isascii() and rest.isdigit() and len(rest) <= 6:
        return Anchor(f"map:{int(rest)}", "map", str(int(rest)))
    if kind == "clip" and (found := _CLIP.fullmatch(rest)):
        clip, minutes, seconds = found.groups()
        moment = round(int(minutes or 0) * 60 + float(seconds), 1)
        shown = f"{moment:g}"
        return Anchor(f"clip:{int(clip)}@{shown}", "clip", str(int(clip)), moment)
    raise _bad(N_("Point the comment at a turn (#12), a form field (he/persons[2]/D7), a map "
                  "feature (map:3) or a moment of a clip (clip:2@1:05), or leave it empty."))


def normalise(text: str, evidence: Evidence) -> str | None:
    """The stored form of a typed anchor, checked against the attempt's evidence (None when
    empty); a place the attempt does not have is a localised `InvalidInput`."""
    anchor = parse(text)
    if anchor is None:
        return None
    if anchor.kind == "event" and int(anchor.target) not in evidence.events:
        raise _bad(N_("This attempt has no turn #%(seq)s."), seq=anchor.target)
    if anchor.kind == "form":
        head = anchor.target.split("/")[0]
        if head not in evidence.units and head not in PAPERS:
            raise _bad(N_("This attempt has no form for %(unit)s."), unit=head)
    if anchor.kind == "map" and int(anchor.target) not in evidence.map_features:
        raise _bad(N_("The map of this attempt has no feature %(number)s."),
                   number=anchor.target)
    if anchor.kind == "clip":
        length = evidence.clips.get(int(anchor.target))
        if length is None:
            raise _bad(N_("The trainee has not watched clip %(id)s."), id=anchor.target)
        if anchor.seconds is not None and length and anchor.seconds > length:
            raise _bad(N_("The clip is only %(seconds)s seconds long."),
                       seconds=round(length))
    return anchor.text


def place_of(text: str | None) -> Anchor | None:
    """A stored anchor read back (None for none or one stored before anchors were checked)."""
    try:
        return parse(text or "")
    except InvalidInput:
        return None


def section_of(anchor: Anchor) -> str:
    """The id of the review page's element an anchor leads to."""
    if anchor.kind == "event":
        return f"event-{anchor.target}"
    if anchor.kind == "form":
        head = anchor.target.split("/")[0]
        return f"paper-{head}" if head in PAPERS else f"form-{head}"
    if anchor.kind == "map":
        return "attempt-map"
    return f"clip-{anchor.target}"


def grouped(entries: Iterable[Any]) -> dict[str, list[Any]]:
    """Review entries with an anchor by the page element their anchor leads to, so each
    comment is also shown at its place."""
    out: dict[str, list[Any]] = {}
    for entry in entries:
        anchor = place_of(entry.anchor)
        if anchor is not None:
            out.setdefault(section_of(anchor), []).append(entry)
    return out


def map_features(features: Sequence[Any], names: Mapping[str, str]) -> dict[int, str]:
    """Feature index -> how it reads ("Building 12", "Road 解放路"), from parsed features
    (`kind`, `number`, `label`) and the kinds' names in the interface language."""
    out = {}
    for feature in features:
        name = names.get(feature.kind, feature.kind)
        extra = feature.number if feature.number is not None else (feature.label or "")
        out[feature.index] = f"{name} {extra}".strip()
    return out
