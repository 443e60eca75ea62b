"""The pages of `make site`, opened in Chromium: the home page and one page per notebook.

On every page: each image has loaded, each link to the site resolves (the page, and the heading a `#...`
names), the maths is typeset by MathJax (no `$...$` left in the text, no TeX error), the answers of Questions
(text, code and output) and the exercises' solutions stay folded, none of their lines visible before a click, the navigation reaches every page, the console shows no error, and nothing was
asked of any host but the site's own (no CDN).
"""
import importlib.util, json, re, urllib.request
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import pytest

from browser_tools import ROOT, cell_source, concealed_texts, console_errors, plain_text, requested_urls

_spec = importlib.util.spec_from_file_location('site_hooks', ROOT / 'tools' / 'site_hooks.py')
hooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hooks)

NOTEBOOKS = sorted((ROOT / 'nbs').glob('*.ipynb'), key=lambda p: (p.stem != 'index', p.stem))
RAW_MATH = re.compile(r'\$\$.+?\$\$|\$[^$\s][^$]*?\$|\\\(.+?\\\)|\\\[.+?\\\]', re.DOTALL)





def notebook_facts(path):
    "What the page of this notebook must show: whether it has maths, how many answer cells and solution cells it folds."
    nb = json.loads(path.read_text(encoding='utf-8'))
    markdown = '\n'.join(cell_source(c) for c in nb['cells'] if c['cell_type'] == 'markdown')
    markdown = re.sub(r'```.*?```|`[^`\n]*`', '', markdown, flags=re.DOTALL)  # code is not maths
    code = [c for c in nb['cells'] if c['cell_type'] == 'code']
    solutions = sum(1 for c in code if hooks.SOLUTION_MARK in cell_source(c))
    answers = sum(1 for c in code if hooks.SOLUTION_MARK not in cell_source(c)
                  and c.get('metadata', {}).get('jupyter', {}).get('source_hidden'))
    return bool(RAW_MATH.search(markdown)), answers, solutions


WAIT_FOR_PAGE = """
const done = arguments[arguments.length - 1];
const started = Date.now();
(function poll() {
  const mj = window.MathJax;
  if (document.readyState === 'complete' && mj && mj.isReady && mj.Hub) {
    mj.Hub.Queue(function () {
      const imgs = Array.from(document.images);
      imgs.forEach(function (img) { img.loading = 'eager'; });
      (function images() {
        if (imgs.every(function (img) { return img.complete; }) || Date.now() - started > 30000) done(true);
        else setTimeout(images, 100);
      })();
    });
  } else if (Date.now() - started > 45000) done(false);
  else setTimeout(poll, 100);
})();
"""

PAGE_FACTS = """
const content = document.querySelector('.jupyter-wrapper') || document.body;
const skip = function (el, root) {
  for (let e = el; e && e !== root; e = e.parentElement) {
    if (['CODE', 'PRE', 'SCRIPT', 'STYLE'].includes(e.tagName)) return true;
    if (typeof e.className === 'string' && /(^|\\s)MathJax/.test(e.className)) return true;
  }
  return false;
};
const text = [];
document.querySelectorAll('.jp-RenderedMarkdown').forEach(function (md) {
  const walker = document.createTreeWalker(md, NodeFilter.SHOW_TEXT);
  let node;
  const parts = [];
  while ((node = walker.nextNode())) if (!skip(node.parentElement, md)) parts.push(node.nodeValue);
  text.push(parts.join(''));
});
return {
  text: text,
  images: Array.from(document.images).map(function (img) {
    return {src: img.getAttribute('src').slice(0, 80), width: img.naturalWidth, complete: img.complete};
  }),
  links: Array.from(document.querySelectorAll('a[href]')).map(function (a) { return a.href; }),
  mathjax: document.querySelectorAll('.MathJax, .MathJax_Display').length,
  math_scripts: document.querySelectorAll('script[type^="math/tex"]').length,
  tex_errors: Array.from(document.querySelectorAll('.MathJax .merror, .MathJax_Error')).map(function (e) { return e.textContent; }),
  open_details: Array.from(content.querySelectorAll('details')).filter(function (d) { return d.open; }).length,
  details: content.querySelectorAll('details').length,
  folded_answers: content.querySelectorAll('details.folded-answer').length,
  folded_solutions: content.querySelectorAll('details.folded-solution').length,
  visible_text: content.innerText,
  nav: Array.from(document.querySelectorAll('.md-nav--primary a.md-nav__link[href]')).map(function (a) { return a.href; }),
  prev_next: document.querySelectorAll('a.md-footer__link').length,
};
"""

_pages = {}


def fetch(url):
    "The page at `url` (without fragment), fetched once: (status, text)."
    if url not in _pages:
        try:
            with urllib.request.urlopen(url, timeout=30) as r: _pages[url] = (r.status, r.read().decode('utf-8', 'replace'))
        except urllib.error.HTTPError as e: _pages[url] = (e.code, '')
    return _pages[url]


def page_url(base, nb):
    return urljoin(base, hooks.page_name(nb.name))


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_page(nb, browser, site, shots):
    base, failed_requests = site
    has_math, answers, solutions = notebook_facts(nb)
    url = page_url(base, nb)
    browser.get('about:blank')  # leave the previous page (JupyterLab's keeps talking to its server)
    console_errors(browser), requested_urls(browser)  # start with empty logs
    failed_requests.clear()
    browser.set_script_timeout(60)
    browser.get(url)
    assert browser.execute_async_script(WAIT_FOR_PAGE), f"{url}: MathJax or the images did not finish in time"
    facts = browser.execute_script(PAGE_FACTS)
    name = Path(hooks.page_name(nb.name)).stem
    browser.save_screenshot(str(shots / f'site_{name}.png'))
    problems = []

    # Images: every one loaded; the images/ a notebook links are among them.
    broken = [i['src'] for i in facts['images'] if not i['width']]
    if broken: problems.append(f"images that did not load: {broken}")
    source = nb.read_text(encoding='utf-8')
    for link in sorted(set(re.findall(r'\]\((\.\./images/[^)\s]+)\)', source))):
        if not any(i['src'].endswith(link[len('../'):]) for i in facts['images']):
            problems.append(f"the notebook shows {link}, the page has no such image")
    if any(re.match(r'(\.\./)*images/', i['src']) for i in facts['images']):
        browser.execute_script("Array.from(document.images).find(i => i.src.includes('/images/')).scrollIntoView()")
        browser.save_screenshot(str(shots / f'site_{name}_image.png'))

    # Links: every link to the site resolves, and so does the element a fragment names.
    for link in sorted(set(facts['links'])):
        target, fragment = urldefrag(link)
        if not target.startswith(base): continue
        status, html = fetch(target)
        if status != 200: problems.append(f"link {link} answers {status}")
        elif fragment and not re.search(rf'\bid="{re.escape(fragment)}"', html):
            problems.append(f"link {link}: no element with id {fragment!r} in {target}")

    # Maths typeset, none left raw, no TeX errors.
    if has_math:
        if not facts['mathjax']: problems.append("the notebook has maths, the page no MathJax element")
        if facts['mathjax'] < facts['math_scripts']:
            problems.append(f"MathJax typeset {facts['mathjax']} of {facts['math_scripts']} formulas")
    raw = [m for t in facts['text'] for m in RAW_MATH.findall(t)]
    if raw: problems.append(f"maths left as text: {raw[:5]}")
    if facts['tex_errors']: problems.append(f"TeX errors: {facts['tex_errors'][:5]}")

    # Answers and solutions folded: nothing of them (text, code, output) visible before a click.
    if facts['open_details']: problems.append(f"{facts['open_details']} of {facts['details']} <details> are open")
    if facts['folded_answers'] != answers:
        problems.append(f"{answers} code answers have a hidden source, the page folds {facts['folded_answers']}")
    if facts['folded_solutions'] != solutions:
        problems.append(f"{solutions} cells hold a solution, the page folds {facts['folded_solutions']}")
    visible = plain_text(facts['visible_text'])
    leaked = [t for t in concealed_texts(nb) if t in visible]
    if leaked: problems.append(f"answers or solutions visible before a click: {leaked[:5]}")
    if '## Going deeper (optional)' in source and 'class="optional-note"' not in fetch(url)[1]:
        problems.append("the Going deeper section is not marked optional")
    code_shown = re.findall(r'<pre>.*?</pre>|class="clipboard-copy-txt"[^>]*>.*?</div>', fetch(url)[1], re.DOTALL)
    if any('### BEGIN SOLUTION' in c or '### END SOLUTION' in c for c in code_shown):
        problems.append("solution markers left in the code of the page")

    # Navigation: the sidebar names every page; previous/next at the bottom.
    nav = {urldefrag(h)[0] for h in facts['nav']}
    missing = [page_url(base, p) for p in NOTEBOOKS if page_url(base, p) not in nav]
    if missing: problems.append(f"the sidebar lacks {missing}")
    if not facts['prev_next']: problems.append("no previous/next link")

    # Nothing broken in the console, no request that failed or left the site.
    errors = console_errors(browser)
    if errors: problems.append(f"console errors: {errors[:5]}")
    if failed_requests: problems.append(f"requests the site answered with an error: {failed_requests}")
    outside = sorted({u for u in requested_urls(browser) if u.startswith(('http:', 'https:', 'ws:', 'wss:'))
                      and not u.startswith(base)})
    if outside: problems.append(f"requests outside the site: {outside}")

    assert not problems, f"{url}:\n  " + "\n  ".join(problems)


def test_a_folded_answer_opens_on_a_click(browser, site):
    "The fold hides the answer until the click, and the click shows its code and its output."
    base, _ = site
    with_code = [nb for nb in NOTEBOOKS if notebook_facts(nb)[1]]
    if not with_code: pytest.skip("no notebook has a folded code answer")
    nb = with_code[0]
    browser.get('about:blank')
    browser.get(page_url(base, nb))
    summary = browser.find_element('css selector', 'details.folded-answer > summary')
    details = summary.find_element('xpath', '..')
    code = details.find_element('css selector', 'pre')
    assert summary.text == 'Show the answer' and not code.is_displayed()
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
    summary.click()
    assert code.is_displayed() and 'click the bar' not in details.text


def test_autograd_page_shows_the_graphs_as_svg(browser, site):
    "11_autograd's drawings (Graphviz's SVG, kept in the committed outputs) render on its page: ours and PyTorch's graph."
    base, _ = site
    nb = next((p for p in NOTEBOOKS if p.stem == '11_autograd'), None)
    if nb is None: pytest.skip("no 11_autograd notebook")
    browser.get('about:blank')
    browser.get(page_url(base, nb))
    drawings = browser.execute_script("""
        const inline = Array.from(document.querySelectorAll('svg')).filter(s => s.querySelector('g.node'))
            .map(s => ({width: s.getBoundingClientRect().width, nodes: s.querySelectorAll('g.node').length, text: s.textContent}));
        const images = Array.from(document.images).filter(i => i.src.startsWith('data:image/svg+xml'))
            .map(i => {
                const [head, body] = [i.src.slice(0, i.src.indexOf(',')), i.src.slice(i.src.indexOf(',') + 1)];
                const text = head.endsWith(';base64') ? atob(body) : decodeURIComponent(body);
                return {width: i.getBoundingClientRect().width, nodes: -1, text: text};
            });
        return inline.concat(images);""")
    assert len(drawings) >= 3, f"expected the notebook's three graph drawings as SVG, found {len(drawings)}"
    assert all(d['width'] > 0 for d in drawings), [d['width'] for d in drawings]
    texts = ' '.join(d['text'] for d in drawings)
    for label in ('cross_entropy', 'matmul', 'relu', 'NllLossBackward0', 'AccumulateGrad'):
        assert label in texts, f"no drawing shows {label!r}"
