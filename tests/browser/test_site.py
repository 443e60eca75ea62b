"""The pages of `make site`, opened in Chromium: the home page and one page per notebook.

On every page: each image has loaded, each link to the site resolves (the page, and the heading a `#...`
names), the maths is typeset by MathJax (no `$...$` left in the text, no TeX error), the answers and the
hidden code stay folded, the navigation reaches every page, the console shows no error, and nothing was
asked of any host but the site's own (no CDN).
"""
import importlib.util, json, re, urllib.request
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import pytest

from browser_tools import ROOT, console_errors, requested_urls

_spec = importlib.util.spec_from_file_location('site_hooks', ROOT / 'tools' / 'site_hooks.py')
hooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hooks)

NOTEBOOKS = sorted((ROOT / 'nbs').glob('*.ipynb'), key=lambda p: (p.stem != 'index', p.stem))
RAW_MATH = re.compile(r'\$\$.+?\$\$|\$[^$\s][^$]*?\$|\\\(.+?\\\)|\\\[.+?\\\]', re.DOTALL)


def notebook_facts(path):
    "What the page of this notebook must show: whether it has maths, how many hidden-source cells."
    nb = json.loads(path.read_text(encoding='utf-8'))
    markdown = '\n'.join(''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'markdown')
    markdown = re.sub(r'```.*?```|`[^`\n]*`', '', markdown, flags=re.DOTALL)  # code is not maths
    hidden = sum(1 for c in nb['cells'] if c['cell_type'] == 'code'
                 and c.get('metadata', {}).get('jupyter', {}).get('source_hidden'))
    return bool(RAW_MATH.search(markdown)), hidden


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
  hidden_sources: content.querySelectorAll('details.source-hidden').length,
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
    has_math, hidden = notebook_facts(nb)
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

    # Answers and hidden code folded.
    if facts['open_details']: problems.append(f"{facts['open_details']} of {facts['details']} <details> are open")
    if facts['hidden_sources'] != hidden:
        problems.append(f"{hidden} cells have a hidden source, the page folds {facts['hidden_sources']}")

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
