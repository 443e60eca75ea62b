"Tests of exp.init: lin and relu against PyTorch, the std of the inits, and deep-stack behaviour."
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

import exp.init as ei

dims = st.integers(1, 40)
dtypes = st.sampled_from([torch.float32, torch.float64])
seeds = st.integers(0, 2**31 - 1)


def _randn(*shape, seed, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


# --- lin and relu against torch -------------------------------------------------------------

@settings(deadline=None, max_examples=50)
@given(batch=dims, n_in=dims, n_out=dims, dtype=dtypes, seed=seeds)
def test_lin_matches_f_linear(batch, n_in, n_out, dtype, seed):
    x, w, b = _randn(batch, n_in, seed=seed, dtype=dtype), _randn(n_in, n_out, seed=seed + 1, dtype=dtype), \
        _randn(n_out, seed=seed + 2, dtype=dtype)
    out = ei.lin(x, w, b)
    assert out.shape == (batch, n_out) and out.dtype == dtype
    # F.linear stores the weight as (n_out, n_in): ours is its transpose
    torch.testing.assert_close(out, F.linear(x, w.t(), b))


def test_lin_shape_mismatch_raises_valueerror_naming_shapes():
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(5, 2\)"):
        ei.lin(torch.zeros(4, 3), torch.zeros(5, 2), torch.zeros(2))


def test_lin_stays_on_meta():
    out = ei.lin(torch.empty(4, 3, device='meta'), torch.empty(3, 2, device='meta'), torch.empty(2, device='meta'))
    assert out.device.type == 'meta' and out.shape == (4, 2)


@settings(deadline=None, max_examples=50)
@given(n=st.integers(0, 200), dtype=dtypes, seed=seeds)
def test_relu_matches_f_relu(n, dtype, seed):
    x = _randn(n, seed=seed, dtype=dtype) * 10
    torch.testing.assert_close(ei.relu(x), F.relu(x), rtol=0, atol=0)


def test_relu_special_values_and_meta():
    x = torch.tensor([-math.inf, -1., -0., 0., 2., math.inf, math.nan])
    torch.testing.assert_close(ei.relu(x), F.relu(x), equal_nan=True)
    assert ei.relu(torch.empty(3, device='meta')).device.type == 'meta'


# --- std of the inits -------------------------------------------------------------------------
# Each weight has at least 250,000 entries, so the sample std is within about 0.15% of the true
# std (relative standard error 1/sqrt(2N)); a 2% tolerance is then more than 10 standard errors.

sizes = [(1000, 500), (256, 2000), (4096, 64), (500, 1000)]


@pytest.mark.parametrize('n_in,n_out', sizes)
def test_xavier_std(n_in, n_out):
    w = ei.xavier_init(n_in, n_out, generator=torch.Generator().manual_seed(n_in))
    assert w.shape == (n_in, n_out)
    torch.testing.assert_close(w.std().item(), 1 / math.sqrt(n_in), rtol=0.02, atol=0)
    assert abs(w.mean().item()) < 0.02 / math.sqrt(n_in)


@pytest.mark.parametrize('n_in,n_out', sizes)
@pytest.mark.parametrize('a', [0., 0.01, 0.2, 1., math.sqrt(5)])
def test_kaiming_std(n_in, n_out, a):
    w = ei.kaiming_init(n_in, n_out, a=a, generator=torch.Generator().manual_seed(n_out))
    assert w.shape == (n_in, n_out)
    torch.testing.assert_close(w.std().item(), math.sqrt(2 / ((1 + a**2) * n_in)), rtol=0.02, atol=0)


def test_kaiming_matches_torch_init_with_transposed_layout():
    w_pt = torch.nn.init.kaiming_normal_(torch.empty(300, 1000), a=0.3)  # (n_out, n_in), fan_in
    w = ei.kaiming_init(1000, 300, a=0.3)
    torch.testing.assert_close(w.std().item(), w_pt.std().item(), rtol=0.03, atol=0)


@pytest.mark.parametrize('init_fn', [ei.xavier_init, ei.kaiming_init])
def test_init_options(init_fn):
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    torch.testing.assert_close(init_fn(20, 30, generator=g1), init_fn(20, 30, generator=g2))
    assert init_fn(20, 30, dtype=torch.float64).dtype == torch.float64
    meta = init_fn(20, 30, device='meta')
    assert meta.device.type == 'meta' and meta.shape == (20, 30)


@pytest.mark.parametrize('init_fn', [ei.xavier_init, ei.kaiming_init])
@pytest.mark.parametrize('n_in,n_out', [(0, 3), (3, 0), (-1, 3), (2.5, 3), (3, '4'), (True, 3)])
def test_init_bad_sizes(init_fn, n_in, n_out):
    with pytest.raises(ValueError, match='n_in|n_out'):
        init_fn(n_in, n_out)


# --- deep stacks ------------------------------------------------------------------------------

def _stack_stats(init_fn, seed, n_layers=50, width=100):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(200, width, generator=g)
    ws = [init_fn(width, width, generator=g) for _ in range(n_layers)]
    return ei.layer_stats(x, ws, ei.relu)


@pytest.mark.parametrize('seed', range(6))
def test_kaiming_relu_stack_keeps_std_xavier_collapses(seed):
    kaiming, xavier = _stack_stats(ei.kaiming_init, seed), _stack_stats(ei.xavier_init, seed)
    assert kaiming.shape == xavier.shape == (50, 2)
    # Kaiming's std does a random walk in log space around ~0.8; over 300 seeds, the final std stayed
    # in [0.08, 3.3]. A band of 100x either way is far outside that.
    assert ((kaiming[:, 1] > 0.01) & (kaiming[:, 1] < 100)).all()
    # Xavier + ReLU halves the variance per layer: std ~ 2**-25 ~ 3e-8 after 50 layers.
    assert xavier[-1, 1] < 1e-5
    assert (xavier[-1, 1] / xavier[0, 1]) ** (1 / 49) < 0.8


# --- layer_stats ------------------------------------------------------------------------------

def test_layer_stats_matches_manual_loop():
    x = _randn(30, 8, seed=0, dtype=torch.float64)
    ws = [_randn(8, 6, seed=1, dtype=torch.float64), _randn(6, 4, seed=2, dtype=torch.float64)]
    stats = ei.layer_stats(x, ws, ei.relu)
    h1 = ei.relu(x @ ws[0]); h2 = ei.relu(h1 @ ws[1])
    expected = torch.tensor([[h1.mean(), h1.std()], [h2.mean(), h2.std()]], dtype=torch.float64)
    assert stats.dtype == torch.float64
    torch.testing.assert_close(stats, expected)
    no_act = ei.layer_stats(x, ws)
    torch.testing.assert_close(no_act[-1], torch.stack([(x @ ws[0] @ ws[1]).mean(), (x @ ws[0] @ ws[1]).std()]))


def test_layer_stats_accepts_parameters_and_empty():
    w = torch.nn.Parameter(torch.randn(5, 5))
    assert not ei.layer_stats(torch.randn(3, 5), [w]).requires_grad
    assert ei.layer_stats(torch.randn(3, 5), []).shape == (0, 2)


def test_layer_stats_errors_and_meta():
    with pytest.raises(ValueError, match=r'layer 1.*\(6, 4\).*5'):
        ei.layer_stats(torch.randn(3, 8), [torch.randn(8, 5), torch.randn(6, 4)])
    with pytest.raises(ValueError, match=r'\(8,\)'):
        ei.layer_stats(torch.randn(8), [torch.randn(8, 5)])
    out = ei.layer_stats(torch.empty(3, 8, device='meta'), [torch.empty(8, 5, device='meta')], ei.relu)
    assert out.device.type == 'meta' and out.shape == (1, 2)


# --- silent wrong answers, now refused or fixed ----------------------------------------------

@pytest.mark.parametrize('bias_shape', [(1,), (3, 1), (3, 3), (), (2,)])
def test_lin_refuses_a_bias_that_would_broadcast(bias_shape):
    # x @ w is (3, 3): each of these biases broadcasts without error, adding the wrong numbers
    x, w = torch.randn(3, 4), torch.randn(4, 3)
    if bias_shape != (2,): (x @ w + torch.zeros(bias_shape))  # PyTorch alone accepts it
    with pytest.raises(ValueError, match=r'bias must have shape \(3,\)'):
        ei.lin(x, w, torch.zeros(bias_shape))


def test_lin_refuses_a_1d_weight_and_a_0d_input():
    with pytest.raises(ValueError, match=r'\(n_in, n_out\).*\(4,\)'):
        ei.lin(torch.randn(3, 4), torch.randn(4), torch.zeros(1))  # x @ w would be a (3,) vector
    with pytest.raises(ValueError, match='0-d'):
        ei.lin(torch.tensor(1.), torch.randn(1, 2), torch.zeros(2))
    with pytest.raises(ValueError, match='bias'):
        ei.lin(torch.randn(3, 4), torch.randn(4, 2), 0.)


def test_lin_accepts_a_single_sample_and_extra_batch_dims():
    w, b = torch.randn(4, 2), torch.randn(2)
    torch.testing.assert_close(ei.lin(torch.ones(4), w, b), w.sum(0) + b)
    assert ei.lin(torch.randn(5, 3, 4), w, b).shape == (5, 3, 2)


@pytest.mark.parametrize('shape', [(0, 5), (3, 0)])
def test_layer_stats_refuses_empty_input(shape):
    with pytest.raises(ValueError, match='non-empty'):
        ei.layer_stats(torch.randn(*shape), [torch.randn(shape[1], 4)])


def test_layer_stats_refuses_a_single_activation_and_hints_at_a_bare_matrix():
    with pytest.raises(ValueError, match='at least 2'):
        ei.layer_stats(torch.randn(1, 5), [torch.randn(5, 1)])  # the std of one number is nan
    with pytest.raises(ValueError, match='list of 2-D weights'):
        ei.layer_stats(torch.randn(3, 5), torch.randn(5, 5))  # iterating a matrix gives its rows


@settings(deadline=None, max_examples=40)
@given(exponent=st.integers(-30, 37), positive=st.booleans(), seed=seeds)
def test_layer_stats_huge_and_tiny_values_match_float64(exponent, positive, seed):
    # float32 activations of any size within range: sums of 20,000 values near 1e36 and squares of
    # values past 1e19 overflow float32, yet the statistics must match float64 ones.
    x = _randn(200, 100, seed=seed)
    x = (x.abs() if positive else x) * 10.0 ** exponent
    assert x.isfinite().all()
    stats = ei.layer_stats(x, [torch.eye(100)])[0]
    ref = x.double()
    assert stats.isfinite().all(), stats
    torch.testing.assert_close(stats.double() / ref.std(), torch.stack([ref.mean(), ref.std()]) / ref.std(),
                               rtol=0, atol=1e-4)


def test_layer_stats_is_nan_exactly_when_activations_overflow():
    x = torch.full((4, 3), 3e38)
    assert ei.layer_stats(x, [torch.eye(3)]).isfinite().all()
    over = ei.layer_stats(x, [torch.eye(3) * 2])  # 6e38 is inf in float32
    assert over.isnan().all()
    zero = ei.layer_stats(torch.zeros(4, 3), [torch.eye(3)])
    assert (zero == 0).all()


@pytest.mark.parametrize('init_fn', [ei.xavier_init, ei.kaiming_init])
def test_init_accepts_numpy_integer_sizes(init_fn):
    np = pytest.importorskip('numpy')
    w = init_fn(np.int64(30), np.int32(20))
    assert w.shape == (30, 20)


@pytest.mark.parametrize('a', [math.nan, math.inf, -math.inf, '0.1', True, None])
def test_kaiming_refuses_a_slope_that_is_not_a_finite_number(a):
    with pytest.raises(ValueError, match='negative slope'):
        ei.kaiming_init(20, 30, a=a)


def test_kaiming_negative_slope_gives_the_same_std():
    # only a**2 enters the formula: a leaky ReLU with slope -a keeps the same second moment as +a
    g = lambda: torch.Generator().manual_seed(3)
    torch.testing.assert_close(ei.kaiming_init(200, 300, a=-0.4, generator=g()),
                               ei.kaiming_init(200, 300, a=0.4, generator=g()))


@pytest.mark.parametrize('a', [1e10, -1e100, 1e154, 1e200, 1e300])
def test_kaiming_huge_finite_slope_gives_a_finite_tiny_std(a):
    # (1 + a**2) overflows float64 once |a| passes about 1.3e154 (and a**2 raises OverflowError past
    # that); a finite slope must still give the finite, tiny std sqrt(2/n_in)/|a|, not zeros or a crash.
    n_in = 1000
    w = ei.kaiming_init(n_in, 300, a=a, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert w.isfinite().all() and (w != 0).any()
    # w.std() itself would square numbers near 1e-300 and underflow: compare the weight times |a|
    torch.testing.assert_close((w * abs(a)).std().item(), math.sqrt(2 / n_in), rtol=0.02, atol=0)


@pytest.mark.parametrize('a,dtype', [(1e40, torch.float32), (1e25, torch.float16), (1.7e308, torch.float64)])
def test_kaiming_refuses_a_slope_whose_std_underflows_the_dtype(a, dtype):
    # the std is finite, but below the dtype's smallest normal number: the weight would be zeros
    with pytest.raises(ValueError, match='below the smallest'):
        ei.kaiming_init(100, 10, a=a, dtype=dtype)


def test_kaiming_refuses_an_integer_slope_too_large_for_a_float():
    with pytest.raises(ValueError, match='negative slope'):
        ei.kaiming_init(100, 10, a=10 ** 400)  # math.isfinite would raise OverflowError
