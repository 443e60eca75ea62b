"""JupyterLab as `make lab` starts it, driven in Chromium as a learner would use it.

The server is the command `make lab` runs (read from `make -n lab`), with a free loopback port, a token, no
browser of its own, `window.jupyterapp` exposed (to read the cells' execution counts and outputs), and fresh
user settings and workspaces, so that only what the project ships counts; autosave is off in those user
settings, so that Run All leaves nbs/ as it was.
- It opens on the home notebook, with no dialog and no "Jupyter news?" pop-up; every notebook the home
  notebook links to exists.
- `05_backward.ipynb` opens straight into the course's kernel (no "Select Kernel" dialog); Run All runs every
  cell, no cell shows an error or a traceback, and every image in the page has loaded.
"""
import contextlib, json, os, re, secrets, shlex, signal, subprocess, time, urllib.error, urllib.request
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
from selenium.webdriver.common.by import By

from browser_tools import ROOT, cell_source, concealed_texts, free_port, plain_text

NOTEBOOK = 'nbs/05_backward.ipynb'
OVERRIDES = ROOT / '.venv' / 'share' / 'jupyter' / 'lab' / 'settings' / 'overrides.json'


def lab_command():
    "The `jupyter lab ...` line of `make lab`, as a list of arguments."
    out = subprocess.run(['make', '--no-print-directory', '-n', 'lab'], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if re.search(r'\bjupyter lab\b', line)]
    assert len(lines) == 1, f"`make -n lab` should run `jupyter lab` once:\n{out.stdout}"
    return shlex.split(lines[0])


def get(url, token, method='GET'):
    req = urllib.request.Request(url, method=method, headers={'Authorization': f'token {token}'})
    with urllib.request.urlopen(req, timeout=10) as r: return r.status, r.read()


def _processes_mentioning(text):
    "PIDs of the processes whose command line contains `text` (the kernels of our runtime folder)."
    pids = []
    for proc in Path('/proc').iterdir():
        if not proc.name.isdigit(): continue
        try: cmdline = (proc / 'cmdline').read_bytes().replace(b'\0', b' ').decode(errors='replace')
        except OSError: continue
        if text in cmdline: pids.append(int(proc.name))
    return pids


@pytest.fixture(scope='module')
def lab(tmp_path_factory, browser):
    "JupyterLab started as `make lab` starts it; yields (base URL, token); stopped with its kernels at the end."
    shipped = json.loads((ROOT / 'tools' / 'lab_overrides.json').read_text())
    assert OVERRIDES.is_file() and json.loads(OVERRIDES.read_text()) == shipped, \
        f"{OVERRIDES} is not tools/lab_overrides.json: `make lab` (or `make browser-test`) installs it"
    port, token = free_port(), secrets.token_hex(24)
    home = tmp_path_factory.mktemp('jupyter-home')
    runtime = home / 'runtime'
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / 'config'), JUPYTER_RUNTIME_DIR=str(runtime),
               JUPYTERLAB_SETTINGS_DIR=str(home / 'settings'), JUPYTERLAB_WORKSPACES_DIR=str(home / 'workspaces'))
    # No autosave: Run All must not write the executed notebook back into nbs/.
    user_setting = home / 'settings' / '@jupyterlab' / 'docmanager-extension' / 'plugin.jupyterlab-settings'
    user_setting.parent.mkdir(parents=True)
    user_setting.write_text(json.dumps({'autosave': False}))
    cmd = lab_command() + ['--no-browser', '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={port}',
                           '--ServerApp.port_retries=0', f'--IdentityProvider.token={token}',
                           '--LabApp.expose_app_in_browser=True',  # window.jupyterapp: the cells' models
                           f'--FileCheckpoints.checkpoint_dir={home / "checkpoints"}']  # not nbs/.ipynb_checkpoints
    log = (home / 'lab.log').open('w')
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f'http://127.0.0.1:{port}'
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None: pytest.fail(f"jupyter lab exited ({proc.returncode}):\n{(home / 'lab.log').read_text()}")
            try:
                if get(f'{base}/api/status', token)[0] == 200: break
            except OSError: pass
            if time.monotonic() > deadline: pytest.fail(f"jupyter lab did not answer:\n{(home / 'lab.log').read_text()}")
            time.sleep(0.5)
        yield base, token
    finally:
        with contextlib.suppress(Exception): browser.get('about:blank')  # the page would keep calling the server
        try: get(f'{base}/api/shutdown', token, method='POST')  # stops the kernels too
        except OSError: pass
        try: proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        for pid in _processes_mentioning(str(runtime)):  # a kernel the shutdown missed
            os.kill(pid, signal.SIGKILL)
        log.close()


def dialogs(browser):
    "The text of every dialog and notification on the page."
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, '.jp-Dialog, .Toastify__toast') if e.text.strip()]


def wait_for(browser, script, timeout, what, *, no_dialog=True):
    "Poll the JavaScript expression `script` until it is truthy; fail on a dialog or after `timeout` seconds."
    deadline = time.monotonic() + timeout
    while True:
        if no_dialog and dialogs(browser): pytest.fail(f"while waiting for {what}, a dialog: {dialogs(browser)}")
        value = browser.execute_script(f'return {script}')
        if value: return value
        if time.monotonic() > deadline: pytest.fail(f"{what}: not after {timeout} s")
        time.sleep(0.5)


ACTIVE = "document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)')"
KERNEL_IDLE = f"""(function () {{
  const panel = {ACTIVE};
  const ind = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const name = panel && panel.querySelector('.jp-Toolbar-kernelName');
  return ind && ind.getAttribute('data-status') === 'idle' && name && name.textContent.trim() !== 'No Kernel'
    && name.textContent.trim();
}})()"""
PROMPTS = f"Array.from({ACTIVE}.querySelectorAll('.jp-CodeCell .jp-InputPrompt')).map(p => p.textContent.trim())"

# Every code cell of the open notebook: its execution count and its error outputs (from JupyterLab's model).
CELLS = """
return window.jupyterapp.shell.currentWidget.content.widgets
  .filter(w => w.model.type === 'code')
  .map(w => ({count: w.model.executionCount,
              errors: w.model.outputs.toJSON().filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue)}));
"""

CHECK_IMAGES = """
const done = arguments[arguments.length - 1];
const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
const imgs = Array.from(panel.querySelectorAll('img'));
(async function () {
  const out = [];
  for (const img of imgs) {
    img.scrollIntoView({block: 'center'});
    try { await img.decode(); } catch (e) {}
    out.push({src: (img.getAttribute('src') || '').slice(0, 100), width: img.naturalWidth});
  }
  done(out);
})();
"""


def test_opens_on_the_home_notebook(lab, browser, shots):
    base, token = lab
    browser.get(f'{base}/?token={token}')
    wait_for(browser, f"{ACTIVE} && {ACTIVE}.querySelector('.jp-RenderedMarkdown h1')", 90, "the home notebook")
    tab = browser.execute_script("return document.querySelector('.jp-mod-current .lm-TabBar-tabLabel').textContent")
    assert tab == 'index.ipynb'
    assert 'Deep learning foundations from scratch' in browser.execute_script(f"return {ACTIVE}.querySelector('h1').textContent")
    wait_for(browser, KERNEL_IDLE, 90, "the kernel of the home notebook")
    time.sleep(3)  # the news question would come a moment after start-up
    assert not dialogs(browser), f"dialogs or pop-ups: {dialogs(browser)}"
    browser.save_screenshot(str(shots / 'lab_home.png'))
    links = browser.execute_script(f"return Array.from({ACTIVE}.querySelectorAll('.jp-RenderedMarkdown a[href]')).map(a => a.getAttribute('href'))")
    # JupyterLab resolves a link from the notebook's folder to the server's /files/<path from the root>.
    paths = sorted({unquote(urlsplit(l).path)[len('/files/'):] for l in links
                    if urlsplit(l).path.startswith('/files/') and urlsplit(l).path.endswith('.ipynb')})
    assert paths, f"the home notebook links no notebook: {links}"
    missing = []
    for path in paths:
        try: get(f'{base}/api/contents/{quote(path)}?content=0', token)
        except urllib.error.HTTPError as e: missing.append(f'{path} ({e.code})')
    assert not missing, f"the home notebook links notebooks that do not exist: {missing}"


def test_backward_runs_clean(lab, browser, shots):
    base, token = lab
    browser.get(f'{base}/lab/tree/{NOTEBOOK}?token={token}')
    name = Path(NOTEBOOK).name
    wait_for(browser, f"{ACTIVE} && Array.from(document.querySelectorAll('.jp-mod-current .lm-TabBar-tabLabel')).some(t => t.textContent === '{name}')",
             90, f"{name} to open")
    # The kernel starts by itself: no "Select Kernel" dialog, and it is the course's kernel.
    kernel = wait_for(browser, KERNEL_IDLE, 120, f"the kernel of {name} to start by itself")
    specs = json.loads(get(f'{base}/api/kernelspecs', token)[1])
    assert kernel == specs['kernelspecs']['python3']['spec']['display_name'], f"kernel shown: {kernel!r}"
    browser.save_screenshot(str(shots / 'lab_05_backward_open.png'))

    # Run All from the menu, as a learner would, and wait until every cell has run or the run stopped.
    browser.find_element(By.XPATH, "//div[contains(@class,'lm-MenuBar-itemLabel') and normalize-space()='Run']").click()
    browser.find_element(By.CSS_SELECTOR, "li.lm-Menu-item[data-command='runmenu:run-all']").click()
    wait_for(browser, f"{PROMPTS}.some(p => p.includes('*'))", 30, "Run All to start")
    stable, deadline = 0, time.monotonic() + 240
    while stable < 3:
        assert not dialogs(browser), f"a dialog during Run All: {dialogs(browser)}"
        if time.monotonic() > deadline: pytest.fail(f"Run All did not finish: prompts {browser.execute_script(f'return {PROMPTS}')}")
        busy = browser.execute_script(f"return {PROMPTS}.some(p => p.includes('*'))") or not browser.execute_script(f'return {KERNEL_IDLE}')
        stable = 0 if busy else stable + 1
        time.sleep(1)

    cells = browser.execute_script(CELLS)
    not_run = [i for i, c in enumerate(cells) if c['count'] is None]
    error_outputs = [f"code cell {i}: {c['errors']}" for i, c in enumerate(cells) if c['errors']]
    errors = browser.execute_script(f"""return Array.from({ACTIVE}.querySelectorAll('.jp-OutputArea-output'))
        .map(o => o.textContent).filter(t => /Traceback|-{{20,}}\\s*\\n?\\s*\\w*(Error|Exception)\\b/.test(t))
        .map(t => t.slice(0, 500))""")
    images = browser.execute_async_script(CHECK_IMAGES)
    diagram = browser.execute_script(f"const i = Array.from({ACTIVE}.querySelectorAll('.jp-RenderedMarkdown img'))[0]; if (i) i.scrollIntoView({{block: 'center'}}); return !!i")
    if diagram: browser.save_screenshot(str(shots / 'lab_05_backward_image.png'))
    browser.execute_script(f"Array.from({ACTIVE}.querySelectorAll('.jp-Cell')).pop().scrollIntoView({{block: 'end'}})")
    time.sleep(0.5)
    browser.save_screenshot(str(shots / 'lab_05_backward_end.png'))

    assert not error_outputs, "cells with an error output:\n" + '\n'.join(error_outputs)
    assert not errors, "cells show an error or a traceback:\n" + '\n---\n'.join(errors)
    assert not not_run, f"code cells that did not run: {not_run} of {len(cells)}"
    broken = [i['src'] for i in images if not i['width']]
    assert not broken, f"images that did not load: {broken}"
    # The pictures the notebook's markdown shows from images/ are among the loaded ones.
    source = (ROOT / NOTEBOOK).read_text(encoding='utf-8')
    for link in sorted(set(re.findall(r'\]\((\.\./images/[^)\s]+)\)', source))):
        assert any(Path(i['src'].split('?')[0]).name == Path(link).name and i['width'] for i in images), \
            f"{link}: not among the loaded images {[i['src'] for i in images]}"
    assert not dialogs(browser), f"dialogs or pop-ups: {dialogs(browser)}"


def _questions_notebook():
    """The first notebook whose Questions hold a folded code answer (both hidden flags) with an output, as a path
    from the root; else the first with a folded code answer at all."""
    found = []
    for path in sorted((ROOT / 'nbs').glob('[0-9]*.ipynb')):
        nb = json.loads(path.read_text(encoding='utf-8'))
        inside = False
        for c in nb['cells']:
            src = cell_source(c)
            if c['cell_type'] == 'markdown' and src.startswith('## '): inside = src.startswith('## Questions')
            flags = c.get('metadata', {}).get('jupyter', {})
            if inside and c['cell_type'] == 'code' and flags.get('source_hidden') and flags.get('outputs_hidden'):
                found.append((not c.get('outputs'), path.relative_to(ROOT).as_posix()))
    return min(found)[1] if found else None


# The Questions section of the open notebook, cell by cell, each scrolled into view first (JupyterLab renders only
# the cells near the viewport): its type, whether its input and outputs are hidden, and the text it shows.
QUESTION_CELLS = """
const done = arguments[arguments.length - 1];
const nb = window.jupyterapp.shell.currentWidget.content;
(async function () {
  const heading = w => w.model.type === 'markdown' && /^## /.test(w.model.sharedModel.getSource());
  const start = nb.widgets.findIndex(w => heading(w) && /^## Questions/.test(w.model.sharedModel.getSource()));
  const out = [];
  for (let i = start + 1; start >= 0 && i < nb.widgets.length && !heading(nb.widgets[i]); i++) {
    await nb.scrollToItem(i, 'center');
    await new Promise(r => setTimeout(r, 300));
    const w = nb.widgets[i];
    out.push({index: i, type: w.model.type, inputHidden: !!w.inputHidden, outputsHidden: !!w.outputHidden,
              text: w.node.innerText});
  }
  done({start: start, n: nb.widgets.length, title: window.jupyterapp.shell.currentWidget.title.label, cells: out});
})().catch(e => done({error: String(e)}));
"""


def test_questions_show_no_answer_before_the_click(lab, browser, shots):
    "A Questions section in JupyterLab: no answer text, code or output shows until the learner opens it."
    base, token = lab
    path = _questions_notebook()
    if path is None: pytest.skip("no notebook has a folded code answer in its Questions yet")
    browser.get(f'{base}/lab/tree/{path}?token={token}')
    name = Path(path).name
    wait_for(browser, f"{ACTIVE} && Array.from(document.querySelectorAll('.jp-mod-current .lm-TabBar-tabLabel')).some(t => t.textContent === '{name}')",
             90, f"{name} to open", no_dialog=False)
    n_cells = len(json.loads((ROOT / path).read_text(encoding='utf-8'))['cells'])
    wait_for(browser, f"window.jupyterapp.shell.currentWidget.content.widgets.length === {n_cells}", 90,
             f"the {n_cells} cells of {name}", no_dialog=False)
    browser.set_script_timeout(180)
    found = browser.execute_async_script(QUESTION_CELLS)
    cells = found.get('cells')
    assert cells, f"{path}: no Questions section found in JupyterLab: {found}"
    browser.save_screenshot(str(shots / 'lab_questions_folded.png'))
    code = [c for c in cells if c['type'] == 'code']
    assert code and all(c['inputHidden'] and c['outputsHidden'] for c in code), code
    shown = plain_text('\n'.join(c['text'] for c in cells))
    leaked = [t for t in concealed_texts(ROOT / path) if t in shown]
    assert not leaked, f"{path}: answers visible before a click: {leaked[:5]}"
    for c in code:  # the collapsed placeholder shows the neutral first line at most
        assert plain_text(c['text']) in ('', plain_text('# Answer (click the bar on the left to show the code)')), c['text']

    # One click on the bar at the left of the first code answer shows its code.
    first = code[0]['index']
    browser.execute_script(f"window.jupyterapp.shell.currentWidget.content.widgets[{first}].node.scrollIntoView({{block: 'center'}})")
    bar = browser.execute_script(f"return window.jupyterapp.shell.currentWidget.content.widgets[{first}].node.querySelector('.jp-InputCollapser')")
    bar.click()
    opened = wait_for(browser, f"!window.jupyterapp.shell.currentWidget.content.widgets[{first}].inputHidden && "
                               f"window.jupyterapp.shell.currentWidget.content.widgets[{first}].node.innerText", 10, "the answer to open", no_dialog=False)
    browser.save_screenshot(str(shots / 'lab_questions_opened.png'))
    assert len(plain_text(opened)) > len('# Answer (click the bar on the left to show the code)'), opened
