"Tests of exp.numpy_nn: the NumPy forward and backward pass against PyTorch autograd, in float64."
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
