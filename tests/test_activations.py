"Tests of exp.activations: hooks that never outlive their block, and statistics equal to the same numbers computed directly."
import math

import matplotlib
matplotlib.use('Agg')
import pytest
import torch
from torch import nn
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from exp.activations import (ActivationStats, Hook, HookedLayer, Hooks, MYSTERY_CAUSES, get_deep_cnn, layer_statistics,
                             mystery_run, run_with_fault, update_ratio)
from exp.refactor import Layers, Lin, Relu
from exp.training import CrossEntropy

SETTINGS = settings(max_examples=25, deadline=None)


def mlp(n_in=6, nh=5, n_out=3, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, nh), nn.ReLU(), nn.Linear(nh, n_out))


def hook_counts(modules): return [len(m._forward_hooks) for m in modules]


def recorder(calls):
    return lambda hook, module, inp, out: calls.append(module)


# Hooks are removed: normal exit, exception, remove()

def test_hooks_removed_when_block_ends_normally():
    model, calls = mlp(), []
    with Hooks(model, recorder(calls)) as hs:
        assert hook_counts(model) == [1, 1, 1]
        model(torch.randn(4, 6))
    assert calls == list(model) and len(hs) == 3
    assert hook_counts(model) == [0, 0, 0]
    model(torch.randn(4, 6))
    assert len(calls) == 3


def test_hooks_removed_when_block_raises():
    model, calls = mlp(), []
    with pytest.raises(RuntimeError):
        with Hooks(model, recorder(calls)):
            model(torch.randn(4, 7))  # wrong width: the first Linear raises
    assert hook_counts(model) == [0, 0, 0]
    with pytest.raises(KeyError):
        with Hooks(model, recorder(calls)):
            raise KeyError('not from the model')
    assert hook_counts(model) == [0, 0, 0]


def test_hooks_removed_by_remove_and_twice_is_harmless():
    model, calls = mlp(), []
    hs = Hooks(model, recorder(calls))
    model(torch.randn(2, 6))
    hs.remove(); hs.remove()
    assert hook_counts(model) == [0, 0, 0]
    model(torch.randn(2, 6))
    assert len(calls) == 3
    h = Hook(model[0], recorder(calls))
    h.remove(); h.remove()
    assert hook_counts(model) == [0, 0, 0]


def test_hooks_that_fail_to_register_leave_nothing_behind():
    model = mlp()
    with pytest.raises(TypeError, match='register_forward_hook'):
        Hooks([model[0], model[1], 'not a module'], recorder([]))
    assert hook_counts(model) == [0, 0, 0]


def test_activation_stats_removed_on_exception():
    model = mlp()
    with pytest.raises(ValueError):
        with ActivationStats(model, hist_range=(-5, 5)):
            model(torch.randn(3, 6))
            raise ValueError('stop')
    assert hook_counts(model) == [0, 0, 0]


# A module with its hooks removed runs exactly as before

@SETTINGS
@given(st.integers(1, 8), st.integers(1, 6), st.integers(0, 10_000))
def test_module_runs_as_before_after_hooks(n, nh, seed):
    model = mlp(nh=nh, seed=seed)
    x = torch.randn(n, 6, generator=torch.Generator().manual_seed(seed))
    before = model(x)
    before.sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    with ActivationStats(model, hist_range=(-5, 5)):
        during = model(x)
    after = model(x)
    after.sum().backward()
    assert torch.equal(before, during) and torch.equal(before, after)
    assert all(torch.equal(g, p.grad) for g, p in zip(grads, model.parameters()))


# Hooks see the tensors the layer returns

def test_hooks_see_the_layers_outputs_themselves():
    model, seen = mlp(), {}
    x = torch.randn(5, 6)
    with Hooks(model, lambda hook, m, inp, out: seen.__setitem__(m, (inp, out))):
        model(x)
    inp = x
    for m in model:
        assert seen[m][0][0] is inp       # the input the module received ...
        inp = seen[m][1]
        assert torch.equal(inp, m(seen[m][0][0]))  # ... and the output it returns for it
    assert seen[model[1]][0][0] is seen[model[0]][1]   # each output is the next module's input, not a copy


def test_hook_state_lives_on_the_hook():
    model = mlp()
    with Hooks(model, lambda hook, m, inp, out: setattr(hook, 'shape', tuple(out.shape))) as hs:
        model(torch.randn(4, 6))
    assert [h.shape for h in hs] == [(4, 5), (4, 5), (4, 3)]
    assert [h.module for h in hs] == list(model)


# Hooks on our hand-written layers

def hand_layers(seed=0):
    g = torch.Generator().manual_seed(seed)
    return [Lin(torch.randn(6, 5, generator=g), torch.randn(5, generator=g)), Relu(),
            Lin(torch.randn(5, 3, generator=g), torch.randn(3, generator=g))]


def run_hand(layers, x, y):
    loss = CrossEntropy()
    out = loss(layers(x), y)
    loss.backward(); layers.backward()
    return out


def test_hooked_layer_forward_and_backward_hooks():
    x, y = torch.randn(4, 6), torch.tensor([0, 1, 2, 1])
    plain = Layers(*hand_layers())
    hooked = Layers(*[HookedLayer(l) for l in hand_layers()])
    fwd, bwd = [], []
    handles = [l.register_forward_hook(lambda l, args, out: fwd.append((l, args, out))) for l in hooked]
    handles += [l.register_backward_hook(lambda l, g_args, g_out: bwd.append((l, g_args, g_out))) for l in hooked]
    loss = run_hand(hooked, x, y)
    assert torch.equal(loss, run_hand(plain, x.clone(), y))
    assert [l for l, _, _ in fwd] == list(hooked) and [l for l, _, _ in bwd] == list(reversed(hooked))
    for l, args, out in fwd: assert out is l.layer.out and all(a is b for a, b in zip(args, l.layer.args, strict=True))
    for p, q in zip(plain.parameters(), hooked.parameters()): assert torch.equal(p.g, q.g)
    # the backward hook sees the output's gradient before the layer drops it, and the inputs' gradients after
    assert bwd[-1][1][0] is x.g
    assert all(g_out is not None and g_out.shape == l.layer.out.shape for l, _, g_out in bwd)
    for h in handles: h.remove()
    for l in hooked: assert not l.forward_hooks and not l.backward_hooks
    n = len(fwd)
    run_hand(hooked, x, y)
    assert len(fwd) == n and len(bwd) == n


def test_hooks_and_stats_work_on_hooked_layers():
    layers = Layers(*[HookedLayer(l) for l in hand_layers()])
    x = torch.randn(8, 6)
    with ActivationStats(layers, hist_range=(-10, 10)) as stats:
        layers(x)
    for i, l in enumerate(layers):
        expected, _ = layer_statistics(l.layer.out, hist_range=(-10, 10))
        assert torch.allclose(stats.means[0, i], expected[0]) and torch.allclose(stats.stds[0, i], expected[1])
    assert all(not l.forward_hooks for l in layers)


# Statistics equal the same numbers computed directly

shapes = st.one_of(st.tuples(st.integers(1, 6), st.integers(1, 7)),
                   st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 5), st.integers(1, 5)))


def direct(out, bins, lo, hi, eps):
    "The statistics straight from their definitions, one unit at a time, in float64."
    x = out.double()
    units = [x.select(1, c) for c in range(x.shape[1])]
    dead = sum(bool((u.abs() <= eps).all()) for u in units) / len(units)
    std = x.std() if x.numel() > 1 else torch.zeros((), dtype=torch.float64)
    inside = x[(x >= lo) & (x <= hi)]
    idx = ((inside - lo) / (hi - lo) * bins).floor().long().clamp(max=bins - 1)  # the top edge counts in the last bin
    hist = torch.bincount(idx, minlength=bins).double()
    return torch.stack([x.mean(), std, torch.tensor(dead, dtype=torch.float64)]), hist


@SETTINGS
@given(shapes, st.integers(1, 50), st.floats(-3, 0), st.floats(0.5, 4), st.sampled_from([0., 1e-3, 0.5]),
       st.integers(0, 10_000), st.booleans())
def test_layer_statistics_equal_direct_computation(shape, bins, lo, hi, eps, seed, relu):
    g = torch.Generator().manual_seed(seed)
    out = torch.randn(shape, generator=g) * 2
    if relu: out = out.relu()
    if shape[1] > 1: out.select(1, 0).zero_()  # one unit dead for sure
    stats, hist = layer_statistics(out, bins, (lo, hi), eps)
    exp_stats, exp_hist = direct(out, bins, lo, hi, eps)
    assert stats.dtype == torch.float32 and stats.shape == (3,) and hist.shape == (bins,)
    assert torch.allclose(stats.double(), exp_stats, atol=1e-5, rtol=1e-4)
    assert hist.sum() == exp_hist.sum()  # the same values counted...
    assert (hist.double() - exp_hist).abs().sum() <= 2 * len(out.flatten()) * 1e-3 + 2  # ...in the same bins, but for a value on an edge


def test_layer_statistics_counts_dead_units_per_unit():
    out = torch.zeros(3, 4, 2, 2)
    out[0, 1, 0, 0] = 1.   # unit 1 alive on one image, one position
    out[:, 2] = 5e-4       # unit 2 nearly zero everywhere: dead at eps 1e-3
    stats, _ = layer_statistics(out, dead_eps=1e-3)
    assert stats[2] == 0.75
    stats, _ = layer_statistics(out, dead_eps=1e-4)
    assert stats[2] == 0.5


@SETTINGS
@given(shapes, st.integers(1, 20))
def test_layer_statistics_on_meta(shape, bins):
    out = torch.empty(shape, device='meta')
    stats, hist = layer_statistics(out, bins)
    assert stats.device.type == 'meta' and stats.shape == (3,)
    assert hist.device.type == 'meta' and hist.shape == (bins,)


@pytest.mark.parametrize('shape', [(5,), (0, 3), (3, 0, 2)])
def test_layer_statistics_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match=r'\(N, units'):
        layer_statistics(torch.ones(shape))


@SETTINGS
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=1, max_size=3), st.integers(0, 10_000))
def test_update_ratio_equals_direct_computation(sizes, seed):
    g = torch.Generator().manual_seed(seed)
    before = [torch.randn(s, generator=g) + 0.1 for s in sizes]
    after = [b + 0.01 * torch.randn(b.shape, generator=g) for b in before]
    flat_b, flat_a = torch.cat([b.flatten() for b in before]).double(), torch.cat([a.flatten() for a in after]).double()
    expected = (flat_a - flat_b).norm() / flat_b.norm()
    assert torch.allclose(update_ratio(before, after).double(), expected, rtol=1e-4)
    meta = update_ratio([b.to('meta') for b in before], [a.to('meta') for a in after])
    assert meta.device.type == 'meta' and meta.shape == ()


def test_update_ratio_keeps_small_float64_updates():
    # an update far below float32's precision relative to the weights must not be rounded away (or inflated)
    g = torch.Generator().manual_seed(0)
    before = torch.randn(1000, generator=g, dtype=torch.float64) * 3 + 10
    delta = 1e-8 * torch.randn(1000, generator=g, dtype=torch.float64)
    assert torch.allclose(update_ratio([before], [before + delta]).double(), delta.norm() / before.norm(), rtol=1e-3)


def test_update_ratio_rejects_mismatched_lists():
    with pytest.raises(ValueError, match='equally long'): update_ratio([], [])
    with pytest.raises(ValueError, match='equally long'): update_ratio([torch.ones(2)], [torch.ones(2)] * 2)


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6), st.integers(2, 5), st.integers(0, 10_000))
def test_activation_stats_equal_direct_computation(n_in, nh, n, steps, seed):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(n_in, nh), nn.ReLU(), nn.Linear(nh, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    outs, params = [], []
    watch = Hooks(model, lambda hook, m, inp, out: outs.append(out.detach().clone()) if torch.is_grad_enabled() else None)
    with ActivationStats(model, bins=12, hist_range=(-3, 3)) as stats:
        for _ in range(steps):
            params.append([[p.detach().clone() for p in m.parameters()] for m in model])
            loss = model(torch.randn(n, n_in)).pow(2).mean()
            with torch.no_grad(): model(torch.randn(7, n_in))  # a validation pass: not a step
            loss.backward(); opt.step(); opt.zero_grad()
    watch.remove()
    assert len(outs) == steps * 3
    assert stats.means.shape == stats.stds.shape == stats.dead.shape == (steps, 3)
    assert stats.hists.shape == (3, steps, 12) and stats.updates.shape == (steps - 1, 3)
    for t in range(steps):
        for i in range(3):
            s, h = layer_statistics(outs[3 * t + i], 12, (-3, 3))
            assert torch.allclose(torch.stack([stats.means[t, i], stats.stds[t, i], stats.dead[t, i]]), s)
            assert torch.equal(stats.hists[i, t], h)
    for t in range(steps - 1):
        for i in (0, 2):
            assert torch.allclose(stats.updates[t, i], update_ratio(params[t][i], params[t + 1][i]))
        assert stats.updates[t, 1].isnan()  # the ReLU has no parameters


def test_activation_stats_skip_no_grad_and_report_nothing_yet():
    model = mlp()
    with ActivationStats(model, hist_range=(-5, 5)) as stats:
        with torch.no_grad(): model(torch.randn(3, 6))
    with pytest.raises(ValueError, match='no stats recorded'): stats.means
    with ActivationStats(model, hist_range=(-5, 5)) as stats:
        model(torch.randn(3, 6))
    assert stats.means.shape == (1, 3)
    with pytest.raises(ValueError, match='no updates recorded'): stats.updates


def test_activation_stats_skip_eval_mode():
    model = mlp()
    with ActivationStats(model, hist_range=(-5, 5)) as stats:
        model(torch.randn(3, 6))
        model.eval(); model(torch.randn(3, 6))  # a validation pass with gradients on, but in eval mode: not a step
        model.train(); model(torch.randn(3, 6))
    assert stats.means.shape == (2, 3)


def test_activation_stats_float64_model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU()).double()
    opt = torch.optim.SGD(model.parameters(), lr=1e-9)
    x = torch.randn(8, 4, dtype=torch.float64)
    with ActivationStats(model, hist_range=(-5, 5)) as stats:
        for _ in range(2):
            before = [p.detach().clone() for p in model[0].parameters()]
            model(x).sum().backward(); opt.step(); opt.zero_grad()
    after = list(model[0].parameters())
    direct = torch.cat([(a.detach() - b).flatten() for a, b in zip(after, before)]).norm() / torch.cat([b.flatten() for b in before]).norm()
    assert torch.allclose(stats.updates[0, 0].double(), direct, rtol=1e-3)
    assert torch.allclose(stats.stds[:, 0].double(), torch.stack([model[0](x).std()] * 2).detach(), rtol=1e-3)


def test_activation_stats_refuses_a_module_twice():
    model = mlp()
    with pytest.raises(ValueError, match='given twice'):
        ActivationStats([model[0], model[1], model[0]], hist_range=(-5, 5))
    assert hook_counts(model) == [0, 0, 0]


def test_activation_stats_names_a_module_without_a_tensor_output():
    lstm = nn.LSTM(3, 4, batch_first=True)
    with pytest.raises(TypeError, match='LSTM returned a tuple'):
        with ActivationStats([lstm]): lstm(torch.randn(2, 5, 3))
    assert len(lstm._forward_hooks) == 0


def test_hooks_on_one_module_is_a_clear_error():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r'iterable of modules.*\[module\]'): Hooks(lin, lambda *a: None)
    assert len(lin._forward_hooks) == 0


def test_activation_stats_on_meta():
    model = get_deep_cnn(layer=nn.Conv2d).to('meta')
    with ActivationStats(model[:-2], bins=7) as stats:
        for _ in range(3): model(torch.empty(5, 1, 28, 28, device='meta'))
    for t, shape in ((stats.means, (3, 8)), (stats.stds, (3, 8)), (stats.dead, (3, 8)), (stats.hists, (8, 3, 7)),
                     (stats.updates, (2, 8))):
        assert t.device.type == 'meta' and t.shape == shape


@pytest.mark.parametrize('kwargs', [dict(bins=0), dict(hist_range=(1., 1.)), dict(hist_range=(2., -2.))])
def test_activation_stats_rejects_bad_arguments(kwargs):
    model = mlp()
    with pytest.raises(ValueError, match='ActivationStats'):
        ActivationStats(model, **kwargs)
    assert hook_counts(model) == [0, 0, 0]


def test_activation_stats_interrupted_forward_is_reported():
    model = mlp()
    with ActivationStats(model, hist_range=(-5, 5)) as stats:
        model(torch.randn(2, 6))
        model[0](torch.randn(2, 6))  # only the first module runs
    with pytest.raises(ValueError, match='different numbers of steps'): stats.means


def test_plots_run(monkeypatch):
    import matplotlib.pyplot as plt
    monkeypatch.setattr(plt, 'show', lambda: None)
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with ActivationStats(model, hist_range=(-5, 5)) as stats:
        for _ in range(4):
            model(torch.randn(8, 6)).pow(2).mean().backward(); opt.step(); opt.zero_grad()
    stats.plot_stats('t'); stats.plot_hists('t'); stats.plot_dead('t'); stats.plot_updates(title='t')
    plt.close('all')


# The deeper CNN

@pytest.mark.parametrize('depth,chans', [(1, (1, 4, 8)), (2, (1, 8, 16, 32, 64)), (3, (1, 4, 4, 8))])
def test_get_deep_cnn_shapes(depth, chans):
    model = get_deep_cnn(chans=chans, depth=depth, layer=nn.Conv2d)
    assert len(model) == depth * (len(chans) - 1) + 2
    assert isinstance(model[-2], nn.Flatten) and isinstance(model[-1], nn.Linear)
    assert model(torch.randn(3, 1, 28, 28)).shape == (3, 10)
    strides = [b[0].stride[0] for b in model[:-2]]
    assert strides == ([2] + [1] * (depth - 1)) * (len(chans) - 1)


def test_get_deep_cnn_init_and_norm():
    calls = []
    def init(w):
        calls.append(tuple(w.shape)); w.fill_(0.5)
    model = get_deep_cnn(init=init, norm=nn.BatchNorm2d, layer=nn.Conv2d)
    assert len(calls) == 8
    for block in model[:-2]:
        conv, norm, _ = block
        assert (conv.weight == 0.5).all() and conv.bias is None
        assert isinstance(norm, nn.BatchNorm2d) and norm.num_features == conv.out_channels
    plain = get_deep_cnn()  # our Conv2d, Kaiming: std of the weights near sqrt(2 / fan_in)
    w = plain[-3][0].weight
    assert abs(w.std().item() / math.sqrt(2 / w[0].numel()) - 1) < 0.1 and plain[0][0].bias is not None


@pytest.mark.parametrize('kwargs,match', [(dict(depth=0), 'depth'), (dict(chans=(1,)), 'chans')])
def test_get_deep_cnn_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match): get_deep_cnn(**kwargs)


def test_run_with_fault_shows_its_fault():
    torch.manual_seed(0)
    x, y = torch.randn(64 * 2, 1, 28, 28), torch.randint(0, 10, (64 * 2,))
    run = lambda cause: run_with_fault((x, y), (x[:32], y[:32]), cause, steps=2)
    shrink = {c: (lambda s: (s[0, -1] / s[0, 0]).item())(run(c).stds) for c in MYSTERY_CAUSES[:3]}
    # at step 0, before any update: a small init shrinks the signal through the blocks, a large one grows it
    assert shrink['initialisation too small'] < shrink['learning rate too high'] < shrink['initialisation too large']
    # the first update: a high learning rate moves the weights far more than a low one
    assert run('learning rate too high').updates[0].min() > 100 * run('learning rate too low').updates[0].max()
    with pytest.raises(ValueError, match='cause must be one of'): run('momentum too high')


def test_mystery_run_returns_stats_and_a_cause():
    torch.manual_seed(0)
    x, y = torch.randn(64 * 3, 1, 28, 28), torch.randint(0, 10, (64 * 3,))
    stats, cause = mystery_run((x, y), (x[:32], y[:32]), steps=3)
    assert cause in MYSTERY_CAUSES
    assert stats.stds.shape == (3, 8)
    assert all(len(h.module._forward_hooks) == 0 for h in stats)
