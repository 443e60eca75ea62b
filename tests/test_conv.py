"Tests of exp.conv: conv2d against F.conv2d (values and gradients), input checks, meta tensors, and the Conv2d layer."
import re

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

import exp.conv as ec


from conv_cases import assert_same_function, conv_cases, case_tensors as _tensors, randn as _randn  # tests/conv_cases.py


# --- values and gradients against F.conv2d ---------------------------------------------------

@settings(deadline=None, max_examples=60)
@given(case=conv_cases())
def test_conv2d_matches_f_conv2d(case):
    x, w, b = _tensors(case)
    out = ec.conv2d(x, w, b, stride=case['stride'], padding=case['padding'])
    ref = F.conv2d(x, w, b, stride=case['stride'], padding=case['padding'])
    assert out.shape == ref.shape and out.dtype == torch.float64
    torch.testing.assert_close(out, ref)


@settings(deadline=None, max_examples=30)
@given(case=conv_cases())
def test_conv2d_gradients_match_autograd_of_f_conv2d(case):
    leaves = [t.requires_grad_() for t in _tensors(case) if t is not None]
    kw = dict(stride=case['stride'], padding=case['padding'])
    out, ref = ec.conv2d(*leaves, **kw), F.conv2d(*leaves, **kw)
    g = _randn(*ref.shape, seed=case['seed'] + 3)
    for ours, theirs in zip(torch.autograd.grad(out, leaves, g), torch.autograd.grad(ref, leaves, g)):
        torch.testing.assert_close(ours, theirs)


@settings(deadline=None, max_examples=10)
@given(case=conv_cases(size=5))
def test_conv2d_gradcheck(case):
    # gradcheck compares autograd with central differences; float64 keeps the differences accurate.
    leaves = [t.requires_grad_() for t in _tensors(case) if t is not None]
    conv = lambda *a: ec.conv2d(*a, stride=case['stride'], padding=case['padding'])
    assert torch.autograd.gradcheck(conv, leaves)


def test_conv2d_float32_within_tolerance():
    x, w, b = _randn(4, 3, 28, 28, seed=0, dtype=torch.float32), _randn(8, 3, 3, 3, seed=1, dtype=torch.float32), \
        _randn(8, seed=2, dtype=torch.float32)
    out = ec.conv2d(x, w, b, stride=2, padding=1)
    assert out.dtype == torch.float32
    # float32 sums in a different order than F.conv2d: agreement to about 1e-5 relative
    torch.testing.assert_close(out, F.conv2d(x, w, b, stride=2, padding=1), rtol=1e-4, atol=1e-4)


def test_conv_out_size_matches_f_conv2d():
    for size, k, s, p in [(28, 3, 2, 1), (7, 3, 2, 1), (5, 5, 1, 0), (9, 2, 3, 2)]:
        ref = F.conv2d(torch.zeros(1, 1, size, size), torch.zeros(1, 1, k, k), stride=s, padding=p).shape[-1]
        assert ec.conv_out_size(size, k, s, p) == ref


# --- bad inputs ---------------------------------------------------------------------------------

@pytest.mark.parametrize('x_shape, w_shape, bias, kw, match', [
    ((3, 8, 8), (2, 3, 3, 3), None, {}, r"\(N, C, H, W\).*\(3, 8, 8\)"),
    ((1, 3, 8, 8), (2, 3, 3), None, {}, r"\(O, C, kh, kw\).*\(2, 3, 3\)"),
    ((1, 3, 8, 8), (2, 1, 3, 3), None, {}, r"\(1, 3, 8, 8\).*\(2, 1, 3, 3\)"),
    ((1, 3, 8, 8), (2, 3, 3, 3), (3,), {}, r"bias.*\(2,\).*\(3,\)"),
    ((1, 3, 4, 8), (2, 3, 7, 3), None, dict(padding=1), r"7x3.*\(2, 3, 7, 3\).*6x10.*\(1, 3, 4, 8\)"),
    ((1, 3, 8, 8), (2, 3, 3, 9), None, {}, r"3x9.*larger"),
    ((1, 3, 8, 8), (2, 3, 3, 3), None, dict(stride=0), r"stride.*0"),
    ((1, 3, 8, 8), (2, 3, 3, 3), None, dict(stride=(1, 2, 3)), r"stride.*\(1, 2, 3\)"),
    ((1, 3, 8, 8), (2, 3, 3, 3), None, dict(padding=-1), r"padding.*-1"),
    ((1, 3, 8, 8), (2, 3, 3, 3), None, dict(padding=1.5), r"padding.*1\.5"),
])
def test_bad_inputs_raise_valueerror_naming_the_problem(x_shape, w_shape, bias, kw, match):
    b = torch.zeros(bias) if bias is not None else None
    with pytest.raises(ValueError, match=match):
        ec.conv2d(torch.zeros(x_shape), torch.zeros(w_shape), b, **kw)


def test_kernel_exactly_as_big_as_padded_input_is_fine():
    out = ec.conv2d(torch.zeros(1, 2, 4, 6), torch.zeros(3, 2, 6, 8), padding=1)
    assert out.shape == (1, 3, 1, 1)


# --- devices -----------------------------------------------------------------------------------

@settings(deadline=None, max_examples=20)
@given(case=conv_cases())
def test_conv2d_on_meta_gives_meta_with_the_right_shape(case):
    x, w = torch.empty(case['x'], device='meta'), torch.empty(case['weight'], device='meta')
    b = torch.empty(case['weight'][0], device='meta') if case['bias'] else None
    kw = dict(stride=case['stride'], padding=case['padding'])
    out = ec.conv2d(x, w, b, **kw)
    assert out.device.type == 'meta'
    assert out.shape == F.conv2d(x, w, b, **kw).shape


def test_conv2d_layer_on_meta():
    layer = ec.Conv2d(3, 8, 3, stride=2, padding=1, device='meta')
    out = layer(torch.empty(5, 3, 28, 28, device='meta'))
    assert out.device.type == 'meta' and out.shape == (5, 8, 14, 14)


# --- the Conv2d layer --------------------------------------------------------------------------

@pytest.mark.parametrize('n_in, n_out, k, stride, padding, bias, in_hw, out_hw', [
    (1, 16, 3, 2, 1, True, (28, 28), (14, 14)),
    (16, 32, 3, 2, 1, False, (14, 14), (7, 7)),
    (3, 4, (5, 3), (1, 2), (2, 0), True, (10, 9), (10, 4)),
])
def test_conv2d_layer_shapes(n_in, n_out, k, stride, padding, bias, in_hw, out_hw):
    layer = ec.Conv2d(n_in, n_out, k, stride=stride, padding=padding, bias=bias)
    kh, kw = (k, k) if isinstance(k, int) else k
    assert layer.weight.shape == (n_out, n_in, kh, kw)
    assert (layer.bias is None) if not bias else layer.bias.shape == (n_out,)
    assert layer(torch.zeros(2, n_in, *in_hw)).shape == (2, n_out, *out_hw)


def test_conv2d_layer_kaiming_std_and_dtype():
    torch.manual_seed(0)
    layer = ec.Conv2d(64, 128, 3, dtype=torch.float64)
    assert layer.weight.dtype == torch.float64 and layer.bias.dtype == torch.float64
    expected = (2 / (64 * 3 * 3)) ** 0.5  # Kaiming with fan_in = C*kh*kw
    assert abs(layer.weight.std().item() / expected - 1) < 0.03  # 73,728 samples: std error of the std ~0.3%
    assert torch.all(layer.bias == 0)


def test_conv2d_layer_matches_nn_conv2d_with_same_weights():
    layer = ec.Conv2d(3, 6, (3, 2), stride=(2, 1), padding=(1, 0))
    ref = torch.nn.Conv2d(3, 6, (3, 2), stride=(2, 1), padding=(1, 0))
    ref.load_state_dict(layer.state_dict())
    x = _randn(2, 3, 9, 7, seed=5, dtype=torch.float32)
    torch.testing.assert_close(layer(x), ref(x), rtol=1e-4, atol=1e-5)


# --- the CNN of notebook 08 ------------------------------------------------------------------------

def test_get_cnn_shapes_and_relu_layer():
    torch.manual_seed(0)
    net = ec.get_cnn()
    assert [type(m) for m in net[:6:2]] == [ec.Conv2d] * 3 and all(isinstance(m, ec.ReluLayer) for m in net[1:6:2])
    out = net(torch.randn(4, 1, 28, 28))
    assert out.shape == (4, 10)
    assert sum(p.numel() for p in net.parameters()) == (16*9 + 16) + (32*16*9 + 32) + (64*32*9 + 64) + (1024*10 + 10)


def test_get_cnn_with_nn_conv2d_computes_the_same_function():
    torch.manual_seed(0)
    ours, twin = ec.get_cnn(), ec.get_cnn(torch.nn.Conv2d)
    twin.load_state_dict(ours.state_dict())
    assert_same_function(ours, twin, torch.randn(3, 1, 28, 28))


def test_relu_layer_zeroes_negatives_and_their_gradient():
    x = torch.tensor([-2., 0., 3.], requires_grad=True)
    y = ec.ReluLayer()(x)
    y.sum().backward()
    assert y.tolist() == [0., 0., 3.] and x.grad.tolist() == [0., 0., 1.]


# --- silent wrong answers turned into errors ------------------------------------------------------

@pytest.mark.parametrize('args, match', [
    ((3, 5), r"kernel of 5 does not fit in an edge of 3 padded by 0"),     # the bare formula said -1
    ((3, 5, 2), r"kernel of 5 does not fit"),                               # ... and 0 with stride 2
    ((4, 7, 1, 1), r"kernel of 7 .* \(6 in all\)"),
    ((28, 0), r"kernel of 0"),
    ((28, 3, 0), r"stride=0"),                                              # was a ZeroDivisionError
    ((28, 3, -2), r"stride=-2"),                                            # was a meaningless count
    ((28, 3, 1, -1), r"padding=-1"),
])
def test_conv_out_size_refuses_what_it_cannot_count(args, match):
    with pytest.raises(ValueError, match=match): ec.conv_out_size(*args)


def test_conv_out_size_kernel_as_big_as_padded_edge_is_one_position():
    assert ec.conv_out_size(4, 6, stride=3, padding=1) == 1


@pytest.mark.parametrize('dx, dw, db', [
    (torch.float32, torch.float32, torch.float64),   # was silent: the in-place add rounded the bias to float32
    (torch.float64, torch.float32, None),            # was a RuntimeError about scalar types from the matmul
    (torch.float32, torch.float64, torch.float64),
])
def test_conv2d_refuses_mixed_dtypes(dx, dw, db):
    x, w = torch.zeros(1, 2, 5, 5, dtype=dx), torch.zeros(3, 2, 3, 3, dtype=dw)
    b = None if db is None else torch.zeros(3, dtype=db)
    with pytest.raises(ValueError, match=r"one dtype.*x is torch\.float\d\d, weight is torch\.float\d\d"):
        ec.conv2d(x, w, b)


@pytest.mark.parametrize('shape, hint', [((8, 784), r"reshape"), ((1, 28, 28), r"x\[None\]")])
def test_conv2d_layer_on_flat_or_unbatched_input_gives_a_hint(shape, hint):
    with pytest.raises(ValueError, match=rf"\(N, C, H, W\), got shape {re.escape(str(shape))}.*{hint}"):
        ec.Conv2d(1, 4)(torch.zeros(shape))


# --- hardening, round 2 (issue 23's siblings in exp.conv): integral numbers of any kind, fractional sizes, no kernels --
import numpy as np

@pytest.mark.parametrize('k', [np.int64(3), np.int32(3), torch.tensor(3)])
def test_integral_numbers_of_any_kind_are_accepted(k):
    "A stride or kernel size from a computation is often a NumPy integer: as `batches` in exp.training, take it."
    x, w = torch.randn(2, 3, 9, 9), torch.randn(4, 3, 3, 3)
    torch.testing.assert_close(ec.conv2d(x, w, stride=np.int64(2), padding=(np.int32(1), 1)), F.conv2d(x, w, stride=2, padding=1))
    layer = ec.Conv2d(3, 4, k, stride=np.int64(2))
    assert layer.weight.shape == (4, 3, 3, 3) and layer(x).shape == (2, 4, 4, 4)
    assert ec.conv_out_size(np.int64(9), k, np.int64(2), np.int64(1)) == 5
    assert type(ec.conv_out_size(np.int64(9), k)) is int

@pytest.mark.parametrize('bad', [1.5, 2.0, np.float64(2.), True, torch.tensor(2.)])
def test_fractional_or_boolean_sizes_are_refused(bad):
    "conv_out_size(8, 3, 1.5) used to answer 4.0, a number of positions that is not a count."
    with pytest.raises(ValueError, match='conv_out_size'): ec.conv_out_size(8, 3, bad)
    with pytest.raises(ValueError, match='conv_out_size'): ec.conv_out_size(bad, 1)
    with pytest.raises(ValueError, match='stride'): ec.conv2d(torch.randn(1, 1, 8, 8), torch.randn(1, 1, 3, 3), stride=bad)

def test_conv2d_with_no_kernels_is_refused_like_f_conv2d_and_an_empty_batch_is_fine():
    "F.conv2d refuses a weight with O = 0; ours failed with a message about an ambiguous reshape."
    x, w = torch.randn(2, 3, 8, 8), torch.randn(0, 3, 3, 3)
    with pytest.raises(RuntimeError): F.conv2d(x, w)
    with pytest.raises(ValueError, match=r'\(0, 3, 3, 3\) has no kernels'): ec.conv2d(x, w)
    assert ec.conv2d(torch.randn(0, 3, 8, 8), torch.randn(4, 3, 3, 3), padding=1).shape == (0, 4, 8, 8)
