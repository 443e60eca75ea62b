"""Run every notebook in nbs/ in order, top to bottom, and report each one's time and result.

Usage: python tools/run_course.py [NOTEBOOK ...] [--flags slow gpu] [--json PATH]
Cells marked with a flag from settings.ini's tst_flags are skipped unless the flag is given.
Exits with 1 when any notebook fails; the failing cell's traceback is printed.
With --json, also writes each notebook's name, result and seconds to PATH (bench/run.py uses it).
"""
import argparse, json, sys, time
from pathlib import Path

from nbdev.config import get_config
from nbdev.test import test_nb


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('notebooks', nargs='*', help='notebooks to run (default: all of nbs/)')
    parser.add_argument('--flags', nargs='*', default=[], help='test flags whose cells should run')
    parser.add_argument('--json', type=Path, help='also write the results to this file')
    args = parser.parse_args()
    cfg = get_config()
    nbs = [Path(p).absolute() for p in args.notebooks] or sorted(cfg.nbs_path.glob('[0-9]*.ipynb'))
    skip = cfg.tst_flags.split()
    results, start = [], time.time()
    for nb in nbs:
        print(f'{nb.name:<28}', end='', flush=True)
        ok, secs = test_nb(nb, skip_flags=skip, force_flags=args.flags, basepath=cfg.config_path)
        results.append((nb.name, ok, secs))
        print(f'{secs:7.1f} s  {"passed" if ok else "FAILED"}', flush=True)
    failed = [name for name, ok, _ in results if not ok]
    print(f'{len(nbs) - len(failed)} of {len(nbs)} notebooks passed in {time.time() - start:.0f} s')
    if args.json:
        args.json.write_text(json.dumps([{'notebook': name, 'passed': ok, 'seconds': secs} for name, ok, secs in results]))
    if failed: print('failed: ' + ', '.join(failed)); sys.exit(1)


if __name__ == '__main__':
    main()
