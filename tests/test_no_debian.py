"""The course on a machine without Debian's dataset package: the data only in the cache, as after a download.

`EXP_DEBIAN_DIR` (read by exp.data, default /usr/share/datasets) points at an empty folder, which hides the
package without root; `EXP_CACHE` holds copies of the four files; `EXP_OFFLINE=1` makes sure nothing is fetched.
The notebooks run with nbdev's test_nb in a subprocess with that environment. 01_data is the notebook that reads
the files by path; 04_init stands for the notebooks that only call get_data.
"""
import os, shutil, subprocess, sys
from pathlib import Path

import pytest

import exp.data as data

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ['01_data', '04_init']


@pytest.fixture(scope='module')
def cache_only(tmp_path_factory):
    "An environment in which the four Fashion-MNIST files are only in a fresh cache, and no Debian folder exists."
    root = tmp_path_factory.mktemp('no-debian')
    found = data.find_files('fashion', offline=True, progress=False)  # wherever this machine has them
    (root/'cache'/'fashion').mkdir(parents=True)
    for path in found.values(): shutil.copy(path, root/'cache'/'fashion'/path.name)
    env = {k: v for k, v in os.environ.items() if k not in ('EXP_DATA', 'EXP_DATA_URL')}
    env.update(EXP_CACHE=str(root/'cache'), EXP_OFFLINE='1', EXP_DEBIAN_DIR=str(root/'no-debian'))
    return root, env


def test_exp_debian_dir_hides_the_package(monkeypatch, tmp_path):
    for var in ('EXP_DATA', 'EXP_DATA_URL'): monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv('EXP_CACHE', str(tmp_path/'empty-cache'))
    monkeypatch.setenv('EXP_DEBIAN_DIR', str(tmp_path/'no-debian'))
    with pytest.raises(FileNotFoundError) as e: data.find_files('fashion', offline=True)
    assert str(tmp_path/'no-debian'/'fashion-mnist') in str(e.value) and data.DEBIAN_DIR not in str(e.value)


def test_exp_debian_dir_moves_the_package(monkeypatch, tmp_path, cache_only):
    "Files in $EXP_DEBIAN_DIR/fashion-mnist are found there, as in /usr/share/datasets/fashion-mnist."
    root, _ = cache_only
    for var in ('EXP_DATA', 'EXP_DATA_URL'): monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv('EXP_CACHE', str(tmp_path/'empty-cache'))
    monkeypatch.setenv('EXP_DEBIAN_DIR', str(root/'cache'))  # its 'fashion' folder is not 'fashion-mnist'
    with pytest.raises(FileNotFoundError): data.find_files('fashion', offline=True)
    shutil.copytree(root/'cache'/'fashion', tmp_path/'debian'/'fashion-mnist')
    monkeypatch.setenv('EXP_DEBIAN_DIR', str(tmp_path/'debian'))
    found = data.find_files('fashion', offline=True)
    assert {p.parent for p in found.values()} == {tmp_path/'debian'/'fashion-mnist'}


def test_files_come_from_the_cache(cache_only):
    root, env = cache_only
    code = "import exp.data as d; print(sorted({str(p.parent) for p in d.find_files().values()}))"
    out = subprocess.run([sys.executable, '-c', code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == str([str(root/'cache'/'fashion')])


RUN = """import sys
from pathlib import Path
from nbdev.test import test_nb
ok, secs = test_nb(Path(sys.argv[1]), skip_flags=['slow', 'gpu'], basepath=Path(sys.argv[2]))
sys.exit(0 if ok else 1)
"""

@pytest.mark.parametrize('name', NOTEBOOKS)
def test_notebook_runs_without_debian(cache_only, name):
    _, env = cache_only
    out = subprocess.run([sys.executable, '-c', RUN, str(ROOT/'nbs'/f'{name}.ipynb'), str(ROOT)],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, (out.stdout + out.stderr)[-5000:]
