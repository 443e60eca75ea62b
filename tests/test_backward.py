"Tests of exp.backward: every hand-written gradient against autograd, numeric_grad, and mse's shape checks."
import pytest
import torch
from hypothesis import given, settings, strategies as st

import exp.core as core
from exp.backward import add_grad, forward_and_backward, lin_grad, mse, mse_grad, numeric_grad, relu_grad
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
    inp, g = randn(n, k, seed=seed), randn(n, k, seed=seed + 1)  # random normals: never exactly 0 (zeros are tested below)
    out = relu(inp); out.g = g
    relu_grad(inp, out)
    i = leaf(inp); torch.relu(i).backward(g)  # torch.relu, not our clamp_min relu: see the corner tests below
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


# Bad input: each of these used to pass silently (a broadcast gradient of the wrong shape, a NaN) or fail
# with a message that did not say what was wrong.

def test_mse_says_targets_must_be_a_vector():
    out, col = randn(5, 1, seed=7), randn(5, 1, seed=8)
    with pytest.raises(ValueError, match=r'targets must have shape \(n,\)') as e: mse(out, col)
    assert '(5, 1)' in str(e.value) and 'output' in str(e.value)


def test_mse_grad_refuses_a_column_of_targets():
    out, col = randn(5, 1, seed=7), randn(5, 1, seed=8)
    with pytest.raises(ValueError, match=r'targets must have shape \(n,\)'): mse_grad(out, col)  # was a (5, 5, 1) gradient
    with pytest.raises(ValueError, match=r'\(4,\)'): mse_grad(out, randn(4, seed=9))


def test_mse_grad_of_a_vector_output_has_the_output_shape():
    out, targ = randn(6, seed=10), randn(6, seed=11)
    mse_grad(out, targ)  # used to store a (6, 1) gradient for a (6,) tensor
    o = leaf(out); mse(o, targ).backward()
    torch.testing.assert_close(out.g, o.grad)


def test_mse_and_mse_grad_refuse_an_empty_batch():
    out, targ = torch.empty(0, 1, dtype=DT), torch.empty(0, dtype=DT)
    with pytest.raises(ValueError, match='no samples'): mse(out, targ)  # was nan
    with pytest.raises(ValueError, match='no samples'): mse_grad(out, targ)  # was ZeroDivisionError


def test_grad_functions_say_when_out_g_is_missing():
    x, w, b = randn(3, 4, seed=12), randn(4, 2, seed=13), randn(2, seed=14)
    out = lin(x, w, b)
    with pytest.raises(ValueError, match=r'no gradient.*reverse'): lin_grad(x, out, w, b)  # was AttributeError
    with pytest.raises(ValueError, match=r'no gradient.*reverse'): relu_grad(x, relu(x))


def test_relu_grad_refuses_out_of_another_shape():
    inp = randn(4, 3, seed=15)
    out = relu(inp)[:, :1]; out.g = torch.ones(4, 1, dtype=DT)
    with pytest.raises(ValueError, match=r'\(4, 3\).*\(4, 1\)'): relu_grad(inp, out)  # broadcast to (4, 3) before
    out = relu(inp); out.g = torch.ones(3, dtype=DT)
    with pytest.raises(ValueError, match=r'out\.g'): relu_grad(inp, out)


def test_relu_grad_is_zero_where_the_input_is_not_positive_even_for_inf():
    inp = torch.tensor([-1., 2.], dtype=DT)
    out = relu(inp); out.g = torch.tensor([float('inf'), 3.], dtype=DT)
    relu_grad(inp, out)  # a mask multiplication gave inf * 0 = nan
    i = leaf(inp); torch.relu(i).backward(out.g)
    torch.testing.assert_close(inp.g, i.grad)


def test_lin_grad_refuses_mismatched_shapes():
    x, w, g = randn(5, 4, seed=16), randn(4, 3, seed=17), randn(5, 3, seed=18)
    b1 = randn(1, seed=19)  # broadcasts in the forward pass, but b.g would come out (3,) for a (1,) bias
    out = x @ w + b1; out.g = g
    with pytest.raises(ValueError, match=r'b \(1,\)'): lin_grad(x, out, w, b1)
    b = randn(3, seed=20)
    out = lin(x, w, b); out.g = g[:, :1]
    with pytest.raises(ValueError, match=r'out\.g'): lin_grad(x, out, w, b)
    out.g = g
    with pytest.raises(ValueError, match=r'inp \(5, 3\)'): lin_grad(x[:, :3], out, w, b)


def test_forward_and_backward_refuses_a_column_of_targets():
    (x, w1, b1, w2, b2), y = model_params(5, 3, 2, seed=21)
    with pytest.raises(ValueError, match=r'targets must have shape \(n,\).*\(5, 1\)'):
        forward_and_backward(x, y[:, None], w1, b1, w2, b2)


@pytest.mark.parametrize('eps', [float('nan'), float('inf'), -1e-3])
def test_numeric_grad_refuses_eps_that_is_not_a_positive_number(eps):
    with pytest.raises(ValueError, match='eps'): numeric_grad(lambda t: t.sum(), torch.ones(2, dtype=DT), eps=eps)


def test_numeric_grad_refuses_non_scalar_f_before_its_loop():
    calls = []
    def f(t): calls.append(1); return t * 2
    with pytest.raises(ValueError, match=r'scalar.*\(3,\)'): numeric_grad(f, torch.ones(3, dtype=DT))
    assert len(calls) == 1, "numeric_grad should call f once at x to check it, not run the loop"


# A tensor used twice: its gradient is the sum of the gradients of each use.

def test_add_grad_sums_contributions_and_matches_autograd():
    x, w, v = randn(4, 3, seed=22), randn(3, 3, seed=23), randn(3, 3, seed=24)
    out1, out2 = x @ w, x @ v
    g1, g2 = randn(4, 3, seed=25), randn(4, 3, seed=26)
    x.g = None
    add_grad(x, g1 @ w.T); add_grad(x, g2 @ v.T)
    xl = leaf(x); ((xl @ w) * g1 + (xl @ v) * g2).sum().backward()
    torch.testing.assert_close(x.g, xl.grad)


def test_add_grad_refuses_a_gradient_of_another_shape():
    x = randn(3, 2, seed=27)
    with pytest.raises(ValueError, match=r'\(2, 3\).*\(3, 2\)'): add_grad(x, randn(2, 3, seed=28))
    x.g = randn(3, 1, seed=29)
    with pytest.raises(ValueError, match=r'x\.g|t\.g|\.g'): add_grad(x, randn(3, 2, seed=30))


def test_shared_weight_needs_the_sum_of_both_lin_grads():
    x, w, b1, b2 = randn(5, 3, seed=31), randn(3, 3, seed=32), randn(3, seed=33), randn(3, seed=34)
    h = lin(x, w, b1); a = relu(h); out = lin(a, w, b2); out.g = torch.ones_like(out)
    lin_grad(a, out, w, b2); second = w.g
    relu_grad(h, a); lin_grad(x, h, w, b1)
    wl = leaf(w); lin(relu(lin(x, wl, b1)), wl, b2).sum().backward()
    assert not torch.allclose(w.g, wl.grad)  # overwritten: only the first layer's share
    torch.testing.assert_close(w.g + second, wl.grad)


# The third check of the notebook: gradcheck applied to OUR backward, through a torch.autograd.Function.

class OurBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, targ, *ps):
        ps = [p.detach().clone() for p in ps]
        loss = forward_and_backward(ps[0], targ, *ps[1:])
        ctx.save_for_backward(*[p.g for p in ps])
        return loss

    @staticmethod
    def backward(ctx, g):
        return (None, *[g * t for t in ctx.saved_tensors])


def test_gradcheck_on_our_backward():
    (x, w1, b1, w2, b2), y = model_params(4, 3, 2, seed=35)
    assert torch.autograd.gradcheck(lambda *ps: OurBackward.apply(y, *ps), [leaf(t) for t in (x, w1, b1, w2, b2)])


# ReLU's corner. At exactly 0 ReLU has no derivative; the course's convention is 0 there, the value torch.relu's
# backward gives. The reference is torch.relu, never autograd through clamp_min (our relu): its gradient at the
# boundary was 1 up to PyTorch 2.13 and is 0 from 2.14 on. Random normals are never exactly 0, so these tests
# feed exact zeros (and -0.) on purpose.

def test_relu_grad_is_zero_at_exactly_zero():
    inp = torch.tensor([-1., 0., -0., 0., 2.], dtype=DT)
    out = relu(inp); out.g = torch.tensor([5., 6., 7., 8., 9.], dtype=DT)
    relu_grad(inp, out)
    torch.testing.assert_close(inp.g, torch.tensor([0., 0., 0., 0., 9.], dtype=DT), rtol=0, atol=0)


@settings(deadline=None, max_examples=30)
@given(vals=st.lists(st.integers(-2, 2), min_size=1, max_size=12), seed=seeds)
def test_relu_grad_matches_torch_relu_with_zeros(vals, seed):
    inp = torch.tensor(vals, dtype=DT) / 2  # small integers: about a fifth of the inputs are exactly 0
    g = randn(len(vals), seed=seed)
    out = relu(inp); out.g = g
    relu_grad(inp, out)
    i = leaf(inp); torch.relu(i).backward(g)
    torch.testing.assert_close(inp.g, i.grad, rtol=0, atol=0)


def test_forward_and_backward_at_exact_zeros():
    # a hidden unit whose pre-activation is exactly 0 for every sample passes no gradient back: w1's column is 0
    x, y = torch.tensor([[1., 2.], [3., -1.]], dtype=DT), torch.tensor([1., -1.], dtype=DT)
    w1, b1 = torch.tensor([[0., 1.], [0., -1.]], dtype=DT), torch.tensor([0., 0.5], dtype=DT)  # unit 0: x @ 0 + 0 = 0
    w2, b2 = torch.tensor([[2.], [1.]], dtype=DT), torch.tensor([0.], dtype=DT)
    forward_and_backward(x, y, w1, b1, w2, b2)
    leaves = [leaf(t) for t in (x, w1, b1, w2, b2)]
    mse(lin(torch.relu(lin(leaves[0], leaves[1], leaves[2])), leaves[3], leaves[4]), y).backward()
    for t, l in zip((x, w1, b1, w2, b2), leaves): torch.testing.assert_close(t.g, l.grad, rtol=0, atol=1e-12)
    assert (w1.g[:, 0] == 0).all() and b1.g[0] == 0
