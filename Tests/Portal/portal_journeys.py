#!/usr/bin/env python3
"""The portal as people use it, in a real browser: Selenium 4 drives Debian's headless Chromium
through the journeys of a department user, an approver of the owning department and an operator,
against a running scheduler (with an agent whose node runs what is approved).

Run by Tests/NodeAgentTests/PortalBrowserTests.swift, which starts the scheduler and agent, seeds
them and passes everything below in the environment; it can be run by hand against any scheduler
seeded the same way.

Environment:
  SUANLI_URL                  the portal, http://127.0.0.1:PORT (required)
  SUANLI_SCREENSHOTS          folder the PNGs are written to (created; default the current folder)
  SUANLI_USER, SUANLI_USER_PASSWORD
                              a department user (alice of tenant water, clearance 2)
  SUANLI_APPROVER, SUANLI_APPROVER_PASSWORD
                              an approver of the entry's owning department (tom of transport)
  SUANLI_OPERATOR, SUANLI_OPERATOR_PASSWORD
                              an operator (olga)
  SUANLI_ENTRY                the code of the catalog entry applied for (owned by the approver's
                              department, restricted, security level 2, a VM on nodeClass general)
  SUANLI_VM_IMAGE             the VM disk image path given in the application form
  SUANLI_NODE                 the id of the node to cordon (the agent's, where the VM runs)
  SUANLI_SCRIPT_ENTRY         the code of an entry named `<script>alert(1)</script>...` (escaping)
  SUANLI_RUNNING_TIMEOUT      seconds to wait for the provisioned VM to run (default 60)
  SUANLI_CHROMIUM, SUANLI_CHROMEDRIVER
                              the browser and its driver (default /usr/bin/chromium and
                              /usr/bin/chromedriver, Debian's chromium and chromium-driver)

The journeys, in order: a. alice signs in, searches the catalog and applies for the entry;
b. the <script> entry is text; c. tom and then olga approve from their queues; d. the VM runs on
alice's workbench; e. she rates the entry; f. olga cordons the node and sees its alert; g. forged
and cross-site forms are refused 403; h. the language switch; i. phone and wall screens scroll no
wider than the page; j. the sign-in by keyboard; k. the account page and a missing page; l. alice
releases the VM, the form asking first; then she signs out.

Every step is printed as it runs. After every page load the browser's console must hold no entry
of level SEVERE (a script error, a resource that failed, a Content Security Policy violation), no
dialog may be open, and on a Chinese page the portal's own labels (navigation, headings, table
heads, form labels, buttons) hold no English word. Screenshots: workbench.png and operations.png
at 1366x900, workbench-phone.png and operations-phone.png at 375x812, workbench-wall.png and
operations-wall.png at 2560x1440. The first check that fails is printed with FAIL, a screenshot
failure-<step>.png is saved, and the exit status is 1; 0 only when every check passed.
"""

import http.client
import os
import re
import signal
import subprocess
import sys
import time
import traceback
import urllib.parse

# Selenium Manager must never try to download a driver or a browser: there is no network.
os.environ.setdefault("SE_OFFLINE", "true")

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import (  # noqa: E402
    NoAlertPresentException,
    NoSuchElementException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None or value == "":
        print(f"portal_journeys: the environment variable {name} is required (see the top of this file)", file=sys.stderr)
        sys.exit(2)
    return value


BASE = env("SUANLI_URL").rstrip("/")
SHOTS = os.environ.get("SUANLI_SCREENSHOTS") or os.getcwd()
USER, USER_PASSWORD = env("SUANLI_USER", "alice"), env("SUANLI_USER_PASSWORD")
APPROVER, APPROVER_PASSWORD = env("SUANLI_APPROVER", "tom"), env("SUANLI_APPROVER_PASSWORD")
OPERATOR, OPERATOR_PASSWORD = env("SUANLI_OPERATOR", "olga"), env("SUANLI_OPERATOR_PASSWORD")
ENTRY = env("SUANLI_ENTRY")
VM_IMAGE = env("SUANLI_VM_IMAGE")
NODE = env("SUANLI_NODE")
SCRIPT_ENTRY = env("SUANLI_SCRIPT_ENTRY")
RUNNING_TIMEOUT = float(os.environ.get("SUANLI_RUNNING_TIMEOUT") or 60)
CHROMIUM = os.environ.get("SUANLI_CHROMIUM") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("SUANLI_CHROMEDRIVER") or "/usr/bin/chromedriver"

SCRIPT_NAME_PREFIX = "<script>alert(1)</script>"
# What the Chinese pages say (Scheduler/HTTP/Portal/PortalText.swift).
ZH_RUNNING, ZH_RELEASED = "运行中", "已释放"
ZH_WORKBENCH, EN_WORKBENCH = "工作台", "Workbench"
ZH_CSRF_REFUSED = "表单已过期或来自其他网站"

parsed = urllib.parse.urlsplit(BASE)
HOST, PORT = parsed.hostname, parsed.port or 80


class JourneyFailure(Exception):
    pass


class Run:
    """The step being run and the browser it runs in: named in the failure's screenshot."""

    step = "start"
    driver = None
    drivers = []


def step(name):
    Run.step = name
    print(f"- {name}", flush=True)


def check(condition, message):
    if not condition:
        raise JourneyFailure(message)


# MARK: The browser


def new_driver(width=1366, height=900):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=zh-CN",
                     "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--metrics-recording-only", "--disable-default-apps", f"--window-size={width},{height}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # A dialog stays open until a check looks at it: a script's alert() must not be dismissed
    # silently, a form's confirm() is accepted explicitly.
    options.unhandled_prompt_behavior = "ignore"
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER, log_output=subprocess.DEVNULL), options=options)
    driver.set_page_load_timeout(30)
    Run.drivers.append(driver)
    Run.driver = driver
    set_viewport(driver, width, height)
    return driver


def quit_driver(driver):
    try:
        driver.quit()
    finally:
        if driver in Run.drivers:
            Run.drivers.remove(driver)
        if Run.driver is driver:
            Run.driver = Run.drivers[-1] if Run.drivers else None


def set_viewport(driver, width, height):
    """The page's viewport (not the window) at width x height CSS pixels."""
    driver.set_window_size(width, height)
    for _ in range(3):
        inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
        if inner == [width, height]:
            return
        size = driver.get_window_size()
        driver.set_window_size(size["width"] + width - inner[0], size["height"] + height - inner[1])
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    check(inner[0] == width, f"the browser's viewport is {inner[0]}x{inner[1]}, not {width}x{height}")


def open_alert_text(driver):
    try:
        return driver.switch_to.alert.text
    except NoAlertPresentException:
        return None


def console_problems(driver, allowed=()):
    """The console's SEVERE entries since the last look, less those matching an allowed pattern."""
    problems = []
    for entry in driver.get_log("browser"):
        if entry.get("level") != "SEVERE":
            continue
        message = entry.get("message", "")
        if any(re.search(pattern, message) for pattern in allowed):
            print(f"    (expected console entry: {message})")
            continue
        problems.append(message)
    return problems


def after_load(driver, what, allowed_console=()):
    """What every page must be: loaded, no dialog open, nothing SEVERE in the console."""
    deadline = time.time() + 30
    while open_alert_text(driver) is None:
        try:
            if driver.execute_script("return document.readyState") == "complete":
                break
        except WebDriverException:
            pass  # between two documents: ask again
        check(time.time() < deadline, f"{what}: {driver.current_url} not loaded after 30 s")
        time.sleep(0.05)
    dialog = open_alert_text(driver)
    check(dialog is None, f"{what}: a dialog is open on {driver.current_url}: {dialog!r}")
    problems = console_problems(driver, allowed_console)
    check(not problems, f"{what}: the browser console has SEVERE entries on {driver.current_url}:\n      " + "\n      ".join(problems))
    english = untranslated_labels(driver)
    check(not english, f"{what}: the Chinese page {driver.current_url} has English words in its labels: {english}")


# The portal's own words on a Chinese page (navigation, headings, table heads, labels, buttons,
# tiles, fact names) are Chinese: Latin words among them are English left untranslated. Names the
# pages show (codes, ids, times) are taken out first; these few are the same in both languages.
SAME_IN_BOTH = {"CPU", "GPU", "CNY", "GiB", "MiB", "English", "Suanli"}
LABELS = "nav a, thead th, label, button, dt, h2, h3, .tile, #language, .skip, footer"


def untranslated_labels(driver):
    if driver.find_element(By.TAG_NAME, "html").get_attribute("lang") != "zh-CN":
        return []
    texts = driver.execute_script("""
        return Array.from(document.querySelectorAll(arguments[0])).map(e => {
          const copy = e.cloneNode(true);
          copy.querySelectorAll('code, time, small, .badge, .figure').forEach(x => x.remove());
          return copy.textContent;
        });""", LABELS)
    words = set()
    for text in texts:
        words.update(w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in SAME_IN_BOTH)
    return sorted(words)


def load(driver, path, allowed_console=()):
    driver.get(BASE + path)
    after_load(driver, f"GET {path}", allowed_console)


def mark_page(driver):
    """Marks the page shown now: a page loaded after this has no mark."""
    driver.execute_script("window.suanliOldPage = true")


def wait_new_page(driver, what, allowed_console=(), expect_confirm=None):
    """Waits for the page after the one marked (any confirm() a form asks, data-confirm, is
    accepted on the way) and checks it. The old page is recognised by its mark, not by an element
    of it: chromedriver may answer anything while a document is being replaced."""
    confirmed = None
    deadline = time.time() + 30
    while True:
        text = open_alert_text(driver)
        if text is not None:
            confirmed = text
            print(f"    (accepting the confirmation: {text})")
            driver.switch_to.alert.accept()
            continue
        try:
            old = driver.execute_script("return window.suanliOldPage === true")
        except WebDriverException:
            old = True  # between two documents: ask again
        if not old:
            break
        check(time.time() < deadline, f"{what}: no new page 30 s later (still {driver.current_url})")
        time.sleep(0.05)
    if expect_confirm is not None:
        check(confirmed is not None, f"{what}: the form asked no confirmation")
    after_load(driver, what, allowed_console)


def click_and_wait(driver, element, what, allowed_console=(), expect_confirm=None):
    """Clicks something that loads another page (a link, a form's button) and checks that page."""
    mark_page(driver)
    element.click()
    wait_new_page(driver, what, allowed_console, expect_confirm)


def by_id(driver, id_, what=None):
    try:
        return driver.find_element(By.ID, id_)
    except NoSuchElementException:
        raise JourneyFailure(f"{what or 'the page'}: no element #{id_} on {driver.current_url} (title {driver.title!r})")


def path_of(driver):
    return urllib.parse.unquote(urllib.parse.urlsplit(driver.current_url).path)


def text_of(driver, css):
    return " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, css))


def shot(driver, name):
    os.makedirs(SHOTS, exist_ok=True)
    path = os.path.join(SHOTS, name)
    check(driver.save_screenshot(path), f"could not save the screenshot {path}")
    print(f"    saved {path}")


def fill(element, value):
    element.clear()
    element.send_keys(value)


# MARK: Signing in


def sign_in(driver, user, password, home):
    load(driver, "/login")
    check(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN", "the sign-in page is not in Chinese (html lang is not zh-CN)")
    fill(by_id(driver, "user", "sign-in"), user)
    fill(by_id(driver, "password", "sign-in"), password)
    click_and_wait(driver, by_id(driver, "password-submit"), f"{user} signs in")
    check(path_of(driver) == home, f"{user} signed in lands on {path_of(driver)}, not {home}")
    who = by_id(driver, "who", "after signing in").text
    check(user in who, f"the header names {who!r}, not {user}")
    flash = driver.find_elements(By.ID, "flash")
    check(flash and flash[0].text.strip() != "", "no 'signed in' message after signing in")


# MARK: The journeys


def journey_a_apply(alice):
    step("a. alice signs in with name and password (the sign-in page is Chinese)")
    sign_in(alice, USER, USER_PASSWORD, "/workbench")

    step("a. alice browses the catalog and searches it")
    load(alice, "/catalog")
    check(alice.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN", "/catalog is not zh-CN")
    by_id(alice, "catalog", "the catalog")
    search = by_id(alice, "q", "the catalog's search")
    fill(search, ENTRY)
    mark_page(alice)
    search.send_keys(Keys.ENTER)
    wait_new_page(alice, "the catalog searched")
    check(urllib.parse.parse_qs(urllib.parse.urlsplit(alice.current_url).query).get("q") == [ENTRY], f"the search did not ask q={ENTRY}: {alice.current_url}")
    links = [a for a in alice.find_elements(By.CSS_SELECTOR, "#catalog a.entry-link") if path_of_href(a) == f"/catalog/{ENTRY}"]
    check(len(links) == 1, f"searching the catalog for {ENTRY} lists {len(links)} links to it: {text_of(alice, '#catalog')!r}")

    step("a. alice opens the entry and fills the application form")
    click_and_wait(alice, links[0], "opening the entry")
    check(path_of(alice) == f"/catalog/{ENTRY}", f"the entry's link led to {path_of(alice)}")
    check(by_id(alice, "entry-code").text == ENTRY, "the entry page shows another code")
    check(by_id(alice, "entry-level").text.strip() == "2", f"the entry's security level shows {by_id(alice, 'entry-level').text!r}, not 2")
    form = by_id(alice, "apply-form", "the entry page")
    fill(form.find_element(By.ID, "purpose"), "防汛视频分析（浏览器测试）")
    fill(form.find_element(By.ID, "industry"), "水务")
    fill(form.find_element(By.ID, "scenario"), "汛期监控")
    fill(form.find_element(By.ID, "quantity"), "1")
    fill(form.find_element(By.ID, "durationHours"), "2")
    fill(form.find_element(By.ID, "image"), VM_IMAGE)

    step("a. alice submits the application and sees its state and steps")
    click_and_wait(alice, by_id(alice, "apply-submit"), "submitting the application")
    check(path_of(alice).startswith("/applications/"), f"submitting the application led to {path_of(alice)}, not /applications/ID")
    application = alice.find_element(By.CSS_SELECTOR, "main h1").text.strip().split()[-1]
    check(application != "" and path_of(alice) == f"/applications/{application}", f"the application page's id {application!r} is not its path's {path_of(alice)}")
    check(application in by_id(alice, "flash", "after applying").text, "the page after applying does not say the application was sent")
    state = by_id(alice, "application-state").text.strip()
    check(state != "", "the application shows no state")
    steps = alice.find_elements(By.CSS_SELECTOR, "#steps > li")
    check(len(steps) == 2, f"the application shows {len(steps)} approval steps, not 2 (owner, operator): {text_of(alice, '#steps')!r}")
    check("transport" in steps[0].text, f"the first step is not the owner department's (transport): {steps[0].text!r}")
    check(not alice.find_elements(By.ID, "decision-form"), "the applicant is offered the decision form")
    print(f"    application {application}: {state}; steps: {' | '.join(s.text.replace(chr(10), ' ') for s in steps)}")
    return application


def path_of_href(anchor):
    return urllib.parse.unquote(urllib.parse.urlsplit(anchor.get_attribute("href")).path)


def journey_b_escaping(alice):
    step("b. the entry named <script>... is shown as text on /catalog, and runs nothing")
    load(alice, "/catalog")
    links = [a for a in alice.find_elements(By.CSS_SELECTOR, "#catalog a.entry-link") if path_of_href(a) == f"/catalog/{SCRIPT_ENTRY}"]
    check(len(links) == 1, f"/catalog lists {len(links)} links to {SCRIPT_ENTRY}")
    text = links[0].text
    check(text.startswith(SCRIPT_NAME_PREFIX), f"the entry's link text is {text!r}, not the literal name starting with {SCRIPT_NAME_PREFIX!r}")
    check(alice.execute_script("return document.querySelectorAll('#catalog script').length") == 0, "a <script> element is inside the catalog table")
    try:
        alice.switch_to.alert
        raise JourneyFailure("an alert dialog opened on /catalog: the entry's name ran as script")
    except NoAlertPresentException:
        pass
    click_and_wait(alice, links[0], "opening the <script> entry")
    check(by_id(alice, "main").find_element(By.TAG_NAME, "h1").text.startswith(SCRIPT_NAME_PREFIX), "the entry page's heading is not the literal name")
    check(alice.title.startswith(SCRIPT_NAME_PREFIX), f"the entry page's title is {alice.title!r}")
    check(alice.execute_script("return document.querySelectorAll('main script').length") == 0, "a <script> element is in the entry page's main")
    try:
        alice.switch_to.alert
        raise JourneyFailure("an alert dialog opened on the entry's page")
    except NoAlertPresentException:
        pass


def decide(driver, who, application, comment):
    load(driver, "/approvals")
    by_id(driver, "nav-approvals", "the approver's navigation")
    rows = [r for r in driver.find_elements(By.CSS_SELECTOR, "#approval-queue tbody tr")
            if any(a.text.strip() == application for a in r.find_elements(By.CSS_SELECTOR, "a.decide-link"))]
    check(len(rows) == 1, f"{who}'s /approvals lists the application {application} {len(rows)} times: {text_of(driver, 'main')!r}")
    cells = [c.text.strip() for c in rows[0].find_elements(By.TAG_NAME, "td")]
    # application, tenant, applicant, items, security level, quota, budget, deadline
    check(len(cells) == 8, f"the queue's row has {len(cells)} cells: {cells}")
    check(cells[1] == "water" and cells[2] == USER, f"the queue's row names {cells[1]}/{cells[2]}, not water/{USER}")
    check(ENTRY in cells[3], f"the queue's row does not name the entry {ENTRY}: {cells[3]!r}")
    check(cells[4] == "2", f"the queue's row shows security level {cells[4]!r}, not 2")
    check(cells[5] != "" and cells[6] != "", f"the queue's row shows no quota or budget: {cells}")
    # A quota's dimensions left unset are not written as the sentinel numbers that stand for them.
    check(not re.search(r"\d{10,}", cells[5] + cells[6]), f"the queue's quota or budget shows an absurd number: {cells[5]!r} {cells[6]!r}")
    print(f"    queue row: {cells}")
    click_and_wait(driver, rows[0].find_element(By.CSS_SELECTOR, "a.decide-link"), f"{who} opens the application")
    check(path_of(driver) == f"/applications/{application}", f"the queue's link led to {path_of(driver)}")
    context = by_id(driver, "decision-context", "the decision").text
    check(context.strip() != "", "the decision shows no context")
    check(not re.search(r"\d{10,}", context), f"the decision's context shows an absurd number: {context!r}")
    fill(by_id(driver, "decision-comment", "the decision form"), comment)
    click_and_wait(driver, by_id(driver, "approve"), f"{who} approves")
    check(path_of(driver) == f"/applications/{application}", f"approving led to {path_of(driver)}")
    by_id(driver, "flash", "after deciding")
    check(comment in by_id(driver, "steps").text, f"the steps do not show {who}'s comment: {by_id(driver, 'steps').text!r}")
    check(not driver.find_elements(By.ID, "decision-form"), f"the decision form is still offered to {who} after deciding")


def journey_c_approvals(application):
    step("c. tom (approver of transport) signs in in his own browser and approves from /approvals")
    tom = new_driver()
    sign_in(tom, APPROVER, APPROVER_PASSWORD, "/workbench")
    decide(tom, APPROVER, application, "汛期可用，同意（浏览器测试）")
    step("c. tom signs out")
    click_and_wait(tom, by_id(tom, "sign-out"), "tom signs out")
    check(path_of(tom) == "/login", f"signing out led to {path_of(tom)}")
    load(tom, "/approvals")
    check(path_of(tom) == "/login", f"/approvals after signing out shows {path_of(tom)}, not the sign-in page")
    quit_driver(tom)

    step("c. olga (operator) signs in and approves the operator's step")
    olga = new_driver()
    sign_in(olga, OPERATOR, OPERATOR_PASSWORD, "/operations")
    decide(olga, OPERATOR, application, "资源充足，同意")
    state = by_id(olga, "application-state").get_attribute("class")
    check("good" in state.split(), f"after both approvals the application's state is {by_id(olga, 'application-state').text!r} ({state})")
    return olga


def journey_d_running(alice, application):
    step(f"d. alice's workbench shows the provisioned request running (up to {RUNNING_TIMEOUT:.0f} s)")
    set_viewport(alice, 1366, 900)
    deadline = time.time() + RUNNING_TIMEOUT
    row = None
    while True:
        load(alice, "/workbench")
        rows = [r for r in alice.find_elements(By.CSS_SELECTOR, "#resource-table tbody tr") if application in r.text]
        if rows and ZH_RUNNING in rows[0].find_elements(By.TAG_NAME, "td")[1].text:
            row = rows[0]
            break
        if time.time() > deadline:
            raise JourneyFailure(
                f"the workbench shows no running request of {application} after {RUNNING_TIMEOUT:.0f} s: "
                f"{text_of(alice, '#resources')!r}")
        time.sleep(2)
    usage = row.find_elements(By.CSS_SELECTOR, "td.usage")
    check(len(usage) == 1 and usage[0].text.strip() != "", f"the running request's row has no usage cell: {row.text!r}")
    check(NODE in row.text, f"the running request's row does not name the node {NODE}: {row.text!r}")
    check(ENTRY in row.text, f"the running request's row does not name the entry {ENTRY}: {row.text!r}")
    print(f"    {row.text.replace(chr(10), ' | ')}")
    shot(alice, "workbench.png")


def journey_e_rating(alice):
    step("e. alice rates the entry she used: 4 stars with a comment")
    load(alice, f"/catalog/{ENTRY}")
    form = by_id(alice, "rate-form", "the entry page")
    Select(form.find_element(By.ID, "stars")).select_by_value("4")
    comment = "运行稳定，好用（浏览器测试）"
    fill(form.find_element(By.ID, "rating-comment"), comment)
    click_and_wait(alice, by_id(alice, "rate-submit"), "rating the entry")
    check(path_of(alice) == f"/catalog/{ENTRY}", f"rating led to {path_of(alice)}")
    flash = alice.find_elements(By.ID, "flash")
    check(flash and "error" not in (flash[0].get_attribute("class") or ""), f"rating said {flash[0].text if flash else 'nothing'!r}")
    ratings = by_id(alice, "ratings").text
    check("★★★★☆" in ratings and USER in ratings and comment in ratings, f"#ratings does not show alice's 4 stars and comment: {ratings!r}")
    check("4.0" in by_id(alice, "entry-rating").text, f"the entry's rating shows {by_id(alice, 'entry-rating').text!r}, not 4.0")


def journey_f_cordon(olga):
    step(f"f. olga cordons {NODE} on /operations; a node_cordoned alert appears")
    set_viewport(olga, 1366, 900)
    load(olga, "/operations")
    click_and_wait(olga, by_id(olga, f"cordon-{NODE}", "the operations page"), f"cordoning {NODE}")
    check(path_of(olga) == "/operations", f"cordoning led to {path_of(olga)}")
    check(NODE in by_id(olga, "flash", "after cordoning").text, "the page after cordoning does not say so")
    check(olga.find_elements(By.ID, f"uncordon-{NODE}"), f"{NODE} offers no uncordon after cordoning")
    deadline = time.time() + 20
    while True:
        alerts = [li.text for li in olga.find_elements(By.CSS_SELECTOR, "#alerts > li")]
        if any("node_cordoned" in a and NODE in a for a in alerts):
            break
        if time.time() > deadline:
            raise JourneyFailure(f"#alerts has no node_cordoned alert for {NODE}: {alerts}")
        time.sleep(1)
        load(olga, "/operations")
    load(olga, "/operations")
    olga.execute_script("window.scrollTo(0, 0)")
    shot(olga, "operations.png")


def post_form(path, fields, cookie, origin=None):
    body = urllib.parse.urlencode(fields)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    if origin:
        headers["Origin"] = origin
    connection = http.client.HTTPConnection(HOST, PORT, timeout=20)
    try:
        connection.request("POST", path, body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace")
    finally:
        connection.close()


def journey_g_csrf(alice):
    step("g. a form whose CSRF token was changed is refused with the error page (403)")
    load(alice, "/workbench")
    token = alice.execute_script("return document.querySelector('form[action=\"/logout\"] input[name=csrf]').value")
    check(token, "the sign-out form carries no csrf token")
    alice.execute_script("document.querySelector('form[action=\"/logout\"] input[name=csrf]').value = 'cs_forged'")
    click_and_wait(alice, by_id(alice, "sign-out"), "signing out with a forged token",
                   allowed_console=(r"/logout - Failed to load resource: the server responded with a status of 403",))
    problem = by_id(alice, "problem", "the refused form").text
    check(ZH_CSRF_REFUSED in problem, f"the refused form's page says {problem!r}")
    check(by_id(alice, "who").text.startswith(USER), "a refused sign-out signed alice out")
    load(alice, "/workbench")
    check(path_of(alice) == "/workbench", "alice is no longer signed in after a refused form")

    step("g. the same form posted with a wrong token (urllib, alice's session cookie) is answered 403")
    session = alice.get_cookie("suanli_session")
    check(session and session.get("httpOnly"), f"the session cookie is missing or not HttpOnly: {session}")
    cookie = f"suanli_session={session['value']}"
    status, body = post_form("/notifications/read", {"csrf": "cs_wrong"}, cookie)
    check(status == 403 and 'id="problem"' in body, f"a form with a wrong token is answered {status}, not 403 with the error page")
    status, body = post_form("/notifications/read", {}, cookie)
    check(status == 403, f"a form without a token is answered {status}, not 403")

    step("g. a form with the right token posted from another Origin is answered 403")
    status, body = post_form("/notifications/read", {"csrf": token}, cookie, origin="http://evil.example")
    check(status == 403 and 'id="problem"' in body, f"a form from another origin is answered {status}, not 403")
    status, body = post_form("/notifications/read", {"csrf": token}, cookie, origin=f"http://{HOST}:{PORT}")
    check(status == 303, f"the same form from the portal's own origin is answered {status}, not 303: the 403s above prove nothing")


def journey_h_language(alice):
    step("h. the language switch: English, then back to Chinese")
    load(alice, "/workbench")
    check(by_id(alice, "nav-workbench").text.strip() == ZH_WORKBENCH, f"the Chinese nav says {by_id(alice, 'nav-workbench').text!r}")
    click_and_wait(alice, by_id(alice, "language"), "switching to English")
    check(path_of(alice) == "/workbench", f"switching the language led to {path_of(alice)}")
    check(alice.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", "the page is not lang=en after the switch")
    check(by_id(alice, "nav-workbench").text.strip() == EN_WORKBENCH, f"the English nav says {by_id(alice, 'nav-workbench').text!r}")
    click_and_wait(alice, by_id(alice, "language"), "switching back to Chinese")
    check(alice.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN", "the page is not zh-CN after switching back")
    check(by_id(alice, "nav-workbench").text.strip() == ZH_WORKBENCH, f"the nav says {by_id(alice, 'nav-workbench').text!r} after switching back")


def journey_k_account_and_unknown_page(alice):
    step("k. alice's name in the header opens her account page; a path the portal lacks is a page saying so")
    load(alice, "/workbench")
    click_and_wait(alice, by_id(alice, "who"), "opening the account page")
    check(path_of(alice) == "/account", f"the header's name leads to {path_of(alice)}, not /account")
    me = by_id(alice, "me", "the account page").text
    check(USER in me and "water" in me, f"the account page does not show alice of water: {me!r}")
    check(alice.find_elements(By.ID, "password-change"), "the account page offers no password change to a user with a password")
    load(alice, "/no-such-page", allowed_console=(r"/no-such-page - Failed to load resource: the server responded with a status of 404",))
    by_id(alice, "problem", "a path the portal lacks")
    check("/no-such-page" in by_id(alice, "problem").text, f"the missing page's problem does not name the path: {by_id(alice, 'problem').text!r}")


def journey_l_release(alice, application):
    step("l. alice releases her VM from the workbench: the form asks first (cancel keeps it, OK releases)")
    load(alice, "/workbench")
    name = f"{application}-1"
    button = by_id(alice, f"release-{name}", "the workbench's running request")
    mark_page(alice)
    button.click()
    question = open_alert_text(alice)
    check(question, "releasing asked no confirmation (data-confirm, portal.js)")
    alice.switch_to.alert.dismiss()
    time.sleep(1)
    check(alice.execute_script("return window.suanliOldPage === true"), "cancelling the confirmation still sent the release")
    click_and_wait(alice, by_id(alice, f"release-{name}"), "releasing", expect_confirm=True)
    check(path_of(alice) == "/workbench", f"releasing led to {path_of(alice)}")
    flash = alice.find_elements(By.ID, "flash")
    check(flash and "error" not in (flash[0].get_attribute("class") or ""), f"releasing said {flash[0].text if flash else 'nothing'!r}")
    row = by_id(alice, f"resource-{name}").text
    check(ZH_RUNNING not in row, f"the released request still shows running: {row!r}")
    # Releasing (释放中) until the agent stopped the VM, then released (已释放), no longer offered.
    deadline = time.time() + 30
    while True:
        row = by_id(alice, f"resource-{name}").text
        if ZH_RELEASED in row and not alice.find_elements(By.ID, f"release-{name}"):
            break
        check(time.time() < deadline, f"the request is not released (已释放, no release button) 30 s after releasing it: {row!r}")
        time.sleep(1)
        load(alice, "/workbench")


def no_page_scroll(driver, what):
    scroll, inner = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    if scroll > inner + 1:
        # What reaches past the window: outside a .scroll container, or positioned absolutely or
        # fixed, whose box a .scroll container does not clip unless it is itself positioned.
        culprits = driver.execute_script("""
            const w = window.innerWidth; const out = [];
            for (const e of document.querySelectorAll('body *')) {
              const r = e.getBoundingClientRect(); const position = getComputedStyle(e).position;
              const escapes = !e.closest('.scroll') || position === 'absolute' || position === 'fixed';
              if (r.right > w + 1 && escapes) {
                const classes = typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '';
                out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + classes + (e.htmlFor ? '[for=' + e.htmlFor + ']' : '')
                  + ' (' + position + ', right edge at ' + Math.round(r.right) + ')');
              }
              if (out.length >= 8) break;
            }
            return out;""")
        raise JourneyFailure(f"{what}: the page scrolls sideways: scrollWidth {scroll} > innerWidth {inner}; wider than the window: {culprits}")


def journey_i_screens(alice, olga):
    # Every page at every size is looked at (and photographed) before the step fails on any.
    problems = []
    for (width, height, label) in ((375, 812, "phone"), (2560, 1440, "wall")):
        step(f"i. {label} ({width}x{height}): /workbench and /operations scroll no wider than the screen")
        for (driver, path, name) in ((alice, "/workbench", "workbench"), (olga, "/operations", "operations")):
            set_viewport(driver, width, height)
            load(driver, path)
            shot(driver, f"{name}-{label}.png")
            try:
                no_page_scroll(driver, f"{path} at {width}x{height}")
            except JourneyFailure as problem:
                print(f"    {problem}")
                problems.append(str(problem))
    set_viewport(alice, 1366, 900)
    set_viewport(olga, 1366, 900)
    Run.step = "i. phone and wall screens"
    check(not problems, "; ".join(problems))


def journey_j_keyboard():
    step("j. keyboard only: TAB first reaches the skip link; the sign-in is typed and sent with ENTER")
    driver = new_driver()
    load(driver, "/login")
    ActionChains(driver).send_keys(Keys.TAB).perform()
    active = driver.execute_script("const e = document.activeElement; return [e.tagName, e.className, e.getAttribute('href')]")
    check(active[0] == "A" and "skip" in active[1].split() and active[2] == "#main", f"the first TAB focuses {active}, not the skip link a.skip")
    visible = driver.execute_script("const r = document.activeElement.getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth")
    check(visible, "the focused skip link is not on screen")
    for _ in range(12):
        if driver.execute_script("return document.activeElement.id") == "user":
            break
        ActionChains(driver).send_keys(Keys.TAB).perform()
    check(driver.execute_script("return document.activeElement.id") == "user", "twelve TABs never reached the user name field")
    ActionChains(driver).send_keys(USER).send_keys(Keys.TAB).perform()
    check(driver.execute_script("return document.activeElement.id") == "password", "TAB after the user name does not reach the password field")
    mark_page(driver)
    ActionChains(driver).send_keys(USER_PASSWORD).send_keys(Keys.ENTER).perform()
    wait_new_page(driver, "signing in by keyboard")
    check(path_of(driver) == "/workbench", f"signing in by keyboard led to {path_of(driver)}")
    check(by_id(driver, "who").text.startswith(USER), "signed in by keyboard, the header names someone else")
    quit_driver(driver)


def stopped(signum, _frame):
    # A watchdog's SIGTERM still quits the browsers (the `finally` below), leaving none behind.
    raise SystemExit(f"FAIL at step '{Run.step}': stopped by signal {signum}")


def main():
    signal.signal(signal.SIGTERM, stopped)
    print(f"portal journeys against {BASE}; screenshots in {SHOTS}", flush=True)
    os.makedirs(SHOTS, exist_ok=True)
    try:
        alice = new_driver()
        application = journey_a_apply(alice)
        Run.driver = alice
        journey_b_escaping(alice)
        olga = journey_c_approvals(application)
        Run.driver = alice
        journey_d_running(alice, application)
        journey_e_rating(alice)
        Run.driver = olga
        journey_f_cordon(olga)
        Run.driver = alice
        journey_g_csrf(alice)
        journey_h_language(alice)
        journey_i_screens(alice, olga)
        journey_j_keyboard()
        Run.driver = alice
        journey_k_account_and_unknown_page(alice)
        journey_l_release(alice, application)
        step("alice signs out")
        click_and_wait(alice, by_id(alice, "sign-out"), "alice signs out")
        check(path_of(alice) == "/login", f"signing out led to {path_of(alice)}")
    except Exception as error:  # noqa: BLE001 - every failure is reported the same way
        if isinstance(error, WebDriverException):
            # The driver's message without its native stack; where in this script it happened.
            print(f"FAIL at step '{Run.step}': {type(error).__name__}: {error.msg}", flush=True)
            print("".join(traceback.format_tb(error.__traceback__)), flush=True)
        else:
            print(f"FAIL at step '{Run.step}': {error}", flush=True)
            if not isinstance(error, JourneyFailure):
                traceback.print_exc(file=sys.stdout)
        safe = re.sub(r"[^A-Za-z0-9]+", "-", Run.step).strip("-")[:60]
        others = [d for d in Run.drivers if d is not Run.driver]
        for index, driver in enumerate(([Run.driver] if Run.driver else []) + others):
            name = f"failure-{safe}.png" if index == 0 and Run.driver else f"failure-{safe}-{index}.png"
            try:
                path = os.path.join(SHOTS, name)
                driver.save_screenshot(path)
                print(f"    saved {path} ({driver.current_url})")
            except WebDriverException:
                pass
        return 1
    finally:
        for driver in list(Run.drivers):
            try:
                driver.quit()
            except WebDriverException:
                pass
    print("portal journeys: every check passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
