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
    assert 0 < s(0) < s(0.1) < s(0.2) and math.isclose(s(0.2), 0.5) and abs(s(1)) < 1e-12 and s(0.6) < 0.5
    assert math.isclose(s(0), 0.5 * 0.05) and math.isclose(tr.warmup_cos(0.5, 0.2, start=0.5)(0.1), 0.375)  # the first step moves

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


# --- hardening: bad targets, bad arguments, divergence, the progress bar -----------------------------------------
import importlib.util, sys, types
import tqdm.std

def test_logsumexp_dim_and_infinite_rows():
    x = torch.randn(4, 6, dtype=torch.float64)
    torch.testing.assert_close(tr.logsumexp(x, 0), torch.logsumexp(x, 0))
    torch.testing.assert_close(tr.log_softmax(x, 0), F.log_softmax(x, 0))
    torch.testing.assert_close(tr.logsumexp(x, 1, keepdim=True), torch.logsumexp(x, 1, keepdim=True))
    inf = float('inf')
    edge = torch.tensor([[-inf, -inf], [inf, 0.], [1., 2.]])
    assert torch.equal(tr.logsumexp(edge), torch.logsumexp(edge, -1))  # was nan for the first two rows
    with pytest.raises(ValueError, match=r'\(3, 0\)'): tr.logsumexp(torch.zeros(3, 0))

@pytest.mark.parametrize('f', [tr.nll, tr.cross_entropy, tr.cross_entropy_grad, tr.accuracy])
def test_targets_must_be_a_vector_of_int64(f):
    scores = torch.randn(3, 2)
    for bad in (torch.tensor([[0], [1], [1]]), torch.tensor([0., 1., 1.]), torch.tensor([0, 1])):
        with pytest.raises(ValueError, match=r'\(n,\).*int64') as e: f(scores, bad)
        assert str(tuple(bad.shape)) in str(e.value) and '(3, 2)' in str(e.value)
    with pytest.raises(ValueError, match='empty'): f(torch.randn(0, 2), torch.zeros(0, dtype=torch.long))

def test_accuracy_refuses_a_column_of_targets():
    logits = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    assert math.isclose(tr.accuracy(logits, torch.tensor([0, 1, 1])).item(), 2 / 3, rel_tol=1e-6)
    with pytest.raises(ValueError, match=r'\(3, 1\)'): tr.accuracy(logits, torch.tensor([[0], [1], [1]]))

@pytest.mark.parametrize('f', [tr.nll, tr.cross_entropy, tr.cross_entropy_grad, tr.accuracy])
@pytest.mark.parametrize('label', [-1, 4, 10])
def test_labels_out_of_range_are_named(f, label):
    with pytest.raises(ValueError, match=rf'label {label} .*4 classes.*\[0, 4\)'):
        f(torch.randn(3, 4), torch.tensor([0, label, 1]))

def test_labels_on_meta_tensors_keep_the_device():
    out = tr.cross_entropy_grad(torch.randn(3, 4, device='meta'), torch.zeros(3, dtype=torch.long, device='meta'))
    assert out.device.type == 'meta' and out.shape == (3, 4)

def test_batches_refuse_bad_sizes_at_call_time():
    x, y = torch.zeros(10, 2), torch.zeros(10, dtype=torch.long)
    for bs in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match='positive integer'): tr.batches(x, y, bs)  # no next(): checked when called

def test_sgd_refuses_bad_hyperparameters():
    w = torch.zeros(3)
    for lr in (-0.1, math.nan, math.inf):
        with pytest.raises(ValueError, match='learning rate'): tr.SGD([w], lr)
    for mom in (-0.1, 1., 1.5, math.nan):
        with pytest.raises(ValueError, match=r'momentum must be in \[0, 1\)'): tr.SGD([w], 0.1, momentum=mom)
    with pytest.raises(ValueError, match='no parameters'): tr.SGD([], 0.1)
    with pytest.raises(RuntimeError, match=r'parameter 0 \(shape \(3,\)\) has no gradient'): tr.SGD([w], 0.1).step()

def test_warmup_cos_refuses_bad_arguments():
    for warmup in (1., -0.1, 1.5):
        with pytest.raises(ValueError, match='warmup'): tr.warmup_cos(0.1, warmup)
    with pytest.raises(ValueError, match='lr_max'): tr.warmup_cos(math.nan)

def blobs(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    x = torch.tensor([[3., 3.], [-3., -3.], [3., -3.]])[y] + 0.5 * torch.randn(n, 2, generator=g)
    return x, y

def fit_args(lr=0.05, **kw):
    x, y = blobs()
    params = tr.init_mlp(2, 8, 3, device='cpu', generator=torch.Generator().manual_seed(0))
    args = dict(epochs=1, model=tr.hand_mlp(*params), loss_func=tr.CrossEntropy(), opt=tr.SGD(params, lr),
                train=(x[:150], y[:150]), valid=(x[150:], y[150:]), progress=False)
    return {**args, **kw}, params

@pytest.mark.parametrize('change, message', [
    (dict(valid=(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long))), 'validation set is empty'),
    (dict(train=(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long))), 'training set is empty'),
    (dict(train=(torch.zeros(5, 2), torch.zeros(4, dtype=torch.long))), '5 inputs but 4 targets'),
    (dict(bs=0), 'batch size'), (dict(bs=-64), 'batch size'),
    (dict(epochs=-1), 'epochs'), (dict(epochs=0), 'epochs'), (dict(epochs=2.0), 'epochs'),
])
def test_fit_checks_arguments_before_the_first_step(change, message):
    args, params = fit_args(**change)
    before = [p.clone() for p in params]
    with pytest.raises(ValueError, match=message): tr.fit(**args)
    assert all(torch.equal(p, q) for p, q in zip(params, before)), "fit trained before refusing"

def test_fit_refuses_a_nan_learning_rate_of_a_torch_optimizer():
    model = torch.nn.Linear(2, 3)
    x, y = blobs()
    opt = torch.optim.SGD(model.parameters(), lr=math.nan)  # torch accepts it
    before = model.weight.detach().clone()
    with pytest.raises(ValueError, match='learning rate is nan at epoch 1, step 1'):
        tr.fit(1, model, F.cross_entropy, opt, (x, y), (x, y), progress=False)
    assert torch.equal(model.weight.detach(), before)

def test_fit_stops_at_the_first_non_finite_loss():
    args, _ = fit_args(lr=1e4, epochs=3, bs=8)
    with pytest.raises(FloatingPointError, match=r'the loss is (nan|inf) at epoch \d+, step \d+ of 19'): tr.fit(**args)

def test_fit_refuses_a_nan_learning_rate_from_the_schedule_before_using_it():
    args, params = fit_args(sched=lambda t: math.nan if t > 0.5 else 0.05)  # 3 steps: t = 0, 1/3, 2/3
    with pytest.raises(ValueError, match=r'learning rate is nan at epoch 1, step 3'): tr.fit(**args)
    assert all(p.isfinite().all() for p in params)

def fake_jupyter(monkeypatch, widgets):
    monkeypatch.setitem(sys.modules, 'ipykernel.zmqshell', types.ModuleType('ipykernel.zmqshell'))
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec',
                        lambda name, *a: (object() if widgets else None) if name == 'ipywidgets' else real(name, *a))

def test_progress_bar_in_a_script_is_the_text_bar_on_stderr(monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, 'ipykernel.zmqshell', raising=False)
    bar = tr.progress_bar(range(3), desc='training')
    list(bar)
    out, err = capsys.readouterr()
    assert type(bar) is tqdm.std.tqdm and 'training' in err and out == ''

def test_progress_bar_in_jupyter_without_ipywidgets_redraws_one_output(monkeypatch, capsys):
    """Neither stderr (JupyterLab shows it in pink) nor stdout: `jupyter nbconvert --execute` stores every redraw
    written to a stream as an output of its own. The bar is one display, replaced at each redraw, erased at the end."""
    fake_jupyter(monkeypatch, widgets=False)
    import IPython.display
    shown, updates = [], []
    class Handle:
        def update(self, obj, raw=False): updates.append(obj['text/plain'])
    def display(obj, raw=False, display_id=False):
        shown.append(obj['text/plain'])
        return Handle()
    monkeypatch.setattr(IPython.display, 'display', display)
    bar = tr.progress_bar(range(5), desc='training', leave=False, mininterval=0)
    list(bar)
    out, err = capsys.readouterr()
    assert type(bar) is tqdm.std.tqdm and out == '' and err == ''
    assert len(shown) == 1 and 'training' in shown[0] and len(updates) >= 5
    assert not any('\r' in t or '\n' in t for t in shown + updates)
    assert '5/5' in updates[-2] and '█' in updates[-2] and updates[-1] == ''

def test_progress_bar_that_never_draws_makes_no_output(monkeypatch):
    fake_jupyter(monkeypatch, widgets=False)
    import IPython.display
    monkeypatch.setattr(IPython.display, 'display', lambda *a, **k: pytest.fail('displayed a bar that was never drawn'))
    list(tr.progress_bar(range(5), delay=60, leave=False))

def test_progress_bar_leaves_no_fragments_in_an_executed_notebook(tmp_path):
    "What `make outputs` stores: a notebook whose cell draws the bar for two epochs, run by nbclient in a real kernel."
    nbformat = pytest.importorskip('nbformat'); nbclient = pytest.importorskip('nbclient')
    from pathlib import Path
    root = Path(tr.__file__).resolve().parent.parent
    code = (f"import sys, time; sys.path.insert(0, {str(root)!r})\nfrom exp.training import progress_bar\n"
            "for epoch in range(2):\n    for i in progress_bar(range(6), desc='epoch', leave=False, mininterval=0):"
            " time.sleep(0.02)\n    print(f'epoch {epoch} done')")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nbclient.NotebookClient(nb, timeout=300, kernel_name='python3', resources={'metadata': {'path': str(tmp_path)}}).execute()
    outs = nb.cells[0].outputs
    streams = ''.join(o.get('text', '') for o in outs if o.output_type == 'stream')
    assert streams == 'epoch 0 done\nepoch 1 done\n' and not any(o.output_type == 'error' for o in outs)
    bars = [o for o in outs if o.output_type == 'display_data']
    assert len(bars) == 2 and all(o.data['text/plain'] == '' for o in bars)

def test_progress_bar_in_jupyter_with_ipywidgets_is_tqdm_auto(monkeypatch):
    fake_jupyter(monkeypatch, widgets=True)
    class WidgetBar:
        def __init__(self, iterable, **kwargs): self.iterable, self.kwargs = iterable, kwargs
    monkeypatch.setitem(sys.modules, 'tqdm.auto', types.SimpleNamespace(tqdm=WidgetBar))
    bar = tr.progress_bar(range(3), leave=False)
    assert isinstance(bar, WidgetBar) and bar.kwargs == dict(leave=False)

def test_fit_draws_its_bar_with_progress_bar(monkeypatch):
    calls = []
    def spy(iterable, **kwargs):
        calls.append(kwargs)
        return iterable
    monkeypatch.setattr(tr, 'progress_bar', spy)
    args, _ = fit_args(epochs=2)
    tr.fit(**args)
    assert [c['desc'] for c in calls] == ['epoch 1/2', 'epoch 2/2'] and all(c['leave'] is False and c['disable'] for c in calls)

def test_init_mlp_uses_the_init_module():
    from exp.init import kaiming_init, xavier_init
    w1, b1, w2, b2 = tr.init_mlp(6, 5, 4, device='cpu', generator=torch.Generator().manual_seed(3))
    g = torch.Generator().manual_seed(3)
    assert torch.equal(w1, kaiming_init(6, 5, generator=g)) and torch.equal(w2, xavier_init(5, 4, generator=g))
    assert torch.equal(b1, torch.zeros(5)) and torch.equal(b2, torch.zeros(4))

def test_train_step_ignores_gradients_left_by_an_earlier_backward():
    x, y = blobs()
    torch.manual_seed(0); fresh = torch.nn.Linear(2, 3)
    torch.manual_seed(0); stale = torch.nn.Linear(2, 3)
    F.cross_entropy(stale(x * 100), y).backward()  # a backward pass run by hand, whose .grad is left behind
    for model in (fresh, stale):
        tr.train_step(model, F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.1), x, y)
    torch.testing.assert_close(stale.weight, fresh.weight)

def test_cross_entropy_layer_adds_into_g_like_the_other_layers():
    "06's contract: a LayerFunction's backward adds into .g, so two backward passes give twice the gradient."
    x, t = draw((4, 3, 1., 1))
    layer = tr.CrossEntropy()
    layer(x, t); layer.backward()
    layer(x, t); layer.backward()
    torch.testing.assert_close(x.g, 2 * tr.cross_entropy_grad(x, t))

def test_hand_mlp_uses_the_layers_of_06():
    from exp.refactor import Layers
    params = tr.init_mlp(4, 3, 2, device='cpu')
    model = tr.hand_mlp(*params)
    assert isinstance(model, Layers) and all(p is q for p, q in zip(model.parameters(), params))


# --- hardening, round 2 (issue 23): non-finite outputs, gradients of the wrong shape, schedules, dims -------------
import numpy as np

def test_accuracy_of_non_finite_outputs_is_never_a_score():
    "argmax of a nan row is 0: the rows below would all count as right, an accuracy of 1.0."
    targ = torch.zeros(4, dtype=torch.long)
    for bad in (torch.full((4, 3), math.nan), torch.tensor([[1., 0., 0.]] * 3 + [[math.nan, 0., 0.]])):
        acc = tr.accuracy(bad, targ)
        assert math.isnan(float(acc)), acc
    acc = tr.accuracy(torch.tensor([[math.inf, 0.], [0., 1.]]), torch.tensor([0, 1]))
    assert math.isnan(float(acc)), acc  # an overflowed score is no score either
    out = tr.accuracy(torch.randn(3, 4, device='meta'), torch.zeros(3, dtype=torch.long, device='meta'))
    assert out.device.type == 'meta' and out.shape == ()

def test_evaluate_reports_nan_accuracy_for_a_model_that_outputs_nan():
    x, y = blobs()
    model = lambda xb: torch.full((len(xb), 3), math.nan)
    loss, acc = tr.evaluate(model, F.cross_entropy, x, y, bs=64)
    assert math.isnan(acc) and math.isnan(loss)

def test_sgd_refuses_a_gradient_of_the_wrong_shape_and_updates_nothing():
    w, b = torch.randn(3, 2), torch.randn(2)
    before = [w.clone(), b.clone()]
    opt = tr.SGD([w, b], 0.1, momentum=0.9)
    w.g, b.g = torch.ones(3, 2), torch.ones(3, 2)  # the weight's gradient stored on the bias: it would broadcast
    with pytest.raises(ValueError, match=r'parameter 1.*shape \(2,\).*gradient.*shape \(3, 2\)'): opt.step()
    assert torch.equal(w, before[0]) and torch.equal(b, before[1]), "a parameter changed before the refusal"
    assert all(torch.equal(v, torch.zeros_like(v)) for v in opt.velocity)
    w.g, b.g = torch.ones(2), torch.ones(2)  # the bias's gradient on the weight: it would broadcast too
    with pytest.raises(ValueError, match=r'parameter 0.*\(3, 2\).*\(2,\)'): opt.step()
    assert torch.equal(w, before[0])

def test_sgd_step_keeps_the_learning_rate_out_of_the_velocity():
    "torch's rule: v = mu*v + g, p -= lr*v. Folding lr into v (v = mu*v + lr*g) agrees only while lr is constant."
    p = torch.randn(5); q = p.clone().requires_grad_()
    ours, theirs = tr.SGD([p], lr=0.1, momentum=0.9), torch.optim.SGD([q], lr=0.1, momentum=0.9)
    g = torch.Generator().manual_seed(0)
    for lr in (0.1, 0.5, 0.02, 0.3):
        tr.set_lr(ours, lr); tr.set_lr(theirs, lr)
        grad = torch.randn(5, generator=g)
        p.g = grad.clone(); ours.step()
        q.grad = grad.clone(); theirs.step()
    torch.testing.assert_close(p, q.detach())

def test_sgd_zero_grad_clears_the_gradients():
    w = torch.randn(3)
    opt = tr.SGD([w], 0.1)
    w.g = torch.ones(3)
    opt.zero_grad()
    assert getattr(w, 'g', None) is None or torch.equal(w.g, torch.zeros(3))

def test_train_step_of_the_hand_written_model_ignores_gradients_left_by_an_earlier_backward():
    "Our layers add into .g, so without zero_grad a stale gradient would leak into the step."
    x, y = blobs()
    def run(stale):
        params = tr.init_mlp(2, 8, 3, device='cpu', generator=torch.Generator().manual_seed(0))
        model, loss_func = tr.hand_mlp(*params), tr.CrossEntropy()
        if stale: loss_func(model(x * 100), y); loss_func.backward(); model.backward()
        tr.train_step(model, loss_func, tr.SGD(params, 0.1), x, y)
        return params
    for p, q in zip(run(stale=True), run(stale=False)): torch.testing.assert_close(p, q)

def test_evaluate_weights_each_batch_by_its_size():
    "With 200 rows in batches of 64 the last batch holds 8: a plain mean of batch losses would weight it like the others."
    x, y = blobs()
    model = torch.nn.Linear(2, 3)
    with torch.no_grad(): full_loss, full_acc = F.cross_entropy(model(x), y).item(), tr.accuracy(model(x), y).item()
    loss, acc = tr.evaluate(model, F.cross_entropy, x, y, bs=64)
    assert math.isclose(loss, full_loss, rel_tol=1e-5) and math.isclose(acc, full_acc, rel_tol=1e-5)

def test_fit_hands_the_schedule_the_progress_through_the_whole_run():
    seen = []
    def sched(t): seen.append(t); return 0.05
    args, _ = fit_args(epochs=3, bs=64, sched=sched)  # 150 rows: 3 steps per epoch, 9 in all
    tr.fit(**args)
    assert seen == pytest.approx([i / 9 for i in range(9)])

@pytest.mark.parametrize('lr', [-0.01, -math.inf, math.inf, math.nan])
def test_fit_refuses_a_schedule_that_returns_a_bad_learning_rate_before_the_step(lr):
    args, params = fit_args(sched=lambda t: lr if t > 0.5 else 0.05)  # 3 steps: t = 0, 1/3, 2/3
    trained = []
    args['opt'].step = (lambda step: lambda: (trained.append(1), step())[1])(args['opt'].step)
    with pytest.raises(ValueError, match=r'learning rate .* at epoch 1, step 3'): tr.fit(**args)
    assert len(trained) == 2, "the step with the bad learning rate ran"

def test_fit_names_a_schedule_that_returns_no_number():
    args, _ = fit_args(sched=lambda t: None)
    with pytest.raises(TypeError, match='schedule'): tr.fit(**args)

@pytest.mark.parametrize('f', [tr.logsumexp, tr.log_softmax])
@pytest.mark.parametrize('dim', [2, -3, 5])
def test_an_out_of_range_dim_is_named_with_the_shape(f, dim):
    with pytest.raises(ValueError, match=rf'dim(ension)? {dim}.*\(4, 6\)'): f(torch.randn(4, 6), dim)

def test_logsumexp_of_a_number_matches_torch():
    x = torch.tensor(3.)
    torch.testing.assert_close(tr.logsumexp(x), torch.logsumexp(x, -1))
    torch.testing.assert_close(tr.logsumexp(x, 0), torch.logsumexp(x, 0))

def test_plot_history_of_an_empty_history_says_so():
    for hist in (dict(loss=[], lr=[], valid_loss=[], valid_acc=[]), dict(loss=[1., 0.5], lr=[0.1, 0.1], valid_loss=[], valid_acc=[])):
        with pytest.raises(ValueError, match='empty|no epoch'): tr.plot_history(hist)

@pytest.mark.parametrize('bs', [np.int64(4), np.int32(4), torch.tensor(4)])
def test_batches_and_fit_accept_any_integral_batch_size(bs):
    x, y = torch.arange(10.).unsqueeze(1), torch.arange(10)
    assert [len(b) for _, b in tr.batches(x, y, bs)] == [4, 4, 2]
    args, _ = fit_args(bs=bs, epochs=np.int64(1))
    assert len(tr.fit(**args)['loss']) == math.ceil(150 / 4)
    for bad in (np.float64(4.), torch.tensor(4.), np.int64(0), np.bool_(True)):
        with pytest.raises(ValueError, match='positive integer'): tr.batches(x, y, bad)
