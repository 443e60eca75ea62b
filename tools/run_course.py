"""Run every notebook in nbs/ in order, top to bottom, and report each one's time and result.

Usage: python tools/run_course.py [NOTEBOOK ...] [--flags slow gpu] [--json PATH]
A notebook may be named by its path or, as the README's table writes it, by its bare name
(`03_broadcasting` or `03_broadcasting.ipynb`). Every name is checked before anything runs: an unknown
one stops the script at once with a one-line error (exit code 2).
Cells marked with a flag from settings.ini's tst_flags are skipped unless the flag is given.
Exits with 1 when any notebook fails; the failing cell's traceback is printed. A notebook that cannot be read
(not valid JSON, say) is reported as failed, by name, and the others still run.
With --json, also writes each notebook's name, result and seconds to PATH (bench/run.py uses it).
"""
import argparse, json, sys, time
from pathlib import Path

from nbdev.config import get_config
from nbdev.test import test_nb

ROOT = Path(__file__).resolve().parent.parent


def find_notebook(name, nbs_path):
    "The notebook `name` names: a path to a file, or a notebook of `nbs_path` with or without `.ipynb`; None if none."
    for candidate in (Path(name), nbs_path / name, nbs_path / f'{name}.ipynb'):
        if candidate.suffix == '.ipynb' and candidate.is_file(): return candidate.absolute()
    return None


def resolve(names, nbs_path):
    "The notebooks `names` name (all of `nbs_path`'s numbered ones if none), and the names that match no notebook."
    if not names: return sorted(nbs_path.glob('[0-9]*.ipynb')), []
    found = [find_notebook(name, nbs_path) for name in names]
    return [nb for nb in found if nb is not None], [name for name, nb in zip(names, found) if nb is None]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('notebooks', nargs='*', help='notebooks to run (default: all of nbs/), by path or bare name')
    parser.add_argument('--flags', nargs='*', default=[], help='test flags whose cells should run')
    parser.add_argument('--json', type=Path, help='also write the results to this file')
    args = parser.parse_args()
    cfg = get_config(path=ROOT)
    nbs, unknown = resolve(args.notebooks, cfg.nbs_path)
    if unknown:
        known = ', '.join(p.stem for p in sorted(cfg.nbs_path.glob('[0-9]*.ipynb')))
        print(f"run_course: no notebook {', '.join(map(repr, unknown))} in {cfg.nbs_path} (known: {known})", file=sys.stderr)
        sys.exit(2)
    skip = cfg.tst_flags.split()
    results, start = [], time.time()
    for nb in nbs:
        print(f'{nb.name:<28}', end='', flush=True)
        began = time.time()
        try: ok, secs = test_nb(nb, skip_flags=skip, force_flags=args.flags, basepath=cfg.config_path)
        except Exception as e:  # a notebook that cannot be read (not valid JSON, say) fails alone; the others still run
            ok, secs = False, time.time() - began
            print(f'{secs:7.1f} s  FAILED: cannot read {nb.name}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}', flush=True)
            results.append((nb.name, ok, secs))
            continue
        results.append((nb.name, ok, secs))
        print(f'{secs:7.1f} s  {"passed" if ok else "FAILED"}', flush=True)
    failed = [name for name, ok, _ in results if not ok]
    print(f'{len(nbs) - len(failed)} of {len(nbs)} notebooks passed in {time.time() - start:.0f} s')
    if args.json:
        args.json.write_text(json.dumps([{'notebook': name, 'passed': ok, 'seconds': secs} for name, ok, secs in results]))
    if failed: print('failed: ' + ', '.join(failed)); sys.exit(1)


if __name__ == '__main__':
    main()
