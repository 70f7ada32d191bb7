"""A manager in a real browser, in English and in Chinese: uploads a contacts
file (one row wrong, so the receipt shows a row error), generates an internal report and
watches its progress page reach "done" by reloading itself (no JavaScript),
downloads the workbook, and walks the batches, contract, quality and portfolio
pages.  Screenshots of each go to var/test/screenshots (mgr-*.png)."""
import io
import time

import openpyxl
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from conftest import e2e
from test_portal_browser import click_and_wait, login, no_dialog, shot, switch

H = "call_id,queue,offered_at,answered_at,ended_at,outcome,agent_id,talk_s,hold_s,acw_s"


def status_of(driver):
    """The progress page's status, read again after each of its own reloads."""
    for _ in range(5):
        try:
            return driver.find_element(By.ID, "progress-status").get_attribute("data-status")
        except StaleElementReferenceException:
            time.sleep(0.2)
    raise AssertionError("the progress page did not settle")


def walk(d, server, world, tmp_path, lang):
    slug = world["slug"]
    d.get(f"{server.url}/tenants/{slug}/upload")
    if lang == "zh":
        switch(d, "zh")
    path = tmp_path / f"contacts-{lang}.csv"
    path.write_text(H + "\n"
                    f"bw-{lang}-1,sales,2026-10-07T09:00:00+08:00,2026-10-07T09:00:10+08:00,"
                    "2026-10-07T09:02:00+08:00,answered,ag1,100,0,20\n"
                    f"bw-{lang}-2,sales,2026-10-07T09:05:00+08:00,,2026-10-07T09:05:40+08:00,"
                    "sometimes,,,,\n")
    d.find_element(By.ID, "file").send_keys(str(path))
    d.find_element(By.CSS_SELECTOR, "#mode option[value=lenient]").click()
    click_and_wait(d, d.find_element(By.ID, "upload-submit"))
    errors = d.find_elements(By.CSS_SELECTOR, "#row-errors tbody tr")
    assert len(errors) == 1 and errors[0].find_elements(By.TAG_NAME, "td")[0].text == "3"
    assert d.find_element(By.ID, "receipt-verdict").text == ("Accepted" if lang == "en" else "已接受")
    shot(d, f"mgr-upload-{lang}")
    click_and_wait(d, d.find_element(By.ID, "receipt-batch"))
    shot(d, f"mgr-batch-{lang}")
    click_and_wait(d, d.find_element(By.ID, "nav-batches"))
    shot(d, f"mgr-batches-{lang}")
    click_and_wait(d, d.find_element(By.ID, "nav-contract"))
    assert d.find_element(By.ID, "contract").get_attribute("value").lstrip().startswith("{")
    shot(d, f"mgr-contract-{lang}")
    d.get(f"{server.url}/tenants/{slug}/quality?period=2026-10")
    shot(d, f"mgr-quality-{lang}")
    # internal-monthly: the shared tenant's issued client report stays the current one
    d.get(f"{server.url}/tenants/{slug}/reports/new?period=2026-10&template=internal-monthly")
    shot(d, f"mgr-generate-{lang}")
    click_and_wait(d, d.find_element(By.ID, "generate-submit"))
    assert d.current_url.endswith("/progress")
    seen = [status_of(d)]
    shot(d, f"mgr-progress-running-{lang}")
    deadline = time.time() + 180
    while seen[-1] not in ("done", "failed") and time.time() < deadline:
        time.sleep(0.5)  # the page reloads itself every 2 seconds
        seen.append(status_of(d))
    assert seen[-1] == "done", seen
    shot(d, f"mgr-progress-done-{lang}")
    href = d.find_element(By.ID, "dl-workbook").get_attribute("href")
    cookie = d.get_cookie("slattest_session")["value"]
    r = requests.get(href, cookies={"slattest_session": cookie}, verify=e2e.CA, timeout=60)
    assert r.status_code == 200
    assert len(openpyxl.load_workbook(io.BytesIO(r.content)).sheetnames) > 3
    d.get(f"{server.url}/tenants/{slug}/reports")
    assert d.find_elements(By.CSS_SELECTOR, "form.regen button")
    shot(d, f"mgr-reports-{lang}")
    d.get(f"{server.url}/portfolio")
    assert d.find_element(By.ID, f"portfolio-{slug}")
    shot(d, f"mgr-portfolio-{lang}")
    d.get(f"{server.url}/tenants/{slug}")
    assert d.find_element(By.ID, "live-setting")
    shot(d, f"mgr-overview-{lang}")
    assert no_dialog(d)
    return seen


def test_manager_uploads_generates_and_follows_progress(world, server, browser, tmp_path):
    login(browser, server, world["people"]["manager"])
    walk(browser, server, world, tmp_path, "en")
    walk(browser, server, world, tmp_path, "zh")
