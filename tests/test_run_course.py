"Tests of tools/run_course.py: notebooks named as the README writes them, and every name checked before anything runs."
import importlib.util, json, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / 'tools' / 'run_course.py'
_spec = importlib.util.spec_from_file_location('run_course', SCRIPT)
rc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rc)
NBS = ROOT / 'nbs'


@pytest.mark.parametrize('name', ['03_broadcasting', '03_broadcasting.ipynb', 'nbs/03_broadcasting.ipynb',
                                  str(NBS / '03_broadcasting.ipynb')])
def test_every_way_of_naming_a_notebook(monkeypatch, name):
    monkeypatch.chdir(ROOT)
    assert rc.resolve([name], NBS) == ([NBS / '03_broadcasting.ipynb'], [])


def test_names_resolve_from_any_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert rc.resolve(['00_core', '01_data.ipynb'], NBS) == ([NBS / '00_core.ipynb', NBS / '01_data.ipynb'], [])


def test_unknown_names_are_reported_in_order():
    found, unknown = rc.resolve(['00_core', 'missing', 'nbs/missing.ipynb', 'nbs', '01_data'], NBS)
    assert found == [NBS / '00_core.ipynb', NBS / '01_data.ipynb']
    assert unknown == ['missing', 'nbs/missing.ipynb', 'nbs']


def test_no_names_means_every_numbered_notebook():
    found, unknown = rc.resolve([], NBS)
    assert unknown == [] and found == sorted(NBS.glob('[0-9]*.ipynb')) and found[0].name == '00_core.ipynb'


def test_unknown_name_stops_before_running_anything(tmp_path):
    "The tracker's case: a good notebook, then a missing one. Nothing runs; one line on stderr; exit code 2; no JSON."
    out = tmp_path / 'results.json'
    res = subprocess.run([sys.executable, str(SCRIPT), 'nbs/00_core.ipynb', 'nbs/missing.ipynb', '--json', str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 2, res.stderr[-2000:]
    assert res.stdout == ''  # 00_core did not run
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "'nbs/missing.ipynb'" in lines[0] and 'Traceback' not in res.stderr
    assert '00_core' in lines[0] and '03_broadcasting' in lines[0]  # the names it knows, to pick from
    assert not out.exists()


def tiny_notebook(path, code):
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize('code, passed', [('assert 1 + 1 == 2', True), ('assert 1 + 1 == 3', False)])
def test_runs_and_writes_json(tmp_path, code, passed):
    nb = tiny_notebook(tmp_path / 'tiny.ipynb', code)
    out = tmp_path / 'results.json'
    res = subprocess.run([sys.executable, str(SCRIPT), str(nb), '--json', str(out)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == (0 if passed else 1), res.stdout[-2000:] + res.stderr[-2000:]
    assert f'{int(passed)} of 1 notebooks passed' in res.stdout
    results = json.loads(out.read_text())
    assert [r['notebook'] for r in results] == ['tiny.ipynb'] and results[0]['passed'] is passed


def test_a_notebook_that_is_not_json_fails_alone(tmp_path):
    "A corrupt notebook is reported failed with its name, and the notebooks after it still run."
    bad = tmp_path / 'a_broken.ipynb'
    bad.write_text('{"cells": [ this is not JSON')
    good = tiny_notebook(tmp_path / 'b_good.ipynb', 'assert 1 + 1 == 2')
    out = tmp_path / 'results.json'
    res = subprocess.run([sys.executable, str(SCRIPT), str(bad), str(good), '--json', str(out)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == 1, res.stdout[-2000:] + res.stderr[-2000:]
    assert 'Traceback' not in res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert any('a_broken.ipynb' in l and 'FAILED' in l for l in lines), res.stdout
    assert any('b_good.ipynb' in l and 'passed' in l for l in lines), res.stdout
    assert '1 of 2 notebooks passed' in res.stdout and 'failed: a_broken.ipynb' in res.stdout
    assert [(r['notebook'], r['passed']) for r in json.loads(out.read_text())] == [('a_broken.ipynb', False), ('b_good.ipynb', True)]
