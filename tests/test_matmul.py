"Tests of exp.matmul: the loop matmuls against `@`, their shape checks, dtypes and devices."
import pytest
import torch
from hypothesis import given, settings, strategies as st

import exp.matmul as mm

# float32 sums of at most a few dozen products of N(0, 1) numbers, added in a different order than
# `@` adds them: rounding errors stay near 1e-6, far below these tolerances.
TOL = {torch.float32: dict(rtol=1e-4, atol=1e-4), torch.float64: dict(rtol=1e-10, atol=1e-10)}
dtypes = st.sampled_from([torch.float32, torch.float64])


def operands(n, k, m, dtype, seed, transposed=False):
    "Random `(n, k)` and `(k, m)` tensors; `b` optionally a transposed (non-contiguous) view."
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, k, generator=g, dtype=dtype)
    b = torch.randn(m, k, generator=g, dtype=dtype).t() if transposed else torch.randn(k, m, generator=g, dtype=dtype)
    return a, b


def check_against_matmul(f, n, k, m, dtype, seed, transposed):
    a, b = operands(n, k, m, dtype, seed, transposed)
    out = f(a, b)
    assert out.shape == (n, m) and out.dtype == dtype and out.device == a.device
    torch.testing.assert_close(out, a @ b, **TOL[dtype])


# The loop versions index one element at a time: small shapes keep the tests fast.
@settings(deadline=None, max_examples=40)
@given(st.integers(0, 4), st.integers(0, 5), st.integers(0, 4), dtypes, st.integers(0, 2**31), st.booleans())
def test_matmul_loops(n, k, m, dtype, seed, transposed):
    check_against_matmul(mm.matmul_loops, n, k, m, dtype, seed, transposed)


@settings(deadline=None, max_examples=60)
@given(st.integers(0, 8), st.integers(0, 40), st.integers(0, 8), dtypes, st.integers(0, 2**31), st.booleans())
def test_matmul_dot(n, k, m, dtype, seed, transposed):
    check_against_matmul(mm.matmul_dot, n, k, m, dtype, seed, transposed)


def test_chapter_problem():
    "5 flattened 28x28 images times a (784, 10) weight, as in the notebook."
    a, b = operands(5, 784, 10, torch.float32, 0)
    torch.testing.assert_close(mm.matmul_dot(a, b), a @ b, rtol=1e-4, atol=1e-4)


def test_check_matmul_shapes_returns_sizes():
    assert mm.check_matmul_shapes(torch.empty(2, 3), torch.empty(3, 4)) == (2, 3, 4)
    assert mm.check_matmul_shapes(torch.empty(0, 3), torch.empty(3, 0)) == (0, 3, 0)


# ---- bad shapes ----
shape = lambda: st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)

def is_valid(sa, sb): return len(sa) == 2 and len(sb) == 2 and sa[1] == sb[0]

@settings(deadline=None, max_examples=100)
@given(shape(), shape())
def test_bad_shapes_raise_value_error_naming_both(sa, sb):
    if is_valid(sa, sb): return
    a, b = torch.empty(sa), torch.empty(sb)
    for f in (mm.check_matmul_shapes, mm.matmul_loops, mm.matmul_dot):
        with pytest.raises(ValueError) as e: f(a, b)
        assert str(sa) in str(e.value) and str(sb) in str(e.value), str(e.value)


@pytest.mark.parametrize('sa,sb', [((5, 784), (10, 784)),  # forgot the transpose
                                   ((784,), (784, 10)),    # a vector
                                   ((1, 5, 784), (784, 10)),  # a batch of matrices
                                   ((3, 4), (4,))])
def test_typical_mistakes(sa, sb):
    for f in (mm.matmul_loops, mm.matmul_dot):
        with pytest.raises(ValueError, match=r'\(' ): f(torch.empty(sa), torch.empty(sb))


# ---- dtypes and devices ----
@pytest.mark.parametrize('f', [mm.matmul_loops, mm.matmul_dot])
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_meta_inputs_stay_on_meta(f, dtype):
    "Indexing and arithmetic work on meta tensors, so even the loops run there, computing nothing."
    a, b = torch.empty(3, 4, device='meta', dtype=dtype), torch.empty(4, 2, device='meta', dtype=dtype)
    out = f(a, b)
    assert out.device.type == 'meta' and out.shape == (3, 2) and out.dtype == dtype


@pytest.mark.parametrize('f', [mm.matmul_loops, mm.matmul_dot])
def test_integer_tensors(f):
    "Results take the inputs' dtype, so integer products stay exact integers."
    a, b = torch.arange(6).reshape(2, 3), torch.arange(12).reshape(3, 4)
    out = f(a, b)
    assert out.dtype == torch.int64
    assert torch.equal(out, a @ b)


# ---- mixed dtypes and devices: refused, as `@` refuses them ----
# Before the check, `matmul_dot(int64, float32)` built an int64 result and truncated every entry:
# tensor([[1]]) times tensor([[0.5]]) gave tensor([[0]]).
MIXED = [(torch.int64, torch.float32), (torch.float32, torch.int64), (torch.float32, torch.float64),
         (torch.float64, torch.float16), (torch.int32, torch.int64)]

def refusing():
    "Every function that goes through `check_matmul_shapes`, including the one-loop version of 03."
    fs = [mm.check_matmul_shapes, mm.matmul_loops, mm.matmul_dot]
    try: from exp.broadcasting import matmul_broadcast
    except ImportError: return fs
    return fs + [matmul_broadcast]


@pytest.mark.parametrize('da,db', MIXED)
def test_at_refuses_mixed_dtypes(da, db):
    "The behaviour we copy: PyTorch's own product will not mix dtypes."
    with pytest.raises(RuntimeError): torch.ones(2, 3, dtype=da) @ torch.ones(3, 2, dtype=db)


@pytest.mark.parametrize('f', refusing(), ids=lambda f: f.__name__)
@pytest.mark.parametrize('da,db', MIXED)
def test_mixed_dtypes_raise_value_error_naming_both(f, da, db):
    a, b = torch.ones(2, 3, dtype=da), torch.ones(3, 2, dtype=db)
    with pytest.raises(ValueError) as e: f(a, b)
    assert str(da) in str(e.value) and str(db) in str(e.value), str(e.value)


@pytest.mark.parametrize('f', refusing(), ids=lambda f: f.__name__)
def test_the_reported_case_no_longer_truncates(f):
    with pytest.raises(ValueError, match='dtype'): f(torch.tensor([[1]]), torch.tensor([[0.5]]))


@pytest.mark.parametrize('f', refusing(), ids=lambda f: f.__name__)
@pytest.mark.parametrize('da,db', [('cpu', 'meta'), ('meta', 'cpu')])
def test_mixed_devices_raise_value_error_naming_both(f, da, db):
    a, b = torch.ones(2, 3, device=da), torch.ones(3, 2, device=db)
    with pytest.raises(ValueError) as e: f(a, b)
    assert 'cpu' in str(e.value) and 'meta' in str(e.value), str(e.value)


def test_bad_shapes_are_reported_before_dtypes():
    "A wrong shape is the first thing to fix, so it is the first thing named."
    with pytest.raises(ValueError, match=r'\(2, 3\) @ \(2, 3\)'):
        mm.check_matmul_shapes(torch.ones(2, 3), torch.ones(2, 3, dtype=torch.float64))


@settings(deadline=None, max_examples=30)
@given(dtypes, st.sampled_from(['cpu', 'meta']))
def test_same_dtype_and_device_still_accepted(dtype, device):
    a, b = torch.empty(2, 3, dtype=dtype, device=device), torch.empty(3, 4, dtype=dtype, device=device)
    assert mm.check_matmul_shapes(a, b) == (2, 3, 4)


@pytest.mark.parametrize("f", [mm.check_matmul_shapes, mm.matmul_loops, mm.matmul_dot])
def test_bool_tensors_are_refused_as_by_matmul(f):
    a = torch.ones(2, 3, dtype=torch.bool)
    with pytest.raises(NotImplementedError): a @ a.t()  # PyTorch's @ has no bool matmul
    with pytest.raises(ValueError, match='torch.bool'): f(a, a.t())


# ---- arguments that are not tensors: NumPy arrays, nested lists, numbers ----
import numpy as np

NOT_TENSORS = [(np.ones((2, 3), np.float32), np.ones((3, 4), np.float32), 'numpy.ndarray and numpy.ndarray'),
               (torch.ones(2, 3), np.ones((3, 4), np.float32), 'Tensor and numpy.ndarray'),
               ([[1., 2.], [3., 4.]], torch.ones(2, 2), 'list and Tensor'),
               (torch.ones(2, 2), 2.0, 'Tensor and float')]

@pytest.mark.parametrize("f", [mm.check_matmul_shapes, mm.matmul_loops, mm.matmul_dot])
@pytest.mark.parametrize("a, b, kinds", NOT_TENSORS)
def test_arguments_that_are_not_tensors_are_named(f, a, b, kinds):
    "Given NumPy arrays the loops failed on `new_zeros` with an AttributeError; say that they take tensors."
    with pytest.raises(TypeError, match=rf"two torch tensors, got {kinds}.*torch.from_numpy"): f(a, b)


def test_tensor_subclasses_are_tensors():
    a = torch.nn.Parameter(torch.ones(2, 3))
    assert mm.check_matmul_shapes(a, torch.ones(3, 1)) == (2, 3, 1)
