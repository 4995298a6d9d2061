"""What the trainee's attempt and census form pages print: form items named as the form names
them (never by an internal key), households by their address and no dialogue node's id, and
the census form's coded answers in the interface language only."""

from __future__ import annotations

import re

from tests.features.test_fieldwork import BEST, setup_cohort, step
from trainer.accounts.models import Role
from trainer.fieldwork import services

EN, ZH = {"Accept-Language": "en"}, {"Accept-Language": "zh-CN"}


def _text(page: str) -> str:
    """The page's visible text, roughly: tags dropped, spaces folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _interview(client, csrf, login_as, make_user, db):
    """A trainee's practice attempt at the Wangs': in the interview, the roster asked."""
    trainee = login_as(Role.TRAINEE)
    _t, _c, assignment = setup_cohort(db, make_user, trainee)
    attempt = services.start_attempt(db, trainee, assignment)
    step(client, csrf, attempt.id, "knock", day="2020-11-02", time="19:00")
    for action in BEST[:6]:  # up to the roster: the items are asked next
        step(client, csrf, attempt.id, action)
    return attempt


def test_the_item_d5_is_the_month_of_birth_in_english(client, csrf, login_as, make_user, db):
    attempt = _interview(client, csrf, login_as, make_user, db)
    en = _text(client.get(f"/training/attempts/{attempt.id}", headers=EN).get_data(as_text=True))
    assert "Ask a form item: D5 year and month of birth" in en
    assert "D5 births" not in en
    zh = _text(client.get(f"/training/attempts/{attempt.id}", headers=ZH).get_data(as_text=True))
    assert "D5 出生年月" in zh



def _draft(client, csrf, attempt):
    """The Wangs' R601 saved as a draft with H1 and the head's D2 answered, the rest blank:
    its URL."""
    url = f"/training/attempts/{attempt.id}/forms/wang"
    saved = client.post(url, data={"csrf_token": csrf(), "H1": "1", "persons-0-D2": "0"})
    assert saved.status_code == 302
    return url


def test_the_census_forms_codes_are_in_the_interface_language_only(
        client, csrf, login_as, make_user, db):
    url = _draft(client, csrf, _interview(client, csrf, login_as, make_user, db))
    zh = client.get(url, headers=ZH).get_data(as_text=True)
    assert '<option selected value="1">1 家庭户</option>' in zh
    assert '<option selected value="0">0 户主</option>' in zh
    assert "Family household" not in zh and "Head" not in _text(zh)
    en = client.get(url, headers=EN).get_data(as_text=True)
    assert '<option selected value="1">1 Family household</option>' in en
    assert '<option selected value="0">0 Head</option>' in en
    assert "家庭户" not in en and "户主" not in en


def test_the_census_forms_errors_name_items_as_the_form_shows_them(
        client, csrf, login_as, make_user, db):
    url = _draft(client, csrf, _interview(client, csrf, login_as, make_user, db))
    zh = client.get(url, headers=ZH).get_data(as_text=True)
    assert "请填写H4 死亡人口（男）。" in zh and "H4m" not in _text(zh)
    en = client.get(url, headers=EN).get_data(as_text=True)
    assert "H4 Deaths, male is required." in en and "H4m" not in _text(en)
    assert "D3 ID number is required." in en
    # a value the form refuses: the autosave's status names the item too
    refused = client.post(url, data={"csrf_token": csrf(), "H6": "-5", "persons-0-D2": "0"},
                          headers={"HX-Request": "true", **EN}).get_data(as_text=True)
    assert "Not saved" in refused and "H6 Floor area (m²):" in refused


def test_the_forms_card_names_the_household_by_its_address(client, csrf, login_as, make_user,
                                                           db):
    attempt = _interview(client, csrf, login_as, make_user, db)
    en = _text(client.get(f"/training/attempts/{attempt.id}", headers=EN).get_data(as_text=True))
    assert "R601 · 建设路 building 3, unit 502" in en and "R601 · wang" not in en
    zh = _text(client.get(f"/training/attempts/{attempt.id}", headers=ZH).get_data(as_text=True))
    assert "R601 · 建设路 3栋502室" in zh


def test_the_attempt_page_shows_no_internal_keys(client, csrf, login_as, make_user, db):
    attempt = _interview(client, csrf, login_as, make_user, db)
    for headers, node in ((EN, "Node"), (ZH, "节点")):
        page = client.get(f"/training/attempts/{attempt.id}", headers=headers).get_data(
            as_text=True)
        card = page[page.index('data-test="household-wang"'):page.index('id="forms"')]
        assert "<code>wang</code>" not in card and " wang " not in _text(card)
        assert node not in _text(card) and "interview" not in _text(card)
        assert 'data-test="node"' not in card
        assert "data-action=\"ask_item:D5\"" in card  # the card itself is there
