"""Write the learner's copies of the notebooks to exercises/: outputs cleared, solutions replaced by stubs.

Usage: python tools/make_exercises.py [--force] [--dest DIR] [NOTEBOOK ...]

A solution sits between the lines `### BEGIN SOLUTION` and `### END SOLUTION` (nbgrader's markers).
In the copy, the region becomes `raise NotImplementedError("Exercise N: <hint>")`, where the hint is
the `# Hint: ...` comment just above the region. A copy that already exists is kept, since the learner
may have written in it, unless --force is given. Each copy is written to a temporary file beside it and renamed
only when complete, so a failed write leaves no truncated copy; a --dest that would replace a source notebook
is refused, --force or not.
"""
import argparse, contextlib, os, re, sys, tempfile
from pathlib import Path

import nbformat

BEGIN, END, HINT = '### BEGIN SOLUTION', '### END SOLUTION', '# Hint:'
EXERCISE = re.compile(r'^###\s+Exercise\s+(\d+)', re.MULTILINE)


def strip_solutions(source, exercise):
    "Replace every solution region of a cell's `source` by a stub that raises with its hint."
    out, hint, inside = [], None, False
    for line in source.split('\n'):
        text = line.strip()
        if text == BEGIN:
            if inside: raise ValueError(f"exercise {exercise}: {BEGIN} inside a solution")
            indent = line[:len(line) - len(line.lstrip())]
            message = f"Exercise {exercise}: {hint or 'write your answer here'}"
            out.append(f"{indent}raise NotImplementedError({message!r})")
            inside = True
        elif text == END:
            if not inside: raise ValueError(f"exercise {exercise}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
            if text.startswith(HINT): hint = text[len(HINT):].strip()
    if inside: raise ValueError(f"exercise {exercise}: {BEGIN} without {END}")
    return '\n'.join(out)


def learner_copy(nb):
    "A copy of `nb` without outputs, without the export cell, and with every solution replaced by a stub."
    nb = nbformat.from_dict(nb)
    cells, exercise = [], None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == 'markdown':
            found = EXERCISE.search(cell.source)
            if found: exercise = int(found.group(1))
        if cell.cell_type == 'code':
            if 'nbdev_export(' in cell.source: continue
            cell.outputs, cell.execution_count = [], None
            if BEGIN in cell.source or END in cell.source:
                try: cell.source = strip_solutions(cell.source, exercise)
                except ValueError as e: raise ValueError(f"cell {i} (id {cell.get('id', '?')}), {e}") from None
        cells.append(cell)
    nb.cells = cells
    return nb


def write_whole(nb, dest):
    "Write `nb` to `dest` through a temporary file in the same folder, renamed to `dest` only once complete."
    fd, part = tempfile.mkstemp(dir=dest.parent, prefix=f'.{dest.name}.', suffix='.part')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f: nbformat.write(nb, f)
        umask = os.umask(0); os.umask(umask)
        os.chmod(part, 0o666 & ~umask)  # the permissions an ordinary new file gets
        os.replace(part, dest)
    except BaseException:
        with contextlib.suppress(OSError): os.unlink(part)
        raise


def replaced_sources(sources, dest):
    "The source notebooks that writing the copies of `sources` into the folder `dest` would overwrite."
    protected = {p.resolve() for p in sources} | {p.resolve() for p in Path(__file__).resolve().parent.parent.glob('nbs/*.ipynb')}
    return [src for src in sources if (dest / src.name).resolve() in protected]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('notebooks', nargs='*', type=Path, help='notebooks to copy (default: every numbered one in nbs/)')
    parser.add_argument('--dest', type=Path, default=Path('exercises'), help='where the copies go (default: exercises/)')
    parser.add_argument('--force', action='store_true', help='overwrite copies that already exist')
    args = parser.parse_args()
    sources = args.notebooks or sorted(Path('nbs').glob('[0-9]*.ipynb'))
    missing = [str(p) for p in sources if not p.is_file()]
    if missing: sys.exit(f"make_exercises: no such notebook: {', '.join(missing)}")
    clash = replaced_sources(sources, args.dest)
    if clash: sys.exit(f"make_exercises: --dest {args.dest} would replace the source notebook(s) "
                       f"{', '.join(str(p) for p in clash)} with learner copies: choose another folder")
    args.dest.mkdir(parents=True, exist_ok=True)
    written, kept, failed = [], [], []
    for src in sources:
        dest = args.dest / src.name
        if dest.exists() and not args.force:
            kept.append(dest.name)
            continue
        try:
            copy = learner_copy(nbformat.read(src, as_version=4))
            write_whole(copy, dest)
        except (ValueError, OSError) as e:
            failed.append(src.name)
            print(f"make_exercises: {src}: {e} (no copy written)", file=sys.stderr)
            continue
        written.append(dest.name)
    print(f"wrote {len(written)} notebook(s) to {args.dest}/" + (f": {', '.join(written)}" if written else ""))
    if kept: print(f"kept {len(kept)} existing copies (yours to edit); FORCE=1 overwrites them: {', '.join(kept)}")
    if failed: sys.exit(f"make_exercises: failed: {', '.join(failed)}")


if __name__ == '__main__': main()
