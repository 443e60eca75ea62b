"""Give notebooks the course's kernelspec, so JupyterLab starts the kernel without asking "Select Kernel".

Usage: python tools/set_kernelspec.py NOTEBOOK [NOTEBOOK ...]   (or --all for every notebook in nbs/)

The kernelspec names `python3`: the kernel that ipykernel installs into the course's virtual environment
(`.venv/share/jupyter/kernels/python3`), which runs that environment's Python, where `exp` is installed.
Its `display_name` is also `python3` because `nbdev_clean` rewrites `display_name` from `name`: any other
value would be changed back by every clean, and CI's guard (the notebooks are clean) would fail. JupyterLab
shows the installed kernel's own name ("Python 3 (ipykernel)") whatever the notebook says.

Idempotent: a notebook that already has this kernelspec is not rewritten. Everything else in the notebook
(cells, their ids and outputs, other metadata) is kept as it is.
"""
import argparse, sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {'name': 'python3', 'display_name': 'python3', 'language': 'python'}


def set_kernelspec(path):
    "Write KERNELSPEC into the notebook at `path`; True if the file changed."
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    if nb.metadata.get('kernelspec') == KERNELSPEC: return False
    nb.metadata['kernelspec'] = dict(KERNELSPEC)
    nbformat.write(nb, path)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('notebooks', nargs='*', type=Path, help='notebooks to update')
    parser.add_argument('--all', action='store_true', help='every notebook in nbs/')
    args = parser.parse_args()
    paths = sorted((ROOT / 'nbs').glob('*.ipynb')) if args.all else args.notebooks
    if not paths: parser.error('name the notebooks to update, or give --all')
    missing = [str(p) for p in paths if not p.is_file()]
    if missing: sys.exit(f"set_kernelspec: no such notebook: {', '.join(missing)}")
    changed = [p.name for p in paths if set_kernelspec(p)]
    print(f"kernelspec set in {len(changed)} of {len(paths)} notebook(s)" + (f": {', '.join(changed)}" if changed else ''))


if __name__ == '__main__': main()
