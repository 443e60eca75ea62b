"Typical wrong answers to the exercises of nbs/02_matmul.ipynb, and what each check must say about them."
WRONG = {
    # `=` instead of `+=`: each column keeps only the last term of its sum
    1: ('''out[:, j] = a[:, k] * b[k, j]''', 'elements differ'),
    # the two comprehensions swapped: one list per neuron instead of one per input
    2: ('''return [[sum(xi * wi for xi, wi in zip(x, w)) + bj for x in batch] for w, bj in zip(weights, biases)]''',
        'transposed?'),
    # the learner's notes: the comparison the wrong way round
    3: ('''return (a < b).all().item()''', 'is False, expected True'),
    # thinking the 1 is added to the first element only
    4: ('''predicted = torch.tensor([2, 2])''', '1 of 2 elements differ'),
    # thinking PyTorch pads or truncates the shorter tensor
    5: ("outcome = 'works'", "is 'works', expected 'error'"),
    # a rank-0 tensor where a Python number is asked for
    6: ('''dot = (p * q).sum()''', 'got a tensor of shape ()'),
}
