"Hypothesis strategies for convolution arguments, shared by the tests of exp.conv and exp.conv_backward."
import torch
from hypothesis import strategies as st


def randn(*shape, seed, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


pairs = lambda lo, hi: st.one_of(st.integers(lo, hi), st.tuples(st.integers(lo, hi), st.integers(lo, hi)))


@st.composite
def conv_cases(draw, size=9, kernel=5, padding=2, channels=4, outputs=5):
    "Consistent conv2d arguments (images up to `size` pixels a side, rectangular kernels): the kernel fits the padded input."
    stride, pad = draw(pairs(1, 3)), draw(pairs(0, padding))
    ph, pw = (pad, pad) if isinstance(pad, int) else pad
    n, c, o = draw(st.integers(1, 3)), draw(st.integers(1, channels)), draw(st.integers(1, outputs))
    h, w = draw(st.integers(1, size)), draw(st.integers(1, size))
    kh, kw = draw(st.integers(1, min(kernel, h + 2 * ph))), draw(st.integers(1, min(kernel, w + 2 * pw)))
    return dict(x=(n, c, h, w), weight=(o, c, kh, kw), bias=draw(st.booleans()), stride=stride, padding=pad,
                seed=draw(st.integers(0, 2**31 - 1)))


def case_tensors(case, dtype=torch.float64):
    "The input, weight and bias (or None) a drawn case describes."
    x, w = randn(*case['x'], seed=case['seed'], dtype=dtype), randn(*case['weight'], seed=case['seed'] + 1, dtype=dtype)
    b = randn(case['weight'][0], seed=case['seed'] + 2, dtype=dtype) if case['bias'] else None
    return x, w, b



def assert_same_function(ours, twin, x, out_atol=1e-5):
    "`ours` and `twin` (with the same weights) give the same output on `x`, and the same parameter gradients for its sum."
    torch.testing.assert_close(ours(x), twin(x), rtol=1e-4, atol=out_atol)
    ours(x).sum().backward(); twin(x).sum().backward()
    for p, q in zip(ours.parameters(), twin.parameters()): torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-5)
