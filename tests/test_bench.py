"Tests of the benchmark's bookkeeping (bench/run.py): rows, targets, formatting. No timing is asserted here."
import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location('bench_run', Path(__file__).parents[1] / 'bench' / 'run.py')
br = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(br)


def test_row_ratio_and_target():
    r = br.row('g', 'faster', 2., 4., 's', 1.0)
    assert r['ratio'] == 0.5 and r['met'] is True
    assert br.row('g', 'slower', 5., 4., 's', 1.0)['met'] is False
    assert br.row('g', 'no target', 5., 4., 's')['met'] is None
    assert br.row('g', 'given ratio', 5., 4., 's', 1.0, ratio=0.9)['met'] is True


@pytest.mark.parametrize('value, unit, text', [(5.7e-6, 's', '5.7 µs'), (0.0535, 's', '53.5 ms'), (66.8, 's', '66.8 s'),
                                               (159.2 * 2**20, 'bytes', '159.2 MiB'), (225.4, 'GFLOP/s', '225 GFLOP/s')])
def test_fmt_units(value, unit, text):
    assert br.fmt(value, unit) == text


def test_fmt_ratio():
    assert br.fmt_ratio(47679.2) == '47,679x' and br.fmt_ratio(50.75) == '50.8x' and br.fmt_ratio(0.6444) == '0.644x'


def test_markdown_groups_rows_and_marks_misses():
    rows = [br.row('first', 'a', 1., 2., 's', 1.0), br.row('first', 'b', 3., 2., 's', 1.0), br.row('second', 'c', 1., 1., 'bytes')]
    text = br.markdown({'cpu': 'test', 'gpu': None}, rows)
    lines = text.splitlines()
    assert '- cpu: test' in lines and not any('gpu' in l for l in lines)
    assert sum(l.startswith('| **') for l in lines) == 2
    assert any(l.startswith('| b |') and l.endswith('| **no** |') for l in lines)
    assert any(l.startswith('| a |') and l.endswith('| yes |') for l in lines)


def test_slowest_names_notebooks_only_in_order():
    rows = [br.row('c', '01_data.ipynb', 2., 10., 's'), br.row('c', '08_conv.ipynb', 5., 10., 's'),
            br.row('c', '06_refactor.ipynb', 3., 10., 's'), br.row('c', 'all notebooks', 10., 900., 's', 1.0)]
    assert br.slowest(rows, k=2) == ['08_conv.ipynb (5 s)', '06_refactor.ipynb (3 s)']


class _TinyContext:
    "A stand-in for the benchmark's Context: one round of timing, 32 random images in place of the validation set."
    rounds = 1
    def __init__(self):
        import torch
        gen = torch.Generator().manual_seed(0)
        self.data = (None, None, torch.randn(32, 784, generator=gen), None)


def test_cnn_groups_keep_their_rows_and_targets():
    ctx = _TinyContext()
    before = br.conv_vs_reference(ctx)  # notebook 08's group, now built by cnn_rows: three rows, no targets
    assert [r['name'] for r in before] == ['time, forward (no autograd)', 'time, forward + backward', 'peak memory, forward + backward']
    assert all(r['target'] is None and r['met'] is None for r in before)
    assert br.conv_backward_vs_reference in br.ROW_GROUPS
    rows = br.conv_backward_vs_reference(ctx)
    groups = list(dict.fromkeys(r['group'] for r in rows))
    assert len(rows) == 3 * len(groups) == 3 * len(br.CONV_BACKWARD_VERSIONS)
    offsets = [r for r in rows if 'conv2d_offsets' in r['group']]
    assert [(r['unit'], r['target']) for r in offsets] == [('s', 1.5), ('s', 2.0), ('bytes', 1.0)]
    assert all(r['met'] in (True, False) for r in offsets)
    assert all(r['target'] is None for r in rows if r not in offsets)
    assert all(r['ours'] > 0 and r['reference'] > 0 for r in rows)
