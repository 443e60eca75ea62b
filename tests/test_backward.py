"Tests of exp.backward: every hand-written gradient against autograd, numeric_grad, and mse's shape checks."
import pytest
import torch
from hypothesis import given, settings, strategies as st

import exp.core as core
from exp.backward import forward_and_backward, lin_grad, mse, mse_grad, numeric_grad, relu_grad
from exp.init import lin, relu

DT = torch.float64  # float64 so that autograd and our formulas agree to ~1e-12, leaving no doubt about a real mismatch
dims = st.integers(1, 7)
seeds = st.integers(0, 2**31 - 1)


def randn(*shape, seed):
    return torch.randn(*shape, dtype=DT, generator=torch.Generator().manual_seed(seed))


def leaf(t): return t.detach().clone().requires_grad_()


@settings(deadline=None, max_examples=30)
@given(n=dims, seed=seeds)
def test_mse_grad_matches_autograd(n, seed):
    out, targ = randn(n, 1, seed=seed), randn(n, seed=seed + 1)
    mse_grad(out, targ)
    o = leaf(out); mse(o, targ).backward()
    torch.testing.assert_close(out.g, o.grad)


@settings(deadline=None, max_examples=30)
@given(n=dims, k=dims, seed=seeds)
def test_relu_grad_matches_autograd(n, k, seed):
    inp, g = randn(n, k, seed=seed), randn(n, k, seed=seed + 1)  # random normals: never exactly 0, the corner
    out = relu(inp); out.g = g
    relu_grad(inp, out)
    i = leaf(inp); relu(i).backward(g)
    torch.testing.assert_close(inp.g, i.grad)
    assert inp.g.dtype == DT


@settings(deadline=None, max_examples=30)
@given(n=dims, n_in=dims, n_out=dims, seed=seeds)
def test_lin_grad_matches_autograd(n, n_in, n_out, seed):
    x, w, b, g = randn(n, n_in, seed=seed), randn(n_in, n_out, seed=seed + 1), randn(n_out, seed=seed + 2), randn(n, n_out, seed=seed + 3)
    out = lin(x, w, b); out.g = g
    lin_grad(x, out, w, b)
    xl, wl, bl = leaf(x), leaf(w), leaf(b)
    lin(xl, wl, bl).backward(g)
    for ours, ref in ((x.g, xl.grad), (w.g, wl.grad), (b.g, bl.grad)): torch.testing.assert_close(ours, ref)


def model_params(n, n_in, nh, seed):
    return [randn(n, n_in, seed=seed), randn(n_in, nh, seed=seed + 1), randn(nh, seed=seed + 2),
            randn(nh, 1, seed=seed + 3), randn(1, seed=seed + 4)], randn(n, seed=seed + 5)


def model_loss(x, y, w1, b1, w2, b2): return mse(lin(relu(lin(x, w1, b1)), w2, b2), y)


@settings(deadline=None, max_examples=30)
@given(n=dims, n_in=dims, nh=dims, seed=seeds)
def test_forward_and_backward_matches_autograd(n, n_in, nh, seed):
    (x, w1, b1, w2, b2), y = model_params(n, n_in, nh, seed)
    loss = forward_and_backward(x, y, w1, b1, w2, b2)
    leaves = [leaf(t) for t in (x, w1, b1, w2, b2)]
    ref = model_loss(leaves[0], y, *leaves[1:])
    ref.backward()
    torch.testing.assert_close(loss, ref.detach())
    for t, l in zip((x, w1, b1, w2, b2), leaves): torch.testing.assert_close(t.g, l.grad)


@settings(deadline=None, max_examples=10)
@given(n=st.integers(1, 4), n_in=st.integers(1, 4), nh=st.integers(1, 4), seed=seeds)
def test_forward_and_backward_matches_finite_differences(n, n_in, nh, seed):
    ps, y = model_params(n, n_in, nh, seed)
    forward_and_backward(ps[0], y, *ps[1:])
    def loss_with(i, t):  # the loss with the i-th of (x, w1, b1, w2, b2) replaced by t
        qs = ps[:i] + [t] + ps[i + 1:]
        return model_loss(qs[0], y, *qs[1:])
    for i, p in enumerate(ps):
        core.test_near(p.g, numeric_grad(lambda t: loss_with(i, t), p), tol=1e-5)


def test_autograd_of_the_forward_functions_passes_gradcheck():
    # gradcheck checks autograd's gradients, the reference the tests above compare with
    (x, w1, b1, w2, b2), y = model_params(4, 3, 2, seed=0)
    assert torch.autograd.gradcheck(lambda *ps: model_loss(ps[0], y, *ps[1:]), [leaf(t) for t in (x, w1, b1, w2, b2)])


def test_numeric_grad_on_known_functions():
    x = randn(3, 4, seed=1)
    core.test_near(numeric_grad(lambda t: (t**2).sum(), x), 2 * x, tol=1e-6)
    core.test_near(numeric_grad(lambda t: t.sin().sum(), x), x.cos(), tol=1e-6)
    core.test_near(numeric_grad(lambda t: (t[0] * t[1]).sum(), x), torch.stack([x[1], x[0], torch.zeros(4, dtype=DT)]), tol=1e-6)
    g = numeric_grad(lambda t: t.sum() * 3, torch.ones(5, dtype=torch.float32))
    assert g.dtype == torch.float64 and g.shape == (5,)
    core.test_near(g, torch.full((5,), 3.), tol=1e-6)


def test_numeric_grad_leaves_its_input_alone():
    x = randn(4, seed=2); before = x.clone()
    numeric_grad(lambda t: t.pow(3).sum(), x)
    torch.testing.assert_close(x, before, rtol=0, atol=0)


def test_numeric_grad_bad_input():
    with pytest.raises(ValueError, match='eps'): numeric_grad(lambda t: t.sum(), torch.ones(2, dtype=DT), eps=0)
    with pytest.raises(ValueError, match='scalar'): numeric_grad(lambda t: t * 2, torch.ones(2, dtype=DT))


def test_mse_shapes():
    out, targ = randn(5, 1, seed=3), randn(5, seed=4)
    torch.testing.assert_close(mse(out, targ), torch.nn.functional.mse_loss(out.squeeze(-1), targ))
    torch.testing.assert_close(mse(out[:, 0], targ), mse(out, targ))
    with pytest.raises(ValueError, match=r'\(5, 2\).*\(5,\)'): mse(randn(5, 2, seed=5), targ)
    with pytest.raises(ValueError): mse(out, randn(4, seed=6))


def test_meta_tensors_stay_on_meta():
    x, y = torch.empty(6, 4, device='meta'), torch.empty(6, device='meta')
    w1, b1, w2, b2 = (torch.empty(*s, device='meta') for s in ((4, 3), (3,), (3, 1), (1,)))
    loss = forward_and_backward(x, y, w1, b1, w2, b2)
    assert loss.device.type == 'meta'
    for t in (x, w1, b1, w2, b2):
        assert t.g.device.type == 'meta' and t.g.shape == t.shape
