"Helpers of the browser tests (conftest.py has the fixtures)."
import json, os, socket
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SHOTS = HERE / 'screenshots'
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('CHROMEDRIVER', '/usr/bin/chromedriver')


def free_port():
    "A TCP port on 127.0.0.1 that nothing listens on now."
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def console_errors(driver):
    "The browser console's errors since the last call."
    return [e['message'] for e in driver.get_log('browser') if e['level'] == 'SEVERE']


def requested_urls(driver):
    "The URLs the page asked the network for since the last call (from the DevTools performance log)."
    urls = []
    for entry in driver.get_log('performance'):
        message = json.loads(entry['message'])['message']
        if message['method'] == 'Network.requestWillBeSent': urls.append(message['params']['request']['url'])
    return urls
