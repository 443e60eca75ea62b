# A typical wrong answer for each exercise of 06_refactor, and a fragment its check's message must contain.
WRONG = {
    1: ("inp.g = out.g * out", 'elements differ'),  # used the output itself as the derivative, forgot (1 - out)
    2: ("return grad_out * (inp > 0)", 'elements differ'),  # plain ReLU's gradient: the 0.1 slope is lost
    3: ("object.__setattr__(self, name, value)", 'differs by 2'),  # stored the attribute but registered nothing
    4: ("n_numbers = (10 * 20 + 20) + 2 * (20 * 20 + 20)", 'differs by 420'),  # counted the shared module twice
    5: ("predicted_grad = torch.tensor([2., 4., 6.])", 'elements differ'),  # as if the second pass overwrote .grad
}
