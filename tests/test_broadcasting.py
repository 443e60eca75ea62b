"Tests of exp.broadcasting: broadcast_shape against torch.broadcast_shapes, the vectorised matmuls against `@`."
import pytest
import numpy as np
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import exp.broadcasting as bc

# ---- broadcast_shape ----
def torch_shape(*shapes):
    "What PyTorch says: the broadcast shape as a tuple, or None where it refuses."
    try: return tuple(torch.broadcast_shapes(*shapes))
    except (RuntimeError, ValueError): return None


# Sizes from a small set so that equal sizes, 1s and 0s meet often: about half the draws broadcast.
small_shape = st.lists(st.sampled_from([0, 1, 1, 2, 3]), max_size=4).map(tuple)

@settings(deadline=None, max_examples=400)
@given(st.lists(small_shape, max_size=4))
def test_broadcast_shape_matches_torch(shapes):
    expected = torch_shape(*shapes)
    if expected is None:
        with pytest.raises(ValueError): bc.broadcast_shape(*shapes)
    else:
        assert bc.broadcast_shape(*shapes) == expected


@settings(deadline=None, max_examples=200)
@given(mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=5, max_side=7))
def test_broadcast_shape_on_broadcastable_shapes(drawn):
    "Shapes that do broadcast (drawn by hypothesis's NumPy strategies), with larger sizes."
    result = bc.broadcast_shape(*drawn.input_shapes)
    assert isinstance(result, tuple)
    assert result == drawn.result_shape == torch_shape(*drawn.input_shapes)


@settings(deadline=None, max_examples=100)
@given(mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=4, min_side=2, max_side=6), st.data())
def test_broadcast_shape_refuses_a_clash(drawn, data):
    "Change one size of a broadcastable pair to another size > 1: both PyTorch and we refuse."
    sa, sb = drawn.input_shapes
    ndim = min(len(sa), len(sb))
    dim = data.draw(st.integers(1, ndim), label='dimension from the end')
    other = data.draw(st.integers(2, 9).filter(lambda d: d != sa[-dim]), label='new size')
    if sa[-dim] == 1: return  # a 1 fits anything; nothing to clash with
    sb = sb[:len(sb) - dim] + (other,) + sb[len(sb) - dim + 1:]
    assert torch_shape(sa, sb) is None
    with pytest.raises(ValueError) as e: bc.broadcast_shape(sa, sb)
    assert str(sa) in str(e.value) and str(sb) in str(e.value)


@pytest.mark.parametrize('shapes,expected', [
    (((256, 256, 3), (3,)), (256, 256, 3)),
    (((64, 3, 256, 256), (3, 1, 1)), (64, 3, 256, 256)),
    (((3, 3), (3, 1)), (3, 3)),
    (((5, 1, 4), (3, 1), (1,)), (5, 3, 4)),
    (((0, 3), (1,)), (0, 3)),
    ((3, (2, 3)), (2, 3)),              # an int is a 1-D shape, as in torch.broadcast_shapes
    ((torch.Size([2, 1]), [1, 4]), (2, 4)),
    ((), ()),
])
def test_broadcast_shape_examples(shapes, expected):
    assert bc.broadcast_shape(*shapes) == expected == torch_shape(*shapes)


@pytest.mark.parametrize('shapes', [((256, 256, 3), (256, 256)), ((64, 3, 256, 256), (3,)), ((2,), (3,)), ((0,), (2,))])
def test_broadcast_shape_refusals(shapes):
    assert torch_shape(*shapes) is None
    with pytest.raises(ValueError, match='do not broadcast'): bc.broadcast_shape(*shapes)


@pytest.mark.parametrize('bad,size', [((-1, 3), -1), ((2.0, 3), 2.0), (('a',), 'a'), ((True, 3), True), ((3, False), False),
                                      ((3, np.int64(2)), np.int64(2)), ((torch.tensor(2),), torch.tensor(2))])
def test_broadcast_shape_rejects_non_sizes(bad, size):
    "Negative, fractional and non-int sizes, and bools (Python's 1 and 0, which once slipped through), named in the error."
    with pytest.raises(ValueError, match='sizes') as e: bc.broadcast_shape(bad, (3,))
    assert repr(size) in str(e.value), str(e.value)


@pytest.mark.parametrize('bad', [{2: 'a', 3: 'b'}, {2, 3}, '23', None, 2.0, True, np.int64(3), torch.tensor([2, 3])])
def test_broadcast_shape_rejects_non_shapes(bad):
    "A dict once passed as its keys; anything but a tuple, a list or one int is refused by name."
    with pytest.raises(ValueError, match='a shape is a tuple or list') as e: bc.broadcast_shape(bad, (3,))
    assert type(bad).__name__ in str(e.value)


def test_bools_no_longer_pass_as_sizes():
    "Before the check, (False, 3) broadcast with (1,) to (False, 3): a bool in the result."
    with pytest.raises(ValueError, match='bool'): bc.broadcast_shape((False, 3), (1,))
    assert bc.broadcast_shape((0, 3), (1,)) == (0, 3)


@settings(deadline=None, max_examples=100)
@given(st.lists(small_shape, max_size=4))
def test_broadcast_shape_returns_plain_ints(shapes):
    "The result holds Python ints, whatever sequence type the shapes came in."
    try: result = bc.broadcast_shape(*[torch.Size(s) for s in shapes])
    except ValueError: return
    assert type(result) is tuple and all(type(d) is int for d in result)


# ---- the vectorised matmuls ----
TOL = {torch.float32: dict(rtol=1e-4, atol=1e-4), torch.float64: dict(rtol=1e-10, atol=1e-10)}
MATMULS = [bc.matmul_broadcast, bc.matmul_einsum]

@settings(deadline=None, max_examples=60)
@given(st.integers(0, 24), st.integers(0, 64), st.integers(0, 24), st.sampled_from([torch.float32, torch.float64]),
       st.integers(0, 2**31), st.booleans())
def test_matmuls_against_at(n, k, m, dtype, seed, transposed):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, k, generator=g, dtype=dtype)
    b = torch.randn(m, k, generator=g, dtype=dtype).t() if transposed else torch.randn(k, m, generator=g, dtype=dtype)
    for f in MATMULS:
        out = f(a, b)
        assert out.shape == (n, m) and out.dtype == dtype
        torch.testing.assert_close(out, a @ b, **TOL[dtype])


shape = lambda: st.lists(st.integers(0, 4), max_size=4).map(tuple)

@settings(deadline=None, max_examples=100)
@given(shape(), shape())
def test_bad_shapes_raise_value_error_naming_both(sa, sb):
    if len(sa) == 2 and len(sb) == 2 and sa[1] == sb[0]: return
    for f in MATMULS:
        with pytest.raises(ValueError) as e: f(torch.empty(sa), torch.empty(sb))
        assert str(sa) in str(e.value) and str(sb) in str(e.value), str(e.value)


@pytest.mark.parametrize('f', MATMULS)
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_meta_inputs_stay_on_meta(f, dtype):
    a, b = torch.empty(30, 40, device='meta', dtype=dtype), torch.empty(40, 20, device='meta', dtype=dtype)
    out = f(a, b)
    assert out.device.type == 'meta' and out.shape == (30, 20) and out.dtype == dtype


# ---- mixed dtypes and devices: refused, as `@` refuses them ----
# Before the check in `check_matmul_shapes`, matmul_broadcast(int64, float) truncated every row into the
# int64 result (tensor([[1]]) by tensor([[0.5]]) gave tensor([[0]])), and matmul_einsum(meta, cpu) returned
# uninitialised numbers on the CPU.
DTYPES = [torch.float32, torch.float64, torch.float16, torch.int64, torch.int32]

@pytest.mark.parametrize('f', MATMULS)
@settings(deadline=None, max_examples=40)
@given(st.sampled_from(DTYPES), st.sampled_from(DTYPES))
def test_mixed_dtypes_raise_value_error_naming_both(f, da, db):
    a, b = torch.ones(2, 3, dtype=da), torch.ones(3, 2, dtype=db)
    if da == db:
        out = f(a, b)
        assert out.dtype == da and torch.equal(out, a @ b)
    else:
        with pytest.raises(ValueError) as e: f(a, b)
        assert str(da) in str(e.value) and str(db) in str(e.value), str(e.value)


@pytest.mark.parametrize('f', MATMULS)
def test_the_reported_mixed_dtype_case(f):
    with pytest.raises(ValueError, match='dtype'): f(torch.tensor([[1]]), torch.tensor([[0.5]]))


@pytest.mark.parametrize('f', MATMULS)
@pytest.mark.parametrize('da,db', [('meta', 'cpu'), ('cpu', 'meta')])
def test_mixed_devices_raise_value_error_naming_both(f, da, db):
    a, b = torch.ones(2, 3, device=da), torch.ones(3, 2, device=db)
    with pytest.raises(ValueError) as e: f(a, b)
    assert 'meta' in str(e.value) and 'cpu' in str(e.value), str(e.value)


@pytest.mark.parametrize('f', MATMULS)
def test_shapes_are_checked_before_dtypes(f):
    "Both matmuls go through check_matmul_shapes: a wrong shape is named first, even with mixed dtypes."
    with pytest.raises(ValueError) as e: f(torch.ones(2, 3), torch.ones(2, 3, dtype=torch.float64))
    assert '(2, 3)' in str(e.value) and 'dtype' not in str(e.value)


def test_the_rightmost_clash_is_reported():
    "The rules walk from the right, so the error names the last clashing dimension first, as PyTorch's does."
    with pytest.raises(ValueError, match=r'sizes \[3, 640\] meet at dimension -1'):
        bc.broadcast_shape((480, 640, 3), (480, 640))
    with pytest.raises(ValueError, match=r'dimension -2'): bc.broadcast_shape((4, 2, 1), (3, 5))


@pytest.mark.parametrize('f', MATMULS)
@pytest.mark.parametrize('a,b', [(np.ones((2, 3)), np.ones((3, 2))), ([[1., 2.]], [[1.], [2.]]), (torch.ones(2, 3), np.ones((3, 2)))])
def test_non_tensors_are_refused_naming_what_was_given(f, a, b):
    "matmul_broadcast once failed with an AttributeError about `new_zeros` on NumPy arrays, einsum with a bare TypeError."
    with pytest.raises(TypeError, match='tensor') as e: f(a, b)
    assert all(type(x).__name__ in str(e.value) for x in (a, b)), str(e.value)  # names what it was given
