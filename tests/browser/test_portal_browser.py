"""The portal in a real browser: each role logs in and walks its pages in
English and in Chinese, the workbook link downloads a workbook openpyxl
reads, a signature is verified on the verify page (signed in and not), and
a tenant named <script>alert(1)</script> opens no dialog.  Screenshots of
the main pages in both languages go to var/test/screenshots."""
import io
import os

import openpyxl
import pytest
import requests
from selenium.common.exceptions import (NoAlertPresentException, StaleElementReferenceException,
                                        WebDriverException)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import PASSWORD, SHOTS, e2e


def click_and_wait(driver, element):
    """Clicks a link or submit button and waits until the next page has replaced this one."""
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 30).until(lambda d: gone(old))


def gone(element):
    """Whether the page that held element was replaced.  Chromium sometimes
    says so with "Node with given id does not belong to the document" (an
    unknown error) instead of a stale-element error while the page swaps."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as e:
        if "does not belong to the document" in str(e):
            return True
        raise


def shot(driver, name):
    driver.save_screenshot(os.path.join(SHOTS, name + ".png"))


def no_dialog(driver):
    try:
        driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def login(driver, server, email):
    driver.get(server.url + "/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(driver, driver.find_element(By.ID, "login-submit"))
    assert driver.current_url == server.url + "/", driver.current_url
    cookie = driver.get_cookie("slattest_session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"


def switch(driver, lang):
    click_and_wait(driver, driver.find_element(By.ID, "lang-" + lang))
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang


def test_client_walks_overview_and_reports_in_both_languages(server, world, browser):
    d, slug = browser, world["slug"]
    login(d, server, world["people"]["client"])
    click_and_wait(d, d.find_element(By.LINK_TEXT, "Overview"))
    assert d.find_element(By.ID, "tenant-name").text == "Browser Insurance"
    svg = d.find_element(By.CSS_SELECTOR, "svg.chart")
    assert "Daily service level" in svg.find_element(By.TAG_NAME, "title").get_attribute(
        "textContent")
    assert svg.size["width"] > 500 and svg.size["height"] > 200
    month = d.find_element(By.ID, "month-2026-10")
    assert "October 2026" in month.text and "Service level" in month.text
    shot(d, "client-overview-en")
    # The trend charts, each drawn whole (an element's own screenshot).
    for cid in ("chart-sl", "chart-volume", "chart-abandon"):
        chart = d.find_element(By.ID, cid)
        assert chart.size["width"] > 500 and chart.size["height"] > 200, cid
        d.execute_script("arguments[0].scrollIntoView()", chart)
        chart.screenshot(os.path.join(SHOTS, f"client-{cid}-en.png"))
    switch(d, "zh")
    month = d.find_element(By.ID, "month-2026-10")
    assert "2026年10月" in month.text and "服务水平" in month.text
    shot(d, "client-overview-zh")
    click_and_wait(d, d.find_element(By.LINK_TEXT, "报告"))
    assert "报告" in d.find_element(By.TAG_NAME, "h1").text
    shot(d, "client-reports-zh")
    switch(d, "en")
    shot(d, "client-reports-en")
    link = d.find_element(By.CSS_SELECTOR, "a.dl-workbook").get_attribute("href")
    # The link is the API's download route; the session cookie is the credential.
    s = requests.Session()
    s.cookies.set("slattest_session", d.get_cookie("slattest_session")["value"])
    r = s.get(link, verify=e2e.CA, timeout=60)
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    assert "Cover" in wb.sheetnames or len(wb.sheetnames) > 3
    assert no_dialog(d)


def test_manager_sees_hostile_name_as_text(server, world, browser):
    d = browser
    login(d, server, world["people"]["manager"])
    names = [td.text for td in d.find_elements(By.CSS_SELECTOR, "td.tenant-name")]
    assert "<script>alert(1)</script>" in names and "Browser Insurance" in names
    assert no_dialog(d)
    shot(d, "manager-home-en")
    d.get(server.url + "/tenants/" + world["hostile"])
    assert d.find_element(By.ID, "tenant-name").text == "<script>alert(1)</script>"
    assert d.find_element(By.ID, "no-months")
    assert no_dialog(d)
    d.get(server.url + "/tenants/" + world["slug"])
    switch(d, "zh")
    shot(d, "manager-overview-zh")
    d.get(server.url + "/")
    shot(d, "manager-home-zh")
    assert no_dialog(d)


def verify_files(d, world):
    d.find_element(By.ID, "workbook").send_keys(world["xlsx"])
    d.find_element(By.ID, "signature").send_keys(world["p7s"])
    click_and_wait(d, d.find_element(By.ID, "verify-submit"))
    return d.find_element(By.ID, "verify-result")


def test_auditor_reports_and_verify(server, world, browser):
    d = browser
    login(d, server, world["people"]["auditor"])
    click_and_wait(d, d.find_element(By.LINK_TEXT, "Reports"))
    rows = d.find_elements(By.CSS_SELECTOR, "#reports tbody tr")
    assert rows and d.find_elements(By.CSS_SELECTOR, "a.dl-signature")
    assert not d.find_elements(By.CSS_SELECTOR, "a.dl-workbook"), "auditors get no workbook link"
    shot(d, "auditor-reports-en")
    click_and_wait(d, d.find_element(By.LINK_TEXT, "Verify a report"))
    result = verify_files(d, world)
    assert "valid" in result.get_attribute("class").split()
    assert d.find_element(By.ID, "verify-verdict").text == "Valid signature"
    assert "report signing" in d.find_element(By.ID, "verify-signer").text
    assert "Asia/Shanghai" in d.find_element(By.ID, "verify-signed-at").text
    report = d.find_element(By.ID, "verify-report").text
    assert world["slug"] in report and "October 2026" in report and "current" in report
    shot(d, "auditor-verify-en")
    switch(d, "zh")
    result = verify_files(d, world)
    assert d.find_element(By.ID, "verify-verdict").text == "签名有效"
    shot(d, "auditor-verify-zh")


def test_verify_without_login_hides_the_report(server, world, browser):
    d = browser
    d.get(server.url + "/verify")
    shot(d, "verify-anonymous-en")
    result = verify_files(d, world)
    assert "valid" in result.get_attribute("class").split()
    assert world["slug"] not in d.find_element(By.ID, "verify-report").text
    # A changed workbook is not valid.
    changed = world["xlsx"][:-5] + "-changed.xlsx"
    with open(world["xlsx"], "rb") as f:
        data = bytearray(f.read())
    data[-10] ^= 1
    with open(changed, "wb") as f:
        f.write(data)
    d.get(server.url + "/verify")
    d.find_element(By.ID, "workbook").send_keys(changed)
    d.find_element(By.ID, "signature").send_keys(world["p7s"])
    click_and_wait(d, d.find_element(By.ID, "verify-submit"))
    assert "invalid" in d.find_element(By.ID, "verify-result").get_attribute("class").split()
    shot(d, "verify-invalid-en")


def test_login_page_in_chinese(server, browser):
    d = browser
    d.get(server.url + "/login?lang=zh")
    assert d.find_element(By.TAG_NAME, "h1").text == "登录"
    d.find_element(By.ID, "email").send_keys("nobody@example.com")
    d.find_element(By.ID, "password").send_keys("wrong password!!")
    click_and_wait(d, d.find_element(By.ID, "login-submit"))
    assert d.find_element(By.ID, "login-message").text == "电子邮箱或密码错误。"
    shot(d, "login-zh")
