"""Tests of exp.conv_backward: every hand-written convolution (Conv2dFunction, Conv2dRecompute, Conv2dOffsets) against
F.conv2d and autograd, and against gradcheck in float64, on shapes, strides, paddings and rectangular kernels drawn by
hypothesis, with and without bias; the input checks of exp.conv.conv2d; meta tensors; the ConvLayer module."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st
from torch import nn

import exp.conv as ec
import exp.conv_backward as cb
from exp.core import num_threads

CONVS = {'function': cb.conv2d_function, 'recompute': cb.conv2d_recompute, 'offsets': cb.conv2d_offsets}
FUNCTIONS = {'function': cb.Conv2dFunction, 'recompute': cb.Conv2dRecompute, 'offsets': cb.Conv2dOffsets}


from conv_cases import assert_same_function, case_tensors as _tensors, randn as _randn  # tests/conv_cases.py
import conv_cases as cases


@pytest.fixture(autouse=True)
def one_thread():
    "Thousands of tiny operations (gradcheck, hypothesis): one thread, so that none waits for another the machine has descheduled."
    with num_threads(1): yield


def conv_cases(size=7):
    "Smaller cases than exp.conv's tests draw (three convolutions, each also under gradcheck), with padding up to 3."
    return cases.conv_cases(size=size, kernel=4, padding=3, channels=3, outputs=4)


# --- values and gradients against F.conv2d and autograd ---------------------------------------

@pytest.mark.parametrize('name', CONVS)
@settings(deadline=None, max_examples=40)
@given(case=conv_cases())
def test_output_and_gradients_match_autograd_of_f_conv2d(name, case):
    leaves = [t.requires_grad_() for t in _tensors(case) if t is not None]
    kw = dict(stride=case['stride'], padding=case['padding'])
    out, ref = CONVS[name](*leaves, **kw), F.conv2d(*leaves, **kw)
    assert out.shape == ref.shape and out.dtype == torch.float64
    torch.testing.assert_close(out, ref)
    g = _randn(*ref.shape, seed=case['seed'] + 3)
    for ours, theirs in zip(torch.autograd.grad(out, leaves, g), torch.autograd.grad(ref, leaves, g)):
        assert ours.shape == theirs.shape
        torch.testing.assert_close(ours, theirs)


@pytest.mark.parametrize('name', CONVS)
@settings(deadline=None, max_examples=25)
@given(case=conv_cases(size=5))
def test_gradcheck(name, case):
    # gradcheck compares the hand-written backward with central differences; float64 keeps those accurate
    leaves = [t.requires_grad_() for t in _tensors(case) if t is not None]
    conv = lambda *a: CONVS[name](*a, stride=case['stride'], padding=case['padding'])
    assert torch.autograd.gradcheck(conv, leaves)


@pytest.mark.parametrize('name', CONVS)
def test_only_the_requested_gradients(name):
    x, w, b = _randn(2, 3, 6, 5, seed=0), _randn(4, 3, 3, 2, seed=1).requires_grad_(), _randn(4, seed=2)
    out = CONVS[name](x, w, b, stride=2, padding=1)  # x and b need no gradient: backward must not fail on them
    g = _randn(*out.shape, seed=3)
    out.backward(g)
    w_ref = w.detach().clone().requires_grad_()
    F.conv2d(x, w_ref, b, stride=2, padding=1).backward(g)
    torch.testing.assert_close(w.grad, w_ref.grad)
    assert x.grad is None and b.grad is None


@pytest.mark.parametrize('name', CONVS)
def test_float32_within_tolerance_and_bias_untouched(name):
    x, w, b = (_randn(*s, seed=i, dtype=torch.float32) for i, s in enumerate([(4, 3, 28, 28), (8, 3, 3, 3), (8,)]))
    b_before = b.clone()
    out = CONVS[name](x, w, b, stride=2, padding=1)
    assert out.dtype == torch.float32
    # float32 sums in another order than F.conv2d: agreement to about 1e-5 relative
    torch.testing.assert_close(out, F.conv2d(x, w, b, stride=2, padding=1), rtol=1e-4, atol=1e-4)
    one = CONVS[name](x[:1, :, :3, :3], w, b)  # a single output position: one row, like the bias
    torch.testing.assert_close(one, F.conv2d(x[:1, :, :3, :3], w, b), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(b, b_before, rtol=0, atol=0)  # the output never shares memory with the bias


def test_offsets_output_is_channels_last_and_a_view():
    out = cb.conv2d_offsets(_randn(2, 3, 8, 8, seed=0), _randn(5, 3, 3, 3, seed=1), padding=1)
    assert out.shape == (2, 5, 8, 8) and out.is_contiguous(memory_format=torch.channels_last)


# --- the helpers ---------------------------------------------------------------------------

@settings(deadline=None, max_examples=50)
@given(size=st.integers(1, 12), k=st.integers(0, 4), stride=st.integers(1, 3), pad=st.integers(0, 4))
def test_inside_matches_brute_force(size, k, stride, pad):
    n_out = (size + 2 * pad - (k + 1)) // stride + 1  # a kernel of k + 1 taps has offsets 0..k
    if n_out < 1: return
    outs, pixels = cb._inside(size, n_out, k, stride, pad)
    expected = [i for i in range(n_out) if 0 <= stride * i + k - pad < size]
    assert list(range(n_out))[outs] == expected
    assert list(range(size))[pixels] == [stride * i + k - pad for i in expected]


def test_patch_rows_and_offset_view():
    x = _randn(2, 3, 8, 7, seed=0)
    P = cb.patch_rows(x, (3, 2), (2, 2), (1, 1))
    assert P.shape == (2 * 4 * 4, 3 * 3 * 2)
    cols = F.unfold(x, (3, 2), padding=1, stride=2)
    torch.testing.assert_close(P[4 * 4 + 5], cols[1, :, 5])  # image 1, position 5
    xp = cb.pad_channels_last(x, (1, 1))
    assert xp.shape == (2, 10, 9, 3) and xp[:, 0].abs().sum() == 0
    torch.testing.assert_close(xp[:, 1:9, 1:8].permute(0, 3, 1, 2), x)
    v = cb.offset_view(xp, 2, 1, (2, 2), (4, 4))
    assert v.shape == (2, 4, 4, 3) and v.untyped_storage().data_ptr() == xp.untyped_storage().data_ptr()  # a view, no copy
    torch.testing.assert_close(v[1, 3, 2], xp[1, 8, 5])


# --- bad input: the errors of exp.conv.conv2d -------------------------------------------------

BAD = {'3D input': ((torch.zeros(3, 8, 8), torch.zeros(2, 3, 3, 3)), {}),
       'flat input': ((torch.zeros(4, 784), torch.zeros(2, 1, 3, 3)), {}),
       'channels': ((torch.zeros(1, 3, 8, 8), torch.zeros(2, 1, 3, 3)), {}),
       'bias': ((torch.zeros(1, 3, 8, 8), torch.zeros(2, 3, 3, 3), torch.zeros(3)), {}),
       'kernel too big': ((torch.zeros(1, 3, 4, 8), torch.zeros(2, 3, 7, 3)), dict(padding=1)),
       'stride 0': ((torch.zeros(1, 3, 8, 8), torch.zeros(2, 3, 3, 3)), dict(stride=0)),
       'padding -1': ((torch.zeros(1, 3, 8, 8), torch.zeros(2, 3, 3, 3)), dict(padding=(1, -1))),
       'dtypes': ((torch.zeros(1, 3, 8, 8), torch.zeros(2, 3, 3, 3), torch.zeros(2, dtype=torch.float64)), {})}


@pytest.mark.parametrize('name', CONVS)
@pytest.mark.parametrize('bad', BAD)
def test_bad_input_gives_conv2ds_error(name, bad):
    args, kwargs = BAD[bad]
    with pytest.raises(ValueError) as expected: ec.conv2d(*args, **kwargs)
    with pytest.raises(ValueError) as got: CONVS[name](*args, **kwargs)
    assert str(got.value) == str(expected.value)


# --- devices --------------------------------------------------------------------------------

@pytest.mark.parametrize('name', CONVS)
def test_meta_tensors_stay_on_meta(name):
    x = torch.empty(2, 3, 28, 28, device='meta', requires_grad=True)
    w, b = torch.empty(8, 3, 5, 3, device='meta', requires_grad=True), torch.empty(8, device='meta', requires_grad=True)
    out = CONVS[name](x, w, b, stride=(2, 1), padding=1)
    assert out.device.type == 'meta' and out.shape == F.conv2d(x, w, b, stride=(2, 1), padding=1).shape
    grads = torch.autograd.grad(out, (x, w, b), torch.empty_like(out))
    assert [g.device.type for g in grads] == ['meta'] * 3 and [g.shape for g in grads] == [x.shape, w.shape, b.shape]


# --- the layer --------------------------------------------------------------------------------

@pytest.mark.parametrize('name', CONVS)
def test_conv_layer_in_the_cnn_matches_nn_conv2d(name):
    torch.manual_seed(0)
    ours = ec.get_cnn(lambda *a, **k: cb.ConvLayer(*a, conv=CONVS[name], **k))
    twin = ec.get_cnn(nn.Conv2d)
    twin.load_state_dict(ours.state_dict())
    assert_same_function(ours, twin, torch.randn(8, 1, 28, 28), out_atol=1e-4)


def test_conv_layer_defaults_to_offsets_and_keeps_conv2ds_parameters():
    torch.manual_seed(0)
    layer = cb.ConvLayer(4, 6, (3, 2), stride=2, padding=1)
    torch.manual_seed(0)
    plain = ec.Conv2d(4, 6, (3, 2), stride=2, padding=1)
    assert layer.conv is cb.conv2d_offsets and 'conv2d_offsets' in repr(layer)
    torch.testing.assert_close(layer.weight, plain.weight)
    x = torch.randn(2, 4, 9, 9)
    torch.testing.assert_close(layer(x), plain(x), rtol=1e-5, atol=1e-5)
    assert cb.ConvLayer(1, 2, bias=False, dtype=torch.float64).weight.dtype == torch.float64


# --- edge inputs: an empty batch, a second derivative ---------------------------------------------

@pytest.mark.parametrize('name', CONVS)
@pytest.mark.parametrize('bias', [True, False])
def test_empty_batch_gives_an_empty_output_and_zero_gradients(name, bias):
    # F.conv2d takes a batch of 0 images and returns (0, O, Ho, Wo); the weight's and bias's gradients are then zero
    x, w = _randn(0, 3, 6, 5, seed=0).requires_grad_(), _randn(4, 3, 3, 2, seed=1).requires_grad_()
    b = _randn(4, seed=2).requires_grad_() if bias else None
    leaves = [t for t in (x, w, b) if t is not None]
    out, ref = CONVS[name](*leaves, stride=2, padding=1), F.conv2d(*leaves, stride=2, padding=1)
    assert out.shape == ref.shape == (0, 4, 3, 3)
    g = torch.empty(ref.shape, dtype=torch.float64)
    for ours, theirs in zip(torch.autograd.grad(out, leaves, g), torch.autograd.grad(ref, leaves, g)):
        assert ours.shape == theirs.shape
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


def _second_derivative(conv):
    "The gradient, with respect to x, of the sum of squares of x's gradient: a second derivative through `conv`'s backward."
    x, w, b = _randn(2, 3, 6, 5, seed=0).requires_grad_(), _randn(4, 3, 3, 2, seed=1).requires_grad_(), _randn(4, seed=2)
    out = conv(x, w, b, stride=2, padding=1)
    gx, = torch.autograd.grad(out, x, _randn(*out.shape, seed=3), create_graph=True)
    return torch.autograd.grad(gx.pow(2).sum(), w)[0]


def test_recompute_has_a_right_second_derivative():
    # its backward is built from differentiable operations on the saved input and weight, so autograd can run it again
    torch.testing.assert_close(_second_derivative(cb.conv2d_recompute), _second_derivative(F.conv2d))
    leaves = [_randn(*s, seed=i).requires_grad_() for i, s in enumerate([(2, 2, 5, 4), (3, 2, 3, 2), (3,)])]
    assert torch.autograd.gradgradcheck(lambda *t: cb.conv2d_recompute(*t, stride=(2, 1), padding=1), leaves)


@settings(deadline=None, max_examples=10)
@given(case=conv_cases(size=4))
def test_recompute_gradgradcheck(case):
    leaves = [t.requires_grad_() for t in _tensors(case) if t is not None]
    conv = lambda *a: cb.conv2d_recompute(*a, stride=case['stride'], padding=case['padding'])
    assert torch.autograd.gradgradcheck(conv, leaves, fast_mode=True)


@pytest.mark.parametrize('name', ['function', 'offsets'])
def test_second_derivative_is_refused_not_silently_wrong(name):
    # Conv2dFunction's saved patches have no graph, Conv2dOffsets writes with out=: both refuse a second derivative clearly
    with pytest.raises(RuntimeError, match='no second derivative'): _second_derivative(CONVS[name])


@pytest.mark.parametrize('name', CONVS)
def test_gradient_penalty_is_right_or_refused(name):
    # the incoming gradient of out.sum() is a constant: torch's once_differentiable alone would let the penalty's
    # gradient for the weight come out as zero, without a word
    def penalty_grad(conv):
        x, w = _randn(2, 3, 6, 5, seed=0).requires_grad_(), _randn(4, 3, 3, 2, seed=1).requires_grad_()
        out = conv(x, w, stride=2, padding=1)
        gx, = torch.autograd.grad(out.sum(), x, create_graph=True)
        return torch.autograd.grad(out.pow(2).sum() + gx.pow(2).sum(), w)[0]
    if name == 'recompute': torch.testing.assert_close(penalty_grad(CONVS[name]), penalty_grad(F.conv2d))
    else:
        with pytest.raises(RuntimeError, match='no second derivative'): penalty_grad(CONVS[name])


@pytest.mark.parametrize('name', CONVS)
def test_first_derivative_with_create_graph_still_right(name):
    # create_graph=True alone (a first derivative kept for later) must give the same values as without it
    x, w = _randn(2, 3, 6, 5, seed=0).requires_grad_(), _randn(4, 3, 3, 2, seed=1).requires_grad_()
    out, ref = CONVS[name](x, w, stride=2, padding=1), F.conv2d(x, w, stride=2, padding=1)
    g = _randn(*ref.shape, seed=3)
    for ours, theirs in zip(torch.autograd.grad(out, (x, w), g, create_graph=True), torch.autograd.grad(ref, (x, w), g)):
        torch.testing.assert_close(ours, theirs)


@pytest.mark.parametrize('name', CONVS)
def test_numpy_input_is_refused_naming_the_type(name):
    # a NumPy array used to get conv2d's dtype message ("x is float64, weight is torch.float32"), which misleads
    import numpy as np
    with pytest.raises(TypeError, match=r"x must be a torch.Tensor, got ndarray"):
        CONVS[name](np.zeros((1, 2, 5, 5)), torch.zeros(3, 2, 3, 3))
    with pytest.raises(TypeError, match=r"bias must be a torch.Tensor, got list"):
        CONVS[name](torch.zeros(1, 2, 5, 5), torch.zeros(3, 2, 3, 3), [0., 0., 0.])


@pytest.mark.parametrize('name', CONVS)
def test_integral_stride_and_padding_of_other_types(name):
    # NumPy integers and one-element integer tensors (from a computation) count as ints, as in exp.conv.conv2d
    import numpy as np
    x, w = _randn(1, 2, 7, 6, seed=0), _randn(3, 2, 3, 2, seed=1)
    out = CONVS[name](x, w, stride=np.int64(2), padding=(torch.tensor(1), np.int32(0)))
    torch.testing.assert_close(out, F.conv2d(x, w, stride=2, padding=(1, 0)))


def test_offset_view_refuses_a_grid_that_does_not_fit():
    # slicing past the end silently gave fewer positions than asked for (a (2, 5, 4, 3) view for offset (2, 0), out_hw (6, 4))
    xp = cb.pad_channels_last(_randn(2, 3, 9, 8, seed=0), (1, 1))
    assert cb.offset_view(xp, 2, 2, (2, 2), (5, 4)).shape == (2, 5, 4, 3)
    for a, b, out_hw in [(2, 0, (6, 4)), (3, 0, (5, 4)), (0, 0, (5, 6)), (-1, 0, (5, 4))]:
        with pytest.raises(ValueError, match=r'offset_view: offset'):
            cb.offset_view(xp, a, b, (2, 2), out_hw)
