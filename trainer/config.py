"""Settings from TRAINER_* environment variables (and an optional .env file), with defaults.

Every setting has an embedded default so that one machine runs with nothing to configure:
SQLite in the instance folder, media on the local disk, rate limits in memory. The README's
settings table lists the same names; `tests/features/test_config_and_cli.py` keeps them in step.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

# name -> (Flask config key, default, description). The README's table lists the same names.
SETTINGS: dict[str, tuple[str, str | None, str]] = {
    "TRAINER_DATABASE_URL": (
        "DATABASE_URL",
        None,
        "SQLAlchemy URL; default SQLite (WAL) at instance/trainer.sqlite3. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/db",
    ),
    "TRAINER_SECRET_KEY": (
        "SECRET_KEY",
        None,
        "Signs sessions and CSRF tokens; if unset, a random key is made once and kept in "
        "instance/secret_key",
    ),
    "TRAINER_MEDIA_ROOT": ("MEDIA_ROOT", "media", "Folder for uploaded and rendered clips"),
    "TRAINER_REDIS_URL": (
        "REDIS_URL",
        None,
        "Redis URL (redis://127.0.0.1:6379/0); when set, rate limits and the job queue use "
        "Redis instead of memory and instance/jobs.sqlite3",
    ),
    "TRAINER_VIDEO_MAX_MIB": (
        "VIDEO_MAX_MIB",
        "2048",
        "Largest clip a trainer may upload, in MiB (uploads arrive in resumable chunks)",
    ),
    "TRAINER_MEDIA_ACCEL": (
        "MEDIA_ACCEL",
        None,
        "Hand clip files to the reverse proxy: `sendfile` (X-Sendfile, Apache/lighttpd) or "
        "an nginx internal location such as `/protected-media/` (X-Accel-Redirect)",
    ),
    "TRAINER_S3_BUCKET": (
        "S3_BUCKET",
        None,
        "Keep clips in this S3-compatible bucket instead of the media root (credentials from "
        "the usual AWS_* variables); uploads are still received in the media root",
    ),
    "TRAINER_S3_ENDPOINT_URL": (
        "S3_ENDPOINT_URL",
        None,
        "The bucket's endpoint for S3-compatible stores (MinIO, Ceph, OSS); unset for AWS",
    ),
    "TRAINER_S3_REGION": ("S3_REGION", None, "The bucket's region"),
    "TRAINER_S3_PREFIX": ("S3_PREFIX", None, "A folder inside the bucket for this site's clips"),
    "TRAINER_LOGIN_RATE_LIMIT": (
        "LOGIN_RATE_LIMIT",
        "10 per 15 minutes",
        "Failed log-ins allowed per address and per user name",
    ),
    "TRAINER_API_RATE_LIMIT": (
        "API_RATE_LIMIT",
        "600 per minute",
        "Requests each API token may make to /api/v1/ (429 with Retry-After beyond)",
    ),
    "TRAINER_SECURE_COOKIES": (
        "SESSION_COOKIE_SECURE",
        "0",
        "1 behind HTTPS: cookies are sent over HTTPS only",
    ),
    "TRAINER_DEFAULT_LOCALE": ("BABEL_DEFAULT_LOCALE", "zh_CN", "zh_CN or en"),
    "TRAINER_SCENARIO_DIR": (
        "SCENARIO_DIR",
        "scenarios",
        "Folder of the built-in scenario library (YAML files), loaded by `flask scenarios sync`",
    ),
    "TRAINER_INSTANCE_PATH": (
        "INSTANCE_PATH",
        None,
        "Folder for the SQLite database and the generated secret key (default instance/)",
    ),
    "TRAINER_LOG_FORMAT": (
        "LOG_FORMAT",
        "text",
        "`text` (one readable line per record) or `json` (one JSON object per line); every "
        "line of a request carries its request id",
    ),
    "TRAINER_LOG_LEVEL": ("LOG_LEVEL", "INFO", "Level of the application's log (DEBUG, INFO, "
                          "WARNING, ERROR)"),
    "TRAINER_METRICS_TOKEN": (
        "METRICS_TOKEN",
        None,
        "Bearer token that opens /metrics to a Prometheus scraper; unset: admins only",
    ),
    "TRAINER_PROXY_HOPS": (
        "PROXY_HOPS",
        "0",
        "How many reverse proxies stand in front and set X-Forwarded-For/-Proto (1 behind one "
        "nginx); 0 trusts no such header",
    ),
}

LOCALES = ("zh_CN", "en")
TRUE_WORDS = {"1", "true", "yes", "on"}


def project_root() -> Path:
    """The repository folder (parent of the trainer package)."""
    return Path(__file__).resolve().parent.parent


def load_env_file() -> None:
    """Read the .env file of the project folder into the environment; a variable already
    set there wins."""
    load_dotenv(project_root() / ".env", override=False)


def instance_path() -> Path:
    """The instance folder: TRAINER_INSTANCE_PATH (from the environment or .env) or
    <project>/instance."""
    load_env_file()  # asked before `load_settings`, which would read .env too late for this
    configured = os.environ.get("TRAINER_INSTANCE_PATH")
    return Path(configured) if configured else project_root() / "instance"


def load_settings(instance: Path) -> dict[str, Any]:
    """Read the TRAINER_* environment (after .env) into Flask config keys."""
    load_env_file()
    values: dict[str, Any] = {}
    for env_name, (key, default, _doc) in SETTINGS.items():
        raw = os.environ.get(env_name, default)
        if raw is not None and raw != "":
            values[key] = raw
    values["SESSION_COOKIE_SECURE"] = str(values["SESSION_COOKIE_SECURE"]).lower() in TRUE_WORDS
    if values.get("BABEL_DEFAULT_LOCALE") not in LOCALES:
        values["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    values.setdefault("DATABASE_URL", f"sqlite:///{instance / 'trainer.sqlite3'}")
    media = Path(values["MEDIA_ROOT"])
    values["MEDIA_ROOT"] = str(media if media.is_absolute() else project_root() / media)
    library = Path(values["SCENARIO_DIR"])
    values["SCENARIO_DIR"] = str(library if library.is_absolute() else project_root() / library)
    return values


def secret_key_from_instance(instance: Path) -> str:
    """The key kept in instance/secret_key, made (once, readable by the owner only) if absent."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


# Fixed settings that are policy, not deployment choices.
BASE_CONFIG: dict[str, Any] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,  # forms and CSV files; video uploads are chunked
    "WTF_CSRF_TIME_LIMIT": 12 * 3600,
    "BABEL_TRANSLATION_DIRECTORIES": "translations",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",  # times are stored in UTC, shown in Beijing time
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_STRATEGY": "moving-window",
}
