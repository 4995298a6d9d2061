"""The scenario editor's requests on large drafts.

    python -m benchmarks.authoring                 # 24, 128 and 512 KB drafts
    python -m benchmarks.authoring --sizes 24,60   # KB

For each size a draft is made from the starter template with a chain of nodes with long
bilingual texts (about 50 values a KB, as in the library's scenarios, which are at most
19 KB) and saved; then, through the application on a fresh SQLite file, as its author: the
node form (GET), a node's save, a new node, an autosave of the whole text, the editor page,
the check a large draft's author asks for ("Check the draft now"; a draft over
drafts.LIVE_BYTES is not checked at each autosave nor on the page), a playtest and its next
step (the same text sent again), publishing, the diff of the draft against the published
version, an import.
Each request's CPU seconds (this process: the test client runs the application in it) and
wall seconds are printed, with its status (the node form answers 400 for a draft over
authoring.MAX_EDIT_BYTES / MAX_EDIT_VALUES). The last line printed is one JSON object:
{size_kb: {request: cpu_seconds}}.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from trainer import create_app
from trainer.accounts.models import Role, User
from trainer.core.scenario import authoring, loader
from trainer.extensions import DB_KEY
from trainer.models import Base
from trainer.scenarios import drafts
from trainer.scenarios.models import ScenarioDraft

JSON = {"Accept": "application/json"}
SAYS = ("我们家的情况你都知道了，还要问什么？普查员同志，"
        "请说明为什么要登记这些信息，我们的隐私怎么保护。")


def large_draft(size: int, scenario_id: str) -> str:
    """A valid scenario of about `size` bytes: door -> interview -> n0000 -> ... -> done."""
    base = authoring.template(scenario_id, "大情景", "A large scenario")
    head, tail = base.split("      done:", 1)
    head = head.replace("goto: done", "goto: n0000")
    nodes: list[str] = []
    total = len(base.encode())
    while total < size:
        n = len(nodes)
        nodes.append(
            f"      n{n:04d}:\n        says:\n          zh_CN: 第{n}段：{SAYS}\n"
            f"          en: \"Part {n}: you know all about our family already; what else do "
            f"you need? Please explain why this is recorded and how our privacy is kept.\"\n"
            f"        actions:\n"
            f"          - {{do: explain_purpose, reply: {{zh_CN: 好吧，你继续问吧。, "
            f"en: \"All right; go on.\"}}}}\n"
            f"          - do: promise_confidentiality\n            effects: {{trust: 5}}\n"
            f"            reply: {{zh_CN: 那就好，我们放心了。, "
            f"en: \"Good, that reassures us.\"}}\n"
            f"          - {{do: read_back, goto: n{n + 1:04d}}}\n")
        total += len(nodes[-1].encode())
    nodes[-1] = nodes[-1].replace(f"goto: n{len(nodes):04d}", "goto: done")
    return head + "".join(nodes) + "      done:" + tail


def main() -> None:
    """Measure every request at every size; print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="24,128,512", help="KB, comma-separated")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="bench-authoring-"))
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "DATABASE_URL": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "b" * 32,
                      "INSTANCE_PATH": str(tmp / "instance"), "MEDIA_ROOT": str(tmp / "media"),
                      "RATELIMIT_STORAGE_URI": "memory://", "BABEL_DEFAULT_LOCALE": "en"})
    maker = app.extensions[DB_KEY]
    with app.app_context():
        Base.metadata.create_all(maker.kw["bind"])
        with maker() as db:
            author = User(username="bench-author", full_name="Bench Author", role=Role.TRAINER,
                          password_hash="!", session_token="bench-author")  # noqa: S106
            db.add(author)
            db.commit()
            login = author.get_id()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = login, True
    figures: dict[str, dict[str, float]] = {}

    def put(scenario_id: str, source: str) -> int:
        with app.app_context(), maker() as db:
            draft = db.get(ScenarioDraft, scenario_id)
            if draft is None:
                user = db.scalars(select(User).where(User.username == "bench-author")).one()
                draft = drafts._own(db, user, scenario_id, source)
            else:
                draft.source, draft.revision = source, draft.revision + 1
            db.commit()
            return draft.revision

    for kb in sizes:
        sid = f"bench-{kb}-kb"
        source = large_draft(kb * 1024 - 2048, sid)
        revision = put(sid, source)
        row = figures[f"{kb}"] = {}
        print(f"{kb} KB draft: {len(source.encode())} bytes", flush=True)

        def timed(name: str, method: str, url: str, row: dict[str, float] = row,
                  **options: Any) -> Any:
            cpu, wall = time.process_time(), time.perf_counter()
            answer = client.open(url, method=method, **options)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            row[name] = round(cpu, 2)
            print(f"  {name:13s} {answer.status_code}  cpu {cpu:6.2f} s  wall {wall:6.2f} s",
                  flush=True)
            return int(answer.get_json()["revision"]) if answer.status_code == 200 \
                and answer.is_json and "revision" in answer.get_json() else None

        base = f"/scenarios/{sid}"
        timed("node_form", "GET", f"{base}/nodes/main/n0003")
        revision = timed("save_node", "POST", f"{base}/nodes/main/n0003", headers=JSON, data={
            "revision": str(revision), "says-zh_CN": "改了", "says-en": "Changed",
            "common": "1", "actions-0-do": "explain_purpose", "actions-1-do": "read_back",
            "actions-1-goto": "n0004"}) or revision
        revision = timed("add_node", "POST", f"{base}/dialogues/main/nodes", headers=JSON,
                         data={"revision": str(revision), "node": "later"}) or revision
        revision = timed("autosave", "POST", f"{base}/draft", headers=JSON,
                         data={"revision": str(revision), "source": source}) or revision
        timed("edit_page", "GET", f"{base}/edit")
        timed("check", "POST", f"{base}/check", headers=JSON)
        timed("playtest", "POST", f"{base}/playtest", data={
            "source": source, "steps": "[]", "dialogue": "main", "node": "n0003"})
        unit = drafts.playtest_unit(loader.parse(source), "main")
        timed("playtest_step", "POST", f"{base}/playtest", data={  # its next step
            "source": source, "action": "explain_purpose",
            "steps": json.dumps([{"household": unit, "action": "goto:n0003"}])})
        timed("publish", "POST", f"{base}/publish",
              data={"changelog": "First version", "revision": str(revision)})
        put(sid, source.replace("第3段", "第三段"))
        timed("diff", "GET", f"{base}/diff?a=1&b=draft")
        timed("import", "POST", "/scenarios/import", content_type="multipart/form-data",
              data={"file": (io.BytesIO(source.replace(sid, sid + "-copy").encode()),
                             "copy.yaml")})
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
