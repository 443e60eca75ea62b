"Tests of exp.numpy_nn: the NumPy forward and backward pass against PyTorch autograd, in float64."
import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import exp.numpy_nn as nn_np

@settings(deadline=None, max_examples=30)
@given(n=st.integers(1, 20), n_in=st.integers(1, 12), nh=st.integers(1, 10), seed=st.integers(0, 2**31 - 1))
def test_model_gradients_match_autograd(n, n_in, nh, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((n, n_in)), rng.standard_normal(n)
    params = dict(w1=rng.standard_normal((n_in, nh)), b1=rng.standard_normal(nh),
                  w2=rng.standard_normal((nh, 1)), b2=rng.standard_normal(1))
    model = nn_np.Model(**params)
    loss = model(x, y)
    grads = model.backward()
    ts = {k: torch.from_numpy(v.copy()).requires_grad_() for k, v in dict(x=x, **params).items()}
    out = (ts['x'] @ ts['w1'] + ts['b1']).clamp_min(0) @ ts['w2'] + ts['b2']
    t_loss = ((out.squeeze(-1) - torch.from_numpy(y)) ** 2).mean()
    t_loss.backward()
    np.testing.assert_allclose(loss, t_loss.item(), rtol=1e-10)
    for k in grads: np.testing.assert_allclose(grads[k], ts[k].grad.numpy(), rtol=1e-9, atol=1e-12)

def test_mse_refuses_broadcasting_shapes():
    with pytest.raises(ValueError, match=r'\(4, 1\)'): nn_np.mse(np.zeros((4, 1)), np.zeros((4, 1)))

def test_backward_before_forward():
    with pytest.raises(RuntimeError): nn_np.Model(*[np.zeros((1, 1))] * 4).backward()

def test_float32_stays_float32():
    x = np.ones((3, 2), np.float32); w = np.ones((2, 4), np.float32); b = np.zeros(4, np.float32)
    assert nn_np.lin(x, w, b).dtype == np.float32
    assert nn_np.relu_grad(x, x).dtype == np.float32


# --- silent wrong answers turned into errors ------------------------------------------------------

f32 = lambda *shape: np.ones(shape, np.float32)


def test_mse_grad_refuses_column_targets():
    # the bare formula broadcast (4,) against (4, 1) and returned a (4, 1, 4) "gradient"
    with pytest.raises(ValueError, match=r"mse_grad.*targets targ \(n,\), got \(4, 1\) and \(4, 1\).*\(n, n\)"):
        nn_np.mse_grad(f32(4, 1), f32(4, 1))


@pytest.mark.parametrize('fn', [nn_np.mse, nn_np.mse_grad])
@pytest.mark.parametrize('out, targ', [(f32(4), f32(4)), (f32(4, 2), f32(4)), (f32(4, 1), f32(3)), (f32(4, 1), f32(1, 4))])
def test_loss_functions_name_the_shapes(fn, out, targ):
    with pytest.raises(ValueError, match=rf"{re.escape(str(out.shape))} and {re.escape(str(targ.shape))}"): fn(out, targ)


@pytest.mark.parametrize('fn', [nn_np.mse, nn_np.mse_grad])
@pytest.mark.parametrize('targ', [np.zeros(4), np.zeros(4, np.int64)])
def test_loss_functions_refuse_targets_of_another_dtype(fn, targ):
    # float32 - float64 and float32 - int64 both give float64 in NumPy
    with pytest.raises(ValueError, match=rf"out is float32, targ is {targ.dtype}"): fn(f32(4, 1), targ)


@pytest.mark.parametrize('x, w, b', [
    (f32(3, 2), f32(2, 5), f32(1)),       # one bias for every unit: broadcast silently
    (f32(3, 2), f32(2, 5), f32(3, 1)),    # one bias per sample: broadcast silently
    (f32(3, 2), f32(2, 5), f32(5, 1)),
    (f32(2), f32(2, 5), f32(5)),          # one sample without its batch dimension: a (5,) result
    (f32(3, 4), f32(2, 5), f32(5)),
])
def test_lin_refuses_shapes_that_would_broadcast(x, w, b):
    with pytest.raises(ValueError, match=r"lin expects x \(n, n_in\).*" + re.escape(f"got {x.shape}, {w.shape} and {b.shape}")):
        nn_np.lin(x, w, b)


@pytest.mark.parametrize('name', ['x', 'w', 'b'])
def test_lin_refuses_a_float64_array_among_float32(name):
    args = dict(x=f32(3, 2), w=f32(2, 5), b=f32(5))
    args[name] = args[name].astype(np.float64)
    with pytest.raises(ValueError, match=rf"{name} is float64"): nn_np.lin(**args)


@pytest.mark.parametrize('inp, out_g', [(f32(3, 5), f32(3, 1)), (f32(3, 1), f32(3)), (f32(3, 5), f32(5))])
def test_relu_grad_refuses_mismatched_shapes(inp, out_g):
    with pytest.raises(ValueError, match=re.escape(f"got {inp.shape} and {out_g.shape}")): nn_np.relu_grad(inp, out_g)


@pytest.mark.parametrize('inp, w, out_g', [
    (f32(1, 3), f32(3, 1), f32(1)),       # returned a (3,) input gradient and a scalar bias gradient
    (f32(4, 3), f32(3, 2), f32(4, 1)),
    (f32(4, 3), f32(3, 2), f32(2, 4)),
])
def test_lin_grad_refuses_mismatched_shapes(inp, w, out_g):
    with pytest.raises(ValueError, match=re.escape(f"got {inp.shape}, {w.shape} and {out_g.shape}")): nn_np.lin_grad(inp, w, out_g)


def test_lin_grad_refuses_a_float64_output_gradient():
    with pytest.raises(ValueError, match=r"out_g is float64"): nn_np.lin_grad(f32(4, 3), f32(3, 2), np.ones((4, 2)))


def test_model_refuses_float64_params_with_float32_inputs():
    params = dict(w1=np.ones((3, 2)), b1=np.zeros(2), w2=np.ones((2, 1)), b2=np.zeros(1))
    with pytest.raises(ValueError, match=r"x is float32, w is float64"): nn_np.Model(**params)(f32(4, 3), f32(4))


def test_gradients_keep_float32():
    model = nn_np.Model(w1=f32(3, 2), b1=f32(2), w2=f32(2, 1), b2=f32(1))
    model(f32(4, 3), np.zeros(4, np.float32))
    assert all(g.dtype == np.float32 for g in model.backward().values())


# ---- zero samples: the PyTorch mse refuses them; so does the NumPy one, rather than a nan with a warning ----
@pytest.mark.parametrize('fn', [nn_np.mse, nn_np.mse_grad])
def test_loss_functions_refuse_zero_samples(fn):
    import exp.backward
    with pytest.raises(ValueError, match='no samples'): exp.backward.mse(torch.zeros(0, 1), torch.zeros(0))
    with pytest.raises(ValueError, match=rf"{fn.__name__}: no samples"): fn(f32(0, 1), f32(0))


def test_model_refuses_an_empty_batch():
    model = nn_np.Model(f32(3, 2), f32(2), f32(2, 1), f32(1))
    with pytest.raises(ValueError, match='no samples'): model(f32(0, 3), f32(0))


def test_settings_require_numpy_2():
    "The notebook's float64 promotion (a float32 array times np.float64 gives float64) holds under NumPy 2's rules only."
    import configparser, pathlib
    cfg = configparser.ConfigParser()
    cfg.read(pathlib.Path(__file__).resolve().parent.parent / 'settings.ini')
    assert 'numpy>=2' in cfg['DEFAULT']['requirements'].split()
    assert int(np.__version__.split('.')[0]) >= 2
    assert (np.ones(3, np.float32) * np.sqrt(np.float64(2))).dtype == np.float64
