"Typical mistakes for the Practice of 09_numpy: the code replaces the solution, the fragment must be in the check's message."
WRONG = {
    # letting the gradient through at exactly 0, where ReLU's gradient is taken as 0
    1: ('''return np.where(inp >= 0, out_g, 0)''', 'elements differ'),
    # the weight gradient of the (n_in, n_out) layout, not nn.Linear's (n_out, n_in)
    2: ('''return out_g @ w_t, inp.T @ out_g, out_g.sum(0)''', 'transposed?'),
    # no maximum subtracted: exp(100) overflows float32 to inf, and inf / inf is nan
    3: ('''e = np.exp(x)
return e / e.sum(axis=1, keepdims=True)''', 'of yours are nan'),
    # believing every float64 value promotes, even a Python float, and that np.float32(...) does not help
    4: ('''dtypes = ('float64', 'float64', 'float64', 'float64')''', 'expected'),
}
