"""Tests of exp.batchnorm: batch_norm against F.batch_norm and BatchNorm against nn.BatchNorm1d / nn.BatchNorm2d in float64 on
shapes drawn by hypothesis (outputs, the gradients of input, weight and bias, running statistics after several steps, eval
mode), gradcheck on BatchNormFunction, bad input (a clear error and the running statistics unchanged), meta tensors; and
proof that these checks fail on a batch norm that computes its statistics under no_grad (tests/broken_batchnorm.py)."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st
from torch import nn

import broken_batchnorm  # tests/broken_batchnorm.py
from exp.batchnorm import BatchNorm, BatchNormFunction, batch_norm

DT = torch.float64  # float64: the hand-written backward and autograd through F.batch_norm then agree to ~1e-12


def randn(*shape, seed, dtype=DT):
    return torch.randn(*shape, dtype=dtype, generator=torch.Generator().manual_seed(seed))


@st.composite
def bn_cases(draw, max_batch=4, max_side=4):
    "Input shapes (N, C) or (N, C, L) or (N, C, H, W) with more than one value per channel, and the optional arguments."
    ndim = draw(st.sampled_from([2, 3, 4]))
    spatial = tuple(draw(st.integers(1, max_side)) for _ in range(ndim - 2))
    n = draw(st.integers(1 if spatial and max(spatial) > 1 else 2, max_batch))
    return dict(shape=(n, draw(st.integers(1, 4)), *spatial), weight=draw(st.booleans()), bias=draw(st.booleans()),
                momentum=draw(st.sampled_from([0.1, 0.5, 1.0, 0.0])), eps=draw(st.sampled_from([1e-5, 1e-3])),
                scale=draw(st.sampled_from([1., 10., 0.1])), shift=draw(st.sampled_from([0., 5., -100.])),
                seed=draw(st.integers(0, 2**31 - 1)))


def case_tensors(case):
    c, seed = case['shape'][1], case['seed']
    w = randn(c, seed=seed + 1).abs() + 0.5 if case['weight'] else None
    b = randn(c, seed=seed + 2) if case['bias'] else None
    return w, b


def batches(case, steps):
    return [randn(*case['shape'], seed=case['seed'] + 10 + i) * case['scale'] + case['shift'] for i in range(steps)]


def assert_matches_f_batch_norm(bn, case, steps=3):
    "`bn` (with F.batch_norm's arguments) against F.batch_norm: `steps` training steps, then one in eval mode; outputs, gradients, running statistics."
    w, b = case_tensors(case)
    c = case['shape'][1]
    ours_stats, ref_stats = (torch.zeros(c, dtype=DT), torch.ones(c, dtype=DT)), (torch.zeros(c, dtype=DT), torch.ones(c, dtype=DT))
    for i, x in enumerate(batches(case, steps + 1)):
        training = i < steps
        leaves = [t.clone().requires_grad_() for t in (x, w, b) if t is not None]
        args = lambda ls: (ls[0], ls[1] if w is not None else None, ls[-1] if b is not None else None)
        kw = dict(training=training, momentum=case['momentum'], eps=case['eps'])
        out = bn(leaves[0], *ours_stats, *args(leaves)[1:], **kw)
        ref_leaves = [t.clone().requires_grad_() for t in (x, w, b) if t is not None]
        ref = F.batch_norm(ref_leaves[0], *ref_stats, *args(ref_leaves)[1:], **kw)
        assert out.shape == ref.shape and out.dtype == ref.dtype
        torch.testing.assert_close(out, ref)
        g = randn(*ref.shape, seed=case['seed'] + 100 + i)
        for ours, theirs in zip(torch.autograd.grad(out, leaves, g), torch.autograd.grad(ref, ref_leaves, g)):
            torch.testing.assert_close(ours, theirs)
        for ours, theirs in zip(ours_stats, ref_stats): torch.testing.assert_close(ours, theirs)


# --- values, gradients and running statistics against PyTorch -----------------------------------

@settings(deadline=None, max_examples=60)
@given(case=bn_cases())
def test_batch_norm_matches_f_batch_norm(case):
    assert_matches_f_batch_norm(batch_norm, case)


@settings(deadline=None, max_examples=20)
@given(case=bn_cases())
def test_training_without_running_statistics(case):
    w, b = case_tensors(case)
    x = batches(case, 1)[0]
    torch.testing.assert_close(batch_norm(x, None, None, w, b, training=True, eps=case['eps']),
                               F.batch_norm(x, None, None, w, b, training=True, eps=case['eps']))


@pytest.mark.parametrize('shape, ref_cls', [((6, 4), nn.BatchNorm1d), ((3, 4, 5), nn.BatchNorm1d), ((3, 4, 5, 2), nn.BatchNorm2d)])
@pytest.mark.parametrize('momentum', [0.1, 0.3])
def test_module_matches_torch_in_both_modes(shape, ref_cls, momentum):
    ours, ref = BatchNorm(4, momentum=momentum, dtype=DT), ref_cls(4, momentum=momentum, dtype=DT)
    with torch.no_grad(): ours.weight.copy_(randn(4, seed=0).abs() + 0.5); ours.bias.copy_(randn(4, seed=1))
    ref.load_state_dict(ours.state_dict())
    for i, mode in enumerate(['train'] * 4 + ['eval'] * 2):
        ours.train(mode == 'train'); ref.train(mode == 'train')
        x = randn(*shape, seed=10 + i) * 3 + 2
        xa, xr = x.clone().requires_grad_(), x.clone().requires_grad_()
        out, out_ref = ours(xa), ref(xr)
        torch.testing.assert_close(out, out_ref)
        g = randn(*shape, seed=50 + i)
        out.backward(g); out_ref.backward(g)
        torch.testing.assert_close(xa.grad, xr.grad)
    for name in ('weight', 'bias'): torch.testing.assert_close(getattr(ours, name).grad, getattr(ref, name).grad)
    for name in ('running_mean', 'running_var', 'num_batches_tracked'): torch.testing.assert_close(getattr(ours, name), getattr(ref, name))
    assert sorted(n for n, _ in ours.named_parameters()) == ['bias', 'weight']
    assert sorted(n for n, _ in ours.named_buffers()) == ['num_batches_tracked', 'running_mean', 'running_var']


def test_float32_shifted_data_close_to_float64():
    # a channel with a large mean and a small spread: the backward must not lose the gradient to cancellation
    x = randn(16, 3, 6, 6, seed=0, dtype=torch.float32) * 0.1 + 50
    g = randn(16, 3, 6, 6, seed=1, dtype=torch.float32)
    x32, x64 = x.clone().requires_grad_(), x.double().requires_grad_()
    batch_norm(x32, None, None, training=True).backward(g)
    F.batch_norm(x64, None, None, training=True).backward(g.double())
    assert (x32.grad.double() - x64.grad).abs().max() < 1e-3 * x64.grad.abs().max()


def test_channels_last_input():
    x = randn(4, 3, 5, 5, seed=0).contiguous(memory_format=torch.channels_last)
    xa, xr = x.clone().requires_grad_(), x.clone().requires_grad_()
    out, ref = batch_norm(xa, None, None, training=True), F.batch_norm(xr, None, None, training=True)
    torch.testing.assert_close(out, ref)
    g = randn(4, 3, 5, 5, seed=1)
    out.backward(g); ref.backward(g)
    torch.testing.assert_close(xa.grad, xr.grad)


def test_only_the_requested_gradients():
    x, w, b = randn(5, 3, seed=0), randn(3, seed=1).requires_grad_(), randn(3, seed=2)
    out = batch_norm(x, None, None, w, b, training=True)  # x and b need no gradient: backward must not fail on them
    out.sum().backward()
    w_ref = w.detach().clone().requires_grad_()
    F.batch_norm(x, None, None, w_ref, b, training=True).sum().backward()
    torch.testing.assert_close(w.grad, w_ref.grad)


def test_eval_mode_keeps_running_statistics_and_ignores_the_batch():
    rm, rv = randn(3, seed=0), randn(3, seed=1).abs() + 0.5
    rm0, rv0 = rm.clone(), rv.clone()
    x = randn(6, 3, seed=2)
    out = batch_norm(x, rm, rv, training=False)
    torch.testing.assert_close(out[:1], batch_norm(x[:1], rm, rv, training=False))  # a batch of one is fine in eval mode
    torch.testing.assert_close(out, (x - rm) / (rv + 1e-5).sqrt())
    assert torch.equal(rm, rm0) and torch.equal(rv, rv0)


# --- gradcheck --------------------------------------------------------------------------------

@settings(deadline=None, max_examples=25)
@given(case=bn_cases(max_batch=3, max_side=3), training=st.booleans())
def test_gradcheck(case, training):
    # gradcheck compares the hand-written backward with central differences; float64 keeps those accurate
    w, b = case_tensors(case)
    leaves = [t.requires_grad_() for t in (batches(case, 1)[0], w, b) if t is not None]
    c = case['shape'][1]
    def fn(*ls):
        stats = torch.zeros(c, dtype=DT), randn(c, seed=3).abs() + 0.5  # fresh running statistics for every call
        return BatchNormFunction.apply(ls[0], ls[1] if w is not None else None, ls[-1] if b is not None else None, *stats,
                                       training, case['momentum'], case['eps'])
    assert torch.autograd.gradcheck(fn, leaves)


# --- the suite fails on the no-grad version --------------------------------------------------

NO_GRAD_CASES = [dict(shape=(8, 3), weight=True, bias=True, momentum=0.1, eps=1e-5, scale=1., shift=0., seed=0),
                 dict(shape=(4, 2, 3, 3), weight=False, bias=False, momentum=0.1, eps=1e-5, scale=2., shift=1., seed=1),
                 dict(shape=(2, 3, 5), weight=True, bias=False, momentum=0.5, eps=1e-3, scale=1., shift=0., seed=2)]


@pytest.mark.parametrize('case', NO_GRAD_CASES, ids=lambda c: str(c['shape']))
def test_suite_fails_on_no_grad_statistics(case):
    assert_matches_f_batch_norm(batch_norm, case)          # the same case passes with ours ...
    with pytest.raises(AssertionError, match='Tensor-likes are not close'):
        assert_matches_f_batch_norm(broken_batchnorm.batch_norm, case)   # ... and fails with the broken version


def test_no_grad_version_has_right_outputs_and_wrong_gradient():
    # what the broken version gets right (so only the gradient checks catch it), and how wrong its gradient is
    case = NO_GRAD_CASES[0]
    w, b = case_tensors(case)
    x = batches(case, 1)[0]
    torch.testing.assert_close(broken_batchnorm.batch_norm(x, None, None, w, b, training=True),
                               F.batch_norm(x, None, None, w, b, training=True))
    with pytest.raises(RuntimeError, match='Jacobian mismatch'):
        torch.autograd.gradcheck(lambda t: broken_batchnorm.batch_norm(t, None, None, w, b, training=True), x.clone().requires_grad_())
    xa = x.clone().requires_grad_()
    wrong, = torch.autograd.grad(broken_batchnorm.batch_norm(xa, None, None, w, b, training=True), xa, randn(8, 3, seed=9))
    right, = torch.autograd.grad(batch_norm(xa, None, None, w, b, training=True), xa, randn(8, 3, seed=9))
    assert (wrong - right).abs().max() > 0.1 * right.abs().max()


# --- bad input: a clear error, and nothing updated -----------------------------------------------

def fresh_stats(c=3): return torch.zeros(c, dtype=DT), torch.ones(c, dtype=DT)


@pytest.mark.parametrize('make_args, message', [
    (lambda s: (randn(6, 4, seed=0), *s), 'running_mean has shape (3,), expected (4,)'),                # wrong number of channels
    (lambda s: (randn(1, 3, seed=0), *s), 'more than one value per channel'),                          # a batch of one
    (lambda s: (randn(1, 3, 1, 1, seed=0), *s), 'more than one value per channel'),
    (lambda s: (randn(5, seed=0), *s), 'x must be (N, C) or (N, C, ...)'),                              # 1-D input
    (lambda s: (randn(6, 3, seed=0), s[0], None), 'both be tensors or both be None'),
    (lambda s: (randn(6, 3, seed=0), *s, randn(2, seed=1)), 'weight has shape (2,), expected (3,)'),
    (lambda s: (randn(6, 3, seed=0), *s, None, randn(3, 1, seed=1)), 'bias has shape (3, 1), expected (3,)'),
    (lambda s: (randn(6, 3, seed=0).float(), *s), 'running_mean is torch.float64'),
])
def test_bad_input_is_refused_and_statistics_unchanged(make_args, message):
    stats = fresh_stats()
    before = [t.clone() for t in stats]
    with pytest.raises(ValueError) as e:
        batch_norm(*make_args(stats), training=True)
    assert message in str(e.value), str(e.value)
    for t, t0 in zip(stats, before): assert torch.equal(t, t0)


def test_eval_mode_needs_running_statistics():
    with pytest.raises(ValueError, match='eval mode'):
        batch_norm(randn(4, 3, seed=0), None, None, training=False)


def test_module_refuses_wrong_channels_and_keeps_its_buffers():
    bn = BatchNorm(3, dtype=DT)
    bn(randn(4, 3, seed=0))
    before = {k: v.clone() for k, v in bn.state_dict().items()}
    for bad in (randn(4, 5, 2, 2, seed=1), randn(1, 3, seed=2)):
        with pytest.raises(ValueError, match='batch_norm'): bn(bad)
    assert all(torch.equal(v, before[k]) for k, v in bn.state_dict().items())


# --- devices and dtypes --------------------------------------------------------------------------

@pytest.mark.parametrize('training', [True, False])
def test_meta_tensors_stay_on_meta(training):
    x = torch.empty(4, 3, 5, 5, device='meta', requires_grad=True)
    w, b = torch.empty(3, device='meta', requires_grad=True), torch.empty(3, device='meta', requires_grad=True)
    rm, rv = torch.empty(3, device='meta'), torch.empty(3, device='meta')
    out = batch_norm(x, rm, rv, w, b, training=training)
    assert out.device.type == 'meta' and out.shape == x.shape
    grads = torch.autograd.grad(out, (x, w, b), torch.empty_like(out))
    assert [g.device.type for g in grads] == ['meta'] * 3 and [g.shape for g in grads] == [x.shape, w.shape, b.shape]


def test_module_on_meta_and_in_float64():
    bn = BatchNorm(3, device='meta')
    assert all(t.device.type == 'meta' for t in [*bn.parameters(), *bn.buffers()])
    assert bn(torch.empty(2, 3, 4, 4, device='meta')).device.type == 'meta'
    bn64 = BatchNorm(3, dtype=DT)
    assert bn64(randn(4, 3, seed=0)).dtype == DT and bn64.running_var.dtype == DT and bn64.num_batches_tracked.dtype == torch.long


# --- the benchmark's group (bench/run.py), with one round of timing; no timing is asserted ---------

def test_bench_group_rows_and_targets():
    import importlib.util
    from pathlib import Path
    spec = importlib.util.spec_from_file_location('bench_run', Path(__file__).parents[1] / 'bench' / 'run.py')
    br = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(br)
    class Tiny:
        rounds = 1
        data = (None, None, randn(64, 784, seed=0, dtype=torch.float32), torch.arange(64) % 10)
    assert br.batchnorm_vs_reference in br.ROW_GROUPS
    rows = br.batchnorm_vs_reference(Tiny())
    assert [(r['unit'], r['target']) for r in rows] == [('s', 2.0), ('s', None), ('bytes', 1.2), ('s', None)]
    assert all(r['ours'] > 0 and r['reference'] > 0 for r in rows)
    assert rows[2]['met'] is True  # memory does not depend on the machine's load


# --- found in review: momentum=None, running statistics that require grad, a second derivative ----

@pytest.mark.parametrize('shape, ref_cls', [((5, 3), nn.BatchNorm1d), ((2, 3, 4, 4), nn.BatchNorm2d)])
def test_module_momentum_none_is_a_plain_average_as_in_torch(shape, ref_cls):
    ours, ref = BatchNorm(3, momentum=None, dtype=DT), ref_cls(3, momentum=None, dtype=DT)
    for i in range(4):
        x = randn(*shape, seed=i) * (i + 1) + i
        torch.testing.assert_close(ours(x), ref(x))
    for name in ('running_mean', 'running_var', 'num_batches_tracked'): torch.testing.assert_close(getattr(ours, name), getattr(ref, name))
    ours.eval(); ref.eval()
    x = randn(*shape, seed=9)
    torch.testing.assert_close(ours(x), ref(x))


def test_function_refuses_momentum_none_as_torch_does():
    stats = fresh_stats()
    with pytest.raises(TypeError): F.batch_norm(randn(4, 3, seed=0), *stats, training=True, momentum=None)
    with pytest.raises(TypeError, match='momentum must be a number'): batch_norm(randn(4, 3, seed=0), *stats, training=True, momentum=None)
    assert torch.equal(stats[0], torch.zeros(3, dtype=DT)) and torch.equal(stats[1], torch.ones(3, dtype=DT))


def test_running_statistics_that_require_grad_are_refused_as_torch_does():
    rm, rv = torch.zeros(3, dtype=DT, requires_grad=True), torch.ones(3, dtype=DT)
    with pytest.raises(RuntimeError): F.batch_norm(randn(4, 3, seed=0), rm, rv, training=True)
    for training in (True, False):
        with pytest.raises(ValueError, match='must not require grad'): batch_norm(randn(4, 3, seed=0), rm, rv, training=training)
    assert torch.equal(rm.detach(), torch.zeros(3, dtype=DT))


def test_second_derivative_is_refused_clearly():
    x = randn(4, 3, seed=0).requires_grad_()
    g = randn(4, 3, seed=1).requires_grad_()
    gx, = torch.autograd.grad(batch_norm(x, None, None, training=True), x, g, create_graph=True)
    with pytest.raises(RuntimeError, match='once_differentiable|differentiate twice'): gx.sum().backward()
