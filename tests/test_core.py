"Tests of exp.core: tolerant comparisons, the device choice, moving containers, seeding and timing."
import os, random, subprocess, sys
from collections import OrderedDict, namedtuple
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import exp.core as core

REPO = Path(__file__).resolve().parents[1]

# Float32 tensors of moderate magnitude: a relative perturbation of 1e-4 is far above float32 rounding.
finite = st.floats(-1e6, 1e6, allow_nan=False, width=32)
float_arrays = arrays(np.float32, array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=6), elements=finite)


# ---- test_near ----
@pytest.mark.parametrize('a,b', [
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0005, 2.001])),  # within 1e-3 * (1 + |b|)
    (np.array([1.0, 2.0]), np.array([1.0, 2.0])),
    (3.0, 3.0005),
    (torch.tensor([0.0, 1.0]), np.array([0.0009, 1.0])),         # near 0 the tolerance is absolute
    (torch.ones(3, 4), 1.0),                                     # broadcasting a number
    (torch.arange(5), torch.arange(5.0)),                        # ints against floats
])
def test_near_passes(a, b): core.test_near(a, b)

@pytest.mark.parametrize('a,b', [
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.01])),
    (np.array([0.0]), np.array([0.002])),
    (3.0, 3.01),
    (torch.zeros(3), torch.ones(3)),
])
def test_near_fails(a, b):
    with pytest.raises(AssertionError, match='not near'): core.test_near(a, b)

def test_near_tol():
    core.test_near(1.0, 1.05, tol=0.1)
    with pytest.raises(AssertionError, match='tol=0.01'): core.test_near(1.0, 1.05, tol=0.01)

def test_near_message_small_shows_both():
    with pytest.raises(AssertionError) as e: core.test_near(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5]))
    msg = str(e.value)
    assert '[1.0, 2.0]' in msg and '[1.0, 2.5]' in msg

def test_near_message_large_shows_largest_difference():
    a = torch.zeros(100)
    b = a.clone(); b[17] = 0.75; b[3] = 0.25
    with pytest.raises(AssertionError) as e: core.test_near(a, b)
    msg = str(e.value)
    assert 'largest difference 0.75' in msg and '2 of 100' in msg
    assert len(msg) < 200  # no dump of the values

def test_near_shape_mismatch():
    with pytest.raises(AssertionError, match=r'shapes differ: \(2,\) vs \(3,\)'): core.test_near(torch.ones(2), torch.ones(3))

@pytest.mark.parametrize('a,b', [
    (float('nan'), float('nan')),
    (torch.tensor([1.0, float('nan')]), torch.tensor([1.0, float('nan')])),
    (np.array([1.0, 2.0]), np.array([1.0, np.nan])),
    (torch.full((50,), float('nan')), torch.zeros(50)),  # large input: the message path with nan
])
def test_near_nan_never_near(a, b):
    with pytest.raises(AssertionError): core.test_near(a, b)

def test_near_keeps_inputs_untouched():
    a = torch.ones(3, requires_grad=True)
    core.test_near(a * 2, torch.full((3,), 2.0))  # works on tensors that need grad
    assert a.dtype == torch.float32 and a.device.type == 'cpu'

@settings(deadline=None, max_examples=50)
@given(x=float_arrays, u=st.floats(-1, 1))
def test_near_perturbed_property(x, u):
    t = torch.from_numpy(x)
    core.test_near(t, t)
    core.test_near(t, t + 1e-4 * u * (1 + t.abs()))  # well inside the tolerance
    bad = t.clone().flatten()
    bad[0] += 3e-3 * (1 + bad[0].abs())              # well outside it, in one element
    with pytest.raises(AssertionError): core.test_near(t, bad.reshape(t.shape))


# ---- test_near_zero ----
@pytest.mark.parametrize('a', [torch.zeros(3), np.array([1e-4, -1e-4]), 0.0, -0.0009, torch.full((2, 2), 5e-4)])
def test_near_zero_passes(a): core.test_near_zero(a)

@pytest.mark.parametrize('a', [torch.tensor([0.0, 0.1]), np.array([-0.002]), 1.0, float('nan'),
                               torch.tensor([0.0, float('nan')]), float('inf')])
def test_near_zero_fails(a):
    with pytest.raises(AssertionError, match='not near zero'): core.test_near_zero(a)

def test_near_zero_message_and_tol():
    with pytest.raises(AssertionError, match='largest magnitude 0.5'): core.test_near_zero(torch.tensor([0.1, -0.5, 0.2]))
    core.test_near_zero(torch.tensor([0.1, -0.5]), tol=0.6)

def test_near_zero_empty(): core.test_near_zero(torch.tensor([]))

@settings(deadline=None, max_examples=50)
@given(x=float_arrays)
def test_near_zero_property(x):
    t = torch.from_numpy(x)
    core.test_near_zero(t - t)
    core.test_near_zero(t * 1e-10, tol=1e-3)  # |t| <= 1e6, so at most 1e-4
    if t.abs().max() > 1e-3:
        with pytest.raises(AssertionError): core.test_near_zero(t)


# ---- get_device / def_device ----
@pytest.mark.parametrize('name', ['meta', 'cpu', ' meta '])
def test_get_device_env(monkeypatch, name):
    monkeypatch.setenv('EXP_DEVICE', name)
    assert core.get_device() == torch.device(name.strip())

def test_get_device_default(monkeypatch):
    monkeypatch.delenv('EXP_DEVICE', raising=False)
    dev = core.get_device()
    assert isinstance(dev, torch.device) and dev.type in ('cpu', 'cuda', 'mps')
    if not torch.cuda.is_available() and not torch.backends.mps.is_available(): assert dev.type == 'cpu'
    monkeypatch.setenv('EXP_DEVICE', '')  # empty means unset
    assert core.get_device() == dev

def test_get_device_bogus(monkeypatch):
    monkeypatch.setenv('EXP_DEVICE', 'bogus9')
    with pytest.raises(ValueError, match="EXP_DEVICE='bogus9'"): core.get_device()

def test_def_device_is_a_device(): assert isinstance(core.def_device, torch.device)

def test_def_device_reads_env_at_import():
    env = {**os.environ, 'EXP_DEVICE': 'meta'}
    out = subprocess.run([sys.executable, '-c', 'import exp.core as c; print(c.def_device)'],
                         env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'meta'


# ---- to_device ----
Pair = namedtuple('Pair', 'a b')

def test_to_device_nested():
    x = {'t': torch.ones(2), 'l': [torch.zeros(1), 3, 'text', (torch.arange(3), None)],
         'p': Pair(torch.ones(1), 2.5), 'o': OrderedDict(k=torch.ones(2, 2))}
    y = core.to_device(x, 'meta')
    assert type(y) is dict and type(y['l']) is list and type(y['l'][3]) is tuple
    assert type(y['p']) is Pair and type(y['o']) is OrderedDict
    for t in (y['t'], y['l'][0], y['l'][3][0], y['p'].a, y['o']['k']): assert t.device.type == 'meta'
    assert y['l'][1] == 3 and y['l'][2] == 'text' and y['l'][3][1] is None and y['p'].b == 2.5
    assert y['t'].shape == (2,) and y['o']['k'].shape == (2, 2) and y['l'][3][0].dtype == torch.int64
    assert x['t'].device.type == 'cpu'  # the input is not changed

@pytest.mark.parametrize('x', [3, 2.5, 'abc', None, np.ones(2)])
def test_to_device_leaves_other_values(x): assert core.to_device(x, 'meta') is x

def test_to_device_accepts_torch_device():
    assert core.to_device([torch.ones(1)], torch.device('meta'))[0].is_meta
    assert core.to_device(torch.ones(1), 'cpu').device.type == 'cpu'


# ---- set_seed ----
def _draws(): return random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist()

def test_set_seed_reproducible():
    core.set_seed(123); first = _draws()
    core.set_seed(123); again = _draws()
    core.set_seed(124); other = _draws()
    assert first == again
    assert all(f != o for f, o in zip(first, other))

def test_set_seed_default():
    core.set_seed(); a = _draws()
    core.set_seed(42); b = _draws()
    assert a == b


# ---- bench ----
def test_bench_timing():
    calls = []
    res = core.bench(lambda x, y: calls.append((x, y)), 1, 2, n=7, warmup=3)
    assert isinstance(res, core.Timing) and res._fields == ('median', 'min', 'max', 'times')
    assert len(calls) == 10 and calls[0] == (1, 2)
    assert len(res.times) == 7 and res[0] == res.median
    assert 0 <= res.min <= res.median <= res.max
    assert res.min == min(res.times) and res.max == max(res.times)

def test_bench_defaults_and_no_warmup():
    calls = []
    res = core.bench(lambda: calls.append(1))
    assert len(calls) == 6 and len(res.times) == 5
    calls.clear()
    core.bench(lambda: calls.append(1), n=1, warmup=0)
    assert len(calls) == 1

def test_bench_measures_time():
    import time
    res = core.bench(time.sleep, 0.01, n=2, warmup=0)
    assert res.min >= 0.009

@pytest.mark.parametrize('n', [0, -1])
def test_bench_rejects_n(n):
    calls = []
    with pytest.raises(ValueError, match=f'n={n}'): core.bench(lambda: calls.append(1), n=n)
    assert calls == []


# ---- hardening: infinities, shapes that only broadcast, unavailable devices ----
INF = float('inf')

@pytest.mark.parametrize('a,b', [
    (1.0, INF), (-INF, INF), (INF, -INF), (1e300, INF),
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, INF])),
    (torch.zeros(50), torch.cat([torch.zeros(49), torch.tensor([INF])])),  # the large-message path
])
def test_near_infinity_is_near_only_itself(a, b):
    with pytest.raises(AssertionError): core.test_near(a, b)

@pytest.mark.parametrize('a,b', [(INF, INF), (-INF, -INF), (torch.tensor([1.0, INF]), torch.tensor([1.0, INF]))])
def test_near_equal_infinities_pass(a, b): core.test_near(a, b)

@pytest.mark.parametrize('a,b', [(torch.ones(5, 1), torch.ones(5)), (torch.ones(1, 3), torch.ones(3)),
                                 (torch.ones(3), torch.ones(1)), (np.ones((2, 1)), np.ones((1, 2)))])
def test_near_refuses_shapes_that_only_broadcast(a, b):
    with pytest.raises(AssertionError, match='shapes differ'): core.test_near(a, b)

def test_near_message_says_where():
    a = torch.zeros(4, 5); b = a.clone(); b[2, 3] = 1.0
    with pytest.raises(AssertionError, match=r'at index \(2, 3\)'): core.test_near(a, b)

@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a machine without CUDA')
@pytest.mark.parametrize('name', ['cuda', 'cuda:0'])
def test_get_device_refuses_missing_cuda(monkeypatch, name):
    monkeypatch.setenv('EXP_DEVICE', name)
    with pytest.raises(ValueError, match='no cuda'): core.get_device()

def test_get_device_refuses_missing_mps(monkeypatch):
    mps = getattr(torch.backends, 'mps', None)
    if mps is not None and mps.is_available(): pytest.skip('this machine has mps')
    monkeypatch.setenv('EXP_DEVICE', 'mps')
    with pytest.raises(ValueError, match='no mps'): core.get_device()

def test_import_fails_at_once_on_a_missing_device():
    if torch.cuda.is_available(): pytest.skip('this machine has CUDA')
    env = {**os.environ, 'EXP_DEVICE': 'cuda'}
    out = subprocess.run([sys.executable, '-c', 'import exp.core'], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "EXP_DEVICE='cuda'" in out.stderr


# ---- num_threads ----
def test_num_threads_restores_even_on_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with core.num_threads(1):
            assert torch.get_num_threads() == 1
            raise RuntimeError('boom')
    assert torch.get_num_threads() == before


# ---- check: the exercises' helper ----
def check_message(got, expected, **kw):
    with pytest.raises(AssertionError) as e: core.check(got, expected, 'x', **kw)
    return str(e.value)

def test_check_prints_exact_and_close(capsys):
    m = torch.randn(3, 4)
    core.check(m.clone(), m, 'm')
    core.check(m + 1e-7, m, 'm')
    core.check(np.ones(3), np.ones(3), 'arr')
    core.check((3, 4), torch.Size([3, 4]), 'shape')
    out = capsys.readouterr().out.splitlines()
    assert out[0] == 'm: exact' and out[1].startswith('m: close (max difference') and out[2:] == ['arr: exact', 'shape: exact']

@pytest.mark.parametrize('got,fragment', [
    (None, 'no answer yet'), (..., 'no answer yet'),
    ([[1.0] * 4] * 3, 'should be a tensor of shape (3, 4), got a list'),
    (np.zeros((3, 4), dtype=np.float32), 'got a NumPy array'),
    (torch.zeros(4, 3), 'has shape (4, 3), expected (3, 4) (transposed?)'),
    (torch.zeros(12), 'missing reshape or squeeze'),
    (torch.zeros(3, 3, 4), 'a dimension still to sum over'),
    (torch.zeros(3, 4, dtype=torch.float64), 'has dtype torch.float64, expected torch.float32'),
    (torch.zeros(3, 4, device='meta'), 'is on device meta, expected cpu'),
])
def test_check_names_the_first_problem(got, fragment):
    assert fragment in check_message(got, torch.zeros(3, 4))

def test_check_counts_and_locates_differences():
    expected = torch.zeros(4, 5); got = expected.clone(); got[1, 2] = 0.5; got[3, 0] = -2.0
    msg = check_message(got, expected)
    assert '2 of 20 elements differ' in msg and 'largest difference is 2 at index (3, 0)' in msg and 'got -2, expected 0' in msg

def test_check_reports_nan_and_infinities():
    assert '1 of yours are nan' in check_message(torch.tensor([1.0, float('nan')]), torch.tensor([1.0, 2.0]))
    assert 'differ' in check_message(torch.tensor([1.0, 5.0]), torch.tensor([1.0, INF]))
    core.check(torch.tensor([INF, float('nan')]), torch.tensor([INF, float('nan')]))

def test_check_tolerance():
    core.check(1.0 + 1e-6, 1.0)
    core.check(torch.tensor([1.0]), torch.tensor([1.05]), tol=0.1)
    assert 'more than tol=0.01' in check_message(torch.tensor(1.0), torch.tensor(1.05), tol=0.01)
    assert 'not right' in check_message(1.0, 1.05, tol=0.01)
    with pytest.raises(ValueError, match='tol'): core.check(1.0, 1.0, tol=-1)

@pytest.mark.parametrize('got,expected,fragment', [
    (torch.tensor(2.5), 2.5, '`.item()`'),
    ([3, 4], (3, 4), 'should be a tuple, got a list'),
    ((3, 4), [3, 4], 'should be a list, got a tuple'),
    (torch.tensor(True), True, 'should be a bool'),
    ((torch.ones(2), 3), (torch.ones(2), 4), 'x[1] is not right (you gave 3)'),
    ((torch.ones(2), torch.zeros(2)), (torch.ones(2), torch.ones(2)), 'x[1]: 2 of 2 elements differ'),
    ([torch.ones(1)], (torch.ones(1),), 'should be a tuple of 1 items, got a list of 1'),
])
def test_check_plain_answers(got, expected, fragment):
    assert fragment in check_message(got, expected)

@pytest.mark.parametrize('got,expected', [(3, 2.5), ((4, 3), (3, 4)), ((4, 3), torch.Size([3, 4])), ('column', 'row'),
                                          (False, True), (True, 1), (1, True), (12345, 12346), (1 + 2j, 1 + 3j)])
def test_check_plain_wrong_answers_do_not_give_the_answer_away(got, expected):
    msg = check_message(got, expected)
    shown = repr(tuple(expected) if isinstance(expected, torch.Size) else expected)
    assert msg.startswith(f'x is not right (you gave {got!r})') and 'reveal=True' in msg
    assert shown not in msg.replace(f'you gave {got!r}', '').replace('reveal=True', '')
    assert check_message(got, expected, hint='count the rows').startswith(f'x is not right (you gave {got!r}): count the rows')
    assert check_message(got, expected, reveal=True) == f'x is {got!r}, expected {shown}'

def test_check_hint_follows_array_messages():
    assert check_message(torch.zeros(2, 3), torch.zeros(3, 2), hint='rows first').endswith('(transposed?)\nHint: rows first')

def test_check_failed_is_an_assertion_that_renders_as_its_message():
    with pytest.raises(core.CheckFailed) as e: core.check(torch.zeros(3), torch.ones(3), 'v', hint='look again')
    assert isinstance(e.value, AssertionError)
    assert e.value._render_traceback_() == str(e.value).splitlines() and e.value._render_traceback_()[-1] == 'Hint: look again'

def test_check_failed_outside_ipython_is_an_ordinary_traceback():
    code = 'import torch; from exp.core import check; check(torch.zeros(2), torch.ones(2), "v")'
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and out.stderr.startswith('Traceback') and 'exp.core.CheckFailed: v: 2 of 2 elements differ' in out.stderr

def test_check_failed_in_ipython_shows_only_the_message():
    code = ('from IPython.testing.globalipapp import start_ipython; ip = start_ipython(); '
            'ip.run_cell("import torch; from exp.core import check"); '
            'ip.run_cell("check(torch.zeros(2), torch.ones(2), \'v\')")')
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True, timeout=120)
    text = out.stdout + out.stderr
    assert 'v: 2 of 2 elements differ' in text, text
    assert 'Traceback' not in text and 'core.py' not in text and '_check_values' not in text, text


# ---- check never calls different values exact or close (issue 23) ----
BIG = 2**53

@pytest.mark.parametrize('got,expected', [
    (torch.tensor([1 + 2j]), torch.tensor([1 + 3j])),                       # only the imaginary parts differ
    (torch.tensor([1 + 2j], dtype=torch.complex128), torch.tensor([1 + 2.5j], dtype=torch.complex128)),
    (np.array([1 + 2j]), np.array([1 + 3j])),
    (torch.tensor([BIG + 1]), torch.tensor([BIG])),                          # int64 beyond 2**53
    (torch.tensor(BIG + 1), torch.tensor(BIG)),
    (np.array([2**62 + 1]), np.array([2**62])),
    (torch.tensor([2**62 + 1, 5]), torch.tensor([2**62, 5])),
    (torch.tensor([1, 2], dtype=torch.uint8), torch.tensor([1, 3], dtype=torch.uint8)),
    (torch.tensor([True, False]), torch.tensor([True, True])),
    (torch.tensor([100000, 0], dtype=torch.int32), torch.tensor([100001, 0], dtype=torch.int32)),  # integers: no tolerance
])
def test_check_never_calls_different_arrays_equal(got, expected, capsys):
    with pytest.raises(core.CheckFailed, match='differ'): core.check(got, expected, 'x')
    assert 'exact' not in capsys.readouterr().out

@pytest.mark.parametrize('got,expected', [
    (BIG + 1, BIG), (2**80 + 1, 2**80), (np.int64(BIG + 1), BIG), (1 + 2j, 1 + 3j), (2j, 3j),
    ((BIG + 1, 2), (BIG, 2)), (np.uint64(2**64 - 1), 2**64 - 2),
])
def test_check_never_calls_different_numbers_equal(got, expected, capsys):
    with pytest.raises(core.CheckFailed, match='not right'): core.check(got, expected, 'x')
    assert 'exact' not in capsys.readouterr().out and 'close' not in capsys.readouterr().out

def test_check_integers_compare_exactly_and_report_the_difference_in_full():
    msg = check_message(torch.tensor([BIG + 3, 0]), torch.tensor([BIG, 0]))
    assert f'got {BIG + 3}, expected {BIG}' in msg and 'tol' not in msg
    assert check_message(torch.tensor(BIG + 1), torch.tensor(BIG)) == f'x differs by 1 (got {BIG + 1}, expected {BIG})'

def test_check_complex_and_big_values_that_agree(capsys):
    core.check(torch.tensor([1 + 2j]), torch.tensor([1 + 2j]))
    core.check(torch.tensor([1 + 2j]), torch.tensor([1 + 2j]) + 1e-6j)
    core.check(torch.tensor([BIG + 1]), torch.tensor([BIG + 1]))
    core.check(BIG + 1, BIG + 1); core.check(1 + 2j, 1 + 2j); core.check(np.int64(7), 7)
    core.check(BIG + 1, float(BIG))  # a float answer is compared with the tolerance, exactly computed
    out = capsys.readouterr().out.splitlines()
    assert out[0] == 'your answer: exact' and out[1].startswith('your answer: close') and out[2:6] == ['your answer: exact'] * 4
    assert out[6] == 'your answer: close (max difference 1.0e+00)'

@pytest.mark.parametrize('a,b', [(BIG + 1, BIG), (torch.tensor([BIG + 1]), torch.tensor([BIG])),
                                 (np.array([2**62 + 1]), np.array([2**62])), (2**80, 2**80 + 1)])
def test_near_integers_beyond_2_53_with_zero_tolerance(a, b):
    with pytest.raises(AssertionError, match='not near'): core.test_near(a, b, tol=0)

@pytest.mark.parametrize('a,b', [(torch.tensor([1 + 2j]), torch.tensor([1 + 3j])), (np.array([2j]), np.array([0j])), (1 + 1j, 1 - 1j)])
def test_near_complex_compares_imaginary_parts(a, b):
    with pytest.raises(AssertionError, match='not near'): core.test_near(a, b)

def test_near_complex_and_integers_that_agree():
    core.test_near(torch.tensor([1 + 2j]), torch.tensor([1 + 2j + 1e-6j])); core.test_near(BIG + 1, BIG + 1, tol=0)
    core.test_near(torch.tensor([BIG + 1]), torch.tensor([BIG + 1]), tol=0)
    with pytest.raises(AssertionError): core.test_near_zero(torch.tensor([2j]))
    with pytest.raises(AssertionError): core.test_near_zero(np.array([BIG + 1]), tol=BIG)

def test_check_plain_answers_that_pass(capsys):
    core.check((3, 4), torch.Size([3, 4])); core.check(' Row ', 'row'); core.check(2, 2.0); core.check(True, True)
    assert capsys.readouterr().out.count('exact') == 4

def test_check_meta_tensors_compare_shape_dtype_device(capsys):
    core.check(torch.ones(2, 3, device='meta'), torch.zeros(2, 3, device='meta'))
    assert 'meta tensors hold no values' in capsys.readouterr().out
    assert 'shape' in check_message(torch.ones(3, 2, device='meta'), torch.zeros(2, 3, device='meta'))

@settings(deadline=None, max_examples=50)
@given(x=float_arrays, i=st.integers(0, 10**6), delta=st.floats(0.01, 1e3))
def test_check_fails_on_any_single_changed_element(x, i, delta):
    t = torch.from_numpy(x)
    if t.numel() == 0: return
    wrong = t.clone().flatten(); wrong[i % wrong.numel()] += delta * (1 + abs(wrong[i % wrong.numel()].item()))
    with pytest.raises(AssertionError, match='differ'): core.check(wrong.reshape(t.shape), t)


# ---- memory_use / peak_memory (moved here from exp.refactor; documented profiler output only) ----
def _alloc_free_alloc(): a = torch.empty(250_000); del a; b = torch.empty(500_000)  # 1 MB, freed, then 2 MB, freed on return
def _alloc_keep(): a = torch.empty(250_000); del a; return torch.empty(500_000)     # the 2 MB are returned

def test_memory_use_and_peak_memory_on_cpu():
    assert core.peak_memory(_alloc_free_alloc, device='cpu') == 2_000_000
    assert core.memory_use(_alloc_free_alloc, device='cpu') == core.MemoryUse(2_000_000, 0)
    assert core.memory_use(_alloc_keep, device='cpu') == (2_000_000, 2_000_000)
    assert core.memory_use(lambda n: torch.empty(n), 1000, device='cpu').held == 4000  # args are passed on
    assert core.memory_use(lambda: None, device='cpu') == (0, 0)

def test_peak_memory_sees_temporaries_freed_inside_the_call():
    x = torch.randn(100_000)
    assert core.peak_memory(lambda: (x * 2).neg().sum(), device='cpu') >= 800_000  # x * 2 and its negation at once

def test_memory_use_of_a_backward_pass_holds_the_new_gradients():
    w = torch.randn(300, 200, requires_grad=True); x = torch.randn(64, 300)
    use = core.memory_use(lambda: (x @ w).relu().sum().backward(), device='cpu')
    assert use.held == w.numel() * 4 and use.peak >= 64 * 200 * 4 + w.numel() * 4

@pytest.mark.parametrize('device', ['meta', 'mps'])
def test_memory_use_refuses_other_devices(device):
    with pytest.raises(ValueError, match=device): core.peak_memory(_alloc_free_alloc, device=device)

def test_memory_use_still_importable_from_refactor():
    from exp.refactor import memory_use, peak_memory
    assert memory_use(_alloc_keep, device='cpu') == (2_000_000, 2_000_000) and peak_memory(_alloc_keep, device='cpu') == 2_000_000

def test_memory_tools_use_no_profiler_internals():
    source = Path(core.__file__).read_text()
    assert 'kineto' not in source and '_C.' not in source and 'prof.profiler' not in source

def test_quiet_stderr_restores_the_stream_even_on_error():
    import os
    before = os.fstat(2)
    with pytest.raises(RuntimeError):
        with core.quiet_stderr(): raise RuntimeError('boom')
    assert os.fstat(2).st_ino == before.st_ino


# ---- to_device keeps every container of the standard library (issue 23) ----
def test_to_device_rebuilds_stdlib_containers():
    from collections import ChainMap, Counter, UserDict, UserList, defaultdict, deque
    x = {'dd': defaultdict(list, a=[torch.ones(1)]), 'od': OrderedDict([('z', torch.ones(1)), ('a', torch.zeros(1))]),
         'pair': Pair(torch.ones(2), (torch.zeros(1), 'k')), 'dq': deque([torch.ones(1)], maxlen=4),
         'ud': UserDict(t=torch.ones(1)), 'ul': UserList([torch.ones(1)]), 'cm': ChainMap({'t': torch.ones(1)}),
         'counts': Counter(a=2), 'fs': frozenset({1, 2})}
    y = core.to_device(x, 'meta')
    assert type(y['dd']) is defaultdict and y['dd'].default_factory is list and y['dd']['a'][0].is_meta
    assert y['dd']['missing'] == []  # still a defaultdict(list)
    assert type(y['od']) is OrderedDict and list(y['od']) == ['z', 'a'] and y['od']['a'].is_meta
    assert type(y['pair']) is Pair and y['pair'].a.is_meta and y['pair'].b[0].is_meta and y['pair'].b[1] == 'k'
    assert type(y['dq']) is deque and y['dq'].maxlen == 4 and y['dq'][0].is_meta
    assert type(y['ud']) is UserDict and y['ud']['t'].is_meta and type(y['ul']) is UserList and y['ul'][0].is_meta
    assert type(y['cm']) is ChainMap and y['cm']['t'].is_meta
    assert y['counts'] == Counter(a=2) and y['fs'] == frozenset({1, 2})
    assert x['dd']['a'][0].device.type == 'cpu'  # the input is not changed


# ---- bench reports the median, not the mean (issue 23: a planted bug no test caught) ----
def test_bench_reports_the_median_not_the_mean(monkeypatch):
    clock = [0.0]
    durations = iter([0.5, 1.0, 1.0, 10.0, 1.0, 2.0])  # the warm-up call, then five timed ones with one outlier
    monkeypatch.setattr(core.time, 'perf_counter', lambda: clock[0])
    def work(): clock[0] += next(durations)
    res = core.bench(work, n=5, warmup=1)
    assert res.times == [1.0, 1.0, 10.0, 1.0, 2.0]
    assert res.median == 1.0 and res.min == 1.0 and res.max == 10.0  # the mean would be 3.0
