#!/usr/bin/env python3
"""The dashboard in a real browser: headless Chromium driven by Selenium.

Starts a real shoal-broker (loopback, a free port, --max-attempts 1), a real shoal-worker with
the seed task library and tests/browser/crash_once_plugin.cpp, and `shoal dashboard` (a free
port, its generated token). Then, in the page:

1. the worker appears, online;
2. a batch submitted with the CLI appears in the task list and every task of it succeeds;
3. a failed task's page shows its error text;
4. a dead letter (crash_once, whose first run kills its process-pool child) appears under
   Dead letters; its Retry button runs it again, and its task page shows it succeeded (42);
5. without the token, the page is view only and the API refuses control (401).

Screenshots go to --screenshots (the build tree). Every wait is on something the page shows,
with a generous deadline; nothing is timed. Exit 0 when every step passed.

Usage (ctest passes the paths, tests/CMakeLists.txt):
    dashboard_browser_test.py --shoal PATH --shoal-broker PATH --shoal-worker PATH
        --seed-plugin PATH --crash-once-plugin PATH --screenshots DIR
"""

import argparse
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

WAIT_S = 60  # generous: a loaded CI machine is slow, never wrong


class Cluster:
    """The processes this test starts, stopped (by their own pid) whatever happens."""

    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.procs = []

    def start(self, name, argv):
        log = open(os.path.join(self.workdir, name + ".log"), "wb")
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
        self.procs.append((name, proc, log))
        return proc

    @staticmethod
    def read_line(proc, what, timeout=WAIT_S):
        """One line of the process's stdout, within the timeout."""
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline:
            if proc.poll() is not None and not select.select([proc.stdout], [], [], 0)[0]:
                raise AssertionError(f"{what} exited ({proc.returncode}) before printing a line")
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                byte = os.read(proc.stdout.fileno(), 1)
                if not byte:
                    continue
                if byte == b"\n":
                    return line.decode()
                line += byte
        raise AssertionError(f"{what} printed no line within {timeout} s")

    def stop(self):
        for name, proc, log in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            log.close()


def cli(args, endpoint, *words, timeout=60):
    """Runs `shoal --broker EP words...`; its stdout, stripped. Raises on a non-zero exit."""
    done = subprocess.run([args.shoal, "--broker", endpoint, *words], capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"shoal {' '.join(words)} exited {done.returncode}: "
                             f"{done.stdout} {done.stderr}")
    return done.stdout.strip()


def make_browser(workdir):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1400,1000", "--no-first-run", "--no-default-browser-check",
                 f"--user-data-dir={os.path.join(workdir, 'chromium-profile')}"):
        options.add_argument(flag)
    service = Service(executable_path="/usr/bin/chromedriver",
                      log_path=os.path.join(workdir, "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(WAIT_S)
    return driver


def wait_for(driver, what, condition, timeout=WAIT_S):
    """Waits until condition(driver) is truthy (a stale element is a retry, not a failure)."""
    def check(d):
        try:
            return condition(d)
        except StaleElementReferenceException:
            return False
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.25).until(check)
    except TimeoutException:
        raise AssertionError(f"the page never showed {what} within {timeout} s "
                             f"(at {driver.current_url})") from None


def click(driver, css, what):
    """Clicks the element, found afresh on each try: the page redraws what changed, so an
    element found a moment ago may be gone (stale) by the click."""
    def attempt(d):
        els = d.find_elements(By.CSS_SELECTOR, css)
        if not els:
            return False
        els[0].click()
        return True
    wait_for(driver, f"{what} clicked", attempt)


def text_of(driver, css):
    """The element's text, or "" when there is none (found afresh if it went stale)."""
    for _ in range(20):
        try:
            els = driver.find_elements(By.CSS_SELECTOR, css)
            return els[0].text if els else ""
        except StaleElementReferenceException:
            continue
    return ""


def go(driver, base, route):
    driver.get(base + route)


def shot(driver, directory, name):
    path = os.path.join(directory, name + ".png")
    driver.save_screenshot(path)
    print(f"  screenshot: {path}")
    return path


def http_status(url, method="GET", headers=None):
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def run(args, workdir):
    os.makedirs(args.screenshots, exist_ok=True)
    cluster = Cluster(args, workdir)
    driver = None
    try:
        broker = cluster.start("broker", [args.shoal_broker, "--bind", "tcp://127.0.0.1:0",
                                          "--print-endpoint", "--max-attempts", "1"])
        endpoint = cluster.read_line(broker, "shoal-broker").strip()
        assert endpoint.startswith("tcp://127.0.0.1:"), endpoint
        print(f"broker at {endpoint}")
        worker_name = "dashboard-test-worker"
        cluster.start("worker", [args.shoal_worker, "--broker", endpoint,
                                 "--tasks", args.seed_plugin, "--tasks", args.crash_once_plugin,
                                 "--name", worker_name, "--threads", "2", "--processes", "1",
                                 "--concurrency", "8"])
        dashboard = cluster.start("dashboard", [args.shoal, "--broker", endpoint, "dashboard",
                                                "--http", "127.0.0.1:0"])
        url = None
        for _ in range(5):
            line = cluster.read_line(dashboard, "shoal dashboard")
            print(f"dashboard: {line}")
            match = re.search(r"(http://127\.0\.0\.1:\d+/)#token=([0-9a-f]{32})", line)
            if match:
                url = match.group(0)
                base, token = match.group(1), match.group(2)
                break
        assert url, "shoal dashboard printed no URL with a token"

        # The API: viewing is open, control needs the token.
        status, body = http_status(base + "api/overview")
        assert status == 200 and "states" in body, (status, body)
        status, body = http_status(base + "api/queues/default/purge", "POST")
        assert status == 401 and body["code"] == "no_token", (status, body)
        status, body = http_status(base + "api/queues/default/purge", "GET")
        assert status == 405, (status, body)
        status, body = http_status(base + "api/tasks?limit=zz")
        assert status == 400 and body["code"] == "bad_request", (status, body)
        print("API: viewing open, control refused without the token, bad parameters 400")

        driver = make_browser(workdir)

        # 1. The worker appears, online.
        driver.get(url)
        wait_for(driver, "the token taken out of the address bar",
                 lambda d: "token=" not in d.current_url and "#/workers" in d.current_url)
        row = f'tr.worker-row[data-worker="{worker_name}"]'
        wait_for(driver, f"worker {worker_name} online",
                 lambda d: d.find_elements(By.CSS_SELECTOR, row + '[data-online="1"]'))
        wait_for(driver, "the events live", lambda d: "live" in text_of(d, "#stream-state"))
        assert "control enabled" in text_of(driver, "#control-state")
        print(f"1. worker {worker_name} is online on the page")
        shot(driver, args.screenshots, "1-workers")

        # 2. A batch: its tasks appear and succeed.
        batch = [cli(args, endpoint, "submit", "sleep", "0.5") for _ in range(6)]
        batch += [cli(args, endpoint, "submit", "add", str(i), str(i)) for i in range(14)]
        go(driver, base, "#/tasks")
        wait_for(driver, "the batch in the task list",
                 lambda d: len({e.get_attribute("data-task-id")
                                for e in d.find_elements(By.CSS_SELECTOR, "tr.task-row")}
                               & set(batch)) == len(batch))
        wait_for(driver, "every task of the batch succeeded",
                 lambda d: all(d.find_elements(By.CSS_SELECTOR,
                                               f'tr.task-row[data-task-id="{t}"][data-state="succeeded"]')
                               for t in batch))
        print(f"2. a batch of {len(batch)} tasks appeared and succeeded")
        # The filters narrow the list: sleep tasks only.
        go(driver, base, "#/tasks?name=sleep")
        wait_for(driver, "the list filtered by name",
                 lambda d: (rows := d.find_elements(By.CSS_SELECTOR, "tr.task-row"))
                 and all(r.get_attribute("data-task-name") == "sleep" for r in rows)
                 and len(rows) == 6)
        go(driver, base, "#/tasks")
        wait_for(driver, "the full list again",
                 lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr.task-row")) >= len(batch))
        good = shot(driver, args.screenshots, "2-tasks")

        # 3. A failed task: its page shows the error.
        message = "the dashboard test says boom"
        failed = cli(args, endpoint, "submit", "fail", json.dumps(message))
        go(driver, base, "#/tasks?state=failed")
        failed_row = f'tr.task-row[data-task-id="{failed}"][data-state="failed"]'
        wait_for(driver, "the failed task in the failed list",
                 lambda d: d.find_elements(By.CSS_SELECTOR, failed_row))
        click(driver, failed_row + " a", "the failed task's link")
        wait_for(driver, "the failed task's page", lambda d: f"#/task/{failed}" in d.current_url)
        wait_for(driver, "the state failed",
                 lambda d: text_of(d, "#task-state") == "failed")
        wait_for(driver, "the error text", lambda d: message in text_of(d, "#task-exception"))
        exception = text_of(driver, "#task-exception")
        assert exception.startswith("std::runtime_error"), exception
        assert text_of(driver, "#task-worker") == worker_name
        print(f"3. the failed task's page shows: {exception}")
        shot(driver, args.screenshots, "3-failed-task")

        # 4. A dead letter, retried from the page.
        marker = os.path.join(workdir, "crash-once-marker")
        dead = cli(args, endpoint, "submit", "crash_once", json.dumps(marker))
        go(driver, base, "#/dead")
        dead_row = f'tr.dead-row[data-task-id="{dead}"]'
        wait_for(driver, "the dead letter", lambda d: d.find_elements(By.CSS_SELECTOR, dead_row))
        print(f"4. the dead letter {dead} is listed: {text_of(driver, dead_row)}")
        shot(driver, args.screenshots, "4-dead-letters")
        click(driver, dead_row + " button.retry", "the Retry button")
        wait_for(driver, "the retry's confirmation", lambda d: "Retry sent" in text_of(d, "#flash"))
        wait_for(driver, "the dead letter gone from the list",
                 lambda d: not d.find_elements(By.CSS_SELECTOR, dead_row))
        go(driver, base, f"#/task/{dead}")
        wait_for(driver, "the retried task succeeded",
                 lambda d: text_of(d, "#task-state") == "succeeded")
        wait_for(driver, "its result", lambda d: text_of(d, "#task-result") == "42")
        assert text_of(driver, "#task-attempts") == "2", text_of(driver, "#task-attempts")
        print(f"   Retry ran it again: succeeded, result 42, attempts "
              f"{text_of(driver, '#task-attempts')}")
        shot(driver, args.screenshots, "5-retried-task")
        stored = json.loads(cli(args, endpoint, "--json", "result", dead))
        assert stored.get("state") == "done" and stored.get("result") == 42, stored

        # The charts draw what happened.
        go(driver, base, "#/charts")
        wait_for(driver, "the throughput line",
                 lambda d: d.find_elements(By.CSS_SELECTOR, '#chart-throughput path[data-series="succeeded"]'))
        shot(driver, args.screenshots, "6-charts")
        go(driver, base, "#/queues")
        wait_for(driver, "the default queue",
                 lambda d: d.find_elements(By.CSS_SELECTOR, 'tr.queue-row[data-queue="default"]'))
        shot(driver, args.screenshots, "7-queues")

        # 5. Without the token: view only.
        driver.execute_script("sessionStorage.clear();")
        driver.get(base + "#/queues")
        wait_for(driver, "view only", lambda d: text_of(d, "#control-state") == "view only")
        wait_for(driver, "the purge button",
                 lambda d: d.find_elements(By.CSS_SELECTOR, 'button.purge[data-queue="default"]'))
        driver.execute_script("window.confirm = function () { return true; };")
        click(driver, 'button.purge[data-queue="default"]', "the purge button")
        wait_for(driver, "the view-only message", lambda d: "View only" in text_of(d, "#flash"))
        print("5. without the token the page is view only")

        print(f"good screenshot: {good}")
        return 0
    finally:
        if driver is not None:
            driver.quit()
        cluster.stop()
        for name, proc, _ in cluster.procs:
            print(f"{name} exited {proc.returncode}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for option in ("--shoal", "--shoal-broker", "--shoal-worker", "--seed-plugin",
                   "--crash-once-plugin", "--screenshots"):
        parser.add_argument(option, required=True)
    args = parser.parse_args()
    for tool in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        if not os.path.exists(tool):
            print(f"{tool} is missing: scripts/install-deps.sh installs chromium and chromium-driver",
                  file=sys.stderr)
            return 1
    workdir = tempfile.mkdtemp(prefix="shoal-dashboard-browser-")
    try:
        status = run(args, workdir)
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        for name in ("broker", "worker", "dashboard"):
            path = os.path.join(workdir, name + ".log")
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    tail = f.read()[-3000:]
                print(f"--- {name} stderr (tail) ---\n{tail}", file=sys.stderr)
        status = 1
    except Exception:
        traceback.print_exc()
        status = 1
    shutil.rmtree(workdir, ignore_errors=True)
    print("PASSED" if status == 0 else "FAILED")
    return status


if __name__ == "__main__":
    sys.exit(main())
