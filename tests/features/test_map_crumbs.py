"""The map task's results page links, in its breadcrumbs, only to pages the reader may open."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from tests.features.test_map_tries import setup, world  # noqa: F401  (fixtures)


def test_every_breadcrumb_of_a_map_task_opens_for_its_reader(
        client: FlaskClient, login_as: Any, setup: Any) -> None:  # noqa: F811
    trainer, _trainee, examiner, cohort, task = setup
    for user in (examiner, trainer):
        login_as(user=user)
        page = client.get(f"/cohorts/{cohort.id}/maps/{task.id}").get_data(as_text=True)
        crumbs = re.search(r'<nav class="crumbs">(.*?)</nav>', page, re.S)
        assert crumbs is not None
        links = re.findall(r'href="([^"]+)"', crumbs.group(1))
        assert len(links) >= 2
        for link in links:
            assert client.get(link).status_code == 200, (user.role, link)
