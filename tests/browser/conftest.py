"""Browser tests: JupyterLab as `make lab` starts it, and the pages `make site` builds, in headless Chromium.

They run only when asked for by path (`make browser-test`, or `pytest tests/browser`); a plain `pytest tests`
leaves this folder out (`make test` also passes --ignore=tests/browser). They need Debian's `chromium` and
`chromium-driver` (`.ci/run` installs them) and the extra `site` of setup.py (selenium).

Every server a test starts (JupyterLab with its kernels, the site's HTTP server, chromedriver) is stopped by
its fixture's teardown, which runs when the test fails too. Screenshots go to tests/browser/screenshots/
(git-ignored), for a person to look at.
"""
import functools, http.server, shutil, threading
from pathlib import Path

import pytest

from browser_tools import CHROMEDRIVER, CHROMIUM, HERE, ROOT, SHOTS


def _asked_for(config):
    "True when a path given to pytest lies in (or is) this folder."
    base = Path(config.invocation_params.dir)
    for arg in config.args:
        path = (base / arg.split('::')[0]).resolve()
        if path == HERE or HERE in path.parents: return True
    return False


def pytest_ignore_collect(collection_path, config):
    if not _asked_for(config): return True
    return None


@pytest.fixture(scope='session')
def shots():
    SHOTS.mkdir(exist_ok=True)
    for old in SHOTS.glob('*.png'): old.unlink()
    return SHOTS


@pytest.fixture(scope='session')
def browser(tmp_path_factory):
    "Headless Chromium through chromedriver, with a fresh profile; its console and network logs are kept."
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    for exe in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(exe): pytest.fail(f"{exe} not found: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # Without the networking flags Chromium keeps trying hosts it cannot reach, and connections get refused.
    for flag in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update', '--disable-sync',
                 '--disable-dev-shm-usage', '--window-size=1280,900',
                 f'--user-data-dir={tmp_path_factory.mktemp("chromium-profile")}'):
        options.add_argument(flag)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL', 'performance': 'ALL'})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    try: yield driver
    finally: driver.quit()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    failures = None  # set per server: the requests answered with an error

    def log_message(self, *args): pass

    def send_error(self, code, *args, **kwargs):
        self.failures.append((code, self.path))
        super().send_error(code, *args, **kwargs)


@pytest.fixture(scope='session')
def site():
    "`_site/` served on 127.0.0.1 (as `make serve` serves it); yields (base URL, list of failed requests)."
    folder = ROOT / '_site'
    if not (folder / 'index.html').is_file(): pytest.fail("no _site/index.html: run `make site` first")
    failures = []
    handler = type('Handler', (_QuietHandler,), {'failures': failures})
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try: yield f'http://127.0.0.1:{server.server_address[1]}/', failures
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
