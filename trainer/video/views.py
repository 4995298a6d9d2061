"""The clip library: upload (tus), processing status, the player with captions, chapters,
transcript and lesson questions, editing, and streaming with range requests."""

from __future__ import annotations

import base64
import io
import math
import tempfile
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.exceptions import ClientDisconnected
from werkzeug.utils import send_file as werkzeug_send_file
from wtforms.fields.choices import SelectChoice

from trainer import tasks
from trainer.access import current_actor, logged_in, roles
from trainer.accounts.models import Cohort, Role
from trainer.accounts.services import cohorts_visible_to
from trainer.config import LOCALES
from trainer.core.errors import DomainError, InvalidInput
from trainer.core.grading.criteria import LABELS
from trainer.core.i18n import N_
from trainer.errors import form_error, status_for, translate
from trainer.extensions import db_session, interface_locale
from trainer.scenarios import services as scenario_services
from trainer.scenarios.views import both
from trainer.video import media, services
from trainer.video.forms import (
    ActionForm,
    CaptionsForm,
    ChaptersForm,
    ComposeForm,
    DetailsForm,
    LinkForm,
    QuestionForm,
    RedactionForm,
)
from trainer.video.media import RENDITIONS
from trainer.video.models import Clip, ClipStatus
from trainer.video.storage import S3Storage, content_type, storage_from_config

bp = Blueprint("video", __name__, template_folder="templates")
MANAGERS = (Role.TRAINER, Role.ADMIN)
TUS_VERSION = "1.0.0"
PRODUCTS = (*RENDITIONS, "poster", "strip")
PROGRESS_MAX_BYTES = 64 * 1024  # what a browser sends with keepalive at most; 1,000 ranges
ANSWER_MAX_BYTES = 1024  # {"question": n, "choice": n}


def _media_root() -> Path:
    return Path(current_app.config["MEDIA_ROOT"])


def _storage() -> services.Storage:
    return storage_from_config(current_app.config)


def _max_bytes() -> int:
    return int(current_app.config["VIDEO_MAX_MIB"]) * 1024 * 1024


STATUS_LABELS = {ClipStatus.QUEUED: N_("Waiting to be processed"),
                 ClipStatus.PROCESSING: N_("Processing"),
                 ClipStatus.READY: N_("Ready"),
                 ClipStatus.FAILED: N_("Processing failed")}


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"status_label": lambda status: _(STATUS_LABELS[status]),
            "right_answers": services.right_answers}


@bp.app_template_global()
def moment_links(rubric: Any, graded: Any, clips: Any, events: Any) -> Any:
    """The debrief's links from each faulty finding to the second of a clip showing it."""
    return services.moment_links(rubric, graded, clips or {}, events)


# Library ------------------------------------------------------------------------------

@bp.get("/clips")
@logged_in
def index() -> Any:
    """The clips the user may watch, with search and tags."""
    actor = current_actor()
    clips = services.visible_clips(db_session(), actor)
    query, tag = request.args.get("q", "")[:100], request.args.get("tag", "")[:40]
    return render_template("video/index.html", clips=services.search(clips, query=query,
                                                                     tag=tag),
                           tags=services.all_tags(clips), query=query, tag=tag,
                           manager=services.may_manage(actor))


@bp.get("/clips/new")
@roles(*MANAGERS)
def new() -> Any:
    """The upload page (the file goes up in resumable chunks with tus)."""
    return render_template("video/new.html", max_mib=current_app.config["VIDEO_MAX_MIB"])


@bp.route("/clips/compose", methods=["GET", "POST"])
@roles(*MANAGERS)
def compose() -> Any:
    """Join ready clips, after a title card, into a new clip (a lesson from several visits)."""
    db, actor = db_session(), current_actor()
    form = ComposeForm()
    ready = [clip for clip in services.visible_clips(db, actor)
             if clip.status == ClipStatus.READY]
    choices = [SelectChoice(0, "—")] + [SelectChoice(clip.id, clip.title(interface_locale()))
                                        for clip in ready]
    for field in form.segment_fields():
        field.choices = choices
    status = 200
    if form.validate_on_submit():
        segments = [field.data or 0 for field in form.segment_fields()]
        try:
            clip = services.start_composition(db, actor, title_zh=form.title_zh.data or "",
                                              title_en=form.title_en.data or "",
                                              segments=segments)
        except DomainError as error:
            status = form_error(form, error)
        else:
            db.commit()
            if tasks.enqueue(tasks.compose_clip, clip.id,
                             [number for number in segments if number]):
                flash(_("The clips are being joined; the new clip is processed next."),
                      "success")
            else:  # the segments live only in the job: nothing can resume it later
                services.fail(db, clip.id, "The job queue could not be reached; make the "
                                           "clip again.")
                db.commit()
                flash(_("The job queue cannot be reached now; make the clip again in a few "
                        "minutes."), "error")
            return redirect(url_for("video.show", clip_id=clip.id))
    elif request.method == "POST":
        status = 400
    return render_template("video/compose.html", form=form), status



# Upload: the tus 1.0 core protocol with the creation and termination extensions ---------

def _tus(response: Response, status: int | None = None) -> Response:
    response.headers["Tus-Resumable"] = TUS_VERSION
    response.headers["Cache-Control"] = "no-store"
    if status is not None:
        response.status_code = status
    return response


def _tus_error(error: DomainError) -> Response:
    return _tus(jsonify(message=translate(error), field=error.field), status_for(error))


def _metadata(header: str) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64value` pairs."""
    values: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in header.split(","))):
        key, _, encoded = pair.partition(" ")
        try:
            values[key] = base64.b64decode(encoded, validate=True).decode("utf-8")
        except ValueError as exc:  # not base64 (binascii.Error), not ASCII, not UTF-8
            raise InvalidInput(N_("The upload's description is malformed.")) from exc
        if "\x00" in values[key]:  # decoded past the request's NUL check; no text holds one
            raise InvalidInput(N_("The upload's description is malformed."))
    return values


def _whole_number(header: str) -> bool:
    """A tus length or offset: ASCII digits (a byte such as \\xb2 arrives as "²", which
    passes isdigit and not int), at most 18 of them (int refuses over 4,300)."""
    return header.isascii() and header.isdigit() and len(header) <= 18


@bp.post("/clips/uploads")
@roles(*MANAGERS)
def create_upload() -> Any:
    """tus creation: announce a file's length and name; answer with its upload URL."""
    try:
        length = request.headers.get("Upload-Length", "")
        if not _whole_number(length):
            raise InvalidInput(N_("The upload must say how long the file is."))
        meta = _metadata(request.headers.get("Upload-Metadata", ""))
        db = db_session()
        upload = services.create_upload(
            db, current_actor(), length=int(length), filename=meta.get("filename", ""),
            title=meta.get("title", ""), media_root=_media_root(), max_bytes=_max_bytes())
    except DomainError as error:
        return _tus_error(error)
    db.commit()
    response = _tus(Response(status=201))
    response.headers["Location"] = url_for("video.upload", token=upload.token)
    return response


@bp.get("/clips/uploads/<token>")
@roles(*MANAGERS)
def upload(token: str) -> Any:
    """tus offset (HEAD, or GET for a JSON body): how much of the file has arrived. A file
    that arrived whole but was not made a clip (the last chunk's request failed after its
    bytes were saved) is made one now, so the client's resume ends in a clip."""
    db = db_session()
    try:
        found = services.get_upload(db, current_actor(), token)
        clip = None
        if found.offset == found.length:
            with services.holding(_media_root(), found):
                found = _held(token)
                clip = _finished(found)
    except DomainError as error:
        db.commit()
        return _tus_error(error)
    response = _tus(jsonify(offset=found.offset, length=found.length))
    response.headers["Upload-Offset"] = str(found.offset)
    response.headers["Upload-Length"] = str(found.length)
    if clip is not None:
        response.headers["Clip-Location"] = url_for("video.show", clip_id=clip.id)
    return response


def _held(token: str) -> Any:
    """The upload read again once this request holds it: the transaction that read it before
    is ended first (nothing is written yet), since SQLite would show the same snapshot again,
    from before the request that held it last committed."""
    db = db_session()
    db.commit()
    return services.get_upload(db, current_actor(), token)


def _finished(found: Any) -> Clip:
    """Turn a whole upload into a clip, commit, then queue its processing (a queue that is
    down leaves the clip queued: the worker's periodic check picks it up)."""
    db = db_session()
    clip = services.finish_upload(db, found, media_root=_media_root(), storage=_storage())
    db.commit()
    _enqueue_processing(clip)
    return clip


class _Body(io.RawIOBase):
    """The request body, ending quietly where a dropped connection cut it."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        try:
            return bytes(self.stream.read(size))
        except ClientDisconnected:
            return b""


@bp.patch("/clips/uploads/<token>")
@roles(*MANAGERS)
def upload_chunk(token: str) -> Any:
    """tus patch: append bytes at the offset; the last chunk turns the upload into a clip."""
    db = db_session()
    try:
        found = services.get_upload(db, current_actor(), token)
        if request.mimetype != "application/offset+octet-stream":
            return _tus(jsonify(message=_("Upload chunks must be sent as "
                                          "application/offset+octet-stream.")), 415)
        offset = request.headers.get("Upload-Offset", "")
        if not _whole_number(offset):
            raise InvalidInput(N_("The chunk must say where it starts."))
        with services.holding(_media_root(), found):
            found = _held(token)
            complete = services.receive_chunk(db, found, offset=int(offset),
                                              stream=_Body(request.stream),
                                              declared=request.content_length,
                                              media_root=_media_root())
            db.commit()  # the bytes are kept whatever happens next
            length = found.length
            clip = _finished(found) if complete else None
    except DomainError as error:
        db.commit()  # keep the bytes already received (or the discarding of a bad file)
        return _tus_error(error)
    response = _tus(Response(status=204))
    response.headers["Upload-Offset"] = str(length if clip is not None else found.offset)
    if clip is not None:
        response.headers["Clip-Location"] = url_for("video.show", clip_id=clip.id)
    return response


@bp.delete("/clips/uploads/<token>")
@roles(*MANAGERS)
def cancel_upload(token: str) -> Any:
    """tus termination: drop an upload and its bytes."""
    db = db_session()
    try:
        found = services.get_upload(db, current_actor(), token)
        with services.holding(_media_root(), found):
            services.discard_upload(db, _held(token), _media_root())
            db.commit()
    except DomainError as error:
        return _tus_error(error)
    return _tus(Response(status=204))


# Watching -----------------------------------------------------------------------------

@bp.get("/clips/<int:clip_id>")
@logged_in
def show(clip_id: int) -> Any:
    """The player (or the processing status), with chapters, transcript and questions."""
    db, actor = db_session(), current_actor()
    clip = services.get_clip(db, actor, clip_id)
    watchers = services.watchers(db, clip, actor) if actor.role != Role.TRAINEE else []
    manager = services.may_manage(actor)
    # The answer key stays on the server for learners: their choices are marked by `answer`.
    questions = clip.questions if manager else services.learner_questions(clip)
    return render_template("video/show.html", clip=clip, manager=manager, questions=questions,
                           progress=services.progress_of(db, clip, actor), watchers=watchers,
                           start=services.start_at(clip, request.args.get("t")),
                           renditions=[name for name in RENDITIONS if name in clip.renditions],
                           offline=services.offline_copies(clip), action=ActionForm())


@bp.get("/clips/<int:clip_id>/status")
@roles(*MANAGERS)
def status(clip_id: int) -> Any:
    """The processing status fragment, polled while a job runs; reloads the page when done."""
    clip = services.get_clip(db_session(), current_actor(), clip_id)
    response = Response(render_template("video/_status.html", clip=clip, action=ActionForm()))
    if request.args.get("was") in (ClipStatus.QUEUED, ClipStatus.PROCESSING) and (
            clip.status in (ClipStatus.READY, ClipStatus.FAILED)):
        response.headers["HX-Refresh"] = "true"
    return response


def _send(key: str, download_name: str | None = None) -> Response:
    """A stored file with range requests, ETag and Last-Modified; or handed on: to a bucket's
    short-lived URL, or to the reverse proxy (X-Accel-Redirect, X-Sendfile)."""
    storage = _storage()
    if isinstance(storage, S3Storage):
        # The access rule has been applied: the browser gets a short-lived URL of the object.
        response = redirect(storage.url(key, download_name=download_name))
        response.headers["Cache-Control"] = "no-store"
        return response
    accel = current_app.config.get("MEDIA_ACCEL") or ""
    if accel.startswith("/"):
        response = Response(status=200)
        response.headers["X-Accel-Redirect"] = accel.rstrip("/") + "/" + key
        response.headers["Content-Type"] = content_type(key)
        return _private(response)
    path = storage.local_path(key)
    if path is None:
        abort(404)
    response = werkzeug_send_file(path, request.environ, mimetype=content_type(key),
                                  conditional=True, etag=True, max_age=0,
                                  download_name=download_name,
                                  as_attachment=download_name is not None,
                                  use_x_sendfile=accel == "sendfile",
                                  response_class=current_app.response_class)
    return _private(response)


def _private(response: Response) -> Response:
    """Clips are for logged-in users: browsers may keep them, shared caches may not; with
    max-age 0 a browser revalidates (a cheap 304), since a clip processed again (a new blur)
    keeps its address."""
    response.cache_control.public = False
    response.cache_control.private = True
    response.headers["Accept-Ranges"] = "bytes"
    return response


@bp.get("/clips/<int:clip_id>/media/<name>")
@logged_in
def media_file(clip_id: int, name: str) -> Any:
    """A rendition, the poster or the thumbnail strip (range requests for seeking)."""
    clip = services.get_clip(db_session(), current_actor(), clip_id)
    product = clip.renditions.get(name) if name in PRODUCTS else None
    if product is None:
        abort(404)
    return _send(product["key"])


@bp.get("/clips/<int:clip_id>/original")
@roles(*MANAGERS)
def original(clip_id: int) -> Any:
    """The uploaded original, unblurred: trainers only."""
    clip = services.managed_clip(db_session(), current_actor(), clip_id)
    if clip.original_key is None:
        abort(404)
    return _send(clip.original_key, download_name=clip.filename)


@bp.get("/clips/<int:clip_id>/offline/<locale>.mp4")
@logged_in
def offline(clip_id: int, locale: str) -> Any:
    """The offline copy with one language's captions burned in, as a download."""
    clip = services.get_clip(db_session(), current_actor(), clip_id)
    product = clip.renditions.get(services.offline_name(locale)) or {}
    if "key" not in product:  # none, or only asked for
        abort(404)
    return _send(product["key"], download_name=f"{clip.slug}-{locale}.mp4")


@bp.post("/clips/<int:clip_id>/offline")
@roles(*MANAGERS)
def make_offline(clip_id: int) -> Any:
    """Queue the offline copy of one language (captions burned in with moviepy), or again
    after a failure; back to the page it was asked from."""
    db = db_session()
    clip = services.managed_clip(db, current_actor(), clip_id)
    locale = request.form.get("locale", "")
    if not ActionForm().validate_on_submit():
        abort(400)
    ticket = services.ask_offline(db, clip, locale)  # refuses a clip that cannot have one now
    db.commit()  # a job is enqueued only once the request's transaction has ended
    if tasks.enqueue(tasks.offline_copy, clip.id, locale, ticket):
        flash(_("The offline copy is being made; it appears on the clip's page when it is "
                "ready."), "success")
    else:
        services.fail_offline(db, clip.id, locale, services.OFFLINE_UNQUEUED, ticket=ticket)
        db.commit()
        flash(_(services.OFFLINE_UNQUEUED), "error")
    back = "video.show" if request.form.get("back") == "show" else "video.edit"
    return redirect(url_for(back, clip_id=clip.id))


@bp.get("/clips/<int:clip_id>/frame.jpg")
@roles(*MANAGERS)
def frame(clip_id: int) -> Any:
    """A frame of the original (unblurred: trainers only) at `at` seconds, for marking blurs."""
    clip = services.managed_clip(db_session(), current_actor(), clip_id)
    last = max(clip.duration - 0.1, 0.0)  # the last moment that still has a frame
    asked = request.args.get("at", 0.0, type=float) or 0.0
    at = min(max(asked, 0.0), last) if math.isfinite(asked) else 0.0
    key = clip.original_key or next((clip.renditions[name]["key"] for name in RENDITIONS
                                     if name in clip.renditions), None)
    if key is None:
        abort(404)
    storage = _storage()
    with tempfile.TemporaryDirectory() as scratch:
        path = storage.local_path(key)
        if path is None:
            path = Path(scratch) / "source"
            storage.fetch(key, path)
        try:
            jpeg = media.frame_jpeg(path, at)
        except media.MediaError:
            abort(404)
    return _private(Response(jpeg, mimetype="image/jpeg"))


@bp.get("/clips/<int:clip_id>/captions/<locale>.vtt")
@logged_in
def captions(clip_id: int, locale: str) -> Any:
    """One language's captions as WebVTT."""
    clip = services.get_clip(db_session(), current_actor(), clip_id)
    if locale not in clip.captions:
        abort(404)
    return Response(clip.captions[locale], mimetype="text/vtt")


@bp.get("/clips/<int:clip_id>/chapters/<locale>.vtt")
@logged_in
def chapters(clip_id: int, locale: str) -> Any:
    """The chapters as a WebVTT chapters track."""
    clip = services.get_clip(db_session(), current_actor(), clip_id)
    if locale not in LOCALES or not clip.chapters:
        abort(404)
    return Response(services.chapters_vtt(clip, locale), mimetype="text/vtt")


def _small_json(most: int, malformed: str) -> dict[str, Any]:
    """The request's JSON object, of at most `most` bytes: a player's report is a few
    kilobytes; parsed whole, 16 MiB of tiny ranges took 600 MiB and seconds of a web worker,
    so a larger body (or one of unknown length) is refused unread (413). Anything but an
    object is InvalidInput with the message `malformed`."""
    if request.content_length is None or request.content_length > most:
        abort(413)
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes
        data = None
    if not isinstance(data, dict):
        raise InvalidInput(malformed)
    return data


@bp.post("/clips/<int:clip_id>/progress")
@logged_in
def progress(clip_id: int) -> Any:
    """The player reports the ranges played and where it is (an `answers` key, sent by
    players from before `answer`, is ignored: answers are marked there)."""
    db, actor = db_session(), current_actor()
    clip = services.get_clip(db, actor, clip_id)
    data = _small_json(PROGRESS_MAX_BYTES, N_("The progress report is malformed."))
    record = services.record_progress(db, clip, actor, segments=data.get("segments", []),
                                      position=data.get("position", 0))
    db.commit()
    return jsonify(watched=record.watched, completed=record.completed_at is not None,
                   segments=record.segments)


@bp.post("/clips/<int:clip_id>/answers")
@logged_in
def answer(clip_id: int) -> Any:
    """A choice at a lesson question, marked on the server: the right answer comes back only
    for a question the user has answered."""
    db, actor = db_session(), current_actor()
    clip = services.get_clip(db, actor, clip_id)
    data = _small_json(ANSWER_MAX_BYTES, N_("The answer is malformed."))
    marked = services.record_answer(db, clip, actor, question=data.get("question"),
                                    choice=data.get("choice"))
    db.commit()
    return jsonify(right=marked.right, answer=marked.answer, choice=marked.choice)


# Editing ------------------------------------------------------------------------------

def _edit_page(clip: Clip, status: int = 200, **forms: Any) -> Any:
    """The edit page; `forms` holds the one form sent back with its errors. The others show
    what is saved (formdata=None): read from the request, they took the sent form's fields of
    the same name (the captions' text in the chapters' box) and lost their checkboxes (an
    unticked "Published", no cohort), which their next save would have stored."""
    db, actor = db_session(), current_actor()
    details = forms.get("details") or DetailsForm(formdata=None, data={
        "slug": clip.slug, "title_zh": clip.title_zh, "title_en": clip.title_en,
        "summary_zh": clip.summary_zh, "summary_en": clip.summary_en,
        "tags": ", ".join(clip.tags), "published": clip.published,
        "cohorts": [cohort.id for cohort in clip.cohorts]})
    details.cohorts.choices = [SelectChoice(cohort.id, cohort.name) for cohort in _cohorts(actor)]
    link = forms.get("link") or _link_form(formdata=None)
    chapter_form = forms.get("chapters") or ChaptersForm(
        formdata=None, text=services.chapters_text(clip.chapters))
    # the language last saved (or asked for) opens with its own text, not always Chinese's
    locale = request.args.get("captions") if request.args.get("captions") in LOCALES else "zh_CN"
    caption_form = forms.get("captions") or CaptionsForm(formdata=None, locale=locale,
                                                         text=clip.captions.get(locale, ""))
    return render_template(
        "video/edit.html", clip=clip, details=details, captions=caption_form,
        chapters=chapter_form, redaction=forms.get("redaction") or RedactionForm(formdata=None),
        question=forms.get("question") or QuestionForm(formdata=None), link=link,
        links=services.links_of(db, clip), offline=services.offline_copies(clip),
        renditions=RENDITIONS, action=ActionForm(),
        # the links are listed by the scenario's title and the criterion's name, not their ids
        scenario_names={choice.value: choice.label for choice in link.scenario_id.choices},
        criterion_names={choice.value: choice.label for choice in link.criterion.choices}), status


def _link_form(**options: Any) -> LinkForm:
    """The link form with the published scenarios and their rubric criteria as choices."""
    form = LinkForm(**options)
    versions = scenario_services.catalogue(db_session())
    form.scenario_id.choices = [
        SelectChoice(version.scenario_id, both((version.title_zh, version.title_en)))
        for version in versions]
    criteria = sorted({criterion.name for version in versions
                       for criterion in scenario_services.scenario_of(version).rubric.criteria})
    form.criterion.choices = [SelectChoice("", "—")] + [
        SelectChoice(name, both(LABELS.get(name, (name, name)))) for name in criteria]
    return form


def _cohorts(actor: Any) -> list[Cohort]:
    return list(cohorts_visible_to(db_session(), actor))


@bp.get("/clips/<int:clip_id>/edit")
@roles(*MANAGERS)
def edit(clip_id: int) -> Any:
    """Everything a trainer sets on a clip."""
    return _edit_page(services.managed_clip(db_session(), current_actor(), clip_id))


def _saved(clip: Clip, message: str, **args: Any) -> Any:
    db_session().commit()
    flash(message, "success")
    return redirect(url_for("video.edit", clip_id=clip.id, **args))


@bp.post("/clips/<int:clip_id>/details")
@roles(*MANAGERS)
def save_details(clip_id: int) -> Any:
    """Titles, summaries, tags, identifier, publication and cohorts."""
    db, actor = db_session(), current_actor()
    clip = services.managed_clip(db, actor, clip_id)
    form = DetailsForm()
    form.cohorts.choices = [SelectChoice(cohort.id, cohort.name) for cohort in _cohorts(actor)]
    if not form.validate_on_submit():
        return _edit_page(clip, 400, details=form)
    choosable = _cohorts(actor)
    chosen = [cohort for cohort in choosable if cohort.id in (form.cohorts.data or [])]
    try:
        services.update_details(
            db, clip, slug=form.slug.data or "", title_zh=form.title_zh.data or "",
            title_en=form.title_en.data or "", summary_zh=form.summary_zh.data or "",
            summary_en=form.summary_en.data or "", tags=(form.tags.data or "").split(","),
            published=bool(form.published.data), cohorts=chosen, choosable=choosable)
    except DomainError as error:
        return _edit_page(clip, form_error(form, error), details=form)
    return _saved(clip, _("The clip's details have been saved."))


@bp.post("/clips/<int:clip_id>/captions")
@roles(*MANAGERS)
def save_captions(clip_id: int) -> Any:
    """One language's captions, typed or from a .vtt file."""
    db = db_session()
    clip = services.managed_clip(db, current_actor(), clip_id)
    form = CaptionsForm()
    if not form.validate_on_submit():
        return _edit_page(clip, 400, captions=form)
    text = form.text.data or ""
    if form.file.data:
        raw = form.file.data.read(200_001)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            form.file.errors = [_("The captions file must be UTF-8 text.")]
            return _edit_page(clip, 400, captions=form)
    try:
        services.set_captions(db, clip, form.locale.data or "zh_CN", text, _storage())
    except DomainError as error:
        form.text.errors = [translate(error)]
        return _edit_page(clip, status_for(error), captions=form)
    return _saved(clip, _("The captions have been saved."), captions=form.locale.data,
                  _anchor="captions")


@bp.post("/clips/<int:clip_id>/chapters")
@roles(*MANAGERS)
def save_chapters(clip_id: int) -> Any:
    """The chapters."""
    db = db_session()
    clip = services.managed_clip(db, current_actor(), clip_id)
    form = ChaptersForm()
    if not form.validate_on_submit():
        return _edit_page(clip, 400, chapters=form)
    try:
        services.set_chapters(db, clip, form.text.data or "")
    except DomainError as error:
        form.text.errors = [translate(error)]
        return _edit_page(clip, status_for(error), chapters=form)
    return _saved(clip, _("The chapters have been saved."))


def _enqueue_processing(clip: Clip) -> bool:
    """Queue a clip committed as queued; when the queue is down it stays queued (due at once),
    and the worker's periodic check queues it once the queue is back."""
    if tasks.enqueue(tasks.process_clip, clip.id):
        return True
    services.queue_unreachable(db_session(), clip.id)
    db_session().commit()
    return False


def _queue_processing(clip: Clip, message: str) -> None:
    """Queue a clip's processing and tell the trainer how it went."""
    if _enqueue_processing(clip):
        flash(message, "success")
    else:
        flash(_("The job queue cannot be reached now; the clip stays queued and is processed "
                "when the queue is back."), "info")


def _requeued(clip: Clip, message: str) -> Any:
    db_session().commit()
    _queue_processing(clip, message)
    return redirect(url_for("video.edit", clip_id=clip.id))


@bp.post("/clips/<int:clip_id>/redactions")
@roles(*MANAGERS)
def add_redaction(clip_id: int) -> Any:
    """Blur a rectangle over a time span; the clip is processed again."""
    db = db_session()
    clip = services.managed_clip(db, current_actor(), clip_id)
    form = RedactionForm()
    if not form.validate_on_submit():
        return _edit_page(clip, 400, redaction=form)
    try:
        services.add_redaction(
            db, clip, x=(form.x.data or 0) / 100, y=(form.y.data or 0) / 100,
            w=(form.w.data or 0) / 100, h=(form.h.data or 0) / 100,
            start=services.parse_clock(form.start.data or ""),
            end=services.parse_clock(form.end.data or ""), label=form.label.data or "")
    except DomainError as error:
        return _edit_page(clip, form_error(form, error), redaction=form)
    return _requeued(clip, _("The rectangle will be blurred; the clip is being processed "
                             "again."))


@bp.post("/clips/<int:clip_id>/redactions/<int:index>/delete")
@roles(*MANAGERS)
def remove_redaction(clip_id: int, index: int) -> Any:
    """Stop blurring a rectangle."""
    db = db_session()
    clip = services.managed_clip(db, current_actor(), clip_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.remove_redaction(db, clip, index - 1)
    return _requeued(clip, _("The blur has been removed; the clip is being processed again."))


@bp.post("/clips/<int:clip_id>/questions")
@roles(*MANAGERS)
def add_question(clip_id: int) -> Any:
    """A question that pauses the lesson at a moment of the clip."""
    db = db_session()
    clip = services.managed_clip(db, current_actor(), clip_id)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _edit_page(clip, 400, question=form)
    lines_zh = [line.strip() for line in (form.choices_zh.data or "").splitlines()
                if line.strip()]
    lines_en = [line.strip() for line in (form.choices_en.data or "").splitlines()
                if line.strip()]
    try:
        question = {"at": services.parse_clock(form.at.data or ""),
                    "zh": (form.prompt_zh.data or "").strip(),
                    "en": (form.prompt_en.data or "").strip() or (form.prompt_zh.data or ""),
                    "choices_zh": lines_zh,
                    "choices_en": lines_en if len(lines_en) == len(lines_zh) else lines_zh,
                    "answer": (form.answer.data or 1) - 1}
        services.set_questions(db, clip, [*clip.questions, question])
    except DomainError as error:
        return _edit_page(clip, form_error(form, error), question=form)
    return _saved(clip, _("The question has been added."))


@bp.post("/clips/<int:clip_id>/questions/<int:index>/delete")
@roles(*MANAGERS)
def remove_question(clip_id: int, index: int) -> Any:
    """Remove a lesson question."""
    db = db_session()
    clip = services.managed_clip(db, current_actor(), clip_id)
    if not ActionForm().validate_on_submit() or not 1 <= index <= len(clip.questions):
        abort(400 if index <= len(clip.questions) else 404)
    services.set_questions(db, clip, [question for number, question
                                      in enumerate(clip.questions, start=1) if number != index])
    return _saved(clip, _("The question has been removed."))


@bp.post("/clips/<int:clip_id>/links")
@roles(*MANAGERS)
def add_link(clip_id: int) -> Any:
    """Attach the clip to a scenario, a node or a rubric criterion."""
    db = db_session()
    clip = services.managed_clip(db, current_actor(), clip_id)
    form = _link_form()
    if not form.validate_on_submit():
        return _edit_page(clip, 400, link=form)
    try:
        services.link_clip(db, clip, scenario_id=form.scenario_id.data or "",
                           node=(form.node.data or "").strip(),
                           criterion=form.criterion.data or "")
    except DomainError as error:
        return _edit_page(clip, form_error(form, error), link=form)
    return _saved(clip, _("The clip has been attached."))


@bp.post("/clips/<int:clip_id>/links/<int:link_id>/delete")
@roles(*MANAGERS)
def remove_link(clip_id: int, link_id: int) -> Any:
    """Detach the clip."""
    db = db_session()
    clip = services.managed_clip(db, current_actor(), clip_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.unlink_clip(db, clip, link_id)
    return _saved(clip, _("The link has been removed."))


@bp.post("/clips/<int:clip_id>/retry")
@roles(*MANAGERS)
def retry(clip_id: int) -> Any:
    """Process a failed clip again."""
    db = db_session()
    clip = services.managed_clip(db, current_actor(), clip_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.requeue(db, clip)
    db.commit()
    _queue_processing(clip, _("The clip is being processed again."))
    return redirect(url_for("video.show", clip_id=clip.id))


@bp.post("/clips/<int:clip_id>/original/delete")
@roles(*MANAGERS)
def delete_original(clip_id: int) -> Any:
    """Delete the unblurred original; the published renditions stay."""
    db = db_session()
    clip = services.managed_clip(db, current_actor(), clip_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.delete_original(db, clip, _storage())
    return _saved(clip, _("The original has been deleted."))


@bp.post("/clips/<int:clip_id>/delete")
@roles(*MANAGERS)
def delete(clip_id: int) -> Any:
    """Delete the clip and all its files."""
    db = db_session()
    clip = services.managed_clip(db, current_actor(), clip_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.delete_clip(db, clip, _storage())
    db.commit()
    flash(_("The clip has been deleted."), "success")
    return redirect(url_for("video.index"))
