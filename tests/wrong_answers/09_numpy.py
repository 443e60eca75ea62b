"Typical mistakes for the Practice of 09_numpy: the code replaces the solution, the fragment must be in the check's message."
WRONG = {
    # letting the gradient through at exactly 0, where ReLU's gradient is taken as 0
    1: ('''return np.where(inp >= 0, out_g, 0)''', 'elements differ'),
    # the weight gradient of the (n_in, n_out) layout, not nn.Linear's (n_out, n_in)
    2: ('''return out_g @ w_t, inp.T @ out_g, out_g.sum(0)''', 'transposed?'),
    # no maximum subtracted: exp(100) overflows float32 to inf, and inf / inf is nan
    3: ('''e = np.exp(x)
return e / e.sum(axis=1, keepdims=True)''', 'of yours are nan'),
    # believing that every NumPy operand promotes float32, even a float16 or int16 array
    4: ('''dtypes = ('float32', 'float64', 'float64', 'float64')''', 'is not right (you gave'),
    # the ReLU between the second and the third layer skipped on the way back
    5: ('''z1 = lin(x, p['w1'], p['b1'])
z2 = lin(relu(z1), p['w2'], p['b2'])
z3 = lin(relu(z2), p['w3'], p['b3'])
a2_g, w3_g, b3_g = lin_grad(relu(z2), p['w3'], mse_grad(z3, y))
a1_g, w2_g, b2_g = lin_grad(relu(z1), p['w2'], a2_g)
x_g, w1_g, b1_g = lin_grad(x, p['w1'], relu_grad(z1, a1_g))
return dict(x=x_g, w1=w1_g, b1=b1_g, w2=w2_g, b2=b2_g, w3=w3_g, b3=b3_g)''', 'the gradient of w2'),
}
