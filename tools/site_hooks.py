"""MkDocs hooks for `make site` (mkdocs.yml names this file): what mkdocs-jupyter does not do for the course.

- Pages get nbdev's names (`05_backward.ipynb` -> `backward.html`), so settings.ini's `doc_host` and the
  links nbdev writes into `exp/_modidx.py` point at real pages.
- `images/` (outside `nbs/`, the docs folder) is published as `images/`, and every relative link and image
  of a notebook is resolved as it is in the repository (from `nbs/`, where `../images/x.png` is images/x.png)
  and rewritten to the page or file it names in the site. A link that names nothing in the site is
  reported as a warning (and the browser tests fail on it).
- nbconvert's own MathJax and Mermaid loaders (CDN addresses) are taken out of the notebook pages; the
  pages load MathJax from `assets/mathjax/`, a copy of the one the `jupyter-server-mathjax` package ships
  (mkdocs.yml, `extra_javascript`).
- Nothing gives an answer away before it is asked for: a code cell whose source is hidden in JupyterLab (cell
  metadata `jupyter.source_hidden`: the Questions' code answers) folds whole, code and output, in a closed
  `<details>` block ("Show the answer"), without its "click the bar" line (meant for JupyterLab); every
  exercise's solution cell (it holds `### BEGIN SOLUTION`) folds whole the same way ("Show a solution"), its
  markers taken out of the code shown.
- The `## Going deeper (optional)` section gets a note under its heading: it is for a second reading.
- A page's title and table of contents are read from its own headings: mkdocs-jupyter drops the code from
  them ("A forward pass: and") and its TOC ids then miss the headings'.
"""
import json, logging, posixpath, re, shutil
from html import escape, unescape
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jupyter_server_mathjax
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File
from mkdocs.structure.toc import get_toc

log = logging.getLogger('mkdocs.hooks.course')
ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = ['images']  # folders of the repository published as they are, beside the pages
MATHJAX = Path(jupyter_server_mathjax.__file__).parent / 'static'
_extra = {}  # repository path -> File, for the folders in PUBLISHED


def page_name(src_uri):
    "nbdev's page name for a notebook (its doclinks' rule): the numbered prefix dropped, `.html`."
    folder, name = posixpath.split(src_uri)
    return posixpath.join(folder, re.sub(r'^\d+[a-zA-Z0-9]*_', '', name.lower()).rsplit('.', 1)[0] + '.html')


def _rename(file, dest, site_dir):
    "Point a page's file (mkdocs-jupyter's wrapper and the file it wraps) at `dest`."
    for f in (file, getattr(file, 'file', None)):
        if f is None: continue
        for key, value in (('dest_uri', dest), ('dest_path', dest), ('url', dest),
                           ('abs_dest_path', str(Path(site_dir) / dest))):
            f.__dict__[key] = value


@event_priority(-100)  # after mkdocs-jupyter has made the notebooks pages
def on_files(files, config):
    for file in files:
        if file.src_uri.endswith('.ipynb'): _rename(file, page_name(file.src_uri), config.site_dir)
    _extra.clear()
    for folder in PUBLISHED:
        for path in sorted((ROOT / folder).rglob('*')):
            if not path.is_file() or path.name.startswith('.'): continue
            rel = path.relative_to(ROOT).as_posix()
            _extra[rel] = File(rel, src_dir=str(ROOT), dest_dir=config.site_dir, use_directory_urls=False)
            files.append(_extra[rel])
    return files


def _docs_prefix(config):
    "Where the docs folder sits in the repository ('nbs')."
    return Path(config.docs_dir).resolve().relative_to(ROOT).as_posix()


def _resolve(url, page, config, files):
    "The site's URL for a link of the notebook `page`, relative to that page; None if it names nothing."
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(('#', '/')) or not parts.path: return url
    prefix = _docs_prefix(config)
    here = posixpath.dirname(posixpath.join(prefix, page.file.src_uri))
    target = posixpath.normpath(posixpath.join(here, unquote(parts.path)))
    if target.startswith(prefix + '/'):
        found = files.get_file_from_path(target[len(prefix) + 1:])
    else:
        found = _extra.get(target)
    if found is None: return None
    return found.url_relative_to(page.file) + (f'#{parts.fragment}' if parts.fragment else '')


SOLUTION_MARK = '### BEGIN SOLUTION'


def _folded_cells(path):
    "The code cells that the page folds whole, as (cell id, summary): hidden answers first, then solutions."
    nb = json.loads(Path(path).read_text(encoding='utf-8'))
    folded = []
    for c in nb['cells']:
        if not c.get('id') or c['cell_type'] != 'code': continue
        source = ''.join(c['source']) if isinstance(c['source'], list) else c['source']
        if SOLUTION_MARK in source: folded.append((c['id'], 'Show a solution'))
        elif c.get('metadata', {}).get('jupyter', {}).get('source_hidden'): folded.append((c['id'], 'Show the answer'))
    return folded


# nbconvert's MathJax loader (mkdocs-jupyter leaves its src empty), its configuration, its Mermaid loader.
CDN_LOADERS = re.compile(r'<script src="(?:[^"]*mathjax[^"]*)?"> ?</script>|<script type="text/x-mathjax-config">.*?</script>'
                         r'|<script type="module">(?:(?!</script>).)*?mermaid.*?</script>', re.DOTALL | re.IGNORECASE)
LINK = re.compile(r'(<(a|img)\s[^>]*?\b(href|src)=")([^"]*)(")')
DIV = re.compile(r'<div\b|</div>')
HEADING = re.compile(r'<h([1-6]) id="([^"]+)">(.*?)</h\1>', re.DOTALL)
ANCHOR = re.compile(r'<a class="anchor-link"[^>]*>.*?</a>', re.DOTALL)
TAG = re.compile(r'<[^>]+>')


def _end_of_div(html, start):
    "The index just after the `</div>` that closes the `<div` at `start`."
    depth = 0
    for m in DIV.finditer(html, start):
        depth += 1 if m.group() == '<div' else -1
        if depth == 0: return m.end()
    raise ValueError('unclosed <div>')


# Lines of the shown code that are for JupyterLab or for the tools, not for a reader of the page: the solution
# markers and a folded answer's first line; in the highlighted code and in the copy-to-clipboard text alike.
NOT_SHOWN = re.compile(r'\n[ \t]*(?:<span class="c1">)?### (?:BEGIN|END) SOLUTION(?:</span>)?[ \t]*(?=\n|<)'
                       r'|(?:<span class="c1">)?# Answer \(click the bar on the left to show the code\)(?:</span>)?\n')


def _fold_cell(html, cid, summary):
    "Wrap the whole code cell `cid` (its code and its outputs) in a closed <details>; None if the cell is not in the page."
    marker = html.find(f'id="cell-id={cid}"')
    start = html.rfind('<div', 0, marker) if marker >= 0 else -1
    if start < 0: return None
    end = _end_of_div(html, start)
    cell = NOT_SHOWN.sub('', html[start:end])
    kind = 'solution' if summary == 'Show a solution' else 'answer'
    return (html[:start] + f'<details class="folded-{kind}"><summary>{summary}</summary>' + cell + '</details>' + html[end:])


OPTIONAL_HEADING = re.compile(r'(<h2 id="going-deeper-optional">.*?</h2>)', re.DOTALL)
OPTIONAL_NOTE = ('<p class="optional-note"><em>Optional: for a second reading. Nothing earlier in this page '
                 'depends on this section.</em></p>')


def _toc_tokens(html, depth):
    "The headings of the page, nested as MkDocs' TOC wants them (their text with its code, their real ids)."
    tokens, stack = [], []
    for m in HEADING.finditer(html):
        level = int(m.group(1))
        if level > depth: continue
        name = TAG.sub('', ANCHOR.sub('', m.group(3))).strip()
        token = {'level': level, 'id': m.group(2), 'name': name, 'children': []}
        while stack and stack[-1]['level'] >= level: stack.pop()
        (stack[-1]['children'] if stack else tokens).append(token)
        stack.append(token)
    return tokens


def on_page_content(html, page, config, files):
    if not page.file.src_uri.endswith('.ipynb'): return html
    html = CDN_LOADERS.sub('', html)
    # mkdocs-jupyter takes the TOC and the title from the markdown with its code removed ("A forward pass:
    # and"), and its ids then miss the headings' ids; take both from the page's own headings instead.
    depth = config.plugins['mkdocs-jupyter'].config['toc_depth']
    tokens = _toc_tokens(html, depth)
    page.toc = get_toc(tokens)
    if tokens and tokens[0]['level'] == 1: page.title = unescape(tokens[0]['name'])

    def relink(m):
        url = unescape(m.group(4))
        if url.startswith('data:'): return m.group()
        new = _resolve(url, page, config, files)
        if new is None:
            log.warning(f"{page.file.src_uri}: {m.group(2)} {m.group(3)}={url!r} names nothing in the site")
            return m.group()
        return m.group(1) + escape(new) + m.group(5)

    html = LINK.sub(relink, html)
    for cid, summary in _folded_cells(page.file.abs_src_path):
        folded = _fold_cell(html, cid, summary)
        if folded is None: log.warning(f"{page.file.src_uri}: cell {cid} to fold not found in the page")
        else: html = folded
    html = OPTIONAL_HEADING.sub(lambda m: m.group(1) + OPTIONAL_NOTE, html, count=1)
    return html


def on_post_build(config):
    "MathJax beside the pages (12 MB, served with the site: no CDN)."
    shutil.copytree(MATHJAX, Path(config.site_dir) / 'assets' / 'mathjax', dirs_exist_ok=True)
