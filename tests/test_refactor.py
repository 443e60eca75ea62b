"""Tests of exp.refactor: the layer classes and Model against autograd (gradients add up), MyRelu, LinearLayer, ReLU's corner,
and the measuring tools that moved to exp.core but are still importable from here."""
import math

import pytest
import torch
from hypothesis import given, settings, strategies as st

from exp.backward import mse
from exp.init import lin, relu
from exp.refactor import (LayerFunction, Layers, Lin, LinearLayer, MemoryUse, Model, Mse, MyRelu, Relu, accumulate,
                          memory_use, peak_memory)

DT = torch.float64  # float64: autograd and the hand-written formulas then agree to ~1e-12
dims = st.integers(1, 7)
seeds = st.integers(0, 2**31 - 1)


def randn(*shape, seed, dtype=DT):
    return torch.randn(*shape, dtype=dtype, generator=torch.Generator().manual_seed(seed))


def leaf(t): return t.detach().clone().requires_grad_()


def setup(n, n_in, nh, seed, dtype=DT):
    ts = [randn(*s, seed=seed + i, dtype=dtype) for i, s in enumerate(((n, n_in), (n_in, nh), (nh,), (nh, 1), (1,)))]
    return ts, randn(n, seed=seed + 9, dtype=dtype)


def autograd_grads(ts, y):
    leaves = [leaf(t) for t in ts]
    loss = mse(lin(relu(lin(leaves[0], leaves[1], leaves[2])), leaves[3], leaves[4]), y)
    loss.backward()
    return loss.detach(), [l.grad for l in leaves]


@settings(deadline=None, max_examples=30)
@given(n=dims, n_in=dims, nh=dims, seed=seeds)
def test_model_matches_autograd_and_accumulates(n, n_in, nh, seed):
    ts, y = setup(n, n_in, nh, seed)
    ref_loss, ref = autograd_grads(ts, y)
    model = Model(*ts[1:])
    torch.testing.assert_close(model(ts[0], y), ref_loss)
    for k in (1, 2):  # a second backward without clearing adds, as autograd's .grad does
        model.backward()
        for t, g in zip(ts, ref): torch.testing.assert_close(t.g, k * g)
    model.zero_grad()
    assert all(p.g is None for p in ts[1:]) and ts[0].g is not None  # zero_grad clears the parameters only
    ts[0].g = None
    model.backward()
    for t, g in zip(ts, ref): torch.testing.assert_close(t.g, g)


def tied_grads(x, w, b, v, c, y):
    "Autograd's gradients of x, w, b, v, c in lin(lin(relu(lin(x, w, b)), w, b), v, c): w and b used by two layers."
    leaves = [leaf(t) for t in (x, w, b, v, c)]
    xl, wl, bl, vl, cl = leaves
    mse(lin(lin(relu(lin(xl, wl, bl)), wl, bl), vl, cl), y).backward()
    return [l.grad for l in leaves]


@settings(deadline=None, max_examples=30)
@given(n=dims, h=dims, seed=seeds)
def test_weight_shared_by_two_layers_matches_autograd(n, h, seed):
    x, w, b, v, c, g = (randn(*s, seed=seed + i) for i, s in enumerate(((n, h), (h, h), (h,), (h, 1), (1,), (n,))))
    net, loss = Layers(Lin(w, b), Relu(), Lin(w, b), Lin(v, c)), Mse()
    loss(net(x), g); loss.backward(); net.backward()
    for t, ref in zip((x, w, b, v, c), tied_grads(x, w, b, v, c, g)): torch.testing.assert_close(t.g, ref)
    assert len(net.parameters()) == 4  # the shared pair is listed once
    net.zero_grad()
    assert all(p.g is None for p in (w, b, v, c))


def test_accumulate_refuses_a_gradient_of_another_shape():
    x, out = torch.ones(3, 2), torch.ones(3, 2)
    out.g, x.g = torch.ones(3, 2), torch.ones(2, 3)  # a stale .g of the wrong shape
    with pytest.raises(ValueError, match=r'\(3, 2\).*\(2, 3\)'): accumulate(lambda i, o: setattr(i, 'g', o.g.clone()), x, out, into=[x])


@settings(deadline=None, max_examples=10)
@given(n=dims, n_in=dims, nh=dims, seed=seeds)
def test_model_float32(n, n_in, nh, seed):
    ts, y = setup(n, n_in, nh, seed, dtype=torch.float32)
    _, ref = autograd_grads(ts, y)
    model = Model(*ts[1:]); model(ts[0], y); model.backward()
    for t, g in zip(ts, ref):
        assert t.g.dtype == torch.float32
        torch.testing.assert_close(t.g, g)


@settings(deadline=None, max_examples=30)
@given(n=dims, n_in=dims, n_out=dims, seed=seeds)
def test_lin_and_relu_layers_match_autograd(n, n_in, n_out, seed):
    x, w, b, g = (randn(*s, seed=seed + i) for i, s in enumerate(((n, n_in), (n_in, n_out), (n_out,), (n, n_out))))
    layer = Lin(w, b); out = layer(x); out.g = g.clone(); layer.backward()
    xl, wl, bl = leaf(x), leaf(w), leaf(b); lin(xl, wl, bl).backward(g)
    for ours, ref in ((x.g, xl.grad), (w.g, wl.grad), (b.g, bl.grad)): torch.testing.assert_close(ours, ref)
    x = x.clone()  # a fresh tensor: the x above already holds a gradient, which Relu would add to
    r = Relu(); out = r(x); out.g = randn(n, n_in, seed=seed + 7); gl = out.g.clone(); r.backward()
    xl = leaf(x); torch.relu(xl).backward(gl)  # torch.relu, not our clamp_min relu: see the corner tests below
    torch.testing.assert_close(x.g, xl.grad)


@settings(deadline=None, max_examples=20)
@given(n=dims, seed=seeds)
def test_mse_layer_matches_autograd(n, seed):
    inp, targ = randn(n, 1, seed=seed), randn(n, seed=seed + 1)
    loss = Mse(); loss(inp, targ); loss.backward()
    il = leaf(inp); mse(il, targ).backward()
    torch.testing.assert_close(inp.g, il.grad)


def test_intermediate_gradients_are_freed():
    ts, y = setup(5, 4, 3, seed=0)
    model = Model(*ts[1:]); model(ts[0], y); model.backward()
    assert all(layer.out.g is None for layer in model.layers)
    assert all(t.g is not None for t in ts)


def test_layer_function_errors():
    class NoForward(LayerFunction): pass
    with pytest.raises(NotImplementedError, match='NoForward'): NoForward()(torch.ones(2))
    with pytest.raises(RuntimeError, match='before the forward'): Relu().backward()
    with pytest.raises(ValueError, match=r'\(3, 2\).*\(3,\)'): Lin(torch.ones(3, 2), torch.ones(3))
    with pytest.raises(ValueError): Lin(torch.ones(3, 2), torch.ones(2))(torch.ones(4, 5))


def test_model_on_meta_tensors():
    x, y = torch.empty(6, 4, device='meta'), torch.empty(6, device='meta')
    ps = [torch.empty(*s, device='meta') for s in ((4, 3), (3,), (3, 1), (1,))]
    model = Model(*ps)
    assert model(x, y).device.type == 'meta'
    model.backward()
    for t in [x, *ps]: assert t.g.device.type == 'meta' and t.g.shape == t.shape


def test_myrelu_gradcheck_and_values():
    x = randn(6, 5, seed=3).requires_grad_()
    assert torch.autograd.gradcheck(MyRelu.apply, (x,))
    torch.testing.assert_close(MyRelu.apply(x), torch.relu(x))
    assert MyRelu.apply(torch.empty(3, device='meta')).device.type == 'meta'


@settings(deadline=None, max_examples=20)
@given(n_in=dims, n_out=dims, batch=dims)
def test_linear_layer_shapes_and_output(n_in, n_out, batch):
    layer = LinearLayer(n_in, n_out)
    assert layer.weight.shape == (n_out, n_in) and layer.bias.shape == (n_out,)
    assert [p is q for p, q in zip(layer.parameters(), (layer.weight, layer.bias))] == [True, True]
    x = torch.randn(batch, n_in)
    out = layer(x)
    assert out.shape == (batch, n_out)
    torch.testing.assert_close(out, torch.nn.functional.linear(x, layer.weight, layer.bias))


def test_linear_layer_init_and_errors():
    torch.manual_seed(0)
    layer = LinearLayer(1000, 400)
    assert abs(layer.weight.std().item() / math.sqrt(2 / 1000) - 1) < 0.02
    assert (layer.bias == 0).all()
    with pytest.raises(ValueError, match='1000'): layer(torch.ones(2, 999))
    meta = LinearLayer(3, 2, device='meta')
    assert meta.weight.device.type == 'meta' and meta(torch.empty(4, 3, device='meta')).device.type == 'meta'
    assert LinearLayer(3, 2, dtype=DT).weight.dtype == DT


def test_measuring_tools_moved_to_core_and_are_still_importable_from_here():
    import exp.core, exp.refactor
    for name in ('MemoryUse', 'memory_use', 'peak_memory'):
        assert getattr(exp.refactor, name) is getattr(exp.core, name) and name in exp.refactor.__all__


def test_memory_use_and_peak_memory():
    def alloc(): a = torch.empty(250_000); del a; b = torch.empty(500_000)  # 1 MB, freed, then 2 MB, freed on return
    def alloc_keep(): a = torch.empty(250_000); del a; return torch.empty(500_000)  # the 2 MB are returned
    assert peak_memory(alloc, device='cpu') == 2_000_000
    assert memory_use(alloc, device='cpu') == MemoryUse(2_000_000, 0)
    peak, held = memory_use(alloc_keep, device='cpu')
    assert (peak, held) == (2_000_000, 2_000_000)
    assert memory_use(lambda n: torch.empty(n), 1000, device='cpu').held == 4000  # args are passed on
    with pytest.raises(ValueError, match='meta'): peak_memory(alloc, device='meta')


# ReLU's corner. At exactly 0 the course's convention is a gradient of 0, the value torch.relu's backward gives.
# The reference is torch.relu, never autograd through clamp_min (our relu), whose gradient at the boundary was 1
# up to PyTorch 2.13 and is 0 from 2.14 on. Random normals are never exactly 0, so these tests feed zeros on purpose.

CORNER = torch.tensor([-1., 0., -0., 0., 2.], dtype=DT)
CORNER_G = torch.tensor([5., 6., 7., 8., 9.], dtype=DT)


def test_relu_layer_is_zero_at_exactly_zero():
    x = CORNER.clone()
    r = Relu(); out = r(x); out.g = CORNER_G.clone(); r.backward()
    torch.testing.assert_close(x.g, torch.tensor([0., 0., 0., 0., 9.], dtype=DT), rtol=0, atol=0)


def test_myrelu_is_zero_at_exactly_zero():
    x = CORNER.clone().requires_grad_()
    MyRelu.apply(x).backward(CORNER_G)
    torch.testing.assert_close(x.grad, torch.tensor([0., 0., 0., 0., 9.], dtype=DT), rtol=0, atol=0)


@settings(deadline=None, max_examples=30)
@given(vals=st.lists(st.integers(-2, 2), min_size=1, max_size=12), seed=seeds)
def test_relu_backwards_match_torch_relu_with_zeros(vals, seed):
    x = torch.tensor(vals, dtype=DT) / 2  # small integers: about a fifth of the inputs are exactly 0
    g = randn(len(vals), seed=seed)
    ref = leaf(x); torch.relu(ref).backward(g)
    mine = leaf(x); MyRelu.apply(mine).backward(g)
    torch.testing.assert_close(mine.grad, ref.grad, rtol=0, atol=0)
    layer_x = x.clone(); r = Relu(); out = r(layer_x); out.g = g.clone(); r.backward()
    torch.testing.assert_close(layer_x.g, ref.grad, rtol=0, atol=0)


def test_model_at_exact_zeros():
    # a hidden unit whose input is exactly 0 for every sample sends no gradient back: w1's column and b1's entry are 0
    x, y = torch.tensor([[1., 2.], [3., -1.]], dtype=DT), torch.tensor([1., -1.], dtype=DT)
    w1, b1 = torch.tensor([[0., 1.], [0., -1.]], dtype=DT), torch.tensor([0., 0.5], dtype=DT)
    w2, b2 = torch.tensor([[2.], [1.]], dtype=DT), torch.tensor([0.], dtype=DT)
    model = Model(w1, b1, w2, b2); model(x, y); model.backward()
    leaves = [leaf(t) for t in (x, w1, b1, w2, b2)]
    mse(lin(torch.relu(lin(leaves[0], leaves[1], leaves[2])), leaves[3], leaves[4]), y).backward()
    for t, l in zip((x, w1, b1, w2, b2), leaves): torch.testing.assert_close(t.g, l.grad, rtol=0, atol=1e-12)
    assert (w1.g[:, 0] == 0).all() and b1.g[0] == 0
