"What the Makefile asks of the machine: the PyTorch index switch and JupyterLab as root (dry runs only)."
import os, subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def dry_run(*args):
    out = subprocess.run(['make', '-n', '-B', *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_torch_index_reaches_pip_for_torch_only():
    lines = dry_run('.venv/.installed', 'TORCH_INDEX=https://download.pytorch.org/whl/cpu').splitlines()
    torch_line = next(l for l in lines if '"torch==2.13.0"' in l)
    assert '--index-url https://download.pytorch.org/whl/cpu' in torch_line
    assert not any('--index-url' in l for l in lines if 'constraints.txt' in l)


def test_no_torch_index_by_default():
    assert '--index-url' not in dry_run('.venv/.installed')


def test_lab_and_practice_allow_root_only_for_root():
    for target, folder in [('lab', 'nbs'), ('practice', 'exercises')]:
        line = next(l for l in dry_run(target).splitlines() if 'jupyter lab' in l)
        assert line.endswith(folder)
        assert ('--allow-root' in line) == (os.geteuid() == 0)


def test_exercises_force_flag():
    assert '--force' not in dry_run('exercises')
    assert '--force' in dry_run('exercises', 'FORCE=1')
