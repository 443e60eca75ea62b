"""exp.autograd: our engine against torch.autograd (random expression graphs drawn by hypothesis, in float64), against
central differences, on bad input, on meta tensors; and proof that these checks catch three classic broken engines
(tests/broken_engines/)."""
import os, re, sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, Phase, assume, given, settings, strategies as st

import exp.autograd as ag
from exp.backward import numeric_grad
from broken_engines import NAMES, broken_engine  # tests/broken_engines/

f64 = torch.float64

# Shapes that all broadcast with each other (trailing size 3 or 1, the one before it 2 or 1), so any two can meet in an
# operator, and together they exercise every case of unbroadcast: dimensions added in front and dimensions stretched from 1.
SHAPES = [(), (3,), (1, 3), (2, 3), (2, 1), (4, 2, 3), (4, 1, 1)]
UNARY = ['relu', 'exp', 'log', 'neg', 'square', 'cube', 'sum', 'mean', 'reshape', 'T', 'matmul']
BINARY = ['+', '-', '*', '/']


def broadcastable(s, t):
    return all(m == n or 1 in (m, n) for m, n in zip(reversed(s), reversed(t)))


@st.composite
def programs(draw):
    "Leaves (shape, requires_grad) and a list of operations; each operation names its operands by index into the pool."
    n_leaves = draw(st.integers(1, 3))
    leaves = [(draw(st.sampled_from(SHAPES)), draw(st.booleans())) for _ in range(n_leaves)]
    if not any(rg for _, rg in leaves): leaves[0] = (leaves[0][0], True)
    ops = []
    for _ in range(draw(st.integers(1, 10))):
        if draw(st.booleans()): ops.append(('unary', draw(st.sampled_from(UNARY)), draw(st.integers(0, 99)), draw(st.integers(0, 3))))
        else:
            # the other operand: another node (maybe the same one: a reused node), a Python number or a torch constant,
            # on the left or on the right
            other = draw(st.sampled_from(['node', 'node', 'number', 'tensor']))
            ops.append(('binary', draw(st.sampled_from(BINARY)), draw(st.integers(0, 99)), draw(st.integers(0, 99)),
                        other, draw(st.booleans())))
    return leaves, ops, draw(st.integers(0, 2**31 - 1))


def apply_unary(name, x, k):
    "The same unary operation on our Tensor or a torch tensor; `k` chooses a dimension or a variant. None if it does not apply."
    if name == 'relu': return x.relu()
    if name == 'exp': return (x * 0.1).exp()
    if name == 'log': return (x * x + 1).log()
    if name == 'neg': return -x
    if name == 'square': return x ** 2
    if name == 'cube': return x ** 3
    if name in ('sum', 'mean'):
        if x.ndim == 0 or k == 3: return getattr(x, name)()
        return getattr(x, name)(dim=k % x.ndim, keepdim=bool(k % 2))
    if name == 'reshape': return x.reshape(-1).reshape(tuple(x.shape))
    if name == 'T': return x.T.T if x.ndim == 2 else None
    if name == 'matmul': return (x @ x.T if k % 2 else x.T @ x) if x.ndim == 2 else None


def apply_binary(op, a, b):
    if op == '+': return a + b
    if op == '-': return a - b
    if op == '*': return a * b
    return a / (b * b + 1)                       # a denominator that is never near 0


def run_program(engine, program):
    "Run the program with `engine`'s Tensor and with torch.autograd; return (ours, torch's) for the output and the leaves."
    leaves, ops, seed = program
    gen = torch.Generator().manual_seed(seed)
    values = [torch.randn(shape, generator=gen, dtype=f64) for shape, _ in leaves]
    ours = [engine.Tensor(v, requires_grad=rg) for v, (_, rg) in zip(values, leaves)]
    theirs = [v.clone().requires_grad_(rg) for v, (_, rg) in zip(values, leaves)]
    for op in ops:
        i = op[2] % len(ours)
        if op[0] == 'unary':
            a, b = apply_unary(op[1], ours[i], op[3]), apply_unary(op[1], theirs[i], op[3])
            if a is None: continue
        else:
            shape = tuple(theirs[i].shape)
            partners = [j for j, t in enumerate(theirs) if broadcastable(shape, tuple(t.shape))]   # always holds i itself
            j = partners[op[3] % len(partners)]
            other, left = op[4], op[5]
            if other == 'node': xa, xb, ya, yb = ours[i], ours[j], theirs[i], theirs[j]
            elif other == 'number': xa, xb, ya, yb = ours[i], 1.5, theirs[i], 1.5
            else:
                c = torch.randn(theirs[j].shape, generator=gen, dtype=f64)
                xa, xb, ya, yb = ours[i], c, theirs[i], c
            if left: xa, xb, ya, yb = xb, xa, yb, ya
            a, b = apply_binary(op[1], xa, xb), apply_binary(op[1], ya, yb)
        ours.append(a); theirs.append(b)
    # the loss: every node of the pool, summed, so that every node is used at least once more
    assume(all(t.isfinite().all() and t.abs().max() < 1e6 for t in theirs if t.numel()))
    loss_ours = sum((t.sum() for t in ours if t.requires_grad), engine.Tensor(torch.tensor(0., dtype=f64)))
    loss_theirs = sum((t.sum() for t in theirs if t.requires_grad), torch.tensor(0., dtype=f64))
    loss_ours.backward(); loss_theirs.backward()
    n = len(leaves)
    return ([loss_ours.data] + [t.grad for t in ours[:n]], [loss_theirs.detach()] + [t.grad for t in theirs[:n]])


def assert_same(ours, theirs):
    for k, (a, b) in enumerate(zip(ours, theirs)):
        if b is None:
            assert a is None, f"item {k}: we computed a gradient for a leaf that does not require one"
            continue
        assert a is not None, f"item {k}: no gradient"
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)   # float64, same operations: only summation order differs


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])


# ----- the checks, each a function of an engine, so that they run against the broken engines too -----

def check_random_graphs(engine):
    "Random expressions against torch.autograd, in float64 (on a broken engine: no shrinking, nothing saved)."
    broken = engine is not ag
    @settings(FAST, database=None if broken else settings.default.database,
              phases=[Phase.generate] if broken else settings.default.phases)
    @given(programs())
    def inner(program): assert_same(*run_program(engine, program))
    inner()


def check_reused_node(engine):
    "b = a + a; c = b + b: dc/da = 4 (a recursive backward gives 6, assigned gradients 1)."
    a = engine.Tensor(torch.tensor(3., dtype=f64), requires_grad=True)
    b = a + a
    (b + b).backward()
    assert a.grad.item() == 4., a.grad


def check_diamond(engine):
    "A node used by two operations that meet again: y = 2x; z = y*y + y."
    x = engine.Tensor(torch.tensor([1., -2.], dtype=f64), requires_grad=True)
    y = x * 2
    (y * y + y).sum().backward()
    torch.testing.assert_close(x.grad, 8 * x.data + 2)


def check_broadcasting(engine):
    "A bias (3,) added to (4, 3), and a column (4, 1) times a row (1, 3): gradients of the inputs' own shapes."
    torch.manual_seed(0)
    vals = [torch.randn(s, dtype=f64) for s in ((4, 3), (3,), (4, 1), (1, 3))]
    ours = [engine.Tensor(v, requires_grad=True) for v in vals]
    theirs = [v.clone().requires_grad_() for v in vals]
    for t in (ours, theirs): ((t[0] + t[1]) * (t[2] * t[3]) - t[1] / 3).sum().backward()
    for a, b in zip(ours, theirs):
        assert a.grad.shape == b.grad.shape, (a.grad.shape, b.grad.shape)
        torch.testing.assert_close(a.grad, b.grad)


def check_accumulates(engine):
    "A second backward adds to .grad."
    w = engine.Tensor(torch.tensor([1., 2.], dtype=f64), requires_grad=True)
    (w * w).sum().backward()
    (w * w).sum().backward()
    torch.testing.assert_close(w.grad, 4 * w.data)


def check_mlp(engine):
    "07's MLP with cross-entropy against torch.autograd: value and every gradient."
    torch.manual_seed(0)
    x, y = torch.randn(16, 20, dtype=f64), torch.randint(0, 5, (16,))
    params = [torch.randn(20, 8, dtype=f64), torch.randn(8, dtype=f64), torch.randn(8, 5, dtype=f64), torch.randn(5, dtype=f64)]
    ours = [engine.Tensor(p, requires_grad=True) for p in params]
    theirs = [p.clone().requires_grad_() for p in params]
    loss = engine.cross_entropy((x @ ours[0] + ours[1]).relu() @ ours[2] + ours[3], y)
    ref = F.cross_entropy((x @ theirs[0] + theirs[1]).relu() @ theirs[2] + theirs[3], y)
    loss.backward(); ref.backward()
    torch.testing.assert_close(loss.data, ref.detach())
    for a, b in zip(ours, theirs): torch.testing.assert_close(a.grad, b.grad)


def check_deep_graph(engine):
    "A chain of 5,000 operations: no recursion limit, and the right gradient."
    a = engine.Tensor(torch.tensor(1., dtype=f64), requires_grad=True)
    y = a
    for _ in range(5000): y = y * 1.0001
    y.backward()
    torch.testing.assert_close(a.grad, torch.tensor(1.0001 ** 5000, dtype=f64))


CHECKS = [check_random_graphs, check_reused_node, check_diamond, check_broadcasting, check_accumulates, check_mlp,
          check_deep_graph]


@pytest.mark.parametrize('check', CHECKS, ids=lambda c: c.__name__)
def test_engine_passes(check):
    check(ag)


def failures(engine):
    "The names of the checks that fail on `engine`."
    failed = []
    old_limit = sys.getrecursionlimit()
    for check in CHECKS:
        try: check(engine)
        except Exception: failed.append(check.__name__)
        finally: sys.setrecursionlimit(old_limit)
    return failed


# which checks must catch which bug (at least these; others may fail too)
MUST_CATCH = {'recursive': {'check_random_graphs', 'check_reused_node', 'check_diamond', 'check_deep_graph'},
              'assigned': {'check_random_graphs', 'check_reused_node', 'check_diamond'},
              'no_unbroadcast': {'check_random_graphs', 'check_broadcasting', 'check_mlp'}}


@pytest.mark.parametrize('name', NAMES)
def test_checks_catch_broken_engine(name):
    engine = broken_engine(name)
    assert engine.Tensor is not ag.Tensor  # a copy: the real engine stays intact
    failed = set(failures(engine))
    assert MUST_CATCH[name] <= failed, f"broken engine {name!r}: only {sorted(failed)} failed, expected {sorted(MUST_CATCH[name])}"
    check_reused_node(ag); check_broadcasting(ag)   # and the real engine still passes


# ----- central differences -----

@pytest.mark.parametrize('f', [
    lambda t, w: ((t @ w).exp() * 0.5 + 1).log().mean(),
    lambda t, w: ((t.T @ t) / (w.sum() ** 2 + 1)).sum(dim=0, keepdim=True).mean(),
    lambda t, w: (2 - t * t).reshape(12).sum() ** 2 / 100,
], ids=['exp-log', 'transpose-div', 'reshape-pow'])
def test_central_differences(f):
    torch.manual_seed(0)
    x, w = torch.randn(4, 3, dtype=f64), torch.randn(3, 2, dtype=f64)
    xt = ag.Tensor(x, requires_grad=True)
    f(xt, ag.Tensor(w)).backward()
    numeric = numeric_grad(lambda v: f(ag.Tensor(v), ag.Tensor(w)).data, x)
    torch.testing.assert_close(xt.grad, numeric, rtol=1e-6, atol=1e-7)   # central differences are accurate to ~eps^2


def test_gradcheck_of_a_composite():
    "torch.autograd.gradcheck on a torch.autograd.Function whose backward is our engine's."
    class ViaEngine(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            with ag.no_grad(): return ((ag.Tensor(x) @ ag.Tensor(x).T).relu().exp() * 0.1).sum(dim=1).data
        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            t = ag.Tensor(x, requires_grad=True)
            ((t @ t.T).relu().exp() * 0.1).sum(dim=1).backward(g)
            return t.grad
    x = torch.randn(4, 3, dtype=f64, requires_grad=True)
    assert torch.autograd.gradcheck(ViaEngine.apply, (x,))


# ----- the contract -----

def test_grad_only_where_required_and_only_for_leaves():
    x = ag.Tensor(torch.randn(5, 4))
    w = ag.Tensor(torch.randn(4, 3), requires_grad=True)
    h = x @ w
    assert h.requires_grad and not h.is_leaf and not x.requires_grad
    h.sum().backward()
    assert x.grad is None and h.grad is None and w.grad.shape == (4, 3)
    assert (x * 2).requires_grad is False and (x * 2)._node is None   # constants record nothing


def test_no_grad_restores_on_exit_and_nests():
    w = ag.Tensor(torch.ones(2), requires_grad=True)
    with ag.no_grad():
        with ag.no_grad(): pass
        assert not (w * 2).requires_grad
    assert (w * 2).requires_grad
    with pytest.raises(KeyError):
        with ag.no_grad(): raise KeyError
    assert ag.no_grad.enabled and (w * 2).requires_grad


def test_detach():
    w = ag.Tensor(torch.ones(2), requires_grad=True)
    d = (w * 3).detach()
    assert not d.requires_grad and d.is_leaf and torch.equal(d.data, torch.full((2,), 3.))


def test_numbers_take_the_tensors_dtype():
    for dtype in (torch.float32, torch.float64):
        x = torch.randn(5, dtype=dtype)
        for got, want in (((ag.Tensor(x) * 0.1).data, x * 0.1), ((0.1 - ag.Tensor(x)).data, 0.1 - x),
                          ((ag.Tensor(x) / 3).data, x / 3), ((2 ** 0.5 + ag.Tensor(x)).data, 2 ** 0.5 + x)):
            assert got.dtype == dtype and torch.equal(got, want)
    w = ag.Tensor(torch.randn(3), requires_grad=True)
    (w * 0.1 + 1).sum().backward()
    assert w.grad.dtype == torch.float32


def test_torch_constants_on_either_side():
    c = torch.randn(2, 3, dtype=f64)
    w = ag.Tensor(torch.randn(3, dtype=f64), requires_grad=True)
    wt = w.data.clone().requires_grad_()
    (c * w + w / c - c @ (w.reshape(3, 1) * 1.)).sum().backward()
    (c * wt + wt / c - c @ (wt.reshape(3, 1) * 1.)).sum().backward()
    torch.testing.assert_close(w.grad, wt.grad)


def test_backward_with_a_gradient_and_on_a_leaf():
    w = ag.Tensor(torch.randn(2, 3, dtype=f64), requires_grad=True)
    g = torch.randn(2, 3, dtype=f64)
    (w * 3).backward(g)
    torch.testing.assert_close(w.grad, 3 * g)
    s = ag.Tensor(torch.tensor(2.), requires_grad=True)
    s.backward()
    assert s.grad.item() == 1.


def test_grad_is_a_fresh_tensor():
    "Two leaves handed the same gradient (a + b) must not share one .grad: changing one in place leaves the other alone."
    a, b = (ag.Tensor(torch.zeros(3), requires_grad=True) for _ in range(2))
    (a + b).sum().backward()
    a.grad.add_(1)
    assert torch.equal(b.grad, torch.ones(3))


def test_topo_sort_order():
    a = ag.Tensor(torch.ones(2), requires_grad=True, name='a')
    b = a * 2
    c = (b + a) * b
    order = ag.topo_sort(c)
    assert order[-1] is c._node and order[0] is a
    pos = {n: i for i, n in enumerate(order)}
    for n in order:
        for inp in getattr(n, 'inputs', ()):
            if inp is not None: assert pos[inp] < pos[n]
    assert len(order) == 4                                    # a, mul, add, mul: each node once
    assert ag.topo_sort(ag.Tensor(torch.ones(2))) == []       # nothing requires a gradient: no graph


def test_topo_sort_walks_torch_graphs():
    w = torch.ones(2, requires_grad=True)
    names = [type(n).__name__ for n in ag.topo_sort((w * 2).sum())]
    assert names == ['AccumulateGrad', 'MulBackward0', 'SumBackward0']


def test_deep_graph_topo_sort_and_free():
    a = ag.Tensor(torch.tensor(1.), requires_grad=True)
    y = a
    for _ in range(20_000): y = y + 1.
    assert len(ag.topo_sort(y)) == 20_001
    del y                                                      # freeing a long chain must not crash either


def test_reductions_over_any_dim():
    "Negative dims, keepdim, several dims, `()` (all, as PyTorch reads it), 0-d tensors: value and gradient as PyTorch's."
    x = torch.randn(2, 3, 4, dtype=f64)
    s = torch.tensor(1.5, dtype=f64)
    cases = [(x, dict(dim=-1)), (x, dict(dim=-2, keepdim=True)), (x, dict(dim=(0, -1))), (x, dict(dim=[-3, 1], keepdim=True)),
             (x, dict(dim=())), (x, dict(dim=None, keepdim=True)), (x, dict(dim=np.int64(1))), (s, dict(dim=0)),
             (s, dict(dim=-1, keepdim=True)), (s, {})]
    for v, kw in cases:
        for red in ('sum', 'mean'):
            ours, theirs = ag.Tensor(v, requires_grad=True), v.clone().requires_grad_()
            a, b = getattr(ours, red)(**kw), getattr(theirs, red)(**kw)
            assert a.shape == b.shape, (red, kw, a.shape, b.shape)
            (a * a).sum().backward(); (b * b).sum().backward()
            torch.testing.assert_close(a.data, b.detach()); torch.testing.assert_close(ours.grad, theirs.grad)


@pytest.mark.parametrize('shape, dim', [((3, 4), 2), ((3, 4), -3), ((3, 4), (0, 5)), ((), 1)])
def test_reduction_dim_out_of_range(shape, dim):
    "A dim out of range is an IndexError naming it and the shape, as in PyTorch, never a sum over some other dimension."
    t = ag.Tensor(torch.ones(shape), requires_grad=True)
    for red in ('sum', 'mean'):
        with pytest.raises(IndexError, match=rf'{red}: dim -?\d+ is out of range for shape {re.escape(str(shape))}'):
            getattr(t, red)(dim)


def test_one_tensor_on_both_sides():
    "x op x: both uses send their share (x / x and x - x have gradient 0)."
    v = torch.tensor([0.5, 2., -3.], dtype=f64)
    for f in (lambda x: x / x, lambda x: x - x, lambda x: x * x, lambda x: x + x, lambda x: x ** 2 / x, lambda x: x.reshape(3, 1) @ x.reshape(1, 3)):
        ours, theirs = ag.Tensor(v, requires_grad=True), v.clone().requires_grad_()
        f(ours).sum().backward(); f(theirs).sum().backward()
        torch.testing.assert_close(ours.grad, theirs.grad)


def test_powers():
    "x ** 0.5 and x ** -1 as PyTorch; x ** 0 is the constant 1, whose gradient is 0 also at x = 0 (not 0 * inf)."
    v = torch.tensor([0., 0.25, 4.], dtype=f64)
    for n in (0.5, 0, 0., 1, 2, -1):
        ours, theirs = ag.Tensor(v, requires_grad=True), v.clone().requires_grad_()
        a, b = ours ** n, theirs ** n
        a.sum().backward(); b.sum().backward()
        torch.testing.assert_close(a.data, b.detach(), equal_nan=True)
        torch.testing.assert_close(ours.grad, theirs.grad, equal_nan=True)


def test_int_tensors_beside_floats():
    "Integer torch tensors and integer Tensors are constants; results and gradients take PyTorch's dtypes."
    i = torch.arange(1, 5)
    w = ag.Tensor(torch.randn(4), requires_grad=True)
    wt = w.data.clone().requires_grad_()
    y = ag.Tensor(i) * w + i / w - w / i + 0.5 * ag.Tensor(i) - i
    yt = i * wt + i / wt - wt / i + 0.5 * i - i
    assert y.dtype == yt.dtype == torch.float32
    y.sum().backward(); yt.sum().backward()
    torch.testing.assert_close(w.grad, wt.grad)
    for got, want in ((ag.Tensor(i) + 2, i + 2), (ag.Tensor(i) * 0.5, i * 0.5), (ag.Tensor(i) / 2, i / 2)):
        assert got.dtype == want.dtype and torch.equal(got.data, want)


def test_torch_constant_on_the_left_of_a_division():
    "`c / t` with c a torch tensor (float, int, 0-d): torch hands the operation to our Tensor, and the gradient is PyTorch's."
    w = ag.Tensor(torch.tensor([0.5, -2., 4.], dtype=f64), requires_grad=True)
    for c in (torch.tensor([1., 2., 3.], dtype=f64), torch.arange(1, 4), torch.tensor(2., dtype=f64), torch.ones(2, 3, dtype=f64)):
        w.grad, wt = None, w.data.clone().requires_grad_()
        y = c / w
        assert isinstance(y, ag.Tensor)
        y.sum().backward(); (c / wt).sum().backward()
        torch.testing.assert_close(w.grad, wt.grad)


def test_grad_takes_the_leafs_dtype():
    "A float32 leaf used beside a float64 constant gets a float32 .grad (and a float64 0-d leaf a float64 one), as in PyTorch."
    for leaf, const in ((torch.randn(3), torch.randn(3, dtype=f64)), (torch.tensor(2., dtype=f64), torch.randn(3))):
        ours, theirs = ag.Tensor(leaf, requires_grad=True), leaf.clone().requires_grad_()
        (ours * const).sum().backward(); (theirs * const).sum().backward()
        assert ours.grad.dtype == theirs.grad.dtype == leaf.dtype
        torch.testing.assert_close(ours.grad, theirs.grad)


def test_no_gradient_computed_for_constants():
    "The rules of + - * / give None, not a summed-down gradient, for the side that is a constant."
    w = ag.Tensor(torch.ones(4, 3), requires_grad=True)
    c = torch.ones(3)
    g = torch.ones(4, 3)
    for y, constant_side in ((w + c, 1), (c + w, 0), (w - c, 1), (c - w, 0), (w * c, 1), (c * w, 0), (w / c, 1), (c / w, 0),
                             (w + 2., 1), (2. - w, 0)):
        grads = y._node.backward(g)
        assert grads[constant_side] is None and grads[1 - constant_side].shape == (4, 3)


def test_tensor_of_a_tensor_is_a_new_leaf():
    w = ag.Tensor(torch.ones(2), requires_grad=True)
    t = ag.Tensor(w * 3)
    assert t.is_leaf and not t.requires_grad and torch.equal(t.data, torch.full((2,), 3.))
    u = ag.Tensor(w, requires_grad=True)
    (u * 2).sum().backward()
    assert w.grad is None and torch.equal(u.grad, torch.full((2,), 2.))


def test_backward_twice_and_no_grad_reentered():
    "A graph can run backward twice (the gradients add); one no_grad object entered twice, nested, restores recording."
    w = ag.Tensor(torch.tensor([1., -2.]), requires_grad=True)
    y = (w * w).sum()
    y.backward(); y.backward()
    assert torch.equal(w.grad, 4 * w.data)
    off = ag.no_grad()
    with off:
        with off: assert not (w * 2).requires_grad
        assert not (w * 2).requires_grad
    assert (w * 2).requires_grad
    with off: assert not (w * 2).requires_grad
    assert (w * 2).requires_grad


# ----- bad input -----

@pytest.mark.parametrize('other, type_name', [('a', 'str'), (np.ones(3), 'numpy.ndarray'), ([1., 2., 3.], 'list'), (None, 'NoneType')])
def test_unsupported_operand(other, type_name):
    t = ag.Tensor(torch.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match=type_name): t + other
    with pytest.raises(TypeError, match=type_name): t * other
    with pytest.raises(TypeError): other - t


def test_pow_needs_a_number():
    t = ag.Tensor(torch.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match='Python number'): t ** t


@pytest.mark.parametrize('f, shapes', [(lambda a, b: a + b, ((2, 3), (4,))), (lambda a, b: a * b, ((2, 3), (3, 2))),
                                       (lambda a, b: a @ b, ((2, 3), (2, 3))), (lambda a, b: a @ b, ((3,), (3,)))])
def test_shape_mismatch(f, shapes):
    a, b = (ag.Tensor(torch.ones(s), requires_grad=True) for s in shapes)
    with pytest.raises(ValueError) as err: f(a, b)
    assert str(shapes[0]) in str(err.value) and str(shapes[1]) in str(err.value)


def test_backward_on_non_scalar_and_wrong_gradient_shape():
    w = ag.Tensor(torch.ones(2, 3), requires_grad=True)
    with pytest.raises(ValueError, match=r'\(2, 3\).*pass backward\(gradient\)'): (w * 2).backward()
    with pytest.raises(ValueError, match=r'\(3,\).*\(2, 3\)'): (w * 2).backward(torch.ones(3))
    assert w.grad is None
    with pytest.raises(RuntimeError, match='does not require a gradient'): ag.Tensor(torch.ones(1)).backward()


def test_no_half_updated_gradients():
    "A rule that fails halfway through the backward pass leaves every .grad as it was."
    w1, w2 = (ag.Tensor(torch.ones(3), requires_grad=True) for _ in range(2))
    w1.grad = torch.full((3,), 5.)
    def failing(g): raise RuntimeError('boom')
    bad = ag.record('bad', w2.data * 1, (w2,), failing)
    loss = (w1 * 2 + bad * w1).sum()
    with pytest.raises(RuntimeError, match='boom'): loss.backward()
    assert torch.equal(w1.grad, torch.full((3,), 5.)) and w2.grad is None


def test_requires_grad_needs_floats():
    with pytest.raises(TypeError, match='floating'): ag.Tensor(torch.arange(3), requires_grad=True)


def test_cross_entropy_checks_its_input():
    with pytest.raises(TypeError, match='Tensor'): ag.cross_entropy(torch.randn(4, 3), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match='label 3'): ag.cross_entropy(ag.Tensor(torch.randn(2, 3)), torch.tensor([0, 3]))


# ----- devices -----

def test_meta_tensors():
    "Shapes, dtypes and the device follow the inputs: on `meta` tensors every result and gradient stays on `meta`."
    x = torch.empty(8, 20, device='meta')
    ps = [ag.Tensor(torch.empty(s, device='meta'), requires_grad=True) for s in ((20, 6), (6,), (6, 4), (4,))]
    loss = ag.cross_entropy((x @ ps[0] + ps[1]).relu() @ ps[2] + ps[3], torch.zeros(8, dtype=torch.long, device='meta'))
    loss = loss + ((ps[0] * 0.5).exp().log().mean(dim=0) ** 2).sum() / 3
    loss = loss + (torch.ones(4, device='meta') / ps[3] + ps[3] ** 0.5 - 1).sum(-1, keepdim=True).mean()
    loss.backward()
    assert loss.device.type == 'meta'
    for p in ps: assert p.grad.device.type == 'meta' and p.grad.shape == p.shape and p.grad.dtype == torch.float32


# ----- drawing -----

def test_draw_graph_svg():
    w = ag.Tensor(torch.ones(3, 2), requires_grad=True, name='w')
    drawing = ag.draw_graph((ag.Tensor(torch.ones(4, 3)) @ w).relu().sum())
    assert '<svg' in drawing.data and 'matmul' in drawing.data and 'relu' in drawing.data


def test_draw_graph_without_dot(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv('PATH', str(tmp_path))                  # a PATH where no `dot` can be found
    w = ag.Tensor(torch.ones(3, 2), requires_grad=True, name='w')
    drawing = ag.draw_graph((ag.Tensor(torch.ones(4, 3)) @ w).relu().sum())
    assert 'apt-get install graphviz' in capsys.readouterr().out
    assert repr(drawing).splitlines() == ['[0] w (3, 2)', '[1] matmul (4, 2) <- [0]', '[2] relu (4, 2) <- [1]',
                                          '[3] sum () <- [2]']


def test_graph_dot_of_a_torch_graph():
    w = torch.ones(3, requires_grad=True)
    dot = ag.graph_dot((w.exp() * 2).sum())
    assert dot.startswith('digraph') and 'ExpBackward0' in dot and 'AccumulateGrad' in dot and dot.count('->') == 3
