"""Review of the death form's age item (死亡时年龄) through the pages that show it."""

from __future__ import annotations

from tests.features.test_deaths_sheet import TRUE_DEATH
from trainer.fieldwork import services


def test_the_review_page_names_a_death_rows_items_in_the_interface_language(
        client, login_as, db, exam_cohort):
    """The examiner's list of the death form's errors names the item as the trainee's page
    does ("请填写死亡时年龄（周岁）。"), never by its key ("请填写age。")."""
    made = exam_cohort("Review the death form's items", "whole-household-death")
    attempt = made["attempt"]
    services.save_deaths(db, attempt, [{**TRUE_DEATH, "number": 999, "sex": 1, "age": None,
                                        "education": None}], complete=False)
    services.submit(db, attempt)
    db.commit()
    login_as(user=made["examiner"])
    url = f"/review/attempts/{attempt.id}"
    zh = client.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    checks = zh[zh.find('data-test="death-checks"'):]
    checks = checks[:checks.find("</ul>")]
    assert "请填写死亡时年龄（周岁）。" in checks, checks
    assert "age" not in checks and "education" not in checks, checks
    en = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    checks = en[en.find('data-test="death-checks"'):]
    assert "Age at death (周岁) is required." in checks[:checks.find("</ul>")]
