"""The Practice sections: every solution passes its check, every check fails on a typical wrong answer and on a
half-written one, the Questions' code answers are folded, and the learner's copies that `make exercises` writes
hold no solution, stop at the first exercise, and are written whole or not at all.

A notebook's wrong answers live in tests/wrong_answers/<notebook>.py as
`WRONG = {exercise number: (code that replaces the solution, a fragment the check's message must contain)}`.
"""
import importlib.util, io, json, os, re, runpy, subprocess, sys, textwrap
from contextlib import redirect_stdout
from pathlib import Path

import nbformat, pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / 'nbs').glob('[0-9]*.ipynb'))
SCRIPT = ROOT / 'tools' / 'make_exercises.py'
_spec = importlib.util.spec_from_file_location('make_exercises', SCRIPT)
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)
BEGIN, END, HINT = tool.BEGIN, tool.END, tool.HINT
EXERCISE = re.compile(r'^###\s+Exercise\s+(\d+)', re.MULTILINE)
ANSWER_LINE = '# Answer (click the bar on the left to show the code)'


def section(nb, title):
    "The cells of the `## title` section of `nb`: from its heading to the next second-level heading."
    starts = [i for i, c in enumerate(nb.cells) if c.cell_type == 'markdown' and c.source.startswith(f'## {title}')]
    if not starts: return []
    cells = []
    for cell in nb.cells[starts[0] + 1:]:
        if cell.cell_type == 'markdown' and re.match(r'##\s', cell.source): break
        cells.append(cell)
    return cells


def practice_cells(nb):
    "The code cells of a notebook's Practice section as (exercise number, source); 0 for the set-up cells."
    cells, number = [], 0
    for cell in section(nb, 'Practice'):
        if cell.cell_type == 'markdown':
            found = EXERCISE.search(cell.source)
            if found: number = int(found.group(1))
        elif 'nbdev_export(' not in cell.source: cells.append((number, cell.source))
    return cells


def practice(path): return practice_cells(nbformat.read(path, as_version=4))


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


def run_cell(src, ns, label):
    "Run one cell's source in the namespace `ns`; return what it printed."
    out = io.StringIO()
    with redirect_stdout(out): exec(compile(src, label, 'exec'), ns)
    return out.getvalue()


def run(cells, upto=None, replace=None, ns=None):
    "Run the Practice cells in one namespace (up to exercise `upto`'s check); `replace` swaps one solution."
    ns = {'__name__': '__practice__'} if ns is None else ns
    out = []
    for i, (n, src) in enumerate(cells):
        if upto is not None and n > upto: break
        if replace and n == replace[0] and BEGIN in src: src = with_answer(src, replace[1])
        out.append(run_cell(src, ns, f'<practice cell {i}, exercise {n}>'))
    return ''.join(out)


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


HALF_WRITTEN = "raise RuntimeError('half-written')"


@pytest.mark.parametrize('path', [p for p in NOTEBOOKS if practice(p)], ids=lambda p: p.stem)
def test_a_check_never_judges_an_old_answer(path):
    "After a right answer, an exercise cell that fails half-way leaves 'no answer yet' (or its error) behind, never the old answer."
    cells = practice(path)
    ns = {'__name__': '__practice__'}
    run(cells, ns=ns)  # every exercise solved once: the old answers are all there
    problems = []
    for i, (n, src) in enumerate(cells):
        if BEGIN not in src: continue
        try: run_cell(with_answer(src, HALF_WRITTEN), ns, f'<exercise {n}, half-written>')
        except RuntimeError as e: assert 'half-written' in str(e)
        check_src = cells[i + 1][1]
        try: out = run_cell(check_src, ns, f'<check of exercise {n}>')
        except Exception as e:  # the check must stop, saying there is no answer, or showing the error itself
            if 'no answer yet' not in str(e) and 'half-written' not in str(e):
                problems.append(f"exercise {n}: the check raised {type(e).__name__}: {e}")
        else: problems.append(f"exercise {n}: the check passed on the previous answer: {out.strip()!r}")
        run_cell(src, ns, f'<exercise {n}, solved again>')  # the later exercises may build on this one
    assert not problems, f"{path.name}: set each answer variable to None above the '# Hint:' line\n" + '\n'.join(problems)


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_questions_code_answers_are_folded(path):
    "Every code cell of Questions hides its source and its output, and its first line gives nothing away."
    nb = nbformat.read(path, as_version=4)
    problems = []
    for cell in section(nb, 'Questions'):
        if cell.cell_type == 'markdown':
            if re.search(r'click its', cell.source): problems.append(f"cell {cell.id}: says 'click its ...'")
            continue
        flags = cell.metadata.get('jupyter', {})
        if not (flags.get('source_hidden') and flags.get('outputs_hidden')):
            problems.append(f"cell {cell.id}: metadata jupyter.source_hidden and outputs_hidden must both be true")
        if cell.source.split('\n', 1)[0].strip() != ANSWER_LINE:
            problems.append(f"cell {cell.id}: the first line must be {ANSWER_LINE!r}")
    assert not problems, f"{path.name}:\n" + '\n'.join(problems)


@pytest.mark.parametrize('path', [p for p in NOTEBOOKS if practice(p)], ids=lambda p: p.stem)
def test_learner_copy_has_stubs_not_solutions(path):
    nb = nbformat.read(path, as_version=4)
    copy = tool.learner_copy(nb)
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


@pytest.mark.parametrize('path', PRACTISED, ids=lambda p: p.stem)
def test_learner_copy_stops_at_the_first_exercise(path, tmp_path, capfd):
    """The copy is the source with the solutions stubbed: the code before Practice is the source's, cell for cell (the
    source itself is tested by nbdev_test), and the copy's Practice, run on its own as nbdev runs a notebook, stops at
    the first exercise with its hint. Running only Practice keeps this cheap without testing less."""
    from nbdev.test import test_nb
    source = nbformat.read(path, as_version=4)
    copy = tool.learner_copy(source)
    def code_before_practice(nb):
        cells = []
        for c in nb.cells:
            if c.cell_type == 'markdown' and c.source.startswith('## Practice'): break
            if c.cell_type == 'code' and 'nbdev_export(' not in c.source: cells.append((c.id, c.source))
        return cells
    assert code_before_practice(copy) == code_before_practice(source), "the copy's lesson differs from the source's"
    assert all(not c.get('outputs') for c in copy.cells if c.cell_type == 'code')
    only_practice = nbformat.v4.new_notebook(metadata=copy.metadata)
    only_practice.cells = [c for c in section(copy, 'Practice') if c.cell_type == 'code']
    assert only_practice.cells, f"{path.name}: no Practice"
    nbformat.write(only_practice, tmp_path / path.name)
    ok, _ = test_nb(tmp_path / path.name, skip_flags=['slow', 'gpu'], basepath=ROOT)
    captured = capfd.readouterr()
    error = captured.err + captured.out  # nbdev writes the failure to the process's stderr, whichever way
    assert not ok, "the copy's Practice ran to the end: its first exercise has no stub"
    assert 'NotImplementedError' in error and 'Exercise 1:' in error, error[-3000:]
    assert error.lstrip().startswith('NotImplementedError'), f"another error came first:\n{error[-3000:]}"


# ---- tools/make_exercises.py: written whole or not at all, never over a source, clear errors ----
def make_exercises(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_copies_are_written_once_unless_forced(tmp_path):
    cmd = ['--dest', tmp_path, NOTEBOOKS[0]]
    assert make_exercises(*cmd).returncode == 0
    copy = tmp_path / NOTEBOOKS[0].name
    copy.write_text(copy.read_text() + '\n')  # the learner's edit
    edited = copy.read_text()
    out = make_exercises(*cmd)
    assert out.returncode == 0 and 'kept 1' in out.stdout and copy.read_text() == edited
    assert make_exercises(*cmd, '--force').returncode == 0
    assert copy.read_text() != edited
    bad = make_exercises('--dest', tmp_path, 'nbs/99_missing.ipynb')
    assert bad.returncode != 0 and '99_missing' in bad.stderr


def test_strip_solutions_keeps_indentation_and_hint():
    src = "def f(x):\n    # Hint: double it\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
    out = tool.strip_solutions(src, 3)
    assert "    raise NotImplementedError('Exercise 3: double it')" in out and 'return 2 * x' not in out
    with pytest.raises(ValueError): tool.strip_solutions("### BEGIN SOLUTION\nx = 1\n", 1)


def test_a_failed_write_leaves_no_copy_behind(tmp_path, monkeypatch):
    "The disk fills up half-way through a copy: no truncated file is left (it would be kept as 'yours' from then on)."
    def half_then_fail(nb, fp, *args, **kwargs):
        if isinstance(fp, (str, os.PathLike)): fp = open(fp, 'w')  # written by name or through a file: either way
        fp.write('{"cells": ['); fp.flush()
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(tool.nbformat, 'write', half_then_fail)
    monkeypatch.setattr(sys, 'argv', ['make_exercises.py', '--dest', str(tmp_path), str(NOTEBOOKS[0])])
    with pytest.raises((OSError, SystemExit)): tool.main()
    assert list(tmp_path.iterdir()) == [], f"left behind: {list(tmp_path.iterdir())}"
    # the same with --force over a learner's copy: their copy stays as it was
    (tmp_path / NOTEBOOKS[0].name).write_text('{"the learner": "work"}')
    monkeypatch.setattr(sys, 'argv', ['make_exercises.py', '--force', '--dest', str(tmp_path), str(NOTEBOOKS[0])])
    with pytest.raises((OSError, SystemExit)): tool.main()
    assert [p.name for p in tmp_path.iterdir()] == [NOTEBOOKS[0].name]
    assert (tmp_path / NOTEBOOKS[0].name).read_text() == '{"the learner": "work"}'


def test_refuses_a_destination_that_would_replace_a_source(tmp_path):
    folder = tmp_path / 'nbs'; folder.mkdir()
    source = folder / NOTEBOOKS[0].name
    source.write_bytes(NOTEBOOKS[0].read_bytes())
    (tmp_path / 'link').symlink_to(folder)
    for dest in (folder, tmp_path / 'link', tmp_path / 'nbs' / '..' / 'nbs'):
        out = make_exercises('--force', '--dest', dest, source)
        assert out.returncode != 0 and 'Traceback' not in out.stderr, out.stderr
        assert source.name in out.stderr and 'source' in out.stderr, out.stderr
        assert source.read_bytes() == NOTEBOOKS[0].read_bytes()


def test_an_unclosed_solution_marker_names_the_notebook_and_the_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell('## Practice'), nbformat.v4.new_markdown_cell('### Exercise 1: x'),
                nbformat.v4.new_code_cell(f'# Hint: one\n{BEGIN}\nx = 1\n')]
    nbformat.write(nb, tmp_path / 'broken.ipynb')
    out = make_exercises('--dest', tmp_path / 'out', tmp_path / 'broken.ipynb')
    assert out.returncode != 0 and 'Traceback' not in out.stderr, out.stderr
    assert 'broken.ipynb' in out.stderr and 'cell 2' in out.stderr and 'exercise 1' in out.stderr.lower(), out.stderr
    assert not (tmp_path / 'out' / 'broken.ipynb').exists()


def test_make_practice_opens_the_first_exercise_notebook_and_passes_lab_args(tmp_path):
    out = subprocess.run(['make', '-n', '-B', 'practice', 'LAB_ARGS=--port=9999 --no-browser'], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    line = next(l for l in out.stdout.splitlines() if 'jupyter lab' in l)
    assert '--port=9999 --no-browser' in line
    url = re.search(r'--LabApp\.default_url=(\S*\$\([^)]*\))', line).group(1)  # /lab/tree/$(ls ... | head -n 1)
    (tmp_path / 'exercises').mkdir()
    for name in ('10_conv_backward.ipynb', '00_core.ipynb', '01_data.ipynb'): (tmp_path / 'exercises' / name).write_text('{}')
    shown = subprocess.run(['sh', '-c', f'echo {url}'], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
    assert shown == '/lab/tree/exercises/00_core.ipynb'
