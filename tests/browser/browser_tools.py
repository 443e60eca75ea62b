"Helpers of the browser tests (conftest.py has the fixtures)."
import json, os, re, socket
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SHOTS = HERE / 'screenshots'
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('CHROMEDRIVER', '/usr/bin/chromedriver')
SOLUTION_MARK = '### BEGIN SOLUTION'


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


def cell_source(cell):
    "A cell's source as one string."
    return ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']


def plain_text(text):
    "Text with its markdown emphasis and code marks dropped and its white space made single spaces, for comparing."
    return ' '.join(re.sub(r'[`*_]', '', text).split())


def concealed_texts(path):
    """Lines that a reader must not see before opening a fold: the answers of Questions (text, code and output)
    and the solutions, each long enough to be telling and found nowhere else in the notebook's visible text."""
    nb = json.loads(path.read_text(encoding='utf-8'))
    concealed, shown = [], []
    for c in nb['cells']:
        src = cell_source(c)
        if c['cell_type'] == 'markdown':
            for block in re.findall(r'<details>\s*<summary>.*?</summary>(.*?)</details>', src, re.DOTALL):
                concealed += [l for l in block.split('\n') if not re.search(r'[$\\<|]', l)]
            shown.append(re.sub(r'<details>.*?</details>', '', src, flags=re.DOTALL))
            continue
        outputs = '\n'.join(''.join(o.get('text', '')) + ''.join(o.get('data', {}).get('text/plain', ''))
                            for o in c.get('outputs', []))
        if SOLUTION_MARK in src:
            region = src.split(SOLUTION_MARK, 1)[1].split('### END SOLUTION', 1)[0]
            concealed += region.split('\n') + outputs.split('\n')
            shown.append(src.split(SOLUTION_MARK, 1)[0])
        elif c.get('metadata', {}).get('jupyter', {}).get('source_hidden'):
            concealed += src.split('\n')[1:] + outputs.split('\n')
        else: shown += [src, outputs]
    visible = plain_text('\n'.join(shown))
    return sorted({plain_text(l) for l in concealed if len(plain_text(l)) >= 16 and plain_text(l) not in visible})
