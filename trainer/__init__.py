"""The Census Enumerator Trainer: a Flask application for training census enumerators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from trainer.config import BASE_CONFIG, instance_path, load_settings, secret_key_from_instance
from trainer.db import MAX_ROW_ID


class RowId(IntegerConverter):
    """`<int:...>` in every route: a row id, so 0 < id <= MAX_ROW_ID; larger numbers are a 404, not
    an integer overflow in the database driver."""

    def __init__(self, map: object, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build an application: settings, database, extensions, blueprints, errors, CLI.

    `config` overrides the TRAINER_* environment (tests pass their database URL here).
    Nothing connects to the database or writes a file except the one-time secret key.
    """
    overrides = dict(config or {})
    instance = Path(overrides.pop("INSTANCE_PATH", None) or instance_path())
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=False)
    app.url_map.converters["int"] = RowId
    app.config.update(BASE_CONFIG)
    app.config.update(load_settings(instance))
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key_from_instance(instance)

    from trainer import access, cli, errors, ops, security
    from trainer.accounts.views import bp as accounts_bp
    from trainer.api.views import bp as api_bp
    from trainer.certification.views import bp as certification_bp
    from trainer.extensions import (
        init_extensions,
        login_manager,
        skip_idle_limit_check,
        template_globals,
    )
    from trainer.fieldwork.views import bp as fieldwork_bp
    from trainer.maps.views import bp as maps_bp
    from trainer.review.views import bp as review_bp
    from trainer.scenarios.views import bp as scenarios_bp
    from trainer.sessions import SessionInterface
    from trainer.video.views import bp as video_bp
    from trainer.worlds.views import bp as worlds_bp

    app.session_interface = SessionInterface()
    init_extensions(app)
    ops.init_ops(app)
    login_manager.user_loader(_load_user)
    access.init_access(app)
    security.init_security_headers(app)
    errors.register_error_handlers(app)
    for blueprint in (accounts_bp, fieldwork_bp, review_bp, scenarios_bp, video_bp,
                      worlds_bp, maps_bp, api_bp, certification_bp):
        app.register_blueprint(blueprint)
    app.context_processor(template_globals)
    skip_idle_limit_check(app)
    cli.register(app)
    return app


def _load_user(user_id: str) -> Any:
    from trainer.accounts.services import load_user
    from trainer.extensions import db_session

    return load_user(db_session(), user_id)
