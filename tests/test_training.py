"Tests of exp.training: the losses against torch, the cross-entropy gradient against autograd, accuracy, and fit."
import math
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

import exp.training as tr

logits_st = st.tuples(st.integers(1, 16), st.integers(2, 12), st.sampled_from([1., 10., 1000.]), st.integers(0, 2**31 - 1))

def draw(shape_scale_seed, dtype=torch.float64):
    n, k, scale, seed = shape_scale_seed
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, k, generator=g, dtype=dtype) * scale, torch.randint(0, k, (n,), generator=g)

@settings(deadline=None, max_examples=40)
@given(logits_st)
def test_losses_match_torch(case):
    x, t = draw(case)
    torch.testing.assert_close(tr.logsumexp(x), torch.logsumexp(x, -1))
    torch.testing.assert_close(tr.log_softmax(x), F.log_softmax(x, -1))
    torch.testing.assert_close(tr.nll(F.log_softmax(x, -1), t), F.nll_loss(F.log_softmax(x, -1), t))
    torch.testing.assert_close(tr.cross_entropy(x, t), F.cross_entropy(x, t))

@settings(deadline=None, max_examples=40)
@given(logits_st)
def test_cross_entropy_grad_matches_autograd(case):
    x, t = draw(case)
    x.requires_grad_()
    F.cross_entropy(x, t).backward()
    torch.testing.assert_close(tr.cross_entropy_grad(x.detach(), t), x.grad)

def test_cross_entropy_layer_gradcheck():
    x, t = draw((5, 4, 1., 0))
    assert torch.autograd.gradcheck(lambda z: tr.cross_entropy(z, t), (x.requires_grad_(),))
    expected, = torch.autograd.grad(F.cross_entropy(x, t), x)
    layer, xd = tr.CrossEntropy(), x.detach().clone()
    layer(xd, t); layer.backward()
    torch.testing.assert_close(xd.g, expected)

def test_nll_bad_shapes():
    with pytest.raises(ValueError, match=r'\(3, 1\)'): tr.nll(torch.zeros(3, 4), torch.zeros(3, 1, dtype=torch.long))

def test_accuracy():
    logits = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    assert tr.accuracy(logits, torch.tensor([0, 1, 1, 0])).item() == 0.5
    assert tr.accuracy(logits, torch.tensor([0, 1, 0, 1])).item() == 1.0

def test_batches_cover_each_row_once():
    x, y = torch.arange(10.).unsqueeze(1), torch.arange(10)
    got = list(tr.batches(x, y, 3, shuffle=True, generator=torch.Generator().manual_seed(0)))
    assert [len(b) for _, b in got] == [3, 3, 3, 1]
    assert torch.equal(torch.cat([b for _, b in got]).sort().values, y)
    with pytest.raises(ValueError): next(tr.batches(x, y[:5], 3))

def test_warmup_cos():
    s = tr.warmup_cos(0.5, warmup=0.2)
    assert s(0) == 0 and math.isclose(s(0.2), 0.5) and abs(s(1)) < 1e-12 and s(0.6) < 0.5

def test_fit_separates_synthetic_classes():
    "A hand-written MLP trained by fit reaches 100% on two well-separated blobs, with no autograd."
    g = torch.Generator().manual_seed(0)
    centres = torch.tensor([[3., 3.], [-3., -3.], [3., -3.]])
    y = torch.randint(0, 3, (600,), generator=g)
    x = centres[y] + 0.5 * torch.randn(600, 2, generator=g)
    params = tr.init_mlp(2, 16, 3, device='cpu', generator=g)
    model = tr.hand_mlp(*params)
    hist = tr.fit(3, model, tr.CrossEntropy(), tr.SGD(params, 0.05, momentum=0.9), (x[:500], y[:500]),
                  (x[500:], y[500:]), bs=32, sched=tr.warmup_cos(0.05), seed=0, progress=False)
    assert hist['valid_acc'][-1] == 1.0
    assert sum(hist['loss'][-10:]) < sum(hist['loss'][:10])

def test_sgd_matches_torch_sgd():
    p = torch.randn(5); q = p.clone().requires_grad_()
    ours, theirs = tr.SGD([p], lr=0.1, momentum=0.9), torch.optim.SGD([q], lr=0.1, momentum=0.9)
    for _ in range(4):
        grad = torch.randn(5)
        p.g = grad.clone(); ours.step()
        q.grad = grad.clone(); theirs.step()
    torch.testing.assert_close(p, q.detach())
