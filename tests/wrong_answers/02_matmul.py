"Typical wrong answers to the exercises of nbs/02_matmul.ipynb, and what each check must say about them."
WRONG = {
    # `=` instead of `+=`: each column keeps only the last term of its sum
    1: ('''out[:, j] = a[:, k] * b[k, j]''', 'elements differ'),
    # the two comprehensions swapped: one list per neuron instead of one per input
    2: ('''return [[sum(xi * wi for xi, wi in zip(x, w)) + bj for x in batch] for w, bj in zip(weights, biases)]''',
        'transposed?'),
    # a rank-0 tensor where a Python int is asked for
    3: ('''return ((a - b).abs() <= tol).sum()''', '.item()'),
    # reading sq[:, 1] as the second row: 3*3 + 4*4
    4: ('''predicted = 25''', 'is not right (you gave 25)'),
    # the ReLU forgotten: negative entries stay negative
    5: ('''n, n_in = x.shape
n_out = w.shape[0]
if tuple(w.shape) != (n_out, n_in) or tuple(b.shape) != (n_out,):
    raise ValueError(f"bad shapes {tuple(x.shape)}, {tuple(w.shape)}, {tuple(b.shape)}")
out = x.new_zeros(n, n_out)
for i in range(n):
    for j in range(n_out): out[i, j] = (x[i] * w[j]).sum() + b[j]
return out''', 'elements differ'),
}
