"Typical mistakes for the Practice of 11_autograd: each must make its exercise's check fail with the given fragment."
WRONG = {
    # every element gets the gradient, not only the largest
    1: ('''def max_dim(t, dim):
    values, idx = t.data.max(dim)
    shape = t.shape
    return record('max', values, (t,), lambda g: (g.unsqueeze(dim).expand(shape),))''', 'the gradient of max_dim(t, 1)'),
    # the colleague's rule, unchanged: g * s instead of g * s * (1 - s)
    2: ('''def sigmoid(t):
    sig = torch.sigmoid(t.data)
    return record('sigmoid', sig, (t,), lambda g: (g * sig,))''', 'the gradient of sigmoid(t)'),
    # the gradient of one backward pass: the second one adds to .grad
    3: ('''predicted_grad = 7.0''', 'predicted_grad is not right'),
    # each half's mean taken as it is: twice the gradient of the mean over the whole batch
    4: ('''for rows in (slice(0, 32), slice(32, 64)):
    cross_entropy(xs[rows] @ w, ys[rows]).backward()
accumulated = w.grad''', 'elements differ'),
}
