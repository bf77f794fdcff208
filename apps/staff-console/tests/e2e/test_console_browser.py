"""The staff console as a person uses it, in headless Chromium over make run's stack."""

from __future__ import annotations

import os
import re
import time
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from brokerage_common.auth import issue_token
from brokerage_common.settings import DEV_JWT_SECRET
from trading_sim import customer_phone

from .conftest import shoot

MASKED_PHONE = re.compile(r"^1\d{2}\*{4}\d{4}$")


def sign_in(driver: Any, url: str, staff_id: str) -> None:
    driver.delete_all_cookies()
    driver.get(f"{url}/signin")
    driver.find_element(By.ID, f"staff-{staff_id}").click()
    submit_and_wait(driver, driver.find_element(By.ID, "signin-button"))


def submit_and_wait(driver: Any, button: Any) -> None:
    """Click a submit button and wait until the browser has loaded the answer."""
    before = driver.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.TAG_NAME, "html") != before)
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def test_staff_member_signs_in_and_sees_the_branch_customers(browser: Any, stack: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{stack}/signin")
    assert "员工登录" in browser.page_source
    shoot(browser, "01-signin")
    sign_in(browser, stack, "S002")
    assert browser.current_url.startswith(f"{stack}/customers")
    assert "李敏（S002，营业部 B001）" in browser.find_element(By.ID, "who").text
    # Life stages list every customer of the stage: demo customers are born 1950-2002.
    browser.get(f"{stack}/customers?segment=mature")
    rows = browser.find_elements(By.CSS_SELECTOR, "#customer-list tbody tr")
    assert rows, "the mature stage of a 300-customer demo branch is not empty"
    assert all(r.find_element(By.TAG_NAME, "a").text.startswith("C") for r in rows)
    shoot(browser, "02-customers")


def test_search_the_branch_by_a_masked_phone(browser: Any, stack: str) -> None:
    sign_in(browser, stack, "S002")
    browser.get(f"{stack}/customers")
    phone = customer_phone(1)  # the demo's customer 1
    browser.find_element(By.ID, "search-customer").send_keys(f"{phone[:3]}****{phone[-4:]}")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form[role=search] button"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#search-results tbody tr")
    assert "C000001" in [r.find_element(By.TAG_NAME, "a").text for r in rows]
    assert all(MASKED_PHONE.match(r.find_elements(By.TAG_NAME, "td")[2].text) for r in rows)
    assert phone not in browser.page_source


def test_open_a_customer_and_reveal_the_phone_with_a_reason(browser: Any, stack: str) -> None:
    sign_in(browser, stack, "S002")
    browser.get(f"{stack}/customers/C000001")
    assert MASKED_PHONE.match(browser.find_element(By.ID, "phone").text)
    assert browser.find_element(By.ID, "tier").text.startswith("级别与积分")
    shoot(browser, "03-customer-360")
    form = browser.find_element(By.ID, "reveal-form")
    form.find_element(By.NAME, "reason").send_keys("客户来电核实身份")
    submit_and_wait(browser, form.find_element(By.TAG_NAME, "button"))
    # The demo's customer 1 has trading_sim's phone number 1.
    assert browser.find_element(By.ID, "phone").text == customer_phone(1)


def test_log_a_contact_and_see_it_on_the_timeline(browser: Any, stack: str) -> None:
    sign_in(browser, stack, "S002")
    browser.get(f"{stack}/customers/C000002")
    topic = f"季度回访 {int(time.time())}"
    form = browser.find_element(By.ID, "contact-form")
    form.find_element(By.NAME, "topic").send_keys(topic)
    form.find_element(By.NAME, "outcome").send_keys("客户满意，关注新股申购")
    form.find_element(By.NAME, "next_step").send_keys("下周发送新股日历")
    submit_and_wait(browser, browser.find_element(By.ID, "log-contact"))
    assert browser.current_url.endswith("/customers/C000002#crm")
    timeline = browser.find_element(By.ID, "timeline").text
    assert topic in timeline
    assert "S002" in timeline
    shoot(browser, "04-contact-logged")


def test_another_branch_customer_is_not_reachable_by_url(browser: Any, stack: str) -> None:
    sign_in(browser, stack, "S101")  # branch B002; the demo customers are B001's
    browser.get(f"{stack}/customers/C000001")
    error = browser.find_element(By.ID, "error").text
    assert "无权访问" in error
    assert "C000001" not in browser.page_source.replace("/customers/C000001", "")
    assert not browser.find_elements(By.ID, "phone")
    shoot(browser, "05-other-branch-403")


def test_a_customer_token_gets_nothing(browser: Any, stack: str) -> None:
    token = issue_token(
        secret=os.environ.get("AUTH_JWT_SECRET", DEV_JWT_SECRET),
        sub="C000001",
        role="customer",
        ttl_s=600,
    )
    browser.delete_all_cookies()
    browser.get(f"{stack}/signin")
    browser.find_element(By.TAG_NAME, "summary").click()
    form = browser.find_element(By.ID, "token-signin")
    form.find_element(By.NAME, "token").send_keys(token)
    submit_and_wait(browser, form.find_element(By.TAG_NAME, "button"))
    for page in ("customers", "customers/C000001", "retention", "ranking"):
        browser.get(f"{stack}/{page}")
        assert "工作台仅供营业部员工使用" in browser.find_element(By.ID, "error").text, page
    shoot(browser, "06-customer-token-403")


def test_pages_of_absent_services_show_a_panel(browser: Any, stack: str) -> None:
    sign_in(browser, stack, "S001")  # the manager opens every page
    for page in ("retention", "complaints", "ranking", "manager"):
        browser.get(f"{stack}/{page}")
        assert "服务暂不可用" in browser.page_source or "服务未提供此内容" in browser.page_source
        assert "ops-assessment-svc" in browser.page_source
    shoot(browser, "07-manager-ops-not-available")


def test_form_rules_show_while_filling_in(browser: Any, stack: str) -> None:
    sign_in(browser, stack, "S001")
    browser.get(f"{stack}/manager")
    form = browser.find_element(By.ID, "group-form")
    ids = form.find_elements(By.NAME, "member_ids")
    roles = form.find_elements(By.NAME, "member_roles")
    button = form.find_element(By.TAG_NAME, "button")
    ids[0].send_keys("S002")
    assert "现有 1 人" in form.find_element(By.CLASS_NAME, "live-check").text
    assert not button.is_enabled()
    ids[1].send_keys("S003")
    assert "至少一名中后台人员" in form.find_element(By.CLASS_NAME, "live-check").text
    roles[1].find_element(By.CSS_SELECTOR, "option[value=back_office]").click()
    assert button.is_enabled()
    assert not form.find_element(By.CLASS_NAME, "live-check").is_displayed()

    browser.get(f"{stack}/advisers")
    form = browser.find_element(By.ID, "content-form")
    form.find_element(By.CSS_SELECTOR, "[name=recommendation] option[value=buy]").click()
    form.find_element(By.CSS_SELECTOR, "[name=technical_view] option[value=bearish]").click()
    assert "技术面看空的股票不能推荐买入" in form.find_element(By.CLASS_NAME, "live-check").text
    assert not form.find_element(By.TAG_NAME, "button").is_enabled()
    shoot(browser, "08-advisers-bearish-rule")
    form.find_element(By.CSS_SELECTOR, "[name=technical_view] option[value=neutral]").click()
    assert form.find_element(By.TAG_NAME, "button").is_enabled()
