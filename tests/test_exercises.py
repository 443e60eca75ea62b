"""The Practice sections: every solution passes its check, every check fails on a typical wrong answer,
and the learner's copies that `make exercises` writes hold no solution and stop at the first exercise.

A notebook's wrong answers live in tests/wrong_answers/<notebook>.py as
`WRONG = {exercise number: (code that replaces the solution, a fragment the check's message must contain)}`.
"""
import io, re, runpy, textwrap
from contextlib import redirect_stdout
from pathlib import Path

import nbformat, pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / 'nbs').glob('[0-9]*.ipynb'))
tool = runpy.run_path(str(ROOT / 'tools' / 'make_exercises.py'))
BEGIN, END, HINT = tool['BEGIN'], tool['END'], tool['HINT']
EXERCISE = re.compile(r'^###\s+Exercise\s+(\d+)', re.MULTILINE)


def practice(path):
    "The code cells of the notebook's Practice section as (exercise number, source); 0 for the set-up cells."
    nb = nbformat.read(path, as_version=4)
    starts = [i for i, c in enumerate(nb.cells) if c.cell_type == 'markdown' and c.source.startswith('## Practice')]
    if not starts: return []
    cells, number = [], 0
    for cell in nb.cells[starts[0] + 1:]:
        if cell.cell_type == 'markdown':
            found = EXERCISE.search(cell.source)
            if found: number = int(found.group(1))
        elif 'nbdev_export(' not in cell.source: cells.append((number, cell.source))
    return cells


def exercises(path):
    "Each exercise's number, solution cell and check cell (the code cell right after the solution)."
    cells = practice(path)
    return [(n, src, cells[i + 1][1]) for i, (n, src) in enumerate(cells) if BEGIN in src]


def wrong_answers(path):
    file = ROOT / 'tests' / 'wrong_answers' / f'{path.stem}.py'
    return runpy.run_path(str(file))['WRONG'] if file.exists() else {}


def with_answer(source, code):
    "`source` with its solution region replaced by `code`, indented like the region."
    begin = next(line for line in source.split('\n') if line.strip() == BEGIN)
    indent = begin[:len(begin) - len(begin.lstrip())]
    body = textwrap.indent(textwrap.dedent(code).strip('\n'), indent)
    pattern = re.compile(rf'^[ \t]*{re.escape(BEGIN)}\n.*?^[ \t]*{re.escape(END)}[ \t]*$', re.DOTALL | re.MULTILINE)
    return pattern.sub(lambda m: body, source, count=1)


def run(cells, upto=None, replace=None):
    "Run the Practice cells in one namespace (up to exercise `upto`'s check); `replace` swaps one solution."
    ns, out = {'__name__': '__practice__'}, io.StringIO()
    for i, (n, src) in enumerate(cells):
        if upto is not None and n > upto: break
        if replace and n == replace[0] and BEGIN in src: src = with_answer(src, replace[1])
        with redirect_stdout(out): exec(compile(src, f'<practice cell {i}, exercise {n}>', 'exec'), ns)
    return out.getvalue()


PRACTISED = NOTEBOOKS  # every notebook ends with Practice (COURSE.md)
WRONG_CASES = [pytest.param(p, n, id=f'{p.stem}-{n}') for p in NOTEBOOKS for n in wrong_answers(p)]


@pytest.mark.parametrize('path', PRACTISED, ids=lambda p: p.stem)
def test_practice_has_four_exercises_each_with_hint_check_and_wrong_answer(path):
    found = exercises(path)
    assert len(found) >= 4, f"{path.name}: {len(found)} exercises, the course asks for at least four"
    numbers = [n for n, _, _ in found]
    assert numbers == list(range(1, len(found) + 1)), f"{path.name}: exercises numbered {numbers}"
    for n, solution, check_cell in found:
        assert solution.count(BEGIN) == 1 and solution.count(END) == 1, f"{path.name} exercise {n}: one solution region"
        lines = [l.strip() for l in solution.split('\n')]
        assert lines[lines.index(BEGIN) - 1].startswith(HINT), f"{path.name} exercise {n}: no '# Hint:' line above {BEGIN}"
        assert 'check(' in check_cell, f"{path.name} exercise {n}: the cell after the solution does not call check"
        assert '#| export' not in solution, f"{path.name} exercise {n}: exercise cells are never exported"
    assert sorted(wrong_answers(path)) == numbers, f"{path.name}: every exercise needs a wrong answer in tests/wrong_answers"


@pytest.mark.parametrize('path', [p for p in NOTEBOOKS if practice(p)], ids=lambda p: p.stem)
def test_solutions_pass_their_checks(path):
    out = run(practice(path))
    assert out.count('exact') + out.count('close') + out.count('match') >= len(exercises(path)), out


@pytest.mark.parametrize('path, number', WRONG_CASES)
def test_check_fails_on_a_typical_wrong_answer(path, number):
    code, fragment = wrong_answers(path)[number]
    with pytest.raises(AssertionError) as failure:
        run(practice(path), upto=number, replace=(number, code))
    message = str(failure.value)
    assert message and fragment in message, f"the message was: {message!r}"


@pytest.mark.parametrize('path', [p for p in NOTEBOOKS if practice(p)], ids=lambda p: p.stem)
def test_learner_copy_has_stubs_not_solutions(path):
    nb = nbformat.read(path, as_version=4)
    copy = tool['learner_copy'](nb)
    text = '\n'.join(c.source for c in copy.cells)
    assert BEGIN not in text and END not in text
    assert all(not c.get('outputs') for c in copy.cells if c.cell_type == 'code')
    for (n, solution, _), stubbed in zip(exercises(path), [c.source for c in copy.cells if 'NotImplementedError(' in c.source and f'Exercise ' in c.source]):
        region = solution.split(BEGIN)[1].split(END)[0]
        kept = solution.split(BEGIN)[0] + solution.split(END)[1]
        for line in region.split('\n'):
            if line.strip() and line.strip() not in kept:
                assert line.strip() not in stubbed, f"exercise {n}: solution line {line.strip()!r} left in the copy"
        assert 'raise NotImplementedError(' in stubbed and f"Exercise {n}:" in stubbed


def test_copies_are_written_once_unless_forced(tmp_path):
    import subprocess, sys
    cmd = [sys.executable, str(ROOT / 'tools' / 'make_exercises.py'), '--dest', str(tmp_path), str(NOTEBOOKS[0])]
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
    copy = tmp_path / NOTEBOOKS[0].name
    copy.write_text(copy.read_text().replace('"cells"', '"cells"', 1) + '\n')  # the learner's edit
    edited = copy.read_text()
    out = subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, text=True).stdout
    assert 'kept 1' in out and copy.read_text() == edited
    subprocess.run(cmd + ['--force'], check=True, cwd=ROOT, capture_output=True)
    assert copy.read_text() != edited
    bad = subprocess.run(cmd[:2] + ['--dest', str(tmp_path), 'nbs/99_missing.ipynb'], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode != 0 and '99_missing' in bad.stderr


def test_strip_solutions_keeps_indentation_and_hint():
    src = "def f(x):\n    # Hint: double it\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
    out = tool['strip_solutions'](src, 3)
    assert "    raise NotImplementedError('Exercise 3: double it')" in out and 'return 2 * x' not in out
    with pytest.raises(ValueError): tool['strip_solutions']("### BEGIN SOLUTION\nx = 1\n", 1)


@pytest.mark.parametrize('path', PRACTISED, ids=lambda p: p.stem)
def test_learner_copy_stops_at_the_first_exercise(path, tmp_path, capsys):
    from nbdev.test import test_nb
    copy = tmp_path / path.name
    nbformat.write(tool['learner_copy'](nbformat.read(path, as_version=4)), copy)
    ok, _ = test_nb(copy, skip_flags=['slow', 'gpu'], basepath=ROOT)
    error = capsys.readouterr().err
    assert not ok, "the copy ran to the end: its first exercise has no stub"
    assert error.startswith('NotImplementedError') and 'Exercise 1:' in error, error[-3000:]
